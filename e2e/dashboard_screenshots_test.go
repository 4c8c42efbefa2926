//go:build screenshots

package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDashboardScreenshots regenerates docs/screenshots/ from the dashboard
// of the running local stack (`make up` + `make run` for demo traffic). It is
// built only with the `screenshots` tag, by `make screenshots`, because it
// reads a stack that `make test` does not start; the browser test takes the
// same three screenshots of its own stack on every run.
//
//	FOOTPRINT_DASHBOARD_URL  dashboard view to capture (default: demo site, today, UTC)
//	FOOTPRINT_SCREENSHOT_DIR where the PNGs go (default: docs/screenshots)
func TestDashboardScreenshots(t *testing.T) {
	view := os.Getenv("FOOTPRINT_DASHBOARD_URL")
	if view == "" {
		view = "http://127.0.0.1:8090/?site=demo&range=today&tz=UTC&store=both"
	}
	dir := os.Getenv("FOOTPRINT_SCREENSHOT_DIR")
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "docs", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := newDashBrowser(t)
	b.screenshots(view, dir)
	b.checkClean()
	t.Logf("screenshots of %s written to %s", view, dir)
}
