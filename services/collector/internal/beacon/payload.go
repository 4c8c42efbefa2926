package beacon

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
)

// fieldError is a client error about one field of the payload (answered with 400).
type fieldError struct {
	Field   string `json:"field,omitempty"`
	Message string `json:"error"`
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Message }

// field is one key of the payload: its long name, the short one the tracker
// sends, and how its value goes into the event.
type field struct {
	long, short string
	set         func(ev *eventv1.Event, raw json.RawMessage) error
}

// fields is the payload format, one entry per key. Either name of a key may be
// used; unknown keys are ignored so that older collectors accept newer trackers.
var fields = []field{
	{"name", "n", str(func(ev *eventv1.Event, v string) { ev.Name = v })},
	{"site", "s", str(func(ev *eventv1.Event, v string) { ev.SiteId = v })},
	{"url", "u", str(func(ev *eventv1.Event, v string) { page(ev).Url = v })},
	{"referrer", "r", str(func(ev *eventv1.Event, v string) { page(ev).Referrer = v })},
	{"title", "t", str(func(ev *eventv1.Event, v string) { page(ev).Title = v })},
	{"language", "l", str(func(ev *eventv1.Event, v string) { client(ev).Locale = v })},
	{"time_zone", "z", str(func(ev *eventv1.Event, v string) { client(ev).TimeZone = v })},
	{"screen_width", "sw", num(func(ev *eventv1.Event, v uint32) { client(ev).ScreenWidth = v })},
	{"screen_height", "sh", num(func(ev *eventv1.Event, v uint32) { client(ev).ScreenHeight = v })},
	{"engaged_ms", "e", num(func(ev *eventv1.Event, v uint32) { ev.DurationUs = uint64(v) * 1000 })},
	{"props", "p", setProps},
	// hash: the site routes by #fragment, so the fragment is part of the path.
	{"hash", "hash", func(*eventv1.Event, json.RawMessage) error { return nil }},
}

// protoFieldNames maps the validator's field names back to the payload's, so
// that a 400 names what the client sent.
var protoFieldNames = map[string]string{
	"name": "name", "site_id": "site", "page.url": "url", "page.path": "url", "page.referrer": "referrer",
	"page.title": "title", "client.locale": "language", "client.time_zone": "time_zone",
	"client.user_agent": "User-Agent",
}

func payloadField(protoField string) string {
	if f, ok := protoFieldNames[protoField]; ok {
		return f
	}
	if rest, ok := strings.CutPrefix(protoField, "properties"); ok {
		return "props" + rest
	}
	return protoField
}

func page(ev *eventv1.Event) *eventv1.Page {
	if ev.Page == nil {
		ev.Page = &eventv1.Page{}
	}
	return ev.Page
}

func client(ev *eventv1.Event) *eventv1.ClientContext {
	if ev.Client == nil {
		ev.Client = &eventv1.ClientContext{}
	}
	return ev.Client
}

func str(set func(*eventv1.Event, string)) func(*eventv1.Event, json.RawMessage) error {
	return func(ev *eventv1.Event, raw json.RawMessage) error {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return errors.New("must be a string")
		}
		set(ev, v)
		return nil
	}
}

func num(set func(*eventv1.Event, uint32)) func(*eventv1.Event, json.RawMessage) error {
	return func(ev *eventv1.Event, raw json.RawMessage) error {
		var v uint32
		if err := json.Unmarshal(raw, &v); err != nil {
			return errors.New("must be a whole number from 0 to 4294967295")
		}
		set(ev, v)
		return nil
	}
}

// setProps reads an object of strings, numbers and booleans into properties.
func setProps(ev *eventv1.Event, raw json.RawMessage) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return errors.New("must be an object")
	}
	ev.Properties = make(map[string]string, len(obj))
	for k, v := range obj {
		var value any
		if err := json.Unmarshal(v, &value); err != nil {
			return fmt.Errorf("property %q: %w", k, err)
		}
		switch x := value.(type) {
		case string:
			ev.Properties[k] = x
		case float64:
			ev.Properties[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			ev.Properties[k] = strconv.FormatBool(x)
		default:
			return fmt.Errorf("property %q must be a string, number or boolean", k)
		}
	}
	return nil
}

// decodeEvent turns a JSON payload into an event. Site and url are required:
// a browser event always has both.
func decodeEvent(body []byte) (*eventv1.Event, error) {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&obj); err != nil || obj == nil || dec.More() {
		return nil, &fieldError{Field: "body", Message: "must be one JSON object"}
	}
	ev := &eventv1.Event{}
	for _, f := range fields {
		raw, ok := obj[f.long]
		if !ok {
			raw, ok = obj[f.short]
		}
		if !ok || string(raw) == "null" {
			continue
		}
		if err := f.set(ev, raw); err != nil {
			return nil, &fieldError{Field: f.long, Message: err.Error()}
		}
	}
	if ev.SiteId == "" {
		return nil, &fieldError{Field: "site", Message: "is required"}
	}
	if ev.GetPage().GetUrl() == "" {
		return nil, &fieldError{Field: "url", Message: "is required"}
	}
	if hashRouted(obj) {
		if u, err := url.Parse(ev.Page.Url); err == nil && u.Fragment != "" {
			ev.Page.Path = cmp.Or(u.Path, "/") + "#" + u.Fragment
		}
	}
	return ev, nil
}

func hashRouted(obj map[string]json.RawMessage) bool {
	raw := strings.TrimSpace(string(obj["hash"]))
	return raw != "" && raw != "0" && raw != "false" && raw != "null"
}
