package beacon

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/footprint/footprint/internal/httpasset"
)

//go:embed js/footprint.js
var trackerSource string

// defaultEventPath is the endpoint written in the tracker's source; the served
// copy names the configured path instead, so a renamed endpoint needs no data-api.
const defaultEventPath = "'/api/event'"

// script is the tracker as served: compacted, prepared once (ETag, gzip
// copy), with its versioned path.
type script struct {
	*httpasset.Asset
	versionedPath string
}

func newScript(scriptPath, eventPath string) (*script, error) {
	src := compactJS(trackerSource)
	if !strings.Contains(src, defaultEventPath) {
		return nil, fmt.Errorf("tracker source lost its default endpoint %s", defaultEventPath)
	}
	src = strings.Replace(src, defaultEventPath, "'"+eventPath+"'", 1)
	asset, err := httpasset.New("text/javascript; charset=utf-8", []byte(src), true)
	if err != nil {
		return nil, fmt.Errorf("tracker: %w", err)
	}
	sum := sha256.Sum256(asset.Body)
	dir, file := path.Split(scriptPath)
	version := hex.EncodeToString(sum[:])[:12]
	return &script{Asset: asset, versionedPath: dir + strings.TrimSuffix(file, ".js") + "." + version + ".js"}, nil
}

// compactJS drops whole-line // comments, indentation and blank lines: the
// source stays readable, the served copy small. It never touches the inside of
// a line, so it cannot break a string or a regular expression.
func compactJS(src string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(src, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// serve answers GET/HEAD of the tracker; immutable is true on the versioned path.
func (s *script) serve(w http.ResponseWriter, r *http.Request, immutable bool) int {
	h := w.Header()
	// Any page may load the script; it reads nothing of the page's origin.
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// Short: a new release reaches pages within the hour; then a cheap 304.
		h.Set("Cache-Control", "public, max-age=3600, stale-while-revalidate=86400")
	}
	return s.Serve(w, r)
}
