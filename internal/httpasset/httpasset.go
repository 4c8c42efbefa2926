// Package httpasset serves small in-memory files prepared once at start-up:
// a strong ETag from the content, a gzip copy when it is smaller, answers to
// conditional GETs (304) and HEAD. The collector's tracker script and the
// query service's dashboard both serve their files through it; each caller
// sets its own caching and security headers before calling Serve.
package httpasset

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Asset is one prepared file. Treat it as immutable.
type Asset struct {
	ContentType string
	// ETag is strong and quoted, derived from Body.
	ETag string
	Body []byte
	// Gzipped is Body compressed, or nil when compression was not asked
	// for or did not make it smaller.
	Gzipped []byte
}

// New prepares body; compress asks for a gzip copy (best compression: an
// asset is compressed once and served many times).
func New(contentType string, body []byte, compress bool) (*Asset, error) {
	sum := sha256.Sum256(body)
	a := &Asset{ContentType: contentType, ETag: `"` + hex.EncodeToString(sum[:12]) + `"`, Body: body}
	if !compress {
		return a, nil
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if _, err := zw.Write(body); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if buf.Len() < len(body) {
		a.Gzipped = buf.Bytes()
	}
	return a, nil
}

// Serve answers a GET or HEAD with the asset and returns the status it
// wrote: 304 when If-None-Match names the ETag, else 200 with the gzip copy
// when the client accepts it.
func (a *Asset) Serve(w http.ResponseWriter, r *http.Request) int {
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("ETag", a.ETag)
	h.Add("Vary", "Accept-Encoding")
	if ETagMatches(r.Header.Get("If-None-Match"), a.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified
	}
	body := a.Body
	if a.Gzipped != nil && AcceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = a.Gzipped
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return http.StatusOK
}

// ETagMatches reports whether an If-None-Match header names etag (weak
// comparison, as RFC 9110 asks for If-None-Match) or is "*".
func ETagMatches(header, etag string) bool {
	for candidate := range strings.SplitSeq(header, ",") {
		c := strings.TrimPrefix(strings.TrimSpace(candidate), "W/")
		if c == etag || c == "*" {
			return true
		}
	}
	return false
}

// AcceptsGzip reports whether an Accept-Encoding header accepts gzip
// (present and not q=0).
func AcceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
