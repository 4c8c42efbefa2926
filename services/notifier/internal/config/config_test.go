package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/footprint/footprint/internal/envconfig/envconfigtest"
)

func TestDefaultsAndEnv(t *testing.T) {
	env := map[string]string{"FOOTPRINT_NOTIFIER_API_KEYS": "k=demo", "FOOTPRINT_KAFKA_TOPIC": "t1",
		"FOOTPRINT_NOTIFIER_WEBHOOK_TIMEOUT": "3s", "FOOTPRINT_NOTIFIER_GRPC_ADDR": "127.0.0.1:1"}
	c, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Sink.Topic != "t1" || c.Sink.DLQTopic != "t1.dlq" || c.Sink.Group != "footprint-notifier" || c.Webhook.Timeout != 3*time.Second || c.GRPCAddr != "127.0.0.1:1" {
		t.Fatalf("config %+v", c)
	}
}

// TestREADMEListsEveryVariable: the README's table and Vars name the same variables.
func TestREADMEListsEveryVariable(t *testing.T) {
	c := Default()
	envconfigtest.CheckREADME(t, "../../README.md", Vars(&c))
}

func TestValidateNamesEveryError(t *testing.T) {
	c := Default()
	c.GRPCAddr, c.PostgresURL, c.DLQTopic = "nope", "", ""
	c.Webhook.MaxAttempts, c.Webhook.Lease = 0, time.Second
	err := c.Validate()
	for _, want := range []error{ErrGRPCAddr, ErrPostgresURL, ErrKeys, ErrDLQTopic, ErrWebhook, ErrLease} {
		if !errors.Is(err, want) {
			t.Errorf("missing %v in %v", want, err)
		}
	}
	bad := map[string]string{"FOOTPRINT_NOTIFIER_WEBHOOK_TIMEOUT": "soon", "FOOTPRINT_NOTIFIER_WEBHOOK_MAX_ATTEMPTS": "0", "FOOTPRINT_NOTIFIER_GRPC_ADDR": "nope"}
	_, err = FromEnv(func(k string) string { return bad[k] })
	for name := range bad {
		if !strings.Contains(fmt.Sprint(err), name) {
			t.Errorf("FromEnv() = %v, want it to name %s", err, name)
		}
	}
	if !errors.Is(err, ErrWebhook) || !errors.Is(err, ErrGRPCAddr) {
		t.Errorf("FromEnv() = %v, want ErrWebhook and ErrGRPCAddr", err)
	}
}
