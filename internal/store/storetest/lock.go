// Package storetest causes real storage faults for tests: a second
// process holding the database's write lock, and a small disk that fills
// up. Nothing is simulated: the code under test meets SQLite's own
// SQLITE_BUSY and SQLITE_FULL.
package storetest

import (
	"bufio"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // the lock holder opens the database like any other program would
)

// lockerEnv tells a re-executed test binary to hold the lock on the
// database it names instead of running tests.
const lockerEnv = "HOLDFAST_TEST_HOLD_WRITE_LOCK"

// Main is called first thing in a package's TestMain. In the test binary
// re-executed by HoldWriteLock it holds the lock and exits; otherwise it
// returns at once.
func Main() {
	path := os.Getenv(lockerEnv)
	if path == "" {
		return
	}
	if err := holdLock(path, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "lock holder:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// holdLock opens the database and says "ready" on out; at the line
// "lock" on in it takes the write lock (BEGIN IMMEDIATE) and says
// "locked", and keeps the lock until in closes.
func holdLock(path string, in io.Reader, out io.Writer) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=60000&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(out, "ready"); err != nil {
		return err
	}
	r := bufio.NewReader(in)
	if line, err := r.ReadString('\n'); err != nil || strings.TrimSpace(line) != "lock" {
		return nil // released before locking
	}
	tx, err := db.Begin()
	if err != nil {
		return fmt.Errorf("begin immediate: %w", err)
	}
	if _, err := fmt.Fprintln(out, "locked"); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, r)
	return tx.Rollback()
}

// Lock is another process that holds a database's write lock on demand.
type Lock struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *strings.Builder
	At     time.Time // when the lock was confirmed taken
	done   bool
}

// HoldWriteLock starts a second process and has it take the write lock
// of the database at path (see StartLocker and Lock).
func HoldWriteLock(t testing.TB, path string) *Lock {
	t.Helper()
	l := StartLocker(t, path)
	l.Lock()
	return l
}

// StartLocker starts a second process (this test binary, re-executed;
// its TestMain must call Main) that opens the database at path, ready to
// take its write lock when Lock is called, so that starting a process
// (slow on a loaded machine) is not part of the moment a test times.
// The lock is released by Release or when the test ends. A package
// using it needs
//
//	func TestMain(m *testing.M) { storetest.Main(); os.Exit(m.Run()) }
func StartLocker(t testing.TB, path string) *Lock {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), lockerEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	l := &Lock{t: t, cmd: cmd, stdin: stdin, lines: make(chan string, 2), stderr: &strings.Builder{}}
	cmd.Stderr = l.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Release)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			l.lines <- sc.Text()
		}
		close(l.lines)
	}()
	l.expect("ready")
	return l
}

// Lock has the process take the write lock and returns once it has it.
func (l *Lock) Lock() {
	l.t.Helper()
	if _, err := io.WriteString(l.stdin, "lock\n"); err != nil {
		l.t.Fatal(err)
	}
	l.expect("locked")
	l.At = time.Now()
}

func (l *Lock) expect(want string) {
	l.t.Helper()
	select {
	case line := <-l.lines:
		if line != want {
			l.Release()
			l.t.Fatalf("lock holder said %q, not %q: %s", line, want, l.stderr.String())
		}
	case <-time.After(60 * time.Second):
		l.Release()
		l.t.Fatalf("lock holder did not say %q within 60s: %s", want, l.stderr.String())
	}
}

// Release lets the lock go and waits for the process to end.
func (l *Lock) Release() {
	if l.done {
		return
	}
	l.done = true
	l.stdin.Close()
	if err := l.cmd.Wait(); err != nil {
		l.t.Errorf("lock holder: %v: %s", err, l.stderr.String())
	}
}
