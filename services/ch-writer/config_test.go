package main

import (
	"errors"
	"testing"

	"github.com/footprint/footprint/internal/sink"
	"github.com/footprint/footprint/store/clickhouse"
)

func envMap(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfig(t *testing.T) {
	cfg, err := writer().LoadConfig(envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sink.Group != "footprint-ch-writer" || cfg.Admin.Addr != "127.0.0.1:9466" || cfg.Store.Addr != "127.0.0.1:9000" ||
		cfg.Store.Database != "footprint" || cfg.Store.User != "default" {
		t.Fatalf("defaults: %+v", cfg)
	}
	cfg, err = writer().LoadConfig(envMap(map[string]string{"FOOTPRINT_CH_USER": "footprint_writer", "FOOTPRINT_CH_PASSWORD": "pw", "FOOTPRINT_CH_RETENTION_MONTHS": "13"}))
	if err != nil || cfg.Store.User != "footprint_writer" || cfg.Store.Password != "pw" || cfg.Store.RetentionMonths != 13 {
		t.Fatalf("env: %+v %v", cfg, err)
	}
	_, err = writer().LoadConfig(envMap(map[string]string{"FOOTPRINT_CH_ADDR": "nohost", "FOOTPRINT_WRITER_BATCH_MAX_BYTES": "1"}))
	for _, want := range []error{clickhouse.ErrAddr, sink.ErrBatchMaxBytes} {
		if !errors.Is(err, want) {
			t.Errorf("error %v does not contain %v", err, want)
		}
	}
}
