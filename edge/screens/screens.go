// Package screens serves the device screens of the edge agent on its
// loopback local API, for a kiosk-mode browser on the device: the POS's
// selling screen, the kiosk's pickup screen and the gate's handheld
// screen. The pages are built into the binary and speak only the agent's
// local API; the POS's sales still go to the cloud through it, online
// only.
//
// It may import the standard library and internal/webui only.
package screens

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"

	"github.com/admitbox/admit/internal/webui"
)

//go:embed static
var static embed.FS

// Handler serves the screen of role at /ui/ and its files under
// /ui/static/, and the shared files under /ui-common/.
func Handler(role string) http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	files := http.StripPrefix("/ui/static", http.FileServerFS(sub))
	common := http.StripPrefix("/ui-common", webui.Handler())
	page := role + ".html"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", webui.CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		switch {
		case r.URL.Path == "/ui/" || r.URL.Path == "/ui":
			http.ServeFileFS(w, r, sub, page)
		case strings.HasPrefix(r.URL.Path, "/ui/static/"):
			files.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, "/ui-common/"):
			common.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}
