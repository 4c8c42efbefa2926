package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the repository root seen from this module's folder (go test runs here).
const repoRoot = ".."

// service is what the deployment files must agree on for one service: its module folder
// and the ports it listens on (container port by name).
type service struct {
	name  string
	dir   string
	ports map[string]int32
}

// services is every deployable service; the admin port serves /healthz and /readyz.
var services = []service{
	{"collector", "services/collector", map[string]int32{"grpc": 50051, "http": 8081, "admin": 9464}},
	{"pg-writer", "services/pg-writer", map[string]int32{"admin": 9465}},
	{"ch-writer", "services/ch-writer", map[string]int32{"admin": 9466}},
	{"query", "services/query", map[string]int32{"grpc": 50052, "http": 8090, "admin": 9467}},
	{"notifier", "services/notifier", map[string]int32{"grpc": 50053, "admin": 9468}},
}

// publicServices are the only ones reachable from outside (cluster or host).
var publicServices = map[string]bool{"collector": true, "query": true}

func serviceByName(t *testing.T, name string) service {
	t.Helper()
	for _, s := range services {
		if s.name == name {
			return s
		}
	}
	t.Fatalf("unknown service %q", name)
	return service{}
}

var readmeVar = regexp.MustCompile("^\\|\\s*`(FOOTPRINT_[A-Z0-9_]+)`")

// documentedVars reads the variable table of a service's README: the FOOTPRINT_* names
// the service actually reads, so the manifests cannot set a misspelled one.
func documentedVars(t *testing.T, s service) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, s.dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := readmeVar.FindStringSubmatch(sc.Text()); m != nil {
			vars[m[1]] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(vars) == 0 {
		t.Fatalf("%s/README.md has no variable table", s.dir)
	}
	return vars
}

// checkListenAddr requires a listen address variable to bind every interface: the
// services default to 127.0.0.1, which nothing outside the container can reach.
func checkListenAddr(t *testing.T, where, name, value string) {
	t.Helper()
	if strings.HasSuffix(name, "_ADDR") && isListenVar(name) && !strings.HasPrefix(value, "0.0.0.0:") {
		t.Errorf("%s: %s=%q must listen on 0.0.0.0", where, name, value)
	}
}

func isListenVar(name string) bool {
	return name == "FOOTPRINT_ADMIN_ADDR" || strings.HasSuffix(name, "_GRPC_ADDR") || strings.HasSuffix(name, "_HTTP_ADDR")
}
