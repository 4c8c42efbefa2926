package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// KafkaProcess is a private single-node Kafka broker (KRaft) run as a child
// process of the test, for outage tests: stopping the shared broker would
// break every other test running against it. It uses the jars that
// deploy/local/stack.sh caches in <stack dir>/kafka/libs and the stack's
// server.properties template, with free ports and a data dir in t.TempDir().
type KafkaProcess struct {
	// Brokers is the bootstrap address, 127.0.0.1:<port>.
	Brokers string

	t       testing.TB
	repo    string
	libs    string
	props   string
	logPath string
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
}

// StartKafka formats a fresh data dir, starts the broker, and waits until it
// answers metadata requests. The broker is stopped when the test ends. The
// test fails or skips (as KafkaBrokers does) when Java or the jars are missing.
func StartKafka(t testing.TB) *KafkaProcess {
	t.Helper()
	repo, err := repoRoot()
	if err != nil {
		t.Fatalf("private kafka: %v", err)
	}
	stack := os.Getenv("FOOTPRINT_STACK_DIR")
	if stack == "" {
		stack = filepath.Join(repo, ".stack")
	}
	libs := filepath.Join(stack, "kafka", "libs")
	if _, err := os.Stat(filepath.Join(libs, ".complete")); err != nil {
		missing(t, "the Kafka jars are not in "+libs+"; run `make up` (deploy/local/stack.sh infra) once")
	}
	if _, err := exec.LookPath("java"); err != nil {
		missing(t, "java is not installed; run `make up` once")
	}

	ports, err := freePorts(2)
	if err != nil {
		t.Fatalf("private kafka: %v", err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	template, err := os.ReadFile(filepath.Join(repo, "deploy", "local", "kafka", "server.properties"))
	if err != nil {
		t.Fatalf("private kafka: read server.properties template: %v", err)
	}
	props := strings.NewReplacer(
		"@DATA@", data,
		"@PORT@", strconv.Itoa(ports[0]),
		"@CONTROLLER_PORT@", strconv.Itoa(ports[1]),
		"@PARTITIONS@", "3",
	).Replace(string(template))
	propsPath := filepath.Join(dir, "server.properties")
	if err := os.WriteFile(propsPath, []byte(props), 0o644); err != nil {
		t.Fatalf("private kafka: %v", err)
	}
	k := &KafkaProcess{
		Brokers: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		t:       t,
		repo:    repo,
		libs:    libs,
		props:   propsPath,
		logPath: filepath.Join(dir, "kafka.log"),
	}

	clusterID, err := k.java("kafka.tools.StorageTool", "random-uuid")
	if err != nil {
		t.Fatalf("private kafka: storage random-uuid: %v", err)
	}
	// The id is the last line: log lines may precede it on stdout.
	lines := strings.Fields(clusterID)
	if len(lines) == 0 {
		t.Fatalf("private kafka: storage random-uuid printed nothing")
	}
	if out, err := k.java("kafka.tools.StorageTool", "format", "-t", lines[len(lines)-1],
		"-c", propsPath, "--standalone"); err != nil {
		t.Fatalf("private kafka: storage format: %v\n%s", err, out)
	}
	t.Cleanup(k.Stop)
	k.Start()
	return k
}

// missing fails the test when the stack is required, and skips it otherwise.
func missing(t testing.TB, msg string) {
	t.Helper()
	if stackRequired() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// java runs a Kafka tool class to completion and returns its stdout.
func (k *KafkaProcess) java(class string, args ...string) (string, error) {
	cmd := exec.Command("java", append(k.jvmArgs("256m"), append([]string{class}, args...)...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String() + stderr.String(), fmt.Errorf("%s: %w", class, err)
	}
	return stdout.String(), nil
}

func (k *KafkaProcess) jvmArgs(heap string) []string {
	return []string{
		"-Xmx" + heap,
		"-Dlog4j2.configurationFile=" + filepath.Join(k.repo, "deploy", "local", "kafka", "log4j2.xml"),
		"-Dkafka.logs.dir=" + filepath.Dir(k.logPath),
		"-cp", filepath.Join(k.libs, "*"),
	}
}

// Start starts the broker (again) on the same ports and data dir and waits
// until it answers a metadata request.
func (k *KafkaProcess) Start() {
	k.t.Helper()
	k.mu.Lock()
	if k.cmd != nil {
		k.mu.Unlock()
		k.t.Fatal("private kafka: Start while running")
	}
	logFile, err := os.OpenFile(k.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		k.mu.Unlock()
		k.t.Fatalf("private kafka: %v", err)
	}
	cmd := exec.Command("java", append(k.jvmArgs("512m"), "kafka.Kafka", k.props)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group: a Ctrl-C to `go test` is not what stops it; Stop is.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		k.mu.Unlock()
		k.t.Fatalf("private kafka: start: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = logFile.Close()
		close(exited)
	}()
	k.cmd, k.exited = cmd, exited
	k.mu.Unlock()

	if err := k.waitReady(90 * time.Second); err != nil {
		k.t.Fatalf("private kafka on %s: %v\n--- log tail ---\n%s", k.Brokers, err, k.logTail(4000))
	}
}

// waitReady polls a metadata request until it succeeds, the process exits,
// or the timeout passes.
func (k *KafkaProcess) waitReady(timeout time.Duration) error {
	admin, err := kafka.NewAdminClient(&kafka.ConfigMap{
		"bootstrap.servers": k.Brokers,
		// Keep reconnect attempts frequent while the broker boots.
		"reconnect.backoff.ms":     50,
		"reconnect.backoff.max.ms": 500,
		"log_level":                0, // connection refused is expected until it listens
	})
	if err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		select {
		case <-k.exited:
			return errors.New("broker process exited during start")
		default:
		}
		md, err := admin.GetMetadata(nil, true, 1000)
		if err == nil && len(md.Brokers) > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready within %s: %v", timeout, err)
		case <-k.exited:
			return errors.New("broker process exited during start")
		case <-time.After(100 * time.Millisecond): // poll interval, not a synchronisation
		}
	}
}

// Stop sends SIGTERM and waits for the broker to exit (SIGKILL after 60 s).
// Stopping a stopped broker does nothing.
func (k *KafkaProcess) Stop() {
	k.mu.Lock()
	cmd, exited := k.cmd, k.exited
	k.cmd = nil
	k.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(60 * time.Second):
		k.t.Logf("private kafka did not stop within 60s of SIGTERM; killing it")
		_ = cmd.Process.Kill()
		<-exited
	}
}

func (k *KafkaProcess) logTail(n int) string {
	b, err := os.ReadFile(k.logPath)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// repoRoot walks up from the working directory to the folder holding go.work.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work above the working directory; run the test inside the repository")
		}
		dir = parent
	}
}
