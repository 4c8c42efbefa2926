// Package web serves the dashboard: a static page of plain ES modules,
// embedded in the binary so the query service works offline and self-hosted.
// The page talks only to the JSON API under /api/v1/ on the same origin.
package web

import (
	"embed"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/footprint/footprint/internal/httpasset"
)

//go:embed assets
var assets embed.FS

// Handler serves the dashboard at "/" (index.html) and its assets below it.
// Every response carries an ETag and Cache-Control: no-cache, so browsers
// revalidate (a cheap 304) and never show a stale page after an upgrade.
func Handler() http.Handler {
	files, err := load()
	if err != nil {
		// The assets are compiled in; failing to read them is a build bug.
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "dashboard assets unavailable: "+err.Error(), http.StatusInternalServerError)
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serve(files, w, r)
	})
}

func load() (map[string]*httpasset.Asset, error) {
	root, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, fmt.Errorf("web: assets dir: %w", err)
	}
	files := map[string]*httpasset.Asset{}
	err = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return fmt.Errorf("web: read %s: %w", name, err)
		}
		// The page is served often and compressed once; images are already compressed.
		ct := contentType(name)
		a, err := httpasset.New(ct, body, compressible(ct))
		if err != nil {
			return fmt.Errorf("web: %s: %w", name, err)
		}
		files["/"+name] = a
		return nil
	})
	return files, err
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".LICENSE", ".txt", ".md":
		return "text/plain; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func compressible(contentType string) bool {
	return strings.HasPrefix(contentType, "text/") || strings.HasPrefix(contentType, "image/svg")
}

func serve(files map[string]*httpasset.Asset, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := r.URL.Path
	if name == "/" {
		name = "/index.html"
	}
	a, ok := files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	if name == "/index.html" {
		// The page loads nothing from other origins.
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
	}
	a.Serve(w, r)
}
