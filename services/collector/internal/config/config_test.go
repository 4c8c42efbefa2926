package config

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/footprint/footprint/internal/admin"
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
		c.Kafka.Compression != "lz4" || c.LogLevel != "info" {
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
	}))
	for _, name := range []string{"KEEP_RAW_IP", "MAX_EVENTS_PER_BATCH", "ALLOWED_CLOCK_SKEW"} {
		if err == nil || !strings.Contains(err.Error(), "FOOTPRINT_COLLECTOR_"+name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
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
	c.LogLevel = "loud"
	err := c.Validate()
	for _, want := range []error{
		server.ErrGRPCAddr, server.ErrTLSPair, admin.ErrAddrRequired, producer.ErrCompression,
		producer.ErrTopicRequired, validate.ErrMaxEventsPerBatch, auth.ErrNoKeys, ErrLogLevel,
	} {
		if !errors.Is(err, want) {
			t.Errorf("missing %v", want)
		}
	}
}

// TestVarsDocumented keeps the README's configuration reference complete.
func TestVarsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	def := Default()
	for _, v := range Vars() {
		if seen[v.Name] {
			t.Errorf("%s listed twice", v.Name)
		}
		seen[v.Name] = true
		if v.Help == "" {
			t.Errorf("%s has no help", v.Name)
		}
		if !strings.Contains(string(readme), "`"+v.Name+"`") {
			t.Errorf("%s is not in services/collector/README.md", v.Name)
		}
		// Setting a variable to its default value round-trips.
		c := Default()
		if d := v.Default(&def); d != "" {
			if err := v.Set(&c, d); err != nil {
				t.Errorf("%s: default %q does not parse: %v", v.Name, d, err)
			}
		}
	}
}
