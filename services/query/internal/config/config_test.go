package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/footprint/footprint/internal/envconfig"
)

func TestDefaultsAreValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestFromEnvAndValidate(t *testing.T) {
	env := map[string]string{
		"FOOTPRINT_QUERY_READ_KEYS":    "k1=a,b;k2=c",
		"FOOTPRINT_QUERY_PUBLIC_SITES": "demo",
		"FOOTPRINT_QUERY_TIMEOUT":      "3s",
		"FOOTPRINT_LOG_LEVEL":          "warn",
	}
	c, err := FromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if c.QueryTimeout != 3*time.Second || c.ReadKeys != "k1=a,b;k2=c" || c.PublicSites != "demo" || c.LogLevel != slog.LevelWarn {
		t.Errorf("config %+v", c)
	}
	c.MaxConcurrent, c.PostgresSchema = 0, "bad;schema"
	err = c.Validate()
	for _, want := range []error{ErrConcurrency, ErrName} {
		if !errors.Is(err, want) {
			t.Errorf("Validate() = %v, want it to include %v", err, want)
		}
	}
	if _, err := FromEnv(func(k string) (string, bool) { return "x", k == "FOOTPRINT_QUERY_TIMEOUT" }); err == nil {
		t.Error("a malformed duration was accepted")
	}
	// A variable that fails its field's check is named at start, with the
	// error Validate would return.
	bad := map[string]string{"FOOTPRINT_QUERY_MAX_CONCURRENT": "0", "FOOTPRINT_QUERY_PG_SCHEMA": "bad;schema", "FOOTPRINT_LOG_LEVEL": "loud",
		"FOOTPRINT_QUERY_PG_WORK_MEM": "64M; SET x"}
	_, err = FromEnv(func(k string) (string, bool) { v, ok := bad[k]; return v, ok })
	for _, want := range []error{ErrConcurrency, ErrName, envconfig.ErrLogLevel, ErrWorkMem} {
		if !errors.Is(err, want) {
			t.Errorf("FromEnv() = %v, want it to include %v", err, want)
		}
	}
	for name := range bad {
		if !strings.Contains(fmt.Sprint(err), name) {
			t.Errorf("FromEnv() = %v, want it to name %s", err, name)
		}
	}
	c = Default()
	c.ReadKeys = "=nokey"
	if err := c.Validate(); err == nil {
		t.Error("a malformed read key entry was accepted")
	}
}

// TestEmptyPassword: an explicitly empty FOOTPRINT_QUERY_CH_PASSWORD means
// no password (ClickHouse's default user), unset keeps the default, and an
// empty value of another variable still keeps its default.
func TestEmptyPassword(t *testing.T) {
	env := map[string]string{"FOOTPRINT_QUERY_CH_PASSWORD": "", "FOOTPRINT_QUERY_CH_USER": "", "FOOTPRINT_QUERY_TIMEOUT": ""}
	c, err := FromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	def := Default()
	if c.ClickHousePassword != "" || c.ClickHouseUser != def.ClickHouseUser || c.QueryTimeout != def.QueryTimeout {
		t.Errorf("password %q user %q timeout %s: want empty password, default user and timeout", c.ClickHousePassword, c.ClickHouseUser, c.QueryTimeout)
	}
	c, err = FromEnv(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if c.ClickHousePassword != def.ClickHousePassword || def.ClickHousePassword == "" {
		t.Errorf("unset password = %q, want the default %q", c.ClickHousePassword, def.ClickHousePassword)
	}
}
