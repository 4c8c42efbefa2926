// Package suite runs the benchmark scenarios against the real services
// (built from this repository and run as subprocesses) and the baselines,
// and assembles the report.
package suite

import (
	"errors"
	"slices"
	"time"
)

// Errors of Config.Validate.
var (
	ErrEvents     = errors.New("suite: events must be at least 1000")
	ErrPartitions = errors.New("suite: partitions must be positive")
	ErrClients    = errors.New("suite: clients must be positive")
	ErrBatchSizes = errors.New("suite: batch sizes must be between 1 and 1000")
	ErrSample     = errors.New("suite: per-message sample must be positive")
	ErrDurations  = errors.New("suite: phase durations must be positive")
	ErrRepeats    = errors.New("suite: repeats must be between 1 and 9")
	ErrScenarios  = errors.New("suite: scenarios must be a non-empty subset of 1, 2, 3, 4")
)

// AllScenarios are the ids of the measured scenarios, in the order they run.
var AllScenarios = []string{"1", "2", "3", "4"}

// Config configures a run.
type Config struct {
	// Mode is "full" or "quick", for the report.
	Mode string
	// Scenarios are the ids of the scenarios to run (AllScenarios by
	// default); the writer drains and the end-to-end baselines need the
	// raw producer's pre-filled topic, so it is filled without scenario 1.
	Scenarios []string
	// Events is the number of events pre-filled for the writer drains and
	// sent by the raw producer; it also caps each collector variant.
	Events int
	// Out is the results directory.
	Out string
	// Partitions of every topic the suite creates.
	Partitions int
	// Clients is the number of concurrent gRPC clients at batch 1000 and in
	// the end-to-end phases.
	Clients int
	// Clients100 is the number of concurrent clients at batch 100.
	Clients100 int
	// UnaryClients is the number of concurrent clients sending one event per
	// unary call (the pattern web middleware produces), to the collector and
	// to the bare gRPC echo server.
	UnaryClients int
	// BatchSizes are the events per Ingest request to measure: 1000 with
	// Clients, 100 with Clients100, 1 (unary only) with UnaryClients.
	BatchSizes []int
	// Repeats is how many times every measurement runs, interleaved
	// (baseline, candidate, baseline, candidate, ...).
	Repeats int
	// StreamWindow is the number of batches in flight per stream.
	StreamWindow int
	// IngestCap caps each collector variant's duration.
	IngestCap time.Duration
	// PerMessageSample and PerMessageCap bound each per-message baseline.
	PerMessageSample int
	PerMessageCap    time.Duration
	// E2EEvents caps the end-to-end max-rate phase (also capped by E2ECap).
	E2EEvents int
	E2ECap    time.Duration
	// LatencyDuration is the length of each paced latency phase.
	LatencyDuration time.Duration
	// Compression and LingerMs are the producer settings the raw producer
	// shares with the collector (the collector's defaults).
	Compression string
	LingerMs    int
	// WriterBatchEvents, WriterBatchWait configure both writers (0: their defaults).
	WriterBatchEvents int
	WriterBatchWait   time.Duration
	// ServiceEnv is added to every service's environment (KEY=VALUE).
	ServiceEnv []string
	// Profile captures CPU profiles of each service under load into Out.
	Profile        bool
	ProfileSeconds int
	// Keep leaves topics and databases in place for inspection.
	Keep bool
	// Command is the command line, for the report.
	Command string
}

// DefaultConfig is the full run: every measurement three times, sized to
// finish within 20 minutes on a quiet 2-core box.
func DefaultConfig() Config {
	return Config{
		Mode:             "full",
		Scenarios:        AllScenarios,
		Events:           1_000_000,
		Out:              "results",
		Partitions:       6,
		Clients:          4,
		Clients100:       64,
		UnaryClients:     256,
		BatchSizes:       []int{1000, 100, 1},
		Repeats:          3,
		StreamWindow:     4,
		IngestCap:        10 * time.Second,
		PerMessageSample: 10_000,
		PerMessageCap:    10 * time.Second,
		E2EEvents:        1_000_000,
		E2ECap:           15 * time.Second,
		LatencyDuration:  10 * time.Second,
		Compression:      "zstd",
		LingerMs:         5,
		ProfileSeconds:   10,
	}
}

// QuickConfig is the CI smoke run: every scenario and ratio, tiny sizes.
func QuickConfig() Config {
	c := DefaultConfig()
	c.Mode = "quick"
	c.Events = 5_000
	c.Partitions = 3
	c.Clients = 2
	c.Clients100 = 8
	c.UnaryClients = 16
	c.Repeats = 1
	c.IngestCap = 2 * time.Second
	c.PerMessageSample = 200
	c.PerMessageCap = 2 * time.Second
	c.E2EEvents = 5_000
	c.E2ECap = 2 * time.Second
	c.LatencyDuration = 3 * time.Second
	c.ProfileSeconds = 2
	return c
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	var errs []error
	if c.Events < 1000 {
		errs = append(errs, ErrEvents)
	}
	if c.Partitions <= 0 {
		errs = append(errs, ErrPartitions)
	}
	if c.Clients <= 0 || c.Clients100 <= 0 || c.UnaryClients <= 0 {
		errs = append(errs, ErrClients)
	}
	if c.Repeats < 1 || c.Repeats > 9 {
		errs = append(errs, ErrRepeats)
	}
	if len(c.BatchSizes) == 0 {
		errs = append(errs, ErrBatchSizes)
	}
	for _, b := range c.BatchSizes {
		if b < 1 || b > 1000 {
			errs = append(errs, ErrBatchSizes)
			break
		}
	}
	if !validScenarios(c.Scenarios) {
		errs = append(errs, ErrScenarios)
	}
	if c.PerMessageSample <= 0 {
		errs = append(errs, ErrSample)
	}
	if c.IngestCap <= 0 || c.PerMessageCap <= 0 || c.LatencyDuration <= 0 || c.E2ECap <= 0 {
		errs = append(errs, ErrDurations)
	}
	return errors.Join(errs...)
}

func validScenarios(ids []string) bool {
	if len(ids) == 0 {
		return false
	}
	for _, id := range ids {
		if !slices.Contains(AllScenarios, id) {
			return false
		}
	}
	return true
}

// runs reports whether scenario id is selected.
func (c Config) runs(id string) bool { return slices.Contains(c.Scenarios, id) }
