package admin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, s *Server, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.http.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func newServer(t *testing.T, cfg Config, ready ReadyFunc) *Server {
	t.Helper()
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	return New(cfg, reg, ready, slog.New(slog.DiscardHandler))
}

func TestPprofOnlyWhenEnabled(t *testing.T) {
	ok := func(context.Context) error { return nil }
	for _, tc := range []struct {
		pprof bool
		want  int
	}{{false, http.StatusNotFound}, {true, http.StatusOK}} {
		s := newServer(t, Config{Addr: "127.0.0.1:0", Pprof: tc.pprof}, ok)
		for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/symbol"} {
			if code, _ := get(t, s, path); code != tc.want {
				t.Errorf("pprof %v: %s answered %d, want %d", tc.pprof, path, code, tc.want)
			}
		}
	}
}

func TestEndpoints(t *testing.T) {
	notReady := func(context.Context) error { return errors.New("store down") }
	s := newServer(t, Config{Addr: "127.0.0.1:0"}, notReady)
	if code, body := get(t, s, "/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("healthz %d %q", code, body)
	}
	if code, body := get(t, s, "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "store down") {
		t.Errorf("readyz %d %q", code, body)
	}
	if code, body := get(t, s, "/metrics"); code != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics %d, runtime metrics missing", code)
	}
}

func TestVars(t *testing.T) {
	c := Config{Addr: "127.0.0.1:2"}
	vars := c.Vars("ready when the store answers")
	env := map[string]string{"FOOTPRINT_ADMIN_ADDR": "127.0.0.1:1", "FOOTPRINT_ADMIN_PPROF": "true"}
	if err := vars.Apply(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil || c.Addr != "127.0.0.1:1" || !c.Pprof {
		t.Fatalf("config %+v, err %v", c, err)
	}
	if d := vars.Docs()[0]; d.Default != "127.0.0.1:2" || !strings.Contains(d.Help, "(ready when the store answers)") {
		t.Fatalf("doc %+v", d)
	}
	c = Config{Addr: "127.0.0.1:2"}
	err := c.Vars("").Apply(func(k string) (string, bool) { return "nohostport", k == "FOOTPRINT_ADMIN_ADDR" })
	if err == nil || !strings.Contains(err.Error(), "FOOTPRINT_ADMIN_ADDR") || c.Addr != "127.0.0.1:2" {
		t.Fatalf("bad address: err %v, config %+v", err, c)
	}
}
