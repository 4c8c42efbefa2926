package beacon

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed js/footprint.js
var trackerSource string

// defaultEventPath is the endpoint written in the tracker's source; the served
// copy names the configured path instead, so a renamed endpoint needs no data-api.
const defaultEventPath = "'/api/event'"

// script is the tracker as served: compacted, with its ETag, gzipped copy and
// versioned path.
type script struct {
	body, gzipped []byte
	etag          string
	versionedPath string
}

func newScript(scriptPath, eventPath string) (*script, error) {
	src := compactJS(trackerSource)
	if !strings.Contains(src, defaultEventPath) {
		return nil, fmt.Errorf("tracker source lost its default endpoint %s", defaultEventPath)
	}
	src = strings.Replace(src, defaultEventPath, "'"+eventPath+"'", 1)
	sum := sha256.Sum256([]byte(src))
	version := hex.EncodeToString(sum[:])[:12]
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("gzip tracker: %w", err)
	}
	if _, err := zw.Write([]byte(src)); err != nil {
		return nil, fmt.Errorf("gzip tracker: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip tracker: %w", err)
	}
	dir, file := path.Split(scriptPath)
	return &script{
		body:          []byte(src),
		gzipped:       gz.Bytes(),
		etag:          `"` + version + `"`,
		versionedPath: dir + strings.TrimSuffix(file, ".js") + "." + version + ".js",
	}, nil
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
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("ETag", s.etag)
	h.Set("Vary", "Accept-Encoding")
	// Any page may load the script; it reads nothing of the page's origin.
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// Short: a new release reaches pages within the hour; then a cheap 304.
		h.Set("Cache-Control", "public, max-age=3600, stale-while-revalidate=86400")
	}
	if etagMatches(r.Header.Get("If-None-Match"), s.etag) {
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified
	}
	body := s.body
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = s.gzipped
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return http.StatusOK
}

func etagMatches(header, etag string) bool {
	for candidate := range strings.SplitSeq(header, ",") {
		c := strings.TrimPrefix(strings.TrimSpace(candidate), "W/")
		if c == etag || c == "*" {
			return true
		}
	}
	return false
}

func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
