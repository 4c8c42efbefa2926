package replay

import "testing"

func TestProgress(t *testing.T) {
	start := map[int32]int64{0: 10, 1: 0, 2: 5}
	end := map[int32]int64{0: 20, 1: 8, 2: 5}
	for _, c := range []struct {
		name      string
		committed map[int32]int64
		covered   int64
		finished  bool
	}{
		{"nothing committed yet", map[int32]int64{}, 0, false},
		{"halfway", map[int32]int64{0: 15, 1: 4}, 9, false},
		{"past the end (new messages)", map[int32]int64{0: 25, 1: 8}, 18, true},
		{"an empty partition needs no commit", map[int32]int64{0: 20, 1: 8}, 18, true},
	} {
		covered, finished := progress(c.committed, start, end)
		if covered != c.covered || finished != c.finished {
			t.Errorf("%s: progress = %d, %v; want %d, %v", c.name, covered, finished, c.covered, c.finished)
		}
	}
}
