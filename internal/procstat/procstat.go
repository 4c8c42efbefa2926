// Package procstat reads what a Linux process used so far from /proc: the
// one reader behind the benchmark's resources table, the writers' throughput
// scenario and the collector's binary benchmark.
package procstat

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Usage is what a process used.
type Usage struct {
	// PeakRSSMB is VmHWM: the peak resident set since the process started, in MiB.
	PeakRSSMB float64
	// CPUSeconds is utime+stime.
	CPUSeconds float64
	// ChildCPUSeconds is cutime+cstime: the CPU of children it waited for
	// (PostgreSQL's exited backends).
	ChildCPUSeconds float64
}

// ErrUnparsable is returned for a /proc file of an unexpected shape.
var ErrUnparsable = errors.New("procstat: unexpected /proc format")

// Read reads VmHWM from /proc/<pid>/status and utime, stime, cutime and
// cstime from /proc/<pid>/stat.
func Read(pid int) (Usage, error) {
	var u Usage
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, fmt.Errorf("read status: %w", err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			if f := strings.Fields(rest); len(f) >= 1 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				u.PeakRSSMB = kb / 1024
			}
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, fmt.Errorf("read stat: %w", err)
	}
	// The command name (field 2) may hold spaces: fields count from the
	// closing parenthesis. utime, stime, cutime and cstime are fields 14-17.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return u, fmt.Errorf("parse /proc/%d/stat: %w", pid, ErrUnparsable)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 15 {
		return u, fmt.Errorf("parse /proc/%d/stat: %w", pid, ErrUnparsable)
	}
	ticks := func(i int) float64 { v, _ := strconv.ParseFloat(f[i], 64); return v }
	// USER_HZ is 100 on every Linux ABI Go supports.
	u.CPUSeconds = (ticks(11) + ticks(12)) / 100
	u.ChildCPUSeconds = (ticks(13) + ticks(14)) / 100
	return u, nil
}
