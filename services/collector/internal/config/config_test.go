package config

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/footprint/footprint/internal/admin"
	"github.com/footprint/footprint/internal/envconfig"
	"github.com/footprint/footprint/internal/envconfig/envconfigtest"
	"github.com/footprint/footprint/services/collector/internal/auth"
	"github.com/footprint/footprint/services/collector/internal/producer"
	"github.com/footprint/footprint/services/collector/internal/server"
	"github.com/footprint/footprint/services/collector/internal/validate"
)

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestDefaultsNeedOnlyKeys(t *testing.T) {
	c := Default()
	if err := c.Validate(); !errors.Is(err, auth.ErrNoKeys) {
		t.Fatalf("defaults without keys: %v", err)
	}
	c.Auth.Keys = "k=s"
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults with a key: %v", err)
	}
}

func TestFromEnv(t *testing.T) {
	c, err := FromEnv(lookup(map[string]string{
		"FOOTPRINT_KAFKA_BROKERS":                  "a:1,b:2",
		"FOOTPRINT_COLLECTOR_GRPC_ADDR":            "0.0.0.0:6000",
		"FOOTPRINT_COLLECTOR_API_KEYS":             "k=s",
		"FOOTPRINT_COLLECTOR_KEEP_RAW_IP":          "true",
		"FOOTPRINT_COLLECTOR_MAX_EVENTS_PER_BATCH": "10",
		"FOOTPRINT_COLLECTOR_ALLOWED_CLOCK_SKEW":   "5m",
		"FOOTPRINT_COLLECTOR_KAFKA_COMPRESSION":    "lz4",
		"FOOTPRINT_LOG_LEVEL":                      "",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Kafka.Brokers != "a:1,b:2" || c.Server.GRPCAddr != "0.0.0.0:6000" || !c.Enrich.KeepRawIP ||
		c.Limits.MaxEventsPerBatch != 10 || c.Limits.AllowedClockSkew != 5*time.Minute ||
		c.Kafka.Compression != "lz4" || c.LogLevel != slog.LevelInfo || c.Admin.Pprof {
		t.Fatalf("config %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestFromEnvParseErrors(t *testing.T) {
	_, err := FromEnv(lookup(map[string]string{
		"FOOTPRINT_COLLECTOR_KEEP_RAW_IP":          "maybe",
		"FOOTPRINT_COLLECTOR_MAX_EVENTS_PER_BATCH": "ten",
		"FOOTPRINT_COLLECTOR_ALLOWED_CLOCK_SKEW":   "5",
		"FOOTPRINT_LOG_LEVEL":                      "loud",
		"FOOTPRINT_ADMIN_PPROF":                    "yes please",
	}))
	for _, name := range []string{"COLLECTOR_KEEP_RAW_IP", "COLLECTOR_MAX_EVENTS_PER_BATCH", "COLLECTOR_ALLOWED_CLOCK_SKEW",
		"LOG_LEVEL", "ADMIN_PPROF"} {
		if err == nil || !strings.Contains(err.Error(), "FOOTPRINT_"+name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	if !errors.Is(err, envconfig.ErrLogLevel) {
		t.Errorf("log level error is not ErrLogLevel: %v", err)
	}
}

func TestLogLevelAndPprofFromEnv(t *testing.T) {
	for _, tc := range []struct {
		level string
		want  slog.Level
	}{{"debug", slog.LevelDebug}, {"INFO", slog.LevelInfo}, {" warn ", slog.LevelWarn}, {"error", slog.LevelError}} {
		c, err := FromEnv(lookup(map[string]string{"FOOTPRINT_LOG_LEVEL": tc.level, "FOOTPRINT_ADMIN_PPROF": "true"}))
		if err != nil || c.LogLevel != tc.want || !c.Admin.Pprof {
			t.Errorf("%q: level %v pprof %v err %v", tc.level, c.LogLevel, c.Admin.Pprof, err)
		}
	}
	// slog's own offsets ("info+2") are not a documented value.
	if _, err := FromEnv(lookup(map[string]string{"FOOTPRINT_LOG_LEVEL": "info+2"})); !errors.Is(err, envconfig.ErrLogLevel) {
		t.Errorf("info+2: %v", err)
	}
}

func TestValidateJoinsEveryError(t *testing.T) {
	c := Default()
	c.Server.GRPCAddr = "nonsense"
	c.Server.TLSCertFile = "cert.pem"
	c.Admin.Addr = ""
	c.Kafka.Compression = "brotli"
	c.Kafka.Topic = ""
	c.Limits.MaxEventsPerBatch = 0
	c.Enrich.VisitorIDSecret = "short"
	err := c.Validate()
	for _, want := range []error{
		server.ErrGRPCAddr, server.ErrTLSPair, admin.ErrAddrRequired, producer.ErrCompression,
		producer.ErrTopicRequired, validate.ErrMaxEventsPerBatch, auth.ErrNoKeys,
	} {
		if !errors.Is(err, want) {
			t.Errorf("missing %v", want)
		}
	}
}

// TestVarsDocumented keeps the README's configuration reference in step
// with the table (every row: name, default, help), and every default is a
// value its variable accepts.
func TestVarsDocumented(t *testing.T) {
	c := Default()
	vars := Vars(&c)
	envconfigtest.CheckREADMERows(t, "../../README.md", vars)
	defaults := map[string]string{}
	for _, d := range vars.Docs() {
		defaults[d.Name] = d.Default
	}
	c = Default()
	if err := Vars(&c).Apply(lookup(defaults)); err != nil {
		t.Errorf("a default does not parse as its variable: %v", err)
	}
}
