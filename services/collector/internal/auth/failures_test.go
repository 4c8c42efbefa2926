package auth

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc/metadata"
)

func TestFailuresCountedByReason(t *testing.T) {
	reg := prometheus.NewRegistry()
	f, err := NewFailures(reg, slog.New(slog.DiscardHandler), DefaultLogLimit())
	if err != nil {
		t.Fatal(err)
	}
	k := NewKeyring(map[string][]string{"good": {"s"}}).WithFailures(f)
	for _, md := range []metadata.MD{
		nil,
		metadata.Pairs("authorization", "Basic good"),
		metadata.Pairs("authorization", "Bearer good", "authorization", "Bearer good"),
		bearer("bad"), bearer("worse"),
		bearer("good"), // succeeds: not counted
	} {
		_, _ = k.Authenticate(md)
	}
	for reason, want := range map[string]float64{"missing": 1, "malformed": 1, "multiple": 1, "unknown": 2} {
		if got := testutil.ToFloat64(f.total.WithLabelValues(reason)); got != want {
			t.Errorf("reason %s: %v, want %v", reason, got, want)
		}
	}
	if _, err := NewFailures(reg, slog.New(slog.DiscardHandler), DefaultLogLimit()); err == nil {
		t.Error("registering the metric twice did not fail")
	}
}

func TestFailuresLoggedAtABoundedRate(t *testing.T) {
	var buf bytes.Buffer
	f, err := NewFailures(prometheus.NewRegistry(), slog.New(slog.NewJSONHandler(&buf, nil)), LogLimit{Lines: 3, Interval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.now = func() time.Time { return now }
	k := NewKeyring(map[string][]string{"good": {"s"}}).WithFailures(f)
	md := metadata.Pairs("authorization", "Bearer secret-guess", "user-agent", "scanner/1.0")
	for range 100 {
		_, _ = k.Authenticate(md)
	}
	if got := strings.Count(buf.String(), "\n"); got != 3 {
		t.Fatalf("%d lines in the first minute, want 3:\n%s", got, buf.String())
	}
	if strings.Contains(buf.String(), "secret-guess") {
		t.Fatal("the key was logged")
	}
	// Next window: one line that says how many were left out.
	buf.Reset()
	now = now.Add(time.Minute)
	_, _ = k.Authenticate(md)
	var line struct {
		Reason     string `json:"reason"`
		UserAgent  string `json:"user_agent"`
		Suppressed int    `json:"suppressed_since_last"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if line.Reason != "unknown" || line.UserAgent != "scanner/1.0" || line.Suppressed != 97 {
		t.Fatalf("line %+v, want reason unknown, the user agent and 97 suppressed", line)
	}
}
