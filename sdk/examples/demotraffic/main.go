// Command demotraffic drives realistic demo traffic through the example web
// app (sdk/examples/webapp): a few hundred page views from several simulated
// visitors (desktop and mobile browsers, a tablet and a crawler), each with
// its own cookies and user agent, arriving from search engines, social
// networks or directly, browsing the blog, the pricing page and the signup
// form (GET mostly, POST to /signup, HEAD from the crawler). Static files and
// health checks are requested too; the middleware does not record those.
//
// It prints a summary and exits with status 1 when a request failed (a
// transport error or a 5xx answer).
//
//	demotraffic -target http://127.0.0.1:8080 -n 300   (-requests is an alias of -n)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

type visitor struct {
	name      string
	userAgent string
	ip        string // sent as X-Forwarded-For with -forwarded-for
	bot       bool
	cookies   bool
}

var visitors = []visitor{
	{"desktop-chrome-windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "198.51.100.10", false, true},
	{"desktop-firefox-linux", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "198.51.100.22", false, true},
	{"desktop-safari-mac", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "203.0.113.31", false, true},
	{"mobile-safari-iphone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "203.0.113.45", false, true},
	{"mobile-chrome-android", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36", "198.51.100.57", false, true},
	{"tablet-safari-ipad", "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "203.0.113.68", false, true},
	{"bot-googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "66.249.66.1", true, false},
}

// External referrers a session can start from; "" is direct traffic.
var entryReferrers = []struct {
	kind, url, landingQuery string
}{
	{"search", "https://www.google.com/search?q=footprint+analytics", ""},
	{"search", "https://www.google.com/", ""},
	{"search", "https://www.bing.com/search?q=self+hosted+analytics", ""},
	{"search", "https://duckduckgo.com/", ""},
	{"social", "https://t.co/AbCdEf123", "?utm_source=twitter&utm_medium=social&utm_campaign=launch"},
	{"social", "https://www.facebook.com/", "?utm_source=facebook&utm_medium=social"},
	{"social", "https://news.ycombinator.com/item?id=4242", ""},
	{"social", "https://www.reddit.com/r/selfhosted/", ""},
	{"direct", "", ""},
	{"direct", "", ""},
	{"newsletter", "", "?utm_source=newsletter&utm_medium=email&utm_campaign=november"},
}

var contentPaths = []string{
	"/", "/blog/", "/blog/hello-world", "/blog/kafka-sinks", "/blog/clickhouse-vs-pg",
	"/blog/cookieless-visitors", "/blog/release-1-0", "/pricing", "/signup", "/blog/no-such-post",
}

type tally struct {
	mu         sync.Mutex
	pageViews  int
	byMethod   map[string]int
	byStatus   map[int]int
	byVisitor  map[string]int
	byReferrer map[string]int
	byPath     map[string]int
	unrecorded int // static files and health checks
	errors     []string
}

func (t *tally) add(v visitor, method, path, refKind string, status int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pageViews++
	t.byMethod[method]++
	t.byStatus[status]++
	t.byVisitor[v.name]++
	t.byReferrer[refKind]++
	t.byPath[path]++
}

func (t *tally) fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.errors = append(t.errors, err.Error())
}

func (t *tally) skipped() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.unrecorded++
}

func main() {
	target := flag.String("target", envOr("FOOTPRINT_WEBAPP_URL", "http://127.0.0.1:8080"), "base URL of the web app")
	n := new(int)
	flag.IntVar(n, "n", 300, "number of recorded page views to make (static files and health checks come on top)")
	flag.IntVar(n, "requests", 300, "alias of -n")
	seed := flag.Uint64("seed", 1, "random seed (the same seed makes the same paths)")
	forwarded := flag.Bool("forwarded-for", false, "send each visitor's IP as X-Forwarded-For (only useful when the app trusts this host as a proxy)")
	wait := flag.Duration("wait", 15*time.Second, "how long to wait for the app's /healthz")
	flag.Parse()
	if err := run(*target, *n, *seed, *forwarded, *wait); err != nil {
		fmt.Fprintln(os.Stderr, "demotraffic:", err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func run(target string, n int, seed uint64, forwarded bool, wait time.Duration) error {
	base, err := url.Parse(strings.TrimRight(target, "/"))
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	if n <= 0 {
		return errors.New("-n must be positive")
	}
	if err := waitHealthy(base.String()+"/healthz", wait); err != nil {
		return err
	}

	t := &tally{byMethod: map[string]int{}, byStatus: map[int]int{}, byVisitor: map[string]int{},
		byReferrer: map[string]int{}, byPath: map[string]int{}}
	start := time.Now()
	var wg sync.WaitGroup
	for i, v := range visitors {
		// Share the page views out; the crawler gets a smaller share, as on
		// a real site.
		share := n / len(visitors)
		if i < n%len(visitors) {
			share++
		}
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			browse(base, v, share, rng, forwarded, t)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	printSummary(t, elapsed)
	printSDKStats(base.String() + "/_footprint/stats")
	if len(t.errors) > 0 {
		return fmt.Errorf("%d requests failed", len(t.errors))
	}
	if t.pageViews != n {
		return fmt.Errorf("made %d page views, want %d", t.pageViews, n)
	}
	return nil
}

func waitHealthy(u string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		resp, err := http.Get(u)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("web app not healthy at %s after %s: %w", u, wait, err)
		}
		time.Sleep(200 * time.Millisecond) // polling interval while the app starts
	}
}

// browse makes budget recorded page views for one visitor, in sessions that
// start from an external referrer and continue with internal links.
func browse(base *url.URL, v visitor, budget int, rng *rand.Rand, forwarded bool, t *tally) {
	client := &http.Client{
		Timeout: 10 * time.Second,
		// A redirect is a page view of its own in the recorded data; the
		// visitor follows it explicitly as the next page of the session.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if v.cookies {
		jar, _ := cookiejar.New(nil)
		client.Jar = jar
	}
	do := func(method, path, referrer string) (int, error) {
		req, err := http.NewRequestWithContext(context.Background(), method, base.String()+path, nil)
		if err != nil {
			return 0, fmt.Errorf("%s %s: %w", method, path, err)
		}
		if method == http.MethodPost {
			req.Body = io.NopCloser(strings.NewReader(url.Values{"email": {v.name + "@example.com"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("User-Agent", v.userAgent)
		req.Header.Set("Accept-Language", "en-GB,en;q=0.8")
		if referrer != "" {
			req.Header.Set("Referer", referrer)
		}
		if forwarded {
			req.Header.Set("X-Forwarded-For", v.ip)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, fmt.Errorf("%s %s: %w", method, path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode >= 500 {
			return resp.StatusCode, fmt.Errorf("%s %s: %s", method, path, resp.Status)
		}
		return resp.StatusCode, nil
	}

	for budget > 0 {
		entry := entryReferrers[rng.IntN(len(entryReferrers))]
		if v.bot {
			entry.kind, entry.url, entry.landingQuery = "direct", "", ""
		}
		referrer := entry.url
		path := contentPaths[rng.IntN(len(contentPaths)-1)] + entry.landingQuery
		refKind := entry.kind
		for pages := 2 + rng.IntN(5); pages > 0 && budget > 0; pages-- {
			method := http.MethodGet
			switch {
			case v.bot && rng.IntN(3) == 0:
				method = http.MethodHead
			case !v.bot && strings.HasPrefix(path, "/signup") && referrer != "" && strings.HasSuffix(referrer, "/signup"):
				method = http.MethodPost
			}
			status, err := do(method, path, referrer)
			budget--
			if err != nil {
				t.fail(err)
			} else {
				t.add(v, method, stripQuery(path), refKind, status)
			}
			if method == http.MethodGet && !v.bot {
				// Browsers fetch the stylesheet; the middleware skips it.
				if _, err := do(http.MethodGet, "/static/style.css", base.String()+path); err != nil {
					t.fail(err)
				} else {
					t.skipped()
				}
			}
			// The next page is linked from this one.
			referrer = base.String() + path
			refKind = "internal"
			switch {
			case status == http.StatusSeeOther:
				path = "/?welcome=1"
			case stripQuery(path) == "/signup" && method == http.MethodGet && rng.IntN(2) == 0:
				path = "/signup" // submit the form
			default:
				path = contentPaths[rng.IntN(len(contentPaths))]
			}
		}
		if rng.IntN(4) == 0 {
			// An uptime monitor's health check, not recorded.
			if _, err := do(http.MethodGet, "/healthz", ""); err != nil {
				t.fail(err)
			} else {
				t.skipped()
			}
		}
	}
}

func stripQuery(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

func printSummary(t *tally, elapsed time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Printf("demotraffic: %d page views (recorded by the middleware) and %d static/health requests (skipped) in %s\n",
		t.pageViews, t.unrecorded, elapsed.Round(time.Millisecond))
	printMap("by method", t.byMethod)
	statuses := map[string]int{}
	for s, c := range t.byStatus {
		statuses[fmt.Sprint(s)] = c
	}
	printMap("by status", statuses)
	printMap("by visitor", t.byVisitor)
	printMap("by referrer", t.byReferrer)
	printMap("by path", t.byPath)
	if len(t.errors) > 0 {
		fmt.Printf("  errors: %d\n", len(t.errors))
		for i, e := range t.errors {
			if i == 10 {
				fmt.Printf("    ... %d more\n", len(t.errors)-i)
				break
			}
			fmt.Println("    " + e)
		}
	}
}

func printMap(title string, m map[string]int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	fmt.Printf("  %-12s %s\n", title+":", strings.Join(parts, " "))
}

// printSDKStats shows the web app's SDK counters; the events are still
// being sent in the background, so "sent" may lag behind "tracked".
func printSDKStats(u string) {
	resp, err := http.Get(u)
	if err != nil {
		fmt.Printf("  sdk stats: unavailable (%v)\n", err)
		return
	}
	defer func() { _ = resp.Body.Close() }()
	var s map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		fmt.Printf("  sdk stats: unreadable (%v)\n", err)
		return
	}
	fmt.Printf("  web app sdk: tracked=%v sent=%v rejected=%v dropped=%v failed=%v retries=%v queued=%v\n",
		s["Tracked"], s["Sent"], s["Rejected"], s["Dropped"], s["Failed"], s["Retries"], s["Queued"])
}
