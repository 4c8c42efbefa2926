package dashboards

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Memory is a server's resident memory while the queries ran, sampled from
// /proc. PostgreSQL is many processes sharing shared_buffers, so its figure
// is the sum of their proportional set sizes (Pss: shared pages divided
// among the processes sharing them), which counts shared memory once;
// ClickHouse is one process (its Pss equals its RSS when nothing is shared).
type Memory struct {
	PeakMB float64 `json:"peak_mb"`
	MeanMB float64 `json:"mean_mb"`
}

// serverComm is the process name (/proc/<pid>/comm) of each store's server.
var serverComm = map[string]string{"postgres": "postgres", "clickhouse": "clickhouse-serv"}

// sampler samples both servers' memory every interval until stopped.
type sampler struct {
	mu      sync.Mutex
	sums    map[string]float64
	peaks   map[string]float64
	n       int
	stop    chan struct{}
	stopped chan struct{}
}

func startSampler(interval time.Duration) *sampler {
	s := &sampler{sums: map[string]float64{}, peaks: map[string]float64{}, stop: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(s.stopped)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) sample() {
	mb := pssByComm()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	for store, comm := range serverComm {
		s.sums[store] += mb[comm]
		s.peaks[store] = max(s.peaks[store], mb[comm])
	}
}

// Stop ends sampling and returns each store's memory.
func (s *sampler) Stop() map[string]Memory {
	close(s.stop)
	<-s.stopped
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Memory{}
	for store := range serverComm {
		m := Memory{PeakMB: s.peaks[store]}
		if s.n > 0 {
			m.MeanMB = s.sums[store] / float64(s.n)
		}
		out[store] = m
	}
	return out
}

// pssByComm sums Pss (MB) of every process per command name of interest.
func pssByComm() map[string]float64 {
	out := map[string]float64{}
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return out
	}
	wanted := map[string]bool{}
	for _, c := range serverComm {
		wanted[c] = true
	}
	for _, d := range dirs {
		comm, err := os.ReadFile(filepath.Join(d, "comm"))
		if err != nil || !wanted[strings.TrimSpace(string(comm))] {
			continue
		}
		out[strings.TrimSpace(string(comm))] += pssMB(filepath.Join(d, "smaps_rollup"))
	}
	return out
}

// pssMB reads the Pss line of a smaps_rollup file, in MB.
func pssMB(path string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("Pss:")); ok {
			f := strings.Fields(string(rest))
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}
