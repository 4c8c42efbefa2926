// Package webhook delivers notifications to HTTP endpoints following the
// Standard Webhooks convention (https://www.standardwebhooks.com): headers
// webhook-id (stable across retries, so receivers deduplicate),
// webhook-timestamp and webhook-signature (v1, HMAC-SHA256 of
// "id.timestamp.body", base64). Deliveries come from the inbox's outbox
// table; each endpoint has its own worker and concurrency limit, so a slow
// or dead endpoint delays only itself.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks header names.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// ErrSecret is returned for a secret that is not `whsec_<base64>`.
var ErrSecret = errors.New("webhook: secret must be whsec_ followed by base64")

// Signer signs messages with one endpoint's secret.
type Signer struct{ key []byte }

// NewSigner decodes a `whsec_<base64>` secret.
func NewSigner(secret string) (Signer, error) {
	b64, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return Signer{}, ErrSecret
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) == 0 {
		return Signer{}, fmt.Errorf("%w: %v", ErrSecret, err)
	}
	return Signer{key: key}, nil
}

// Sign returns the webhook-signature value for a message.
func (s Signer) Sign(id string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(id + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify checks a received message as a receiver would: one of the
// space-separated v1 signatures must match, and the timestamp must be
// within tolerance of now.
func (s Signer) Verify(id, timestamp, signatures string, body []byte, now time.Time, tolerance time.Duration) bool {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	ts := time.Unix(sec, 0)
	if now.Sub(ts) > tolerance || ts.Sub(now) > tolerance {
		return false
	}
	want := s.Sign(id, ts, body)
	for _, sig := range strings.Fields(signatures) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}
