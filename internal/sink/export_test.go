package sink

import eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"

// NewUnmarshal returns the writers' unmarshal, for the benchmark in package
// sink_test (which builds its events with sinktest, a package that imports
// sink).
func NewUnmarshal() func([]byte) (*eventv1.Event, error) {
	return newUnmarshaler().unmarshal
}
