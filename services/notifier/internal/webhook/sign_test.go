package webhook

import (
	"testing"
	"time"
)

// The example of the Standard Webhooks specification (its reference
// libraries' test vector).
func TestSignStandardWebhooksVector(t *testing.T) {
	s, err := NewSigner("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := s.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	if !s.Verify("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,bogus "+got, []byte(`{"test": 2432232314}`), time.Unix(1614265331, 0), time.Minute) {
		t.Fatal("verify failed")
	}
	if s.Verify("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", got, []byte(`{"test": 1}`), time.Unix(1614265331, 0), time.Minute) {
		t.Fatal("verify accepted a changed body")
	}
	if _, err := NewSigner("secret"); err == nil {
		t.Fatal("accepted a secret without whsec_")
	}
}
