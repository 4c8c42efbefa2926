package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestHandlerServesIndexAtRoot(t *testing.T) {
	resp := get(t, Handler(), "/", nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	if !strings.Contains(string(body), "<title>Footprint") {
		t.Fatalf("index body: %.200s", body)
	}
	if resp.Header.Get("ETag") == "" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("cache headers: %v", resp.Header)
	}
}

func TestHandlerRevalidatesWithETag(t *testing.T) {
	h := Handler()
	etag := get(t, h, "/app.js", nil).Header.Get("ETag")
	resp := get(t, h, "/app.js", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified {
		t.Fatalf("status %d with matching ETag, want 304", resp.StatusCode)
	}
}

func TestHandlerGzipsWhenAccepted(t *testing.T) {
	h := Handler()
	plain := get(t, h, "/vendor/uPlot.iife.min.js", nil)
	plainBody, _ := io.ReadAll(plain.Body)
	resp := get(t, h, "/vendor/uPlot.iife.min.js", map[string]string{"Accept-Encoding": "br, gzip"})
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", resp.Header)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, plainBody) {
		t.Fatal("gzip body differs from the plain body")
	}
	if resp.ContentLength >= int64(len(plainBody)) {
		t.Fatalf("gzip %d bytes, plain %d", resp.ContentLength, len(plainBody))
	}
	if r := get(t, h, "/vendor/uPlot.iife.min.js", map[string]string{"Accept-Encoding": "gzip;q=0"}); r.Header.Get("Content-Encoding") != "" {
		t.Fatal("gzip sent although refused with q=0")
	}
}

func TestHandlerRejectsUnknownPathsAndMethods(t *testing.T) {
	h := Handler()
	if resp := get(t, h, "/nope.js", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown path: status %d", resp.StatusCode)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: status %d", rec.Code)
	}
}

// TestJavaScriptUnits runs the dashboard's own unit tests (jstest/, plain
// node --test, no npm packages). Node is on the build image; CI
// (FOOTPRINT_REQUIRE_STACK=1) fails without it instead of skipping.
func TestJavaScriptUnits(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("FOOTPRINT_REQUIRE_STACK") == "1" {
			t.Fatalf("node is needed for the dashboard's JavaScript tests: %v", err)
		}
		t.Skipf("node not installed: %v", err)
	}
	files, err := filepath.Glob(filepath.Join("jstest", "*.test.js"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no JavaScript tests found in jstest/ (%v)", err)
	}
	out, err := exec.Command(node, append([]string{"--test"}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("# fail 0")) {
		t.Fatalf("node --test reported failures:\n%s", out)
	}
}

func TestAssetsAreSmall(t *testing.T) {
	// The whole first load must stay under 250 KB compressed; the embedded
	// assets are most of it (the API answers are a few KB).
	files, err := load()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for name, a := range files {
		n := len(a.Body)
		if a.Gzipped != nil {
			n = len(a.Gzipped)
		}
		if strings.HasSuffix(name, ".LICENSE") || strings.HasSuffix(name, ".md") {
			continue // not loaded by the page
		}
		total += n
	}
	t.Logf("embedded assets, gzip-compressed: %d bytes", total)
	if total > 150*1024 {
		t.Errorf("assets are %d bytes compressed; the page budget is 250 KB including API answers", total)
	}
}
