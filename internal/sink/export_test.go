package sink

// Unmarshal is unmarshal, for the benchmark in package sink_test (which
// builds its events with sinktest, a package that imports sink).
var Unmarshal = unmarshal
