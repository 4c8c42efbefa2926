package server

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/services/collector/internal/enrich"
	"github.com/footprint/footprint/services/collector/internal/producer"
	"github.com/footprint/footprint/services/collector/internal/validate"
)

// captureProducer keeps a copy of every message (the pipeline reuses their memory).
type captureProducer struct{ msgs []producer.Message }

func (c *captureProducer) ProduceBatch(_ context.Context, msgs []producer.Message) error {
	for _, m := range msgs {
		c.msgs = append(c.msgs, producer.Message{Key: append([]byte(nil), m.Key...), Value: append([]byte(nil), m.Value...)})
	}
	return nil
}

func newTestPipeline(t *testing.T, prod BatchProducer) *Pipeline {
	t.Helper()
	v, err := validate.New(validate.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	e, _, err := enrich.New(enrich.Config{VisitorIDSecret: "encoding-test-visitor-secret"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMetrics(prometheus.NewRegistry(), func() int { return 0 })
	if err != nil {
		t.Fatal(err)
	}
	return NewPipeline(Deps{Validator: v, Enricher: e, Producer: prod, Metrics: m,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return fuzzNow }})
}

// field appends one protobuf field to b: a string, a nested message (bytes)
// or a varint.
func strField(b []byte, num protowire.Number, s string) []byte {
	return protowire.AppendString(protowire.AppendTag(b, num, protowire.BytesType), s)
}

func msgField(b []byte, num protowire.Number, body []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), body)
}

func varintField(b []byte, num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
}

// TestEncodedEventsAreTheCollectorsEvents sends events as raw client bytes
// (duplicate fields, fields the collector owns placed after everything
// else, unknown fields), runs them through the codec and the pipeline, and
// checks what is produced: it decodes to exactly the event the pipeline
// holds (what proto.Marshal wrote before), the collector's values win, and
// fields the collector clears stay cleared.
func TestEncodedEventsAreTheCollectorsEvents(t *testing.T) {
	base := func() []byte {
		b := strField(nil, 2, "site-a")
		b = msgField(b, 9, strField(nil, 1, "https://shop.example/p/1?utm_source=news"))
		return msgField(b, 13, strField(strField(nil, 1, benchAgents[0]), 6, "203.0.113.9"))
	}
	clientEnrichment := strField(strField(nil, 1, "ClientBrowser"), 7, "evil.example")
	clientEnrichment = varintField(clientEnrichment, 6, 1) // is_bot
	unknown := varintField(nil, 99, 42)
	cases := map[string]struct {
		raw   []byte
		check func(t *testing.T, ev *eventv1.Event)
	}{
		"enrichment and received_at after every field": {
			raw: msgField(msgField(base(), 16, clientEnrichment), 5, varintField(varintField(nil, 1, 1), 2, 7)),
			check: func(t *testing.T, ev *eventv1.Event) {
				en := ev.GetEnrichment()
				if en.GetBrowser() == "ClientBrowser" || en.GetReferrerHost() == "evil.example" || en.GetIsBot() {
					t.Errorf("the client's enrichment survived: %v", en)
				}
				if got := ev.GetReceivedAt().AsTime(); !got.Equal(fuzzNow) {
					t.Errorf("received_at %v, want the collector's %v", got, fuzzNow)
				}
			},
		},
		"client context sent twice: the ip is cleared": {
			raw: msgField(base(), 13, strField(nil, 6, "198.51.100.1")),
			check: func(t *testing.T, ev *eventv1.Event) {
				if ev.GetClient().GetIp() != "" || ev.GetClient().GetUserAgent() != benchAgents[0] {
					t.Errorf("client %v: want the merged context without ip", ev.GetClient())
				}
			},
		},
		"duplicate scalar: the last one counts, as protobuf says": {
			raw: strField(strField(base(), 10, "post"), 10, "get"),
			check: func(t *testing.T, ev *eventv1.Event) {
				if ev.GetHttpMethod() != "GET" {
					t.Errorf("http_method %q, want GET", ev.GetHttpMethod())
				}
			},
		},
		"unknown fields are kept": {
			raw: append(base(), unknown...),
			check: func(t *testing.T, ev *eventv1.Event) {
				if string(ev.ProtoReflect().GetUnknown()) != string(unknown) {
					t.Errorf("unknown fields %x, want %x", ev.ProtoReflect().GetUnknown(), unknown)
				}
			},
		},
		"escapes that are not UTF-8 in the path and a UTM value": {
			raw: msgField(strField(nil, 2, "site-a"), 9, strField(nil, 1, "https://shop.example/%FF?utm_source=%FE")),
			check: func(t *testing.T, ev *eventv1.Event) {
				if ev.GetPage().GetPath() != "/\uFFFD" || ev.GetUtm().GetSource() != "\uFFFD" {
					t.Errorf("page %v utm %v: want U+FFFD for the bytes that are not UTF-8", ev.GetPage(), ev.GetUtm())
				}
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			prod := &captureProducer{}
			p := newTestPipeline(t, prod)
			body := msgField(nil, 1, tc.raw)
			var req collectorv1.IngestRequest
			if err := (tolerantCodec{}).Unmarshal(mem.BufferSlice{mem.SliceBuffer(body)}, &req); err != nil {
				t.Fatal(err)
			}
			res, err := p.Ingest(context.Background(), req.Events, IngestOptions{Owns: func(string) bool { return true }, PeerIP: "127.0.0.1"})
			if err != nil || res.Accepted != 1 || len(prod.msgs) != 1 {
				t.Fatalf("ingest: %v, %d accepted, %d produced (%v)", err, res.Accepted, len(prod.msgs), res.Results)
			}
			var produced eventv1.Event
			if err := proto.Unmarshal(prod.msgs[0].Value, &produced); err != nil {
				t.Fatal(err)
			}
			// The event the pipeline holds is what proto.Marshal encoded before eventenc.
			if !proto.Equal(&produced, req.Events[0]) {
				t.Fatalf("produced\n%v\nwant the pipeline's event\n%v", &produced, req.Events[0])
			}
			tc.check(t, &produced)
		})
	}
}

// TestUTMFromURLGetsTheWritersLimits: a UTM value taken from page.url (which
// may be twice as long as a UTM value) is checked after enrichment, so the
// collector does not acknowledge what both writers would dead-letter.
func TestUTMFromURLGetsTheWritersLimits(t *testing.T) {
	prod := &captureProducer{}
	p := newTestPipeline(t, prod)
	ev := &eventv1.Event{SiteId: "site-a", OccurredAt: timestamppb.New(fuzzNow),
		Page: &eventv1.Page{Url: "https://shop.example/?utm_campaign=" + strings.Repeat("c", 1500)}}
	res, err := p.Ingest(context.Background(), []*eventv1.Event{ev}, IngestOptions{Owns: func(string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rejected != 1 || len(prod.msgs) != 0 || res.Results[0].GetField() != "utm.campaign" ||
		res.Results[0].GetRejectReason() != collectorv1.RejectReason_REJECT_REASON_TOO_LONG {
		t.Fatalf("want utm.campaign rejected as too long and nothing produced, got %v (%d produced)", res.Results, len(prod.msgs))
	}
}
