package deploy

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads deploy/compose/compose.yaml with the compose spec's reference loader
// (schema validation on), the variables of .env.example set to test values.
func loadCompose(t *testing.T) (*types.Project, map[string]string) {
	t.Helper()
	dir := filepath.Join(repoRoot, "deploy", "compose")
	env := map[string]string{}
	f, err := os.Open(filepath.Join(dir, ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		if v == "" {
			v = "test-" + k
		}
		env[k] = v
	}
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "compose.yaml")}},
		Environment: env,
	}, func(o *loader.Options) { o.SetProjectName("footprint", true) })
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return p, env
}

func TestComposeServices(t *testing.T) {
	p, env := loadCompose(t)
	for _, s := range services {
		cs, ok := p.Services[s.name]
		if !ok {
			t.Errorf("compose: no service %s", s.name)
			continue
		}
		if cs.Build == nil || cs.Build.Dockerfile != "deploy/docker/"+s.name+".Dockerfile" {
			t.Errorf("compose %s: build %+v, want deploy/docker/%s.Dockerfile", s.name, cs.Build, s.name)
		} else if _, err := os.Stat(filepath.Join(cs.Build.Context, cs.Build.Dockerfile)); err != nil {
			t.Errorf("compose %s: %v", s.name, err)
		}
		documented := documentedVars(t, s)
		for name, v := range cs.Environment {
			if v == nil {
				t.Errorf("compose %s: %s has no value", s.name, name)
				continue
			}
			if strings.HasPrefix(name, "FOOTPRINT_") && !documented[name] {
				t.Errorf("compose %s: %s is not in %s/README.md", s.name, name, s.dir)
			}
			checkListenAddr(t, "compose "+s.name, name, *v)
		}
		if len(cs.Ports) > 0 && !publicServices[s.name] {
			t.Errorf("compose %s publishes ports; only %v may", s.name, publicServices)
		}
	}
	// Every secret reaches the services from .env, none is written in compose.yaml.
	for k, v := range env {
		if !strings.HasPrefix(v, "test-") {
			continue
		}
		used := false
		for _, cs := range p.Services {
			for _, ev := range cs.Environment {
				used = used || (ev != nil && strings.Contains(*ev, v))
			}
		}
		if !used {
			t.Errorf("compose: %s from .env.example is used by no service", k)
		}
	}
}

func TestComposeStoresAreOfficialImages(t *testing.T) {
	p, _ := loadCompose(t)
	want := map[string]string{"kafka": "apache/kafka:", "postgres": "postgres:", "clickhouse": "clickhouse/clickhouse-server:"}
	for name, prefix := range want {
		if s, ok := p.Services[name]; !ok || !strings.HasPrefix(s.Image, prefix) {
			t.Errorf("compose %s: image %q, want %s*", name, s.Image, prefix)
		}
		if len(p.Services[name].Ports) != 0 {
			t.Errorf("compose %s publishes ports", name)
		}
	}
}
