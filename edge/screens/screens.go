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
	"bytes"
	"embed"
	"fmt"
	"html/template"
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
	page, err := screenPage(role)
	if err != nil {
		panic(err) // the page is built in: a broken one is a build error
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		webui.SetHeaders(w)
		switch {
		case r.URL.Path == "/ui/" || r.URL.Path == "/ui":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(page)
		case strings.HasPrefix(r.URL.Path, "/ui/static/"):
			files.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, "/ui-common/"):
			common.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// screenPage is the page of role: one page for every screen, loading the
// role's script.
func screenPage(role string) ([]byte, error) {
	switch role {
	case "pos", "kiosk", "gate":
	default:
		return nil, fmt.Errorf("screens: no screen for role %q", role)
	}
	t, err := template.ParseFS(static, "static/screen.html")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = t.Execute(&b, struct{ Role string }{role})
	return b.Bytes(), err
}
