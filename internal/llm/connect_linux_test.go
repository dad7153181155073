package llm

import (
	"context"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fullBacklog returns the address of a loopback socket whose accept queue
// is full: it listens with backlog 0 and never accepts, and one connection
// already fills the queue, so Linux drops the SYN of the next one and
// connect hangs, exactly like a host that does not answer.
func fullBacklog(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	filler, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("fill the accept queue: %v", err)
	}
	t.Cleanup(func() { _ = filler.Close() })
	return addr
}

func TestConnectTimeout(t *testing.T) {
	addr := fullBacklog(t)
	for _, kind := range []string{ProviderOpenAI, ProviderAnthropic} {
		t.Run(kind, func(t *testing.T) {
			spec := testSpec(kind, "http://"+addr)
			spec.Timeouts = Timeouts{Connect: 200 * time.Millisecond, FirstToken: time.Minute, Idle: time.Minute}
			var slept sleeps
			spec.Retry = RetryPolicy{MaxAttempts: 2, Sleep: slept.sleep}
			p, err := NewProvider(spec)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = streamAll(context.Background(), p, Request{Model: "m", Messages: []Message{{Role: "user", Content: "hi"}}})
			want := kind + ": could not connect to http://" + addr + " within 200ms (connect timeout) (gave up after 2 attempts)"
			if err == nil || err.Error() != want {
				t.Fatalf("err = %v\nwant   %s", err, want)
			}
			// A host that does not answer may come back: retried.
			if !IsTransient(err) || len(slept.got()) != 1 {
				t.Errorf("kind %q, waits %v; want transient and retried once", KindOf(err), slept.got())
			}
			if strings.Contains(err.Error(), "first-token") {
				t.Errorf("the first-token timeout fired instead: %v", err)
			}
		})
	}
}
