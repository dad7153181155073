//go:build linux

package config

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/holdfast-chat/holdfast/internal/sse/ssetest"
)

// The real go-keyring, on a machine without a Secret Service: the D-Bus
// session address points at a socket that does not exist, so the probe
// fails for real and keys go to the file.
func TestRealKeyringWithoutSecretServiceFallsBackToFile(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	checkFileFallback(t, SystemKeychain())
}

// Closing releases the inotify descriptors too, not only the goroutines.
func TestNoDescriptorLeakAfterClose(t *testing.T) {
	count := func() int {
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	baseline := count()
	for range 5 {
		m := New(t.TempDir(), Options{Debounce: testDebounce})
		if err := m.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
	err := ssetest.WaitFor(eventually, func() error {
		if n := count(); n > baseline {
			return fmt.Errorf("%d descriptors open after Close, %d before", n, baseline)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
