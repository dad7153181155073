//go:build !linux

package storetest

import "testing"

// SmallDisk skips: a small disk to fill is made with a tmpfs, on Linux.
func SmallDisk(t testing.TB, size int64) string {
	t.Skip("a full disk is tested on Linux only (it mounts a small tmpfs)")
	return ""
}

// Fill is not reached where SmallDisk skips.
func Fill(t testing.TB, dir string, keep int64) func() {
	t.Skip("a full disk is tested on Linux only")
	return func() {}
}

// Free is not reached where SmallDisk skips.
func Free(t testing.TB, dir string) int64 {
	t.Skip("a full disk is tested on Linux only")
	return 0
}
