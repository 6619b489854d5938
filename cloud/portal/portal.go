// Package portal serves the venue admin portal: a page and its scripts,
// built into the binary (go:embed), that run in the admin's browser and
// speak only the JSON API under /api/v1 with the admin's own token. It
// therefore shows and changes exactly what the API lets that principal
// see and change: tenant and venue walls are the API's, not the page's.
//
// Nothing is loaded from anywhere else (the Content-Security-Policy
// forbids it), so the portal works on a venue network without internet.
//
// It may import the standard library and internal/webui only.
package portal

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"

	"github.com/admitbox/admit/internal/webui"
)

//go:embed static
var static embed.FS

// Handler serves the portal at / and its files under /static/.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		webui.SetHeaders(w)
		switch {
		case r.URL.Path == "/" || r.URL.Path == "/index.html":
			http.ServeFileFS(w, r, sub, "index.html")
		case strings.HasPrefix(r.URL.Path, "/static/"):
			http.StripPrefix("/static", files).ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}
