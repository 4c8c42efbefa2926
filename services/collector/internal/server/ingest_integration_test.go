package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/google/go-cmp/cmp"

	collectorv1 "github.com/footprint/footprint/gen/footprint/collector/v1"
	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/internal/testenv"
	"github.com/footprint/footprint/internal/wire"
	"github.com/footprint/footprint/services/collector/internal/config"
)

const chromeWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36"

// derivedVisitor is the documented cookieless id: HMAC-SHA256 keyed with the
// daily salt HMAC-SHA256(secret, "YYYY-MM-DD"), over site NUL ip NUL ua,
// first 16 bytes in hex. Written out here so the test checks the formula.
func derivedVisitor(day time.Time, site, ip, ua string) string {
	salt := hmac.New(sha256.New, []byte(visitorSecret))
	salt.Write([]byte(day.UTC().Format("2006-01-02")))
	mac := hmac.New(sha256.New, salt.Sum(nil))
	mac.Write([]byte(site + "\x00" + ip + "\x00" + ua))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// TestIngestRoundTrip sends events over gRPC and reads them back from Kafka:
// each decodes to exactly the sent event plus the documented normalisation
// and enrichment, with the documented key and headers.
func TestIngestRoundTrip(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	topic := testenv.NewTopic(t, brokers, 3)
	c := startCollector(t, brokers, topic, nil)

	occurred := testClock.Add(-90 * time.Second)
	full := &eventv1.Event{
		EventId:    "0190B4C2-7F1A-7000-8000-000000000001", // upper case: stored canonical (lower)
		SiteId:     "site-a",
		Name:       "comment_created",
		OccurredAt: timestamppb.New(occurred),
		ReceivedAt: timestamppb.New(time.Unix(1, 0)), // overwritten
		VisitorId:  "cookie-visitor-1",
		UserId:     "user-42",
		SessionId:  "session-7",
		Page: &eventv1.Page{
			Url:      "https://shop.example.com/posts/9?utm_source=news&utm_medium=email&utm_campaign=launch&utm_term=shoes&utm_content=top",
			Path:     "/posts/9",
			Title:    "Post 9",
			Referrer: "https://WWW.Example.org/search?q=x",
		},
		HttpMethod: "post",
		HttpStatus: 201,
		DurationUs: 1234,
		Client: &eventv1.ClientContext{
			UserAgent: chromeWindows, Locale: "en-GB", ScreenWidth: 1920, ScreenHeight: 1080,
			TimeZone: "Europe/Berlin", Ip: "203.0.113.9",
		},
		Utm:        &eventv1.Utm{Source: "client-set"}, // kept: only empty fields come from the URL
		Properties: map[string]string{"comment_id": "c-1", "empty": ""},
		Enrichment: &eventv1.Enrichment{Browser: "forged", IsBot: true}, // overwritten
	}
	minimal := &eventv1.Event{
		SiteId: "site-b",
		Page:   &eventv1.Page{Url: "https://shop.example.com/?utm_campaign=spring"},
		Client: &eventv1.ClientContext{UserAgent: "curl/8.5.0"},
	}
	wantFull := proto.Clone(full).(*eventv1.Event)
	wantFull.EventId = "0190b4c2-7f1a-7000-8000-000000000001"
	wantFull.ReceivedAt = timestamppb.New(testClock)
	wantFull.HttpMethod = "POST"
	wantFull.Client.Ip = ""
	wantFull.Utm = &eventv1.Utm{Source: "client-set", Medium: "email", Campaign: "launch", Term: "shoes", Content: "top"}
	wantFull.Enrichment = &eventv1.Enrichment{
		Browser: "Chrome", BrowserVersion: "118.0.0.0", Os: "Windows", OsVersion: "10",
		DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_DESKTOP, ReferrerHost: "example.org",
	}

	resp, err := c.client.Ingest(withKey(context.Background(), keyA), &collectorv1.IngestRequest{
		Events: []*eventv1.Event{proto.Clone(full).(*eventv1.Event), proto.Clone(minimal).(*eventv1.Event)},
	})
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	if resp.AcceptedCount != 2 || resp.RejectedCount != 0 || len(resp.Results) != 2 {
		t.Fatalf("response: %v", resp)
	}
	assignedID := resp.Results[1].EventId
	id, err := uuid.Parse(assignedID)
	if err != nil || id.Version() != 7 {
		t.Fatalf("assigned id %q is not a UUIDv7 (%v)", assignedID, err)
	}
	for i, r := range resp.Results {
		if r.Index != uint32(i) || r.Outcome != collectorv1.Outcome_OUTCOME_ACCEPTED {
			t.Errorf("result %d: %v", i, r)
		}
	}
	// The minimal event: defaults, derived visitor (peer address: the test's
	// loopback connection), UTM from the URL, bot.
	wantMinimal := proto.Clone(minimal).(*eventv1.Event)
	wantMinimal.EventId = assignedID
	wantMinimal.Name = "page_view"
	wantMinimal.OccurredAt = timestamppb.New(testClock)
	wantMinimal.ReceivedAt = timestamppb.New(testClock)
	wantMinimal.VisitorId = derivedVisitor(testClock, "site-b", "127.0.0.1", "curl/8.5.0")
	wantMinimal.Page.Path = "/"
	wantMinimal.Utm = &eventv1.Utm{Campaign: "spring"}
	wantMinimal.Enrichment = &eventv1.Enrichment{
		DeviceClass: eventv1.DeviceClass_DEVICE_CLASS_BOT, IsBot: true,
		VisitorIdDerived: true, EventIdAssigned: true,
	}

	msgs := readTopic(t, brokers, topic)
	if len(msgs) != 2 {
		t.Fatalf("topic holds %d messages, want 2", len(msgs))
	}
	byID := map[string]*kafka.Message{}
	for _, m := range msgs {
		var ev eventv1.Event
		if err := proto.Unmarshal(m.Value, &ev); err != nil {
			t.Fatalf("decode: %v", err)
		}
		byID[ev.EventId] = m
	}
	for _, want := range []*eventv1.Event{wantFull, wantMinimal} {
		m := byID[want.EventId]
		if m == nil {
			t.Fatalf("event %s not on the topic", want.EventId)
		}
		var got eventv1.Event
		_ = proto.Unmarshal(m.Value, &got)
		if diff := cmp.Diff(want, &got, protocmp.Transform()); diff != "" {
			t.Errorf("event %s (-want +got):\n%s", want.EventId, diff)
		}
		if wantKey := string(wire.MessageKey(want.SiteId, want.VisitorId)); string(m.Key) != wantKey {
			t.Errorf("key %q, want %q", m.Key, wantKey)
		}
		wantHeaders := map[string]string{
			wire.HeaderContentType:   wire.ContentTypeProtobuf,
			wire.HeaderSchema:        wire.SchemaEvent,
			wire.HeaderSchemaVersion: wire.SchemaVersion,
		}
		gotHeaders := map[string]string{}
		for _, h := range m.Headers {
			gotHeaders[h.Key] = string(h.Value)
		}
		if diff := cmp.Diff(wantHeaders, gotHeaders); diff != "" {
			t.Errorf("headers (-want +got):\n%s", diff)
		}
	}
}

// TestIngestStream acknowledges each batch in order with its sequence.
func TestIngestStream(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	topic := testenv.NewTopic(t, brokers, 3)
	c := startCollector(t, brokers, topic, nil)

	ctx, cancel := context.WithTimeout(withKey(context.Background(), keyC), 30*time.Second)
	defer cancel()
	stream, err := c.client.IngestStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for seq := uint64(1); seq <= 3; seq++ {
		var events []*eventv1.Event
		for range 5 {
			id := uuid.NewString()
			ids = append(ids, id)
			events = append(events, &eventv1.Event{EventId: id, SiteId: "site-c", VisitorId: "v"})
		}
		events = append(events, &eventv1.Event{SiteId: "site-c", Name: "Bad Name"})
		if err := stream.Send(&collectorv1.IngestStreamRequest{Sequence: seq * 10, Events: events}); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("batch %d: %v", seq, err)
		}
		if resp.Sequence != seq*10 || resp.AcceptedCount != 5 || resp.RejectedCount != 1 {
			t.Fatalf("batch %d: %v", seq, resp)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("end of stream: %v", err)
	}
	got := eventIDs(t, readTopic(t, brokers, topic))
	slices.Sort(ids)
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("ids on the topic (-want +got):\n%s", diff)
	}
}

