// Package rules turns events into notification plans: which rule an event
// matches, whom it notifies, who acted on what, and how the text reads. The
// rules come from a YAML file; the repository's defaults are embedded.
package rules

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed rules.yaml
var defaultRules []byte

// Channels a rule delivers to.
const (
	ChannelInbox   = "inbox"
	ChannelWebhook = "webhook"
)

// Named errors of a rules file.
var (
	ErrNoRules        = errors.New("rules: no rules")
	ErrRuleName       = errors.New("rules: rule names must be unique [a-z0-9_-]+")
	ErrRuleEvent      = errors.New("rules: a rule needs an event name")
	ErrRecipient      = errors.New("rules: a rule needs properties.recipient")
	ErrText           = errors.New("rules: a rule needs text (and text_many when grouped)")
	ErrWindow         = errors.New("rules: group window must be between 1s and 24h")
	ErrGroupObject    = errors.New("rules: a grouped rule needs properties.object_id")
	ErrChannel        = errors.New("rules: channels must be inbox and/or webhook, at least one")
	ErrWebhooks       = errors.New("rules: the webhook channel needs webhooks, and webhooks need the webhook channel")
	ErrWebhook        = errors.New("rules: a webhook needs a unique name [a-z0-9_-]+, an http(s) url and a whsec_ secret")
	ErrDuplicateEvent = errors.New("rules: two rules for one event")
)

// validName reports whether s is a rule or webhook name: [a-z0-9_-]+.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// Properties names the event properties a rule reads.
type Properties struct {
	Recipient   string `yaml:"recipient"`
	ActorName   string `yaml:"actor_name"`
	ObjectID    string `yaml:"object_id"`
	ObjectTitle string `yaml:"object_title"`
}

// Group makes events of one recipient and object within Window of the
// group's first event one notification.
type Group struct {
	Window time.Duration `yaml:"window"`
}

// Webhook is one endpoint of a rule's webhook channel.
type Webhook struct {
	Name        string `yaml:"name"`
	URL         string `yaml:"url"`
	Secret      string `yaml:"secret"`
	SecretEnv   string `yaml:"secret_env"`
	Concurrency int    `yaml:"concurrency"`
	MaxAttempts int    `yaml:"max_attempts"`
}

// Rule is one rule of the file.
type Rule struct {
	Name       string     `yaml:"name"`
	Event      string     `yaml:"event"`
	Properties Properties `yaml:"properties"`
	Text       string     `yaml:"text"`
	TextMany   string     `yaml:"text_many"`
	Group      *Group     `yaml:"group"`
	Channels   []string   `yaml:"channels"`
	Webhooks   []Webhook  `yaml:"webhooks"`
}

// Grouped reports whether the rule groups events.
func (r *Rule) Grouped() bool { return r.Group != nil }

// Delivers reports whether the rule uses channel.
func (r *Rule) Delivers(channel string) bool {
	for _, c := range r.Channels {
		if c == channel {
			return true
		}
	}
	return false
}

// Set is a validated rule file, by event name.
type Set struct {
	Rules   []*Rule
	byEvent map[string]*Rule
}

// Load reads a rules file; an empty path means the embedded defaults.
// getenv resolves the webhooks' secret_env.
func Load(path string, getenv func(string) string) (*Set, error) {
	if path == "" {
		return Parse(defaultRules, getenv)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read rules file: %w", err)
	}
	return Parse(data, getenv)
}

// Parse parses and validates a rules file.
func Parse(data []byte, getenv func(string) string) (*Set, error) {
	var file struct {
		Rules []*Rule `yaml:"rules"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("rules: parse: %w", err)
	}
	for _, r := range file.Rules {
		for i := range r.Webhooks {
			if w := &r.Webhooks[i]; w.SecretEnv != "" {
				w.Secret = getenv(w.SecretEnv)
			}
		}
	}
	s := &Set{Rules: file.Rules, byEvent: map[string]*Rule{}}
	return s, s.validate()
}

func (s *Set) validate() error {
	if len(s.Rules) == 0 {
		return ErrNoRules
	}
	var errs []error
	names := map[string]bool{}
	hooks := map[string]bool{}
	for _, r := range s.Rules {
		if !validName(r.Name) || names[r.Name] {
			errs = append(errs, fmt.Errorf("%w: %q", ErrRuleName, r.Name))
		}
		names[r.Name] = true
		if s.byEvent[r.Event] != nil {
			errs = append(errs, fmt.Errorf("%w: %q", ErrDuplicateEvent, r.Event))
		}
		s.byEvent[r.Event] = r
		errs = append(errs, r.validate(hooks)...)
	}
	return errors.Join(errs...)
}

func (r *Rule) validate(hooks map[string]bool) []error {
	var errs []error
	wrap := func(err error) { errs = append(errs, fmt.Errorf("rule %s: %w", r.Name, err)) }
	if r.Event == "" {
		wrap(ErrRuleEvent)
	}
	if r.Properties.Recipient == "" {
		wrap(ErrRecipient)
	}
	if r.Text == "" || (r.Grouped() && r.TextMany == "") {
		wrap(ErrText)
	}
	if r.Grouped() {
		if r.Group.Window < time.Second || r.Group.Window > 24*time.Hour {
			wrap(ErrWindow)
		}
		if r.Properties.ObjectID == "" {
			wrap(ErrGroupObject)
		}
	}
	if len(r.Channels) == 0 {
		wrap(ErrChannel)
	}
	for _, c := range r.Channels {
		if c != ChannelInbox && c != ChannelWebhook {
			wrap(fmt.Errorf("%w: %q", ErrChannel, c))
		}
	}
	if r.Delivers(ChannelWebhook) != (len(r.Webhooks) > 0) {
		wrap(ErrWebhooks)
	}
	for _, w := range r.Webhooks {
		ok := validName(w.Name) && !hooks[w.Name] && strings.HasPrefix(w.Secret, "whsec_") &&
			(strings.HasPrefix(w.URL, "http://") || strings.HasPrefix(w.URL, "https://")) && w.Concurrency >= 0 && w.MaxAttempts >= 0
		if !ok {
			wrap(fmt.Errorf("%w: %q", ErrWebhook, w.Name))
		}
		hooks[w.Name] = true
	}
	return errs
}

// ForEvent returns the rule of an event name, or nil.
func (s *Set) ForEvent(name string) *Rule { return s.byEvent[name] }

// Webhooks lists every endpoint of every rule.
func (s *Set) Webhooks() []Webhook {
	var out []Webhook
	for _, r := range s.Rules {
		out = append(out, r.Webhooks...)
	}
	return out
}

// Render fills a text: {actor}, {title} and {others} ("1 other", "4 others").
func Render(text, actor, title string, others int) string {
	o := strconv.Itoa(others) + " others"
	if others == 1 {
		o = "1 other"
	}
	return strings.NewReplacer("{actor}", actor, "{title}", title, "{others}", o).Replace(text)
}

// TextFor is the rule's text for a notification with actors distinct actors.
func (r *Rule) TextFor(actor, title string, actors int) string {
	if actors > 1 && r.TextMany != "" {
		return Render(r.TextMany, actor, title, actors-1)
	}
	return Render(r.Text, actor, title, 0)
}
