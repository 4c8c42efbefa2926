package procstat

import (
	"errors"
	"os"
	"testing"
)

func TestReadSelf(t *testing.T) {
	u, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u.PeakRSSMB <= 0 || u.CPUSeconds < 0 || u.ChildCPUSeconds < 0 {
		t.Fatalf("%+v", u)
	}
}

func TestReadMissingProcess(t *testing.T) {
	if _, err := Read(-1); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pid -1: %v, want a not-exist error", err)
	}
}
