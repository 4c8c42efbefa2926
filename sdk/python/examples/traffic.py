"""Demo traffic for the FastAPI example app: visitors with different browsers, languages
and referrers read articles, comment and like; some are signed in, one sends DNT (not
recorded), and health checks are not recorded either.

    python sdk/python/examples/traffic.py http://127.0.0.1:8083 60

Prints what it sent and exits with status 1 when a request failed.
"""

from __future__ import annotations

import random
import sys
from collections import Counter

import httpx

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"
SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari"
VISITORS = [
    {"user-agent": CHROME, "accept-language": "en-GB,en;q=0.9"},
    {"user-agent": IPHONE, "accept-language": "de-DE,de;q=0.9", "x-demo-user": "user-17"},
    {"user-agent": FIREFOX, "accept-language": "fr-FR,fr;q=0.8"},
    {"user-agent": SAFARI, "accept-language": "ja-JP", "dnt": "1"},  # not recorded
]
REFERRERS = ["https://www.google.com/", "https://news.ycombinator.com/", "", "https://t.co/x"]
ARTICLES = ["kafka-in-practice", "clickhouse-vs-postgres", "fastapi-tips"]


def main() -> int:
    target = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8083"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    rnd = random.Random(7)  # noqa: S311 - demo data, not a secret
    sent: Counter[str] = Counter()
    failures = 0
    with httpx.Client(base_url=target, timeout=10) as http:
        for _ in range(n):
            headers = {**rnd.choice(VISITORS), "referer": rnd.choice(REFERRERS)}
            slug = rnd.choice([*ARTICLES, "missing"])
            method, path = rnd.choice(
                [("GET", "/"), ("GET", f"/articles/{slug}"), ("GET", f"/articles/{slug}"),
                 ("POST", f"/articles/{slug}/comments"), ("POST", f"/articles/{slug}/likes")]
            )  # fmt: skip
            status = http.request(method, path, headers=headers).status_code
            failures += status >= 500
            sent[f"{method} {status}"] += 1
            http.get("/healthz")  # not recorded
    print("sent:", ", ".join(f"{k} x{v}" for k, v in sorted(sent.items())))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
