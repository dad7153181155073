package storetest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// SmallDisk mounts a tmpfs of size bytes on a fresh folder and returns
// the folder; it is unmounted when the test ends. Mounting needs root (CI
// runs as root); elsewhere the test is skipped, saying so.
func SmallDisk(t testing.TB, size int64) string {
	t.Helper()
	dir := t.TempDir()
	opts := "size=" + strconv.FormatInt(size, 10) + ",mode=0700"
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, opts); err != nil {
		t.Skipf("cannot mount a %d-byte tmpfs to fill (%v): a full disk is tested only where mounting is allowed (as root, as in CI)", size, err)
	}
	t.Cleanup(func() {
		// Lazily: a file the code under test still has open must not
		// keep the mount (and the test's temp folder) around.
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// Fill writes a file into dir until the disk has no space left and
// returns a function that deletes it again. It leaves keep bytes free
// (rounded to the disk's pages) for whatever must still fit.
func Fill(t testing.TB, dir string, keep int64) (free func()) {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	avail := int64(st.Bavail) * st.Bsize
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for written := int64(0); written < avail-keep; {
		n, err := f.Write(buf[:min(int64(len(buf)), avail-keep-written)])
		written += int64(n)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	removed := false
	free = func() {
		if !removed {
			removed = true
			if err := os.Remove(path); err != nil {
				t.Errorf("free the disk: %v", err)
			}
		}
	}
	t.Cleanup(free)
	return free
}

// Free is how many bytes dir's disk has left.
func Free(t testing.TB, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}
