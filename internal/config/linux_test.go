//go:build linux

package config

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
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
	deadline := time.Now().Add(eventually)
	for count() > baseline {
		if time.Now().After(deadline) {
			t.Fatalf("%d descriptors open after Close, %d before", count(), baseline)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
