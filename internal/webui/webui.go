// Package webui holds what the portal and the device screens share: a
// small script (DOM building, Chinese/English words, JSON calls, masking
// of personal data) and a style sheet, built into the binaries. The pages
// load nothing from elsewhere.
//
// It may import the standard library only.
package webui

import (
	"embed"
	"net/http"
)

//go:embed assets
var assets embed.FS

// Handler serves common.js and common.css at /<prefix>/… ; mount it with
// the prefix stripped.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/common.js", "/common.css":
			SetHeaders(w)
			http.ServeFileFS(w, r, assets, "assets"+r.URL.Path)
		default:
			http.NotFound(w, r)
		}
	})
}

// CSP is the Content-Security-Policy of every page: its own scripts,
// styles and API calls, and images it made itself.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// SetHeaders sets the headers every page and asset is served with: the
// CSP, no content sniffing, no referrer, and revalidation on each load (the
// files change with the binary).
func SetHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
}
