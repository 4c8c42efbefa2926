package server

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/services/collector/internal/enrich"
	"github.com/footprint/footprint/services/collector/internal/eventenc"
	"github.com/footprint/footprint/services/collector/internal/validate"
)

var fuzzNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// FuzzIngestRequest feeds arbitrary bytes through what the server does with
// a request body: decode with the server's codec, then validate and enrich
// every event. Nothing may panic, a decode failure must be reported (not
// half-applied), and every accepted event must satisfy the documented
// invariants and still encode; every rejection must encode as a result.
//
// The seed corpus is testdata/fuzz/FuzzIngestRequest (regenerate with
// FOOTPRINT_WRITE_FUZZ_CORPUS=1 go test -run TestFuzzCorpusUpToDate).
func FuzzIngestRequest(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x04, 0x12, 0x02, 0xff, 0xfe}) // invalid UTF-8 in site_id
	f.Add([]byte{0x0a, 0x80})                         // truncated length

	cfg := validate.DefaultConfig()
	cfg.MaxEventBytes = 2048 // small limits reach the size checks with small inputs
	v, err := validate.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	e, _, err := enrich.New(enrich.Config{VisitorIDSecret: "fuzzing-visitor-secret"})
	if err != nil {
		f.Fatal(err)
	}
	name := regexp.MustCompile(cfg.NamePattern)

	f.Fuzz(func(t *testing.T, data []byte) {
		var req collectorv1.IngestRequest
		if err := (tolerantCodec{}).Unmarshal(mem.BufferSlice{mem.SliceBuffer(data)}, &req); err != nil {
			t.Fatalf("codec returned an error instead of marking the request: %v", err)
		}
		if _, bad := undecodable(&req); bad {
			// Either the bytes do not decode, or the client sent the reserved field itself.
			var probe collectorv1.IngestRequest
			if proto.Unmarshal(data, &probe) == nil {
				if _, reserved := undecodable(&probe); !reserved {
					t.Fatal("valid request marked undecodable")
				}
			}
			return
		}
		for i, ev := range req.Events {
			out, rej := v.Prepare(ev, fuzzNow)
			if rej != nil {
				if _, err := proto.Marshal(rejectedResult(i, ev, rej)); err != nil {
					t.Fatalf("rejection of event %d does not encode: %v", i, err)
				}
				continue
			}
			e.EnrichWith(ev, enrich.Facts{PeerIP: "192.0.2.1", ReceivedAt: fuzzNow, EventIDAssigned: out.EventIDAssigned,
				ClockClamped: out.ClockClamped, PageURL: out.PageURL, Referrer: out.Referrer})
			if rej := v.CheckEnriched(ev); rej != nil {
				continue
			}
			if id, err := uuid.Parse(ev.EventId); err != nil || ev.EventId != id.String() {
				t.Fatalf("accepted event_id %q is not canonical", ev.EventId)
			}
			if ev.SiteId == "" || ev.VisitorId == "" || !name.MatchString(ev.Name) {
				t.Fatalf("accepted event without site, visitor or valid name: %v", ev)
			}
			occurred := ev.OccurredAt.AsTime()
			if occurred.After(fuzzNow.Add(cfg.AllowedClockSkew)) || occurred.Before(fuzzNow.Add(-cfg.MaxEventAge)) {
				t.Fatalf("accepted occurred_at %v outside the window", occurred)
			}
			if ev.GetClient().GetIp() != "" {
				t.Fatal("raw IP kept")
			}
			if len(ev.Properties) > cfg.MaxProperties {
				t.Fatal("too many properties accepted")
			}
			value, err := eventenc.Append(nil, ev)
			if err != nil {
				t.Fatalf("accepted event does not encode: %v", err)
			}
			var decoded eventv1.Event
			if err := proto.Unmarshal(value, &decoded); err != nil || !proto.Equal(&decoded, ev) {
				t.Fatalf("accepted event encodes to %v (%v), want %v", &decoded, err, ev)
			}
		}
	})
}

