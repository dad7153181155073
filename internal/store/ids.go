package store

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// crockford is the Crockford base32 alphabet: sortable, no ambiguous letters.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// idGen makes ULID-like ids: 48 bits of milliseconds then 80 bits that are
// random at each new millisecond and incremented within one, so ids sort in
// creation order even when many are made in the same millisecond.
type idGen struct {
	mu    sync.Mutex
	clock func() time.Time
	last  int64
	hi    uint16
	lo    uint64
}

func newIDGen(clock func() time.Time) *idGen {
	if clock == nil {
		clock = time.Now
	}
	return &idGen{clock: clock}
}

// now is millisecond-precise UTC, what the database keeps, so values read
// back equal the ones written.
func (g *idGen) now() time.Time { return g.clock().UTC().Truncate(time.Millisecond) }

func (g *idGen) next(prefix string) string {
	g.mu.Lock()
	ms := g.clock().UnixMilli()
	if ms <= g.last {
		ms = g.last
		g.lo++
		if g.lo == 0 {
			g.hi++
		}
	} else {
		var b [10]byte
		_, _ = rand.Read(b[:])
		g.hi = binary.BigEndian.Uint16(b[:2]) & 0x7fff // headroom for increments
		g.lo = binary.BigEndian.Uint64(b[2:])
		g.last = ms
	}
	hi, lo := g.hi, g.lo
	g.mu.Unlock()

	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], uint64(ms)<<16|uint64(hi))
	binary.BigEndian.PutUint64(raw[8:], lo)
	// 128 bits -> 26 base32 digits, most significant first.
	out := make([]byte, len(prefix)+26)
	copy(out, prefix)
	var acc uint64
	bits := 0
	pos := len(prefix)
	// Left-pad to 130 bits so the digits split evenly.
	acc, bits = 0, 2
	for _, b := range raw {
		acc = acc<<8 | uint64(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out[pos] = crockford[(acc>>uint(bits))&31]
			pos++
		}
	}
	return string(out)
}
