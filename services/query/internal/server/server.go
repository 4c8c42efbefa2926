// Package server is the gRPC edge of the query service: it authorizes the
// caller, plans the query, runs it on the asked stores (both concurrently
// for STORE_BOTH), and turns errors into status codes.
package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
	"github.com/footprint/footprint/services/query/internal/auth"
	"github.com/footprint/footprint/services/query/internal/engine"
	"github.com/footprint/footprint/services/query/internal/store"
)

// Deps are what the service needs.
type Deps struct {
	Keyring    *auth.Keyring
	Postgres   *store.Store
	ClickHouse *store.Store
	Options    engine.Options
	Timeout    time.Duration
	Metrics    *Metrics
	Logger     *slog.Logger
}

// Service implements footprint.query.v1.QueryService.
type Service struct {
	queryv1.UnimplementedQueryServiceServer
	d Deps
}

// New builds the service.
func New(d Deps) *Service { return &Service{d: d} }

func (s *Service) authorize(ctx context.Context, site string) error {
	md, _ := metadata.FromIncomingContext(ctx)
	key, err := auth.BearerKey(md.Get("authorization"))
	if err != nil {
		return err
	}
	return s.d.Keyring.Authorize(key, site)
}

// stores lists the stores a request asks for, PostgreSQL first.
func (s *Service) stores(kind queryv1.Store) []*store.Store {
	switch kind {
	case queryv1.Store_STORE_CLICKHOUSE:
		return []*store.Store{s.d.ClickHouse}
	case queryv1.Store_STORE_BOTH:
		return []*store.Store{s.d.Postgres, s.d.ClickHouse}
	default:
		return []*store.Store{s.d.Postgres}
	}
}

// Query runs one dashboard query.
func (s *Service) Query(ctx context.Context, req *queryv1.QueryRequest) (resp *queryv1.QueryResponse, err error) {
	defer s.d.Metrics.observe("Query", time.Now(), &err)
	if err := s.authorize(ctx, req.GetSiteId()); err != nil {
		return nil, toStatus(err)
	}
	plan, err := engine.NewPlan(req, s.d.Options)
	if err != nil {
		return nil, toStatus(err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.d.Timeout)
	defer cancel()

	stores := s.stores(plan.Store)
	results := make([]*queryv1.StoreResult, len(stores))
	g, gctx := errgroup.WithContext(ctx)
	for i, st := range stores {
		g.Go(func() error {
			answer, took, err := st.Answer(gctx, plan)
			if err != nil {
				return err
			}
			rows, total := plan.Build(answer)
			results[i] = &queryv1.StoreResult{Store: st.Kind, Rows: rows, TotalRows: total,
				DurationMs: float64(took.Microseconds()) / 1000}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		s.d.Logger.Warn("query failed", "site", plan.SiteID, "err", err)
		return nil, toStatus(err)
	}
	resp = &queryv1.QueryResponse{
		Metrics: plan.Metrics, Dimensions: req.GetDimensions(),
		DateFrom: plan.Range.FromLabel(), DateTo: plan.Range.ToLabel(), TimeZone: plan.TimeZone,
		Results: results,
	}
	if plan.Comparison != nil {
		resp.ComparisonDateFrom, resp.ComparisonDateTo = plan.Comparison.FromLabel(), plan.Comparison.ToLabel()
	}
	if len(results) == 2 {
		resp.Parity = engine.Compare(plan.Metrics, results[0], results[1])
		s.d.Metrics.parity(resp.Parity.GetMatch())
		if !resp.Parity.GetMatch() {
			s.d.Logger.Warn("stores disagree", "site", plan.SiteID, "differences", resp.Parity.GetDifferences())
		}
	}
	return resp, nil
}

// Realtime reports the last five minutes.
func (s *Service) Realtime(ctx context.Context, req *queryv1.RealtimeRequest) (resp *queryv1.RealtimeResponse, err error) {
	defer s.d.Metrics.observe("Realtime", time.Now(), &err)
	if req.GetSiteId() == "" {
		return nil, toStatus(&engine.InvalidArgumentError{Field: "site_id", Reason: "required"})
	}
	if err := s.authorize(ctx, req.GetSiteId()); err != nil {
		return nil, toStatus(err)
	}
	if _, ok := queryv1.Store_name[int32(req.GetStore())]; !ok {
		return nil, toStatus(&engine.InvalidArgumentError{Field: "store", Reason: "unknown store"})
	}
	ctx, cancel := context.WithTimeout(ctx, s.d.Timeout)
	defer cancel()
	now := s.d.Options.Now()
	stores := s.stores(req.GetStore())
	results := make([]*queryv1.RealtimeResult, len(stores))
	g, gctx := errgroup.WithContext(ctx)
	for i, st := range stores {
		g.Go(func() (err error) {
			results[i], err = st.Realtime(gctx, req.GetSiteId(), req.GetIncludeBots(), now)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, toStatus(err)
	}
	resp = &queryv1.RealtimeResponse{Results: results}
	if len(results) == 2 {
		resp.Parity = realtimeParity(results[0], results[1])
	}
	return resp, nil
}

func realtimeParity(a, b *queryv1.RealtimeResult) *queryv1.Parity {
	toStore := func(r *queryv1.RealtimeResult) *queryv1.StoreResult {
		sr := &queryv1.StoreResult{Store: r.GetStore(), Rows: []*queryv1.Row{{Dimensions: []string{""}, Metrics: []float64{float64(r.GetVisitors())}}}}
		for _, p := range r.GetTopPages() {
			sr.Rows = append(sr.Rows, &queryv1.Row{Dimensions: []string{p.GetPage()}, Metrics: []float64{float64(p.GetVisitors())}})
		}
		return sr
	}
	return engine.Compare([]string{engine.MetricVisitors}, toStore(a), toStore(b))
}

// ListSites lists what the caller's key may read.
func (s *Service) ListSites(ctx context.Context, _ *queryv1.ListSitesRequest) (resp *queryv1.ListSitesResponse, err error) {
	defer s.d.Metrics.observe("ListSites", time.Now(), &err)
	md, _ := metadata.FromIncomingContext(ctx)
	key, err := auth.BearerKey(md.Get("authorization"))
	if err != nil {
		return nil, toStatus(err)
	}
	sites, err := s.d.Keyring.Sites(key)
	if err != nil {
		return nil, toStatus(err)
	}
	return &queryv1.ListSitesResponse{SiteIds: sites}, nil
}

// toStatus maps an error to its gRPC status by kind: the one place where
// codes are chosen.
func toStatus(err error) error {
	var ia *engine.InvalidArgumentError
	switch {
	case errors.As(err, &ia):
		st := status.New(codes.InvalidArgument, ia.Error())
		if d, derr := st.WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: ia.Field, Description: ia.Reason},
		}}); derr == nil {
			st = d
		}
		return st.Err()
	case errors.Is(err, auth.ErrMissingKey), errors.Is(err, auth.ErrUnknownKey),
		errors.Is(err, auth.ErrMalformedKey), errors.Is(err, auth.ErrMultipleKeys):
		return status.Error(codes.Unauthenticated, err.Error())
	case errors.Is(err, auth.ErrForbidden):
		return status.Error(codes.PermissionDenied, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "query timed out")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "query cancelled")
	case errors.Is(err, store.ErrBusy), errors.Is(err, store.ErrUnavailable):
		return status.Error(codes.Unavailable, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}
