package testenv

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"testing"
)

// Ports handed to the processes tests start: below Linux's ephemeral range
// (32768-60999), so an outgoing connection of a parallel test cannot take a
// port between the moment it is chosen and the process's own listen (a
// clean-clone CI run lost a collector's admin port that way with listen
// :0), and above the stack's fixed ports.
const (
	freePortLow  = 20000
	freePortHigh = 32000
)

// listenFree listens on a random port of the range that nobody listens on.
func listenFree() (net.Listener, error) {
	var lastErr error
	for range 100 {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(freePortLow+rand.IntN(freePortHigh-freePortLow))))
		if err == nil {
			return l, nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("find a free port: %w", lastErr)
}

// FreePort returns a 127.0.0.1 address whose port was free a moment ago;
// the process that gets it binds it right away.
func FreePort() (string, error) {
	l, err := listenFree()
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("release free port: %w", err)
	}
	return addr, nil
}

// FreeAddr is FreePort for a test, which fails if there is none.
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// freePorts returns n distinct free ports on 127.0.0.1 (held open until
// all are found, so none is returned twice).
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := listenFree()
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
