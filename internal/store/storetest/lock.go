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

// holdLock opens the database, takes the write lock (BEGIN IMMEDIATE),
// says "locked" on out, and keeps it until in closes.
func holdLock(path string, in io.Reader, out io.Writer) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=60000&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.Begin()
	if err != nil {
		return fmt.Errorf("begin immediate: %w", err)
	}
	if _, err := fmt.Fprintln(out, "locked"); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, in)
	return tx.Rollback()
}

// Lock is another process holding a database's write lock.
type Lock struct {
	t     testing.TB
	cmd   *exec.Cmd
	stdin io.WriteCloser
	At    time.Time // when the lock was confirmed taken
	done  bool
}

// HoldWriteLock starts a second process (this test binary, re-executed;
// its TestMain must call Main) that opens the database at path and holds
// its write lock, and returns once it has it. The lock is released by
// Release or when the test ends. A package using it needs
//
//	func TestMain(m *testing.M) { storetest.Main(); os.Exit(m.Run()) }
func HoldWriteLock(t testing.TB, path string) *Lock {
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
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l := &Lock{t: t, cmd: cmd, stdin: stdin}
	t.Cleanup(l.Release)
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		got <- line
	}()
	select {
	case line := <-got:
		if strings.TrimSpace(line) != "locked" {
			l.Release()
			t.Fatalf("lock holder did not get the lock: %q %s", line, stderr.String())
		}
	case <-time.After(60 * time.Second):
		l.Release()
		t.Fatalf("lock holder did not get the lock within 60s: %s", stderr.String())
	}
	l.At = time.Now()
	return l
}

// Release lets the lock go and waits for the process to end.
func (l *Lock) Release() {
	if l.done {
		return
	}
	l.done = true
	l.stdin.Close()
	if err := l.cmd.Wait(); err != nil {
		l.t.Errorf("lock holder: %v", err)
	}
}
