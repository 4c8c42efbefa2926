package config

import (
	"errors"
	"testing"
)

func TestFromEnvAndValidate(t *testing.T) {
	env := map[string]string{"FOOTPRINT_KAFKA_TOPIC": "t", "FOOTPRINT_CH_DATABASE": "d"}
	c, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Topic != "t" || c.DLQTopic != "t.dlq" || c.ClickHouse.Database != "d" || c.ErasureTopic != "footprint.erasures.v1" {
		t.Fatalf("config %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	c.Brokers, c.AuditTopic = "", c.ErasureTopic
	err = c.Validate()
	if !errors.Is(err, ErrBrokers) || !errors.Is(err, ErrTopics) {
		t.Fatalf("Validate = %v, want ErrBrokers and ErrTopics", err)
	}
}
