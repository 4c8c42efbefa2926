package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
	"github.com/footprint/footprint/services/query/internal/auth"
	"github.com/footprint/footprint/services/query/internal/engine"
	"github.com/footprint/footprint/services/query/internal/httpapi"
	"github.com/footprint/footprint/services/query/internal/store"
)

// fakeDB answers every statement with the same aggregates, or blocks until
// its context ends when block is set.
type fakeDB struct {
	visitors int64
	block    bool
	mu       sync.Mutex
	started  chan struct{}
}

func (f *fakeDB) Query(ctx context.Context, st engine.Statement, ints int) ([]store.Row, error) {
	if f.block {
		if f.started != nil {
			f.started <- struct{}{}
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	r := store.Row{Texts: make([]string, st.NumDims), Ints: make([]int64, ints)}
	for i := range r.Texts {
		r.Texts[i] = "/x"
	}
	for i := range r.Ints {
		r.Ints[i] = f.visitors
	}
	return []store.Row{r}, nil
}
func (f *fakeDB) Ping(context.Context) error { return nil }
func (f *fakeDB) Close()                     {}

func newService(t *testing.T, pg, ch *fakeDB, slots int, wait, timeout time.Duration) *Service {
	t.Helper()
	reg := prometheus.NewRegistry()
	sm, err := store.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	cm, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.Parse("k1=s1,s2;k2=s3", "demo")
	if err != nil {
		t.Fatal(err)
	}
	return New(Deps{
		Keyring:    keys,
		Postgres:   store.New(queryv1.Store_STORE_POSTGRES, engine.Postgres{Schema: "footprint"}, pg, slots, wait, sm),
		ClickHouse: store.New(queryv1.Store_STORE_CLICKHOUSE, engine.ClickHouse{Database: "footprint"}, ch, slots, wait, sm),
		Options:    engine.Options{MaxRangeDays: 100, Now: time.Now},
		Timeout:    timeout, Metrics: cm, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

func withKey(key string) context.Context {
	return metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+key))
}

func req(site string, store queryv1.Store) *queryv1.QueryRequest {
	return &queryv1.QueryRequest{SiteId: site, DateRange: &queryv1.DateRange{Preset: "7d"}, Metrics: []string{"visitors"}, Store: store}
}

func TestAuthorization(t *testing.T) {
	s := newService(t, &fakeDB{visitors: 3}, &fakeDB{visitors: 3}, 2, time.Second, time.Second)
	tests := []struct {
		name string
		ctx  context.Context
		site string
		want codes.Code
	}{
		{"public site without key", context.Background(), "demo", codes.OK},
		{"own site", withKey("k1"), "s2", codes.OK},
		{"public site with another key", withKey("k2"), "demo", codes.OK},
		{"no key", context.Background(), "s1", codes.Unauthenticated},
		{"unknown key", withKey("nope"), "s1", codes.Unauthenticated},
		{"other key's site", withKey("k2"), "s1", codes.PermissionDenied},
		{"two authorization values, even on a public site", metadata.NewIncomingContext(context.Background(),
			metadata.Pairs("authorization", "Bearer k2", "authorization", "Bearer k1")), "demo", codes.Unauthenticated},
		{"malformed authorization", metadata.NewIncomingContext(context.Background(),
			metadata.Pairs("authorization", "Basic k1")), "demo", codes.Unauthenticated},
	}
	for _, tc := range tests {
		_, err := s.Query(tc.ctx, req(tc.site, queryv1.Store_STORE_POSTGRES))
		if got := status.Code(err); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	sites, err := s.ListSites(withKey("k1"), &queryv1.ListSitesRequest{})
	if err != nil || strings.Join(sites.GetSiteIds(), ",") != "demo,s1,s2" {
		t.Errorf("ListSites(k1) = %v, %v", sites.GetSiteIds(), err)
	}
	sites, err = s.ListSites(context.Background(), &queryv1.ListSitesRequest{})
	if err != nil || strings.Join(sites.GetSiteIds(), ",") != "demo" {
		t.Errorf("ListSites() = %v, %v", sites.GetSiteIds(), err)
	}
}

func TestInvalidArgumentNamesTheField(t *testing.T) {
	s := newService(t, &fakeDB{}, &fakeDB{}, 2, time.Second, time.Second)
	r := req("demo", queryv1.Store_STORE_POSTGRES)
	r.Metrics = []string{"bounce_rate"}
	r.Dimensions = []string{"event:page"}
	_, err := s.Query(context.Background(), r)
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "metrics[0]:") || len(st.Details()) != 1 {
		t.Errorf("got %v (details %v)", err, st.Details())
	}
}

func TestBothReportsParity(t *testing.T) {
	s := newService(t, &fakeDB{visitors: 3}, &fakeDB{visitors: 3}, 2, time.Second, time.Second)
	resp, err := s.Query(context.Background(), req("demo", queryv1.Store_STORE_BOTH))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetResults()) != 2 || resp.GetResults()[0].GetStore() != queryv1.Store_STORE_POSTGRES || !resp.GetParity().GetMatch() {
		t.Fatalf("results %v parity %v", resp.GetResults(), resp.GetParity())
	}
	s = newService(t, &fakeDB{visitors: 3}, &fakeDB{visitors: 4}, 2, time.Second, time.Second)
	resp, err = s.Query(context.Background(), req("demo", queryv1.Store_STORE_BOTH))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetParity().GetMatch() || !strings.Contains(strings.Join(resp.GetParity().GetDifferences(), ";"), "postgres 3, clickhouse 4") {
		t.Errorf("parity %v", resp.GetParity())
	}
}

// A store that hangs holds only its own slots: queries beyond them fail
// fast with UNAVAILABLE, hung ones end at the timeout, and the other store
// keeps answering.
func TestSlowStoreCannotExhaustTheService(t *testing.T) {
	slow := &fakeDB{block: true, started: make(chan struct{}, 4)}
	s := newService(t, &fakeDB{visitors: 1}, slow, 1, 50*time.Millisecond, 2*time.Second)
	done := make(chan error, 1)
	go func() {
		_, err := s.Query(context.Background(), req("demo", queryv1.Store_STORE_CLICKHOUSE))
		done <- err
	}()
	<-slow.started // the one ClickHouse slot is taken
	start := time.Now()
	_, err := s.Query(context.Background(), req("demo", queryv1.Store_STORE_CLICKHOUSE))
	if status.Code(err) != codes.Unavailable || time.Since(start) > time.Second {
		t.Errorf("second ClickHouse query: %v after %v, want UNAVAILABLE after the queue wait", err, time.Since(start))
	}
	if _, err := s.Query(context.Background(), req("demo", queryv1.Store_STORE_POSTGRES)); err != nil {
		t.Errorf("PostgreSQL query while ClickHouse hangs: %v", err)
	}
	if err := <-done; status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("hung query: %v, want DEADLINE_EXCEEDED", err)
	}
}

// The HTTP/JSON API is the generated gateway: routes from query_http.yaml,
// the Authorization header as metadata, protojson bodies.
func TestGatewayRoutes(t *testing.T) {
	s := newService(t, &fakeDB{visitors: 2}, &fakeDB{visitors: 2}, 2, time.Second, time.Second)
	h, err := httpapi.Handler(context.Background(), s, http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	body := `{"siteId":"s1","dateRange":{"preset":"7d"},"metrics":["visitors","pageviews"],"store":"STORE_BOTH"}`
	r, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/query", strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer k1")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var out struct {
		Results []struct {
			Rows []struct{ Metrics []float64 }
		}
		Parity struct{ Match bool }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	if len(out.Results) != 2 || out.Results[0].Rows[0].Metrics[0] != 2 || !out.Parity.Match {
		t.Errorf("answer %+v", out)
	}

	resp2, err := http.Get(srv.URL + "/api/v1/sites")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp2.Body)
	_ = resp2.Body.Close()
	if resp2.StatusCode != http.StatusOK || !strings.Contains(string(b), `"demo"`) {
		t.Errorf("sites: %d %s", resp2.StatusCode, b)
	}

	resp3, err := http.Post(srv.URL+"/api/v1/query", "application/json", strings.NewReader(`{"siteId":"s1","dateRange":{"preset":"7d"},"metrics":["visitors"]}`))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp3.Body.Close()
	if resp3.StatusCode != http.StatusUnauthorized {
		t.Errorf("query without key: %d, want 401", resp3.StatusCode)
	}
}
