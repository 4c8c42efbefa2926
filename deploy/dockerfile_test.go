package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"golang.org/x/mod/modfile"
)

// image is one Dockerfile in deploy/docker and the module it builds.
type image struct {
	name, dir string
	ports     map[string]int32
}

func images() []image {
	out := []image{{name: "footprint", dir: "cmd/footprint"}}
	for _, s := range services {
		out = append(out, image{s.name, s.dir, s.ports})
	}
	return out
}

// instruction is one parsed Dockerfile line: its keyword, flags and arguments.
type instruction struct {
	cmd      string
	flags    []string
	args     []string
	original string
}

func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []instruction
	for _, n := range res.AST.Children {
		in := instruction{cmd: strings.ToLower(n.Value), flags: n.Flags, original: n.Original}
		for a := n.Next; a != nil; a = a.Next {
			in.args = append(in.args, a.Value)
		}
		out = append(out, in)
	}
	return out
}

var goBuildOut = regexp.MustCompile(`go build .*-o (\S+) (\S+)\s*$`)

// TestDockerfiles: every COPY from the context names a path that exists, every local
// module the service's go.mod replaces is copied, the binary the runtime stage copies is
// the one go build wrote from a main package, and the runtime stage runs as a non-root
// user with the service's listen addresses on 0.0.0.0 and its ports exposed.
func TestDockerfiles(t *testing.T) {
	for _, im := range images() {
		path := filepath.Join(repoRoot, "deploy", "docker", im.name+".Dockerfile")
		ins := parseDockerfile(t, path)
		copied := map[string]bool{}
		built := map[string]bool{}
		workdir := "/"
		stages := 0
		var final []instruction
		for _, in := range ins {
			switch in.cmd {
			case "from":
				stages++
				final = nil
			case "workdir":
				workdir = in.args[0]
			case "copy":
				checkCopy(t, im, in, copied, built)
			case "run":
				if m := goBuildOut.FindStringSubmatch(in.original); m != nil {
					checkMainPackage(t, im, workdir, m[2])
					built[m[1]] = true
				}
			}
			final = append(final, in)
		}
		if stages < 2 {
			t.Errorf("%s: %d stages, want a builder and a runtime stage", im.name, stages)
		}
		checkReplacesCopied(t, im, copied)
		checkRuntimeStage(t, im, final)
	}
}

func checkCopy(t *testing.T, im image, in instruction, copied, built map[string]bool) {
	t.Helper()
	srcs := in.args[:len(in.args)-1]
	for _, f := range in.flags {
		if strings.HasPrefix(f, "--from=") {
			for _, s := range srcs {
				if !built[s] {
					t.Errorf("%s: COPY %s from the builder, which no go build writes", im.name, s)
				}
			}
			return
		}
	}
	for _, s := range srcs {
		if _, err := os.Stat(filepath.Join(repoRoot, s)); err != nil {
			t.Errorf("%s: COPY %s: not in the repository", im.name, s)
		}
		copied[strings.TrimSuffix(s, "/")] = true
	}
}

// checkMainPackage: `go build <pkg>` run in WORKDIR /src/<dir> builds a main package.
func checkMainPackage(t *testing.T, im image, workdir, pkg string) {
	t.Helper()
	dir := filepath.Join(repoRoot, strings.TrimPrefix(workdir, "/src/"), pkg)
	b, err := os.ReadFile(filepath.Join(dir, "main.go"))
	if err != nil || !regexp.MustCompile(`(?m)^package main$`).Match(b) {
		t.Errorf("%s: go build %s in %s: no main package (%v)", im.name, pkg, workdir, err)
	}
	if strings.TrimPrefix(workdir, "/src/") != im.dir {
		t.Errorf("%s: builds in %s, want /src/%s", im.name, workdir, im.dir)
	}
}

// checkReplacesCopied: the modules are built with GOWORK=off, so each local replace
// target (../../gen, ...) must be in the image, or the build fails.
func checkReplacesCopied(t *testing.T, im image, copied map[string]bool) {
	t.Helper()
	gomod := filepath.Join(repoRoot, im.dir, "go.mod")
	b, err := os.ReadFile(gomod)
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse(gomod, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !copied[im.dir] {
		t.Errorf("%s: the module %s is not copied", im.name, im.dir)
	}
	for _, r := range mf.Replace {
		if !strings.HasPrefix(r.New.Path, ".") {
			continue
		}
		target := filepath.ToSlash(filepath.Clean(filepath.Join(im.dir, r.New.Path)))
		if !copied[target] {
			t.Errorf("%s: go.mod replaces %s with %s, which the Dockerfile does not copy", im.name, r.Old.Path, target)
		}
	}
}

func checkRuntimeStage(t *testing.T, im image, final []instruction) {
	t.Helper()
	user, exposed, env := "", map[string]bool{}, map[string]string{}
	for _, in := range final {
		switch in.cmd {
		case "user":
			user = in.args[0]
		case "expose":
			for _, p := range in.args {
				exposed[p] = true
			}
		case "env":
			for i := 0; i+1 < len(in.args); i += 2 {
				env[in.args[i]] = in.args[i+1]
			}
		case "run":
			t.Errorf("%s: RUN in the runtime stage (it has no shell)", im.name)
		case "healthcheck":
			t.Errorf("%s: HEALTHCHECK (Kubernetes probes and compose check health)", im.name)
		}
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "root" || u == "0" {
		t.Errorf("%s: the runtime stage runs as %q, want a non-root USER", im.name, user)
	}
	for name, port := range im.ports {
		if !exposed[strconv.Itoa(int(port))] {
			t.Errorf("%s: port %s (%d) is not exposed", im.name, name, port)
		}
	}
	if len(exposed) != len(im.ports) {
		t.Errorf("%s: exposes %d ports, the service has %d", im.name, len(exposed), len(im.ports))
	}
	for name, v := range env {
		checkListenAddr(t, im.name+" Dockerfile", name, v)
	}
}