// eventIDs decodes the messages and returns their event ids, sorted.
func eventIDs(t *testing.T, msgs []*kafka.Message) []string {
	t.Helper()
	var ids []string
	for _, m := range msgs {
		var ev eventv1.Event
		if err := proto.Unmarshal(m.Value, &ev); err != nil {
			t.Fatalf("decode: %v", err)
		}
		ids = append(ids, ev.EventId)
	}
	slices.Sort(ids)
	return ids
}

// TestMixedBatch: each event gets its own outcome; only the valid ones reach Kafka.
func TestMixedBatch(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	topic := testenv.NewTopic(t, brokers, 3)
	c := startCollector(t, brokers, topic, func(cfg *config.Config) { cfg.Limits.MaxProperties = 2 })

	good1, good2 := uuid.NewString(), uuid.NewString()
	events := []*eventv1.Event{
		{EventId: good1, SiteId: "site-a", VisitorId: "v1"},
		{EventId: "not-a-uuid", SiteId: "site-a"},
		{EventId: uuid.NewString(), SiteId: "site-a", Name: "Has Spaces"},
		{EventId: uuid.NewString(), SiteId: "site-a", Properties: map[string]string{"a": "1", "b": "2", "c": "3"}},
		{EventId: uuid.NewString()},
		{EventId: good2, SiteId: "site-b", VisitorId: "v2", OccurredAt: timestamppb.New(testClock.Add(time.Hour))},
	}
	resp, err := c.client.Ingest(withKey(context.Background(), keyA), &collectorv1.IngestRequest{Events: events})
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	type outcome struct {
		outcome collectorv1.Outcome
		reason  collectorv1.RejectReason
		field   string
		clamped bool
	}
	want := []outcome{
		{outcome: collectorv1.Outcome_OUTCOME_ACCEPTED},
		{collectorv1.Outcome_OUTCOME_REJECTED, collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT, "event_id", false},
		{collectorv1.Outcome_OUTCOME_REJECTED, collectorv1.RejectReason_REJECT_REASON_INVALID_FORMAT, "name", false},
		{collectorv1.Outcome_OUTCOME_REJECTED, collectorv1.RejectReason_REJECT_REASON_TOO_MANY_PROPERTIES, "properties", false},
		{collectorv1.Outcome_OUTCOME_REJECTED, collectorv1.RejectReason_REJECT_REASON_REQUIRED, "site_id", false},
		{outcome: collectorv1.Outcome_OUTCOME_ACCEPTED, clamped: true},
	}
	if resp.AcceptedCount != 2 || resp.RejectedCount != 4 || len(resp.Results) != len(want) {
		t.Fatalf("response: %v", resp)
	}
	for i, r := range resp.Results {
		got := outcome{r.Outcome, r.RejectReason, r.Field, r.ClockClamped}
		if got != want[i] || r.Index != uint32(i) {
			t.Errorf("result %d: got %+v (%q), want %+v", i, got, r.Message, want[i])
		}
		if r.Outcome == collectorv1.Outcome_OUTCOME_REJECTED && r.Message == "" {
			t.Errorf("result %d: rejected without a message", i)
		}
	}
	wantIDs := []string{good1, good2}
	slices.Sort(wantIDs)
	if diff := cmp.Diff(wantIDs, eventIDs(t, readTopic(t, brokers, topic))); diff != "" {
		t.Errorf("ids on the topic (-want +got):\n%s", diff)
	}
}

