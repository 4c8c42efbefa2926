package server

import (
	"errors"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	err := Config{GRPCAddr: "no-port", TLSKeyFile: "key.pem"}.Validate()
	for _, want := range []error{ErrGRPCAddr, ErrTLSPair, ErrShutdownTimeout, ErrMaxRecvBytes} {
		if !errors.Is(err, want) {
			t.Errorf("missing %v in %v", want, err)
		}
	}
}

func TestReasonLabel(t *testing.T) {
	if reasonLabel(2) != "invalid_format" {
		t.Errorf("reason label %q", reasonLabel(2))
	}
}
