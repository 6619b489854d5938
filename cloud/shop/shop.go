// Package shop serves the public's pages at /shop/: built into the binary
// (go:embed), mobile first, in Chinese and English, loading nothing from
// elsewhere and speaking only the public routes of the JSON API. Its
// first page is a presale's results: the process, the commitment, the
// locked list and the draw, with the files anyone re-runs it from
// (event plan §6.1.3(3)).
//
// It may import the standard library and internal/webui only.
package shop

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"

	"github.com/admitbox/admit/internal/webui"
)

//go:embed static
var static embed.FS

// Handler serves the shop at /shop/ and its files under /shop/static/;
// mount it without stripping the prefix.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	files := http.StripPrefix("/shop/static", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		webui.SetHeaders(w)
		switch {
		case r.URL.Path == "/shop/" || r.URL.Path == "/shop/index.html":
			http.ServeFileFS(w, r, sub, "index.html")
		case r.URL.Path == "/shop":
			http.Redirect(w, r, "/shop/", http.StatusMovedPermanently)
		case strings.HasPrefix(r.URL.Path, "/shop/static/"):
			files.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}