// fuzzSeeds are requests that exercise every field and most rejections.
func fuzzSeeds() map[string]*collectorv1.IngestRequest {
	full := &eventv1.Event{
		EventId: "0190b4c2-7f1a-7000-8000-000000000001", SiteId: "demo", Name: "comment_created",
		OccurredAt: timestamppb.New(fuzzNow.Add(-time.Minute)), VisitorId: "v", UserId: "u", SessionId: "s",
		Page: &eventv1.Page{Url: "https://a.example/p?utm_source=x&utm_medium=y", Path: "/p", Title: "T",
			Referrer: "https://www.b.example/"},
		HttpMethod: "post", HttpStatus: 201, DurationUs: 10,
		Client: &eventv1.ClientContext{UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/118.0.0.0 Safari/537.36",
			Locale: "en", ScreenWidth: 1, ScreenHeight: 2, TimeZone: "UTC", Ip: "2001:db8::1"},
		Utm:        &eventv1.Utm{Campaign: "c"},
		Properties: map[string]string{"k": "v"},
		Enrichment: &eventv1.Enrichment{Browser: "forged"},
	}
	return map[string]*collectorv1.IngestRequest{
		"full":     {Events: []*eventv1.Event{full}},
		"minimal":  {Events: []*eventv1.Event{{SiteId: "demo"}}},
		"empty":    {},
		"future":   {Events: []*eventv1.Event{{SiteId: "demo", OccurredAt: timestamppb.New(fuzzNow.Add(time.Hour))}}},
		"old":      {Events: []*eventv1.Event{{SiteId: "demo", OccurredAt: timestamppb.New(fuzzNow.AddDate(-1, 0, 0))}}},
		"bad-ts":   {Events: []*eventv1.Event{{SiteId: "demo", OccurredAt: &timestamppb.Timestamp{Seconds: -1 << 40}}}},
		"bad-id":   {Events: []*eventv1.Event{{SiteId: "demo", EventId: "{not-a-uuid}"}}},
		"bad-name": {Events: []*eventv1.Event{{SiteId: "demo", Name: "Page View"}}},
		"bad-url":  {Events: []*eventv1.Event{{SiteId: "demo", Page: &eventv1.Page{Url: "javascript:x", Referrer: "%zz"}}}},
		"method":   {Events: []*eventv1.Event{{SiteId: "demo", HttpMethod: "GE T", HttpStatus: 42}}},
		"bad-ip":   {Events: []*eventv1.Event{{SiteId: "demo", Client: &eventv1.ClientContext{Ip: "999.1.1.1"}}}},
		"props":    {Events: []*eventv1.Event{{SiteId: "demo", Properties: map[string]string{"": "x", strings.Repeat("k", 70): "v"}}}},
		"large":    {Events: []*eventv1.Event{{SiteId: "demo", Page: &eventv1.Page{Title: strings.Repeat("é", 1500)}}}},
		"mixed":    {Events: []*eventv1.Event{full, {SiteId: ""}, {SiteId: "demo", VisitorId: strings.Repeat("v", 200)}}},
		"utm-only": {Events: []*eventv1.Event{{SiteId: "demo", Page: &eventv1.Page{Url: "/x?utm_term=a&utm_content=b"}}}},
		"bot":      {Events: []*eventv1.Event{{SiteId: "demo", Client: &eventv1.ClientContext{UserAgent: "Googlebot/2.1"}}}},
	}
}

// TestFuzzCorpusUpToDate checks that the committed seed corpus is exactly what
// fuzzSeeds produces, so the seeds `go test` runs are the ones this file
// describes. FOOTPRINT_WRITE_FUZZ_CORPUS=1 rewrites the corpus instead.
func TestFuzzCorpusUpToDate(t *testing.T) {
	write := os.Getenv("FOOTPRINT_WRITE_FUZZ_CORPUS") == "1"
	dir := filepath.Join("testdata", "fuzz", "FuzzIngestRequest")
	if write {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, req := range fuzzSeeds() {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		path := filepath.Join(dir, "seed-"+name)
		if write {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("seed %s: %v (rewrite with FOOTPRINT_WRITE_FUZZ_CORPUS=1)", name, err)
		}
		if string(got) != want {
			t.Errorf("seed %s differs from fuzzSeeds (rewrite with FOOTPRINT_WRITE_FUZZ_CORPUS=1)", name)
		}
	}
}
