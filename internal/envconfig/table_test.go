package envconfig

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

var errSmall = errors.New("must be at least 1")

type testConfig struct {
	S, Topic, DLQ, Password string
	I                       int
	D                       time.Duration
	B                       bool
	L                       slog.Level
}

func testVars(c *testConfig) Vars {
	return Vars{
		String("S", &c.S, "a string"),
		String("TOPIC", &c.Topic, "the topic"),
		String("DLQ", &c.DLQ, "dead letters (default <TOPIC>.dlq)").DefaultFrom(func() string { return c.Topic + ".dlq" }),
		String("PASSWORD", &c.Password, "empty on purpose is a value").EmptyIsValue(),
		Int("I", &c.I, "an int").Check(func(n int) error {
			if n < 1 {
				return errSmall
			}
			return nil
		}),
		Duration("D", &c.D, "a duration"),
		Bool("B", &c.B, "a bool"),
		LogLevel("L", &c.L, "a level"),
	}
}

func defaults() testConfig {
	return testConfig{S: "default", Topic: "t", DLQ: "t.dlq", Password: "secret", I: 7, D: time.Second, L: slog.LevelInfo}
}

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestApplySetsParsedValuesAndKeepsDefaults(t *testing.T) {
	c := defaults()
	env := map[string]string{"S": "text", "TOPIC": "events", "PASSWORD": "", "I": "42", "D": "1500ms", "B": "true", "L": "WARN"}
	if err := testVars(&c).Apply(lookup(env)); err != nil {
		t.Fatalf("Apply = %v", err)
	}
	want := testConfig{S: "text", Topic: "events", DLQ: "events.dlq", Password: "", I: 42, D: 1500 * time.Millisecond, B: true, L: slog.LevelWarn}
	if c != want {
		t.Fatalf("got %+v, want %+v", c, want)
	}
	c = defaults()
	if err := testVars(&c).Apply(lookup(map[string]string{"S": "", "DLQ": "mine"})); err != nil {
		t.Fatal(err)
	}
	if c.S != "default" || c.Password != "secret" || c.DLQ != "mine" {
		t.Fatalf("empty S, unset PASSWORD, set DLQ: got %+v", c)
	}
}

func TestApplyReportsEveryMalformedVariable(t *testing.T) {
	c := defaults()
	env := map[string]string{"I": "forty", "D": "soon", "L": "info+2", "B": "maybe"}
	err := testVars(&c).Apply(lookup(env))
	if err == nil {
		t.Fatal("Apply = nil, want the four malformed variables")
	}
	for _, name := range []string{`I="forty"`, `D="soon"`, `L="info+2"`, `B="maybe"`} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if !errors.Is(err, ErrLogLevel) {
		t.Errorf("error %q does not wrap ErrLogLevel", err)
	}
	if c != defaults() {
		t.Fatalf("malformed values changed the defaults: %+v", c)
	}
}

func TestCheckRejectsWithItsNamedError(t *testing.T) {
	c := defaults()
	err := testVars(&c).Apply(lookup(map[string]string{"I": "0"}))
	if !errors.Is(err, errSmall) || !strings.Contains(err.Error(), `I="0"`) {
		t.Fatalf("Apply = %v, want errSmall naming I", err)
	}
	if c.I != 7 {
		t.Fatalf("a rejected value was set: %d", c.I)
	}
}

func TestDocsTakeTheDefaultsWhenBuilt(t *testing.T) {
	c := defaults()
	vars := testVars(&c)
	c.S = "changed after the table was built"
	want := map[string]string{"S": "default", "DLQ": "t.dlq", "I": "7", "D": "1s", "B": "false", "L": "info"}
	for _, d := range vars.Docs() {
		if w, ok := want[d.Name]; ok && d.Default != w {
			t.Errorf("%s default %q, want %q", d.Name, d.Default, w)
		}
	}
	if got := strings.Join(vars.Names(), ","); got != "S,TOPIC,DLQ,PASSWORD,I,D,B,L" {
		t.Errorf("Names = %s", got)
	}
}

func TestArgs(t *testing.T) {
	c := defaults()
	vars := testVars(&c)
	for _, flag := range []string{"-h", "-help", "--help"} {
		var out, errOut strings.Builder
		exit, code := vars.Args("svc", []string{flag}, &out, &errOut)
		if !exit || code != 0 {
			t.Errorf("%s: exit %v code %d", flag, exit, code)
		}
		for _, line := range []string{"S (default default)", "DLQ (default t.dlq)", "PASSWORD (default secret)", "        a duration"} {
			if !strings.Contains(out.String(), line) {
				t.Errorf("%s: usage lacks %q:\n%s", flag, line, out.String())
			}
		}
	}
	for _, args := range [][]string{{"-verbose"}, {"serve"}} {
		var out, errOut strings.Builder
		exit, code := vars.Args("svc", args, &out, &errOut)
		if !exit || code != 2 || strings.Count(errOut.String(), "\n") != 1 {
			t.Errorf("%v: exit %v code %d stderr %q, want exit 2 with one line", args, exit, code, errOut.String())
		}
	}
	if exit, _ := vars.Args("svc", nil, &strings.Builder{}, &strings.Builder{}); exit {
		t.Error("no arguments: exit, want run")
	}
}

func TestGetenvTreatsEmptyAsUnset(t *testing.T) {
	c := defaults()
	env := map[string]string{"PASSWORD": "", "S": "x"}
	if err := testVars(&c).Apply(Getenv(func(k string) string { return env[k] })); err != nil {
		t.Fatal(err)
	}
	if c.Password != "secret" || c.S != "x" {
		t.Fatalf("got %+v", c)
	}
}
