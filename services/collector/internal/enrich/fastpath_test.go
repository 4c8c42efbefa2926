package enrich

import (
	"net/url"
	"testing"
)

// TestMayHaveUTMNeverMissesOne: whenever the query decodes to any utm_*
// key, mayHaveUTM says so (it may say so for queries without one).
func TestMayHaveUTMNeverMissesOne(t *testing.T) {
	queries := []string{
		"", "a=1", "utm_source=x", "x=1&utm_medium=y", "%75tm_source=x", "utm%5Fcampaign=z",
		"UTM_SOURCE=x", "utm+source=x", "utm_term", "a=%zz&utm_content=c", "a=1;utm_source=x",
		"q=utm", "utm=1", "utm_source=&utm_medium=m",
	}
	for _, q := range queries {
		values, _ := url.ParseQuery(q)
		hasUTM := false
		for _, k := range []string{"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"} {
			hasUTM = hasUTM || values.Get(k) != ""
		}
		if hasUTM && !mayHaveUTM(q) {
			t.Errorf("mayHaveUTM(%q) = false, but the query has a utm_* value", q)
		}
	}
	if mayHaveUTM("page=2&sort=asc") {
		t.Error("a query without utm_ or escapes must take the fast path")
	}
}