// TestAuth: no or unknown key -> Unauthenticated, a site the key does not own
// -> PermissionDenied for the whole call; nothing reaches Kafka. Health needs no key.
func TestAuth(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	topic := testenv.NewTopic(t, brokers, 3)
	c := startCollector(t, brokers, topic, nil)
	req := func(sites ...string) *collectorv1.IngestRequest {
		r := &collectorv1.IngestRequest{}
		for _, s := range sites {
			r.Events = append(r.Events, &eventv1.Event{SiteId: s, VisitorId: "v"})
		}
		return r
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		req  *collectorv1.IngestRequest
		want codes.Code
	}{
		{"no key", context.Background(), req("site-a"), codes.Unauthenticated},
		{"unknown key", withKey(context.Background(), "nope"), req("site-a"), codes.Unauthenticated},
		{"not bearer", metadataCtx("authorization", "Basic "+keyA), req("site-a"), codes.Unauthenticated},
		{"other site", withKey(context.Background(), keyA), req("site-a", "site-c"), codes.PermissionDenied},
		{"other key's site", withKey(context.Background(), keyC), req("site-a"), codes.PermissionDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.client.Ingest(tc.ctx, tc.req)
			if status.Code(err) != tc.want {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// Streams authenticate too.
	stream, err := c.client.IngestStream(context.Background())
	if err == nil {
		_ = stream.Send(&collectorv1.IngestStreamRequest{Sequence: 1, Events: req("site-a").Events})
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("stream without key: %v", err)
	}
	if n := len(readTopic(t, brokers, topic)); n != 0 {
		t.Errorf("topic holds %d messages, want 0", n)
	}
	health, err := healthpb.NewHealthClient(c.conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || health.Status != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health without key: %v %v", health, err)
	}
	// Reflection needs no key either, and lists the service.
	refl, err := reflectionpb.NewServerReflectionClient(c.conn).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := refl.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
	}); err != nil {
		t.Fatal(err)
	}
	listed, err := refl.Recv()
	if err != nil {
		t.Fatalf("reflection without key: %v", err)
	}
	var names []string
	for _, s := range listed.GetListServicesResponse().GetService() {
		names = append(names, s.Name)
	}
	if !slices.Contains(names, collectorv1.CollectorService_ServiceDesc.ServiceName) {
		t.Errorf("reflection lists %v", names)
	}
	_ = refl.CloseSend()
}

// TestCallErrors: too many events and undecodable requests are InvalidArgument.
func TestCallErrors(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	topic := testenv.NewTopic(t, brokers, 3)
	c := startCollector(t, brokers, topic, func(cfg *config.Config) { cfg.Limits.MaxEventsPerBatch = 3 })
	ctx := withKey(context.Background(), keyA)

	tooMany := &collectorv1.IngestRequest{}
	for range 4 {
		tooMany.Events = append(tooMany.Events, &eventv1.Event{SiteId: "site-a"})
	}
	if _, err := c.client.Ingest(ctx, tooMany); status.Code(err) != codes.InvalidArgument {
		t.Errorf("4 events over a limit of 3: %v", err)
	}

	for name, raw := range map[string][]byte{
		// events[0].site_id holds invalid UTF-8, which proto3 forbids.
		"invalid utf8": {0x0a, 0x04, 0x12, 0x02, 0xff, 0xfe},
		"truncated":    {0x0a, 0x10, 0x12},
		"bad wire":     {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	} {
		t.Run(name, func(t *testing.T) {
			var out collectorv1.IngestResponse
			err := c.conn.Invoke(ctx, collectorv1.CollectorService_Ingest_FullMethodName, rawMessage(raw), &out,
				grpc.ForceCodecV2(rawCodec{}))
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("got %v, want InvalidArgument", err)
			}
		})
	}
	if n := len(readTopic(t, brokers, topic)); n != 0 {
		t.Errorf("topic holds %d messages, want 0", n)
	}
}

// TestQueueFull: a call that does not fit the bounded producer queue fails
// fast with ResourceExhausted instead of waiting or growing memory.
func TestQueueFull(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	topic := testenv.NewTopic(t, brokers, 3)
	c := startCollector(t, brokers, topic, func(cfg *config.Config) {
		cfg.Kafka.QueueMaxMessages = 5
		cfg.Kafka.Linger = time.Second // the first five stay queued while the rest arrive
	})
	req := &collectorv1.IngestRequest{}
	for range 10 {
		req.Events = append(req.Events, &eventv1.Event{SiteId: "site-a", VisitorId: "v"})
	}
	start := time.Now()
	_, err := c.client.Ingest(withKey(context.Background(), keyA), req)
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("got %v, want ResourceExhausted", err)
	}
	if elapsed := time.Since(start); elapsed > 500*time.Millisecond {
		t.Errorf("ResourceExhausted after %s: not fast", elapsed)
	}
}
