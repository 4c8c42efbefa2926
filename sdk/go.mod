module github.com/footprint/footprint/sdk

go 1.26.0

replace (
	github.com/footprint/footprint/gen => ../gen
	github.com/footprint/footprint/internal => ../internal
)
