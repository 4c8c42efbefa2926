module github.com/footprint/footprint/services/ch-writer

go 1.26.0

replace (
	github.com/footprint/footprint/gen => ../../gen
	github.com/footprint/footprint/internal => ../../internal
)
