package lockfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestAcquireIsExclusiveAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "holdfast.lock")
	if os.Getenv("LOCKFILE_CHILD") != "" {
		// The child tries the lock the parent holds.
		_, err := Acquire(os.Getenv("LOCKFILE_CHILD"))
		if errors.Is(err, ErrLocked) {
			os.Exit(3)
		}
		os.Exit(0)
	}
	release, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	child := func() int {
		cmd := exec.Command(os.Args[0], "-test.run=TestAcquireIsExclusiveAcrossProcesses")
		cmd.Env = append(os.Environ(), "LOCKFILE_CHILD="+path)
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	}
	if code := child(); code != 3 {
		t.Fatalf("second process got the lock (exit %d)", code)
	}
	release()
	if code := child(); code != 0 {
		t.Fatalf("lock not free after release (exit %d)", code)
	}
}
