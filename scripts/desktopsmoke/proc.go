package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// processTree is root and all its descendants, from /proc.
func processTree(root int) map[int]bool {
	parent := map[int]int{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, _ := strconv.Atoi(filepath.Base(d))
		b, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 {
			parent[pid], _ = strconv.Atoi(fields[1])
		}
	}
	tree := map[int]bool{root: true}
	for changed := true; changed; {
		changed = false
		for pid, pp := range parent {
			if tree[pp] && !tree[pid] {
				tree[pid] = true
				changed = true
			}
		}
	}
	return tree
}

// treeMemory sums VmRSS and Pss (kB) over the process tree of root.
func treeMemory(root int) (rss, pss int64, n int) {
	for pid := range processTree(root) {
		n++
		rss += procField(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
		pss += procField(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:")
	}
	return rss, pss, n
}

func procField(path, key string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), key) {
			fields := strings.Fields(sc.Text())
			if len(fields) >= 2 {
				v, _ := strconv.ParseInt(fields[1], 10, 64)
				return v
			}
		}
	}
	return 0
}

// socketOwners returns the pids holding an established TCP connection
// whose remote port is port.
func socketOwners(port int) map[int]bool {
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "01" { // 01 = ESTABLISHED
				continue
			}
			_, remPort, ok := strings.Cut(fields[2], ":")
			if !ok {
				continue
			}
			pb, err := hex.DecodeString(remPort)
			if err != nil || len(pb) != 2 || int(pb[0])<<8|int(pb[1]) != port {
				continue
			}
			inodes[fields[9]] = true
		}
		f.Close()
	}
	owners := map[int]bool{}
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		link, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
			pid, _ := strconv.Atoi(strings.Split(fd, "/")[2])
			owners[pid] = true
		}
	}
	return owners
}
