package config

import (
	"errors"
	"testing"
	"time"
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
	if len(Vars()) < 15 {
		t.Fatal("variables missing")
	}
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
	if _, err := FromEnv(func(k string) string { return map[string]string{"FOOTPRINT_NOTIFIER_WEBHOOK_TIMEOUT": "soon"}[k] }); err == nil {
		t.Error("a malformed duration was accepted")
	}
}
