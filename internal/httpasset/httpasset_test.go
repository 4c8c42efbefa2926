package httpasset

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestServeGzipConditionalAndHead(t *testing.T) {
	body := bytes.Repeat([]byte("footprint "), 100)
	a, err := New("text/plain", body, true)
	if err != nil {
		t.Fatal(err)
	}
	if a.Gzipped == nil || len(a.Gzipped) >= len(body) {
		t.Fatalf("gzip copy %d bytes for %d", len(a.Gzipped), len(body))
	}
	get := func(method string, headers map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/x", nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		if code := a.Serve(rec, req); code != rec.Code {
			t.Fatalf("Serve returned %d, wrote %d", code, rec.Code)
		}
		return rec
	}
	rec := get(http.MethodGet, map[string]string{"Accept-Encoding": "br, GZIP;q=0.5"})
	zr, err := gzip.NewReader(rec.Body)
	if err != nil || rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip not served: %v %v", err, rec.Header())
	}
	if plain, _ := io.ReadAll(zr); !bytes.Equal(plain, body) {
		t.Fatal("gzip copy does not decode to the body")
	}
	if rec := get(http.MethodGet, map[string]string{"Accept-Encoding": "gzip;q=0"}); !bytes.Equal(rec.Body.Bytes(), body) {
		t.Fatal("gzip;q=0 still got gzip")
	}
	if rec := get(http.MethodGet, map[string]string{"If-None-Match": "W/" + a.ETag}); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("matching ETag: %d with %d bytes, want 304 and none", rec.Code, rec.Body.Len())
	}
	if rec := get(http.MethodGet, map[string]string{"If-None-Match": `"other"`}); rec.Code != http.StatusOK {
		t.Fatalf("other ETag: %d, want 200", rec.Code)
	}
	if rec := get(http.MethodHead, nil); rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") == "" {
		t.Fatalf("HEAD: %d, %d bytes, length %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
}

func TestIncompressibleKeepsNoGzipCopy(t *testing.T) {
	a, err := New("image/png", []byte{1, 2, 3}, true)
	if err != nil || a.Gzipped != nil {
		t.Fatalf("gzip copy of 3 bytes kept: %v", err)
	}
}
