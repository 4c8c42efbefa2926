# syntax=docker/dockerfile:1
# notifier image. Build from the repository root (the module's go.mod replaces
# gen, internal, store with the local folders, so they must be in the context):
#   docker build -f deploy/docker/notifier.Dockerfile -t footprint/notifier .
# Checked offline by deploy/dockerfile_test.go (no Docker engine on the build machines).

# Builder: Alpine, because confluent-kafka-go ships a static librdkafka built for musl
# (-tags musl); cgo links it and -extldflags=-static makes the binary fully static, so
# the runtime image needs no libc at all.
FROM golang:1.26-alpine AS build
RUN apk add --no-cache build-base
ENV GOWORK=off CGO_ENABLED=1
WORKDIR /src
# go.mod/go.sum first: the module download layer survives source edits.
COPY gen/go.mod gen/go.sum gen/
COPY internal/go.mod internal/go.sum internal/
COPY store/go.mod store/go.sum store/
COPY services/notifier/go.mod services/notifier/go.sum services/notifier/
WORKDIR /src/services/notifier
RUN --mount=type=cache,target=/root/go/pkg/mod go mod download
COPY gen/ /src/gen/
COPY internal/ /src/internal/
COPY store/ /src/store/
COPY services/notifier/ /src/services/notifier/
RUN --mount=type=cache,target=/root/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -tags musl -trimpath -ldflags='-s -w -linkmode=external -extldflags=-static' -o /out/notifier .

# Runtime: distroless static (CA certificates and tzdata, no shell), as its nonroot user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/notifier /usr/local/bin/notifier
# Containers listen on every interface (the services default to 127.0.0.1).
ENV FOOTPRINT_NOTIFIER_GRPC_ADDR=0.0.0.0:50053 FOOTPRINT_ADMIN_ADDR=0.0.0.0:9468
EXPOSE 50053 9468
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/notifier"]
