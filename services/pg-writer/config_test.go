package main

import (
	"errors"
	"testing"
	"time"

	"github.com/footprint/footprint/internal/sink"
	"github.com/footprint/footprint/store/postgres"
)

func envMap(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := writer().LoadConfig(envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sink.Group != "footprint-pg-writer" || cfg.Sink.DLQTopic != "footprint.events.v1.dlq" || cfg.Admin.Addr != "127.0.0.1:9465" ||
		cfg.Store.URL != "postgres://footprint_writer:footprint_writer@127.0.0.1:5432/footprint" || cfg.Store.Schema != "footprint" ||
		cfg.Sink.BatchMaxEvents != 50_000 || cfg.Sink.BatchMaxBytes != 16<<20 || cfg.Sink.BatchMaxWait != 500*time.Millisecond {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestLoadConfigEnv(t *testing.T) {
	cfg, err := writer().LoadConfig(envMap(map[string]string{
		"FOOTPRINT_KAFKA_TOPIC": "t1", "FOOTPRINT_WRITER_BATCH_MAX_EVENTS": "10", "FOOTPRINT_WRITER_BATCH_MAX_WAIT": "250ms",
		"FOOTPRINT_PG_RETENTION_DAYS": "30", "FOOTPRINT_LOG_LEVEL": "debug",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sink.Topic != "t1" || cfg.Sink.DLQTopic != "t1.dlq" || cfg.Sink.BatchMaxEvents != 10 ||
		cfg.Sink.BatchMaxWait != 250*time.Millisecond || cfg.Store.RetentionDays != 30 {
		t.Fatalf("env not applied: %+v", cfg)
	}
	_, err = writer().LoadConfig(envMap(map[string]string{
		"FOOTPRINT_WRITER_BATCH_MAX_EVENTS": "0", "FOOTPRINT_PG_SCHEMA": "", "FOOTPRINT_PG_RETENTION_DAYS": "-1",
		"FOOTPRINT_WRITER_BATCH_MAX_WAIT": "soon",
	}))
	for _, want := range []error{sink.ErrBatchMaxEvents, postgres.ErrRetention} {
		if !errors.Is(err, want) {
			t.Errorf("error %v does not contain %v", err, want)
		}
	}
}
