// Package httpapi serves the HTTP side of the query service: the JSON API
// under /api/v1/ (the grpc-gateway generated from query.proto and
// query_http.yaml) and the dashboard at /.
package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	queryv1 "github.com/footprint/footprint/gen/footprint/query/v1"
	gateway "github.com/footprint/footprint/services/query/internal/gateway"
)

// APIPrefix is where the JSON API lives.
const APIPrefix = "/api/v1/"

// Handler mounts the gateway at /api/v1/ and dashboard at /. The gateway
// calls svc in-process (no second network hop); it passes the
// Authorization header on as gRPC metadata.
func Handler(ctx context.Context, svc queryv1.QueryServiceServer, dashboard http.Handler) (http.Handler, error) {
	gw := runtime.NewServeMux()
	if err := gateway.RegisterQueryServiceHandlerServer(ctx, gw, svc); err != nil {
		return nil, fmt.Errorf("register gateway: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(APIPrefix, gw)
	mux.Handle("/", dashboard)
	return mux, nil
}
