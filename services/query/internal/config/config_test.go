package config

import (
	"errors"
	"testing"
	"time"
)

func TestDefaultsAreValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestFromEnvAndValidate(t *testing.T) {
	env := map[string]string{
		"FOOTPRINT_QUERY_READ_KEYS":      "k1=a,b;k2=c",
		"FOOTPRINT_QUERY_PUBLIC_SITES":   "demo",
		"FOOTPRINT_QUERY_TIMEOUT":        "3s",
		"FOOTPRINT_QUERY_MAX_CONCURRENT": "0",
		"FOOTPRINT_QUERY_PG_SCHEMA":      "bad;schema",
		"FOOTPRINT_LOG_LEVEL":            "loud",
	}
	c, err := FromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if c.QueryTimeout != 3*time.Second || c.ReadKeys != "k1=a,b;k2=c" || c.PublicSites != "demo" {
		t.Errorf("config %+v", c)
	}
	err = c.Validate()
	for _, want := range []error{ErrConcurrency, ErrName, ErrLogLevel} {
		if !errors.Is(err, want) {
			t.Errorf("Validate() = %v, want it to include %v", err, want)
		}
	}
	if _, err := FromEnv(func(k string) (string, bool) { return "x", k == "FOOTPRINT_QUERY_TIMEOUT" }); err == nil {
		t.Error("a malformed duration was accepted")
	}
	c = Default()
	c.ReadKeys = "=nokey"
	if err := c.Validate(); err == nil {
		t.Error("a malformed read key entry was accepted")
	}
}
