package sink

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/footprint/footprint/internal/envconfig"
)

// fakeStoreConfig stands for a store package's Config.
type fakeStoreConfig struct {
	Retention int
}

var errFakeRetention = errors.New("fake store: retention must be >= 0")

func (c *fakeStoreConfig) Vars() envconfig.Vars {
	return envconfig.Vars{envconfig.Int("FOOTPRINT_FAKE_RETENTION", &c.Retention, "retention of the fake store")}
}

func (c fakeStoreConfig) Validate() error {
	if c.Retention < 0 {
		return errFakeRetention
	}
	return nil
}

func (fakeStoreConfig) Maintenance() time.Duration { return time.Hour }

func fakeWriter() Writer[fakeStoreConfig, ClosableStore] {
	return Writer[fakeStoreConfig, ClosableStore]{Name: "fake-writer", AdminAddr: "127.0.0.1:9999", Store: fakeStoreConfig{Retention: 3}, StoreVars: (*fakeStoreConfig).Vars}
}

func envMap(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// The writer's name gives its group and metric label; defaults apply
// without any variable.
func TestWriterLoadConfigDefaults(t *testing.T) {
	cfg, err := fakeWriter().LoadConfig(envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sink.Group != "footprint-fake-writer" || cfg.Sink.Writer != "fake_writer" || cfg.Sink.DLQTopic != "footprint.events.v1.dlq" ||
		cfg.Admin.Addr != "127.0.0.1:9999" || cfg.Admin.Pprof || cfg.Store.Retention != 3 ||
		cfg.Sink.BatchMaxEvents != 50_000 || cfg.Sink.BatchMaxBytes != 8<<20 || cfg.Sink.MemoryLimit != 200<<20 || cfg.Sink.BatchMaxWait != 500*time.Millisecond {
		t.Fatalf("defaults: %+v", cfg)
	}
}

// Shared, admin and store variables all apply; every invalid one is
// reported at once, the store's among them.
func TestWriterLoadConfigEnv(t *testing.T) {
	cfg, err := fakeWriter().LoadConfig(envMap(map[string]string{
		"FOOTPRINT_KAFKA_TOPIC": "t1", "FOOTPRINT_WRITER_BATCH_MAX_EVENTS": "10", "FOOTPRINT_WRITER_BATCH_MAX_WAIT": "250ms",
		"FOOTPRINT_FAKE_RETENTION": "30", "FOOTPRINT_LOG_LEVEL": "debug", "FOOTPRINT_ADMIN_ADDR": "127.0.0.1:1",
		"FOOTPRINT_ADMIN_PPROF": "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sink.Topic != "t1" || cfg.Sink.DLQTopic != "t1.dlq" || cfg.Sink.BatchMaxEvents != 10 ||
		cfg.Sink.BatchMaxWait != 250*time.Millisecond || cfg.Store.Retention != 30 || cfg.Admin.Addr != "127.0.0.1:1" ||
		!cfg.Admin.Pprof || cfg.LogLevel.String() != "DEBUG" {
		t.Fatalf("env not applied: %+v", cfg)
	}
	_, err = fakeWriter().LoadConfig(envMap(map[string]string{
		"FOOTPRINT_WRITER_BATCH_MAX_EVENTS": "0", "FOOTPRINT_FAKE_RETENTION": "-1", "FOOTPRINT_WRITER_BATCH_MAX_WAIT": "soon",
	}))
	for _, want := range []error{ErrBatchMaxEvents, errFakeRetention} {
		if !errors.Is(err, want) {
			t.Errorf("error %v does not contain %v", err, want)
		}
	}
	if err == nil || !strings.Contains(err.Error(), "FOOTPRINT_WRITER_BATCH_MAX_WAIT") {
		t.Errorf("error %v does not name the unparsable variable", err)
	}
}

// -h and -help list every variable, the store's among them, and exit 0;
// anything else on the command line exits 2 before the writer starts.
func TestWriterExecHelp(t *testing.T) {
	w := fakeWriter()
	for _, flag := range []string{"-h", "-help"} {
		var out, errOut strings.Builder
		if code := w.Exec(context.Background(), []string{flag}, envMap(nil), &out, &errOut); code != 0 {
			t.Fatalf("%s: exit %d, %q", flag, code, errOut.String())
		}
		for _, line := range []string{"FOOTPRINT_FAKE_RETENTION (default 3)", "FOOTPRINT_WRITER_GROUP (default footprint-fake-writer)", "FOOTPRINT_ADMIN_ADDR (default 127.0.0.1:9999)", "FOOTPRINT_LOG_LEVEL (default info)"} {
			if !strings.Contains(out.String(), line) {
				t.Errorf("%s: output lacks %q", flag, line)
			}
		}
	}
	var errOut strings.Builder
	if code := w.Exec(context.Background(), []string{"serve"}, envMap(nil), &strings.Builder{}, &errOut); code != 2 {
		t.Fatalf("stray argument: exit %d, want 2", code)
	}
}
