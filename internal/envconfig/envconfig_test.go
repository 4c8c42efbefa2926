package envconfig

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestReaderSetsParsedValuesAndKeepsDefaults(t *testing.T) {
	env := map[string]string{"S": "text", "I": "42", "D": "1500ms", "L": "warn"}
	r := New(func(k string) string { return env[k] })
	s, i, d, l := "default", 7, time.Second, slog.LevelInfo
	unset := "kept"
	r.String("S", &s)
	r.Int("I", &i)
	r.Duration("D", &d)
	r.LogLevel("L", &l)
	r.String("UNSET", &unset)
	if err := r.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	if s != "text" || i != 42 || d != 1500*time.Millisecond || l != slog.LevelWarn || unset != "kept" {
		t.Fatalf("got %q %d %v %v %q", s, i, d, l, unset)
	}
}

func TestReaderReportsEveryMalformedVariable(t *testing.T) {
	env := map[string]string{"I": "forty", "D": "soon", "L": "loud"}
	r := New(func(k string) string { return env[k] })
	i, d, l := 7, time.Second, slog.LevelInfo
	r.Int("I", &i)
	r.Duration("D", &d)
	r.LogLevel("L", &l)
	err := r.Err()
	if err == nil {
		t.Fatal("Err() = nil, want the three malformed variables")
	}
	for _, name := range []string{"I:", "D:", "L:"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if i != 7 || d != time.Second || l != slog.LevelInfo {
		t.Fatalf("malformed values changed the defaults: %d %v %v", i, d, l)
	}
}
