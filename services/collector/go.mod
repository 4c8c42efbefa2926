module github.com/footprint/footprint/services/collector

go 1.26.0

replace (
	github.com/footprint/footprint/gen => ../../gen
	github.com/footprint/footprint/internal => ../../internal
)

require (
	github.com/confluentinc/confluent-kafka-go/v2 v2.11.1
	github.com/footprint/footprint/gen v0.0.0
	github.com/footprint/footprint/internal v0.0.0-00010101000000-000000000000
	github.com/google/go-cmp v0.7.0
	github.com/google/uuid v1.6.0
	github.com/medama-io/go-useragent v1.2.5
	github.com/prometheus/client_golang v1.23.2
	github.com/x-way/crawlerdetect v0.2.28
	golang.org/x/sync v0.23.0
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/boyter/go-string v1.0.5 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/planetscale/vtprotobuf v0.6.1-0.20240319094008-0393e58bdf10 // indirect
	github.com/prometheus/client_model v0.6.2 // indirect
	github.com/prometheus/common v0.66.1 // indirect
	github.com/prometheus/procfs v0.16.1 // indirect
	go.yaml.in/yaml/v2 v2.4.2 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
)
