package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestBrowserRunsPagesWithAFreshProfile(t *testing.T) {
	ctx := Browser(t)
	runCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(runCtx, chromedp.Navigate("data:text/html,<title>footprint</title>")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	title, err := chromedp.Run(runCtx, chromedp.Title())
	if err != nil {
		t.Fatalf("title: %v", err)
	}
	if title != "footprint" {
		t.Fatalf("title = %q, want footprint", title)
	}
	ua, err := chromedp.Run(runCtx, chromedp.Evaluate[string](`navigator.userAgent`))
	if err != nil {
		t.Fatalf("user agent: %v", err)
	}
	if ua == "" {
		t.Fatal("empty user agent")
	}
}
