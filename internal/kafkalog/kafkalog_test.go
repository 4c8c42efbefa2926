package kafkalog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

func TestLevel(t *testing.T) {
	for syslog, want := range map[int]slog.Level{
		0: slog.LevelError, 3: slog.LevelError, 4: slog.LevelWarn, 5: slog.LevelInfo, 6: slog.LevelInfo, 7: slog.LevelDebug,
	} {
		if got := Level(syslog); got != want {
			t.Errorf("syslog %d: %v, want %v", syslog, got, want)
		}
	}
}

func TestForward(t *testing.T) {
	var buf bytes.Buffer
	logs := make(chan kafka.LogEvent, 2)
	logs <- kafka.LogEvent{Name: "rdkafka#producer-1", Tag: "FAIL", Message: "broker down", Level: 3}
	logs <- kafka.LogEvent{Name: "rdkafka#producer-1", Tag: "DEBUG", Message: "noise", Level: 7}
	close(logs)
	Forward(logs, slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want only the error line at level info, got %q", buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["level"] != "ERROR" || rec["msg"] != "librdkafka: broker down" || rec["facility"] != "FAIL" || rec["handle"] != "rdkafka#producer-1" {
		t.Fatalf("record %v", rec)
	}
}

func TestEnableThroughARealClient(t *testing.T) {
	// A client created with Enable has a Logs() channel; without, it has none.
	cm := &kafka.ConfigMap{"bootstrap.servers": "127.0.0.1:1", "enable.metrics.push": false}
	if err := Enable(cm); err != nil {
		t.Fatal(err)
	}
	p, err := kafka.NewProducer(cm)
	if err != nil {
		t.Fatal(err)
	}
	if p.Logs() == nil {
		t.Fatal("no log channel")
	}
	done := make(chan struct{})
	go func() { Forward(p.Logs(), slog.New(slog.DiscardHandler)); close(done) }()
	p.Close()
	<-done // Close closes the channel, so Forward returns
}
