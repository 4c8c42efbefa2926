package gen

import (
	"strconv"
	"strings"
	"testing"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"google.golang.org/protobuf/proto"
)

func TestEncodedSizeAndUniqueIDs(t *testing.T) {
	g := New(Config{Sites: []string{"bench"}, Seed: 1, Enriched: true})
	msgs, err := g.Encoded(5000)
	if err != nil {
		t.Fatal(err)
	}
	if m := MeanSize(msgs); m < 250 || m > 400 {
		t.Fatalf("mean encoded size %.0f bytes, want about 300", m)
	} else {
		t.Logf("mean encoded size %.0f bytes", m)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		if seen[m.ID] {
			t.Fatalf("duplicate id %s", m.ID)
		}
		seen[m.ID] = true
		var e eventv1.Event
		if err := proto.Unmarshal(m.Value, &e); err != nil {
			t.Fatal(err)
		}
		if e.EventId != m.ID || e.SiteId != "bench" || e.Enrichment == nil || e.ReceivedAt == nil {
			t.Fatalf("unexpected event %v", &e)
		}
	}
}

func TestIDsDifferAcrossSeeds(t *testing.T) {
	a, b := New(Config{Seed: 1}), New(Config{Seed: 2})
	if a.NextID() == b.NextID() {
		t.Fatal("same first id for different seeds")
	}
	before := time.Now().UnixMilli()
	id := a.NextID()
	if len(id) != 36 || id[14] != '7' || !strings.ContainsRune("89ab", rune(id[19])) {
		t.Fatalf("id %q is not a UUIDv7", id)
	}
	ms, err := strconv.ParseInt(strings.ReplaceAll(id[:13], "-", ""), 16, 64)
	if err != nil || ms < before || ms > time.Now().UnixMilli() {
		t.Fatalf("id %q: time prefix %d (%v), want the time it was made", id, ms, err)
	}
}
