package testenv

import (
	"context"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's `chromium` package (installed by deploy/local/stack.sh)
// puts the browser; FOOTPRINT_TEST_CHROMIUM overrides it.
const ChromiumPath = "/usr/bin/chromium"

// Browser starts a fresh headless Chromium for the test and returns a chromedp context
// whose first tab is already open; the browser and its profile are removed when the
// test ends. extra options are appended after the defaults (for example
// chromedp.WindowSize or chromedp.UserAgent), so they can override them.
//
// Every browser gets an empty, private user-data dir, so no cookie, cache or
// localStorage leaks from one test into another. Under CI=true or
// FOOTPRINT_REQUIRE_STACK=1 a missing browser fails the test; otherwise it is skipped.
func Browser(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := env("FOOTPRINT_TEST_CHROMIUM", ChromiumPath)
	if _, err := exec.LookPath(path); err != nil {
		msg := "chromium is not installed at " + path + " (" + err.Error() + "); `make infra` installs it"
		if stackRequired() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts := append(browserOptions(path, t.TempDir()), extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// The first action starts the browser; it must run on the long-lived context,
	// not on one with a timeout, or the timeout would stop the whole browser.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// browserOptions are chromedp's defaults plus what a root user on a CI machine without
// a GPU or a network needs: no sandbox (Chromium refuses to start as root with it), no
// GPU, and no background traffic (component updates, sync, QUIC probes) that would
// slow the test down or reach the internet.
func browserOptions(path, userDataDir string) []chromedp.ExecAllocatorOption {
	opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
	return append(opts,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(userDataDir),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
}
