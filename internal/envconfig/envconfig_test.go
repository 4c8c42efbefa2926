package envconfig

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestReaderSetsParsedValuesAndKeepsDefaults(t *testing.T) {
	env := map[string]string{"S": "text", "I": "42", "D": "1500ms", "L": "warn", "B": "true"}
	r := New(func(k string) string { return env[k] })
	s, i, d, l, b := "default", 7, time.Second, slog.LevelInfo, false
	unset := "kept"
	r.String("S", &s)
	r.Int("I", &i)
	r.Duration("D", &d)
	r.LogLevel("L", &l)
	r.Bool("B", &b)
	r.String("UNSET", &unset)
	if err := r.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	if s != "text" || i != 42 || d != 1500*time.Millisecond || l != slog.LevelWarn || !b || unset != "kept" {
		t.Fatalf("got %q %d %v %v %v %q", s, i, d, l, b, unset)
	}
}

func TestReaderReportsEveryMalformedVariable(t *testing.T) {
	env := map[string]string{"I": "forty", "D": "soon", "L": "loud", "B": "maybe"}
	r := New(func(k string) string { return env[k] })
	i, d, l, b := 7, time.Second, slog.LevelInfo, true
	r.Int("I", &i)
	r.Duration("D", &d)
	r.LogLevel("L", &l)
	r.Bool("B", &b)
	err := r.Err()
	if err == nil {
		t.Fatal("Err() = nil, want the four malformed variables")
	}
	if !b {
		t.Error("malformed bool changed the default")
	}
	for _, name := range []string{"I:", "D:", "L:", "B:"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if i != 7 || d != time.Second || l != slog.LevelInfo {
		t.Fatalf("malformed values changed the defaults: %d %v %v", i, d, l)
	}
}
