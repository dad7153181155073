package eventlog

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/store"
)

func openLog(t testing.TB, path string, opts Options) (*Log, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	l, err := Open(context.Background(), st, opts)
	if err != nil {
		t.Fatalf("open log: %v", err)
	}
	t.Cleanup(func() {
		l.Close()
		st.Close()
	})
	return l, st
}

func tempPath(t testing.TB) string { return filepath.Join(t.TempDir(), "holdfast.db") }

func appendN(t testing.TB, l *Log, n int, session string) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := l.Append(context.Background(), Event{SessionID: session, Type: "test", Data: []byte(fmt.Sprintf(`{"n":%d}`, i))}); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
}

// drain reads everything the subscription has until it reaches the head.
func drain(t testing.TB, s *Subscription, head int64) []*Record {
	t.Helper()
	var out []*Record
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for s.Cursor() < head {
		recs, err := s.Next(ctx, 7) // odd batch size to cross ring/DB seams
		if err != nil {
			t.Fatalf("next at %d: %v", s.Cursor(), err)
		}
		out = append(out, recs...)
	}
	return out
}

// TestResume is a table of resume positions in the style of Centrifuge's
// recovery tests: each asserts the order and count of what is replayed,
// or that the subscriber is told to reset.
func TestResume(t *testing.T) {
	const total = 30
	cases := []struct {
		name      string
		ring      int   // 0 = default (everything in memory)
		trim      int64 // retention removed seq <= trim
		reopen    bool  // restart before resuming (nothing in memory)
		epoch     string
		after     int64
		wantFirst int64
		wantCount int
		reset     string
	}{
		{name: "from the start", after: 0, wantFirst: 1, wantCount: total},
		{name: "from the middle", after: 12, wantFirst: 13, wantCount: 18},
		{name: "from the head", after: total, wantCount: 0},
		{name: "from the future", after: total + 5, reset: ReasonBadID},
		{name: "from another epoch", epoch: "0000deadbeef", after: 3, reset: ReasonEpochMismatch},
		{name: "from before retention", trim: 10, after: 4, reset: ReasonHistoryTrimmed},
		{name: "from the retention mark", trim: 10, after: 10, wantFirst: 11, wantCount: 20},
		{name: "from the start after trimming", trim: 10, after: 0, reset: ReasonHistoryTrimmed},
		{name: "behind a small ring", ring: 4, after: 2, wantFirst: 3, wantCount: 28},
		{name: "after a restart", reopen: true, after: 7, wantFirst: 8, wantCount: 23},
		{name: "after a restart, from the head", reopen: true, after: total, wantCount: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := tempPath(t)
			l, st := openLog(t, path, Options{RingSize: tc.ring})
			appendN(t, l, total, "s1")
			if tc.trim > 0 {
				if n, err := l.Trim(context.Background(), tc.trim); err != nil || n != tc.trim {
					t.Fatalf("trim: %d, %v", n, err)
				}
			}
			if tc.reopen {
				l.Close()
				st.Close()
				l, _ = openLog(t, path, Options{RingSize: tc.ring})
				if l.Head() != total {
					t.Fatalf("head after reopen = %d; want %d", l.Head(), total)
				}
			}
			epoch := l.Epoch()
			if tc.epoch != "" {
				epoch = tc.epoch
			}
			sub, err := l.Subscribe(epoch, tc.after)
			if tc.reset != "" {
				var re *ResetError
				if !errors.As(err, &re) || re.Reason != tc.reset {
					t.Fatalf("subscribe: %v; want reset %q", err, tc.reset)
				}
				return
			}
			if err != nil {
				t.Fatalf("subscribe: %v", err)
			}
			got := drain(t, sub, l.Head())
			if len(got) != tc.wantCount {
				t.Fatalf("replayed %d events; want %d", len(got), tc.wantCount)
			}
			for i, r := range got {
				if want := tc.wantFirst + int64(i); r.Seq != want {
					t.Fatalf("event %d has seq %d; want %d", i, r.Seq, want)
				}
				if want := fmt.Sprintf(`{"n":%d}`, r.Seq-1); string(r.Data) != want {
					t.Fatalf("seq %d data %s; want %s", r.Seq, r.Data, want)
				}
			}
			// Nothing more is pending, and a live append arrives next.
			if more, err := sub.TryNext(context.Background(), 10); err != nil || len(more) != 0 {
				t.Fatalf("after catch-up: %d more, %v", len(more), err)
			}
			appendN(t, l, 1, "s1")
			next, err := sub.Next(context.Background(), 10)
			if err != nil || len(next) != 1 || next[0].Seq != total+1 {
				t.Fatalf("live event: %v, %v; want seq %d", next, err, total+1)
			}
		})
	}
}

// TestConcurrentAppendAndSubscribe runs appenders and subscribers that join
// mid-stream; every subscriber must see exactly the committed sequence from
// its starting point: no gap, no duplicate, no reordering.
func TestConcurrentAppendAndSubscribe(t *testing.T) {
	const appenders, perAppender, subscribers = 4, 400, 8
	total := int64(appenders * perAppender)
	l, _ := openLog(t, tempPath(t), Options{RingSize: 64}) // small ring: forces DB fallbacks
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	committed := sync.Map{} // seq -> data
	var wg sync.WaitGroup
	for a := 0; a < appenders; a++ {
		wg.Add(1)
		go func(a int) {
			defer wg.Done()
			for i := 0; i < perAppender; i++ {
				evs := []Event{{SessionID: "s", Type: "t", Data: []byte(fmt.Sprintf(`{"a":%d,"i":%d}`, a, i))}}
				if i%5 == 0 { // some multi-event appends
					evs = append(evs, Event{SessionID: "s", Type: "t", Data: []byte(fmt.Sprintf(`{"a":%d,"i":%d,"x":1}`, a, i))})
				}
				recs, err := l.Append(ctx, evs...)
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
				for _, r := range recs {
					committed.Store(r.Seq, string(r.Data))
				}
			}
		}(a)
	}
	extra := int64(appenders * perAppender / 5)
	final := total + extra

	type result struct {
		start int64
		got   []*Record
		err   error
	}
	results := make(chan result, subscribers)
	for s := 0; s < subscribers; s++ {
		go func(s int) {
			time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
			var sub *Subscription
			if s%2 == 0 {
				sub = l.SubscribeLive()
			} else {
				var err error
				if sub, err = l.Subscribe(l.Epoch(), l.Head()/2); err != nil {
					results <- result{err: err}
					return
				}
			}
			r := result{start: sub.Cursor()}
			for sub.Cursor() < final {
				recs, err := sub.Next(ctx, 1+rand.IntN(50))
				if err != nil {
					r.err = err
					break
				}
				if s == 0 {
					time.Sleep(time.Millisecond) // one slow subscriber
				}
				r.got = append(r.got, recs...)
			}
			results <- r
		}(s)
	}
	wg.Wait()
	for s := 0; s < subscribers; s++ {
		r := <-results
		if r.err != nil {
			t.Fatalf("subscriber: %v", r.err)
		}
		if int64(len(r.got)) != final-r.start {
			t.Fatalf("subscriber from %d got %d events; want %d", r.start, len(r.got), final-r.start)
		}
		for i, rec := range r.got {
			if rec.Seq != r.start+1+int64(i) {
				t.Fatalf("subscriber from %d: event %d has seq %d", r.start, i, rec.Seq)
			}
			want, ok := committed.Load(rec.Seq)
			if !ok || want.(string) != string(rec.Data) {
				t.Fatalf("seq %d: got %s, committed %v", rec.Seq, rec.Data, want)
			}
		}
	}
}

func TestDoIsAtomicPerRequest(t *testing.T) {
	ctx := context.Background()
	l, st := openLog(t, tempPath(t), Options{})
	now := time.Now()
	sess := store.Session{ID: "s_1", Title: "t", Model: "demo/demo", CreatedAt: now, UpdatedAt: now}
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = l.Do(ctx, func(tx *store.Tx) ([]Event, error) {
				if i == 0 {
					if err := tx.InsertSession(sess); err != nil {
						return nil, err
					}
					return []Event{{SessionID: sess.ID, Type: "session.created", Data: []byte(`{}`)}}, nil
				}
				// Every other request writes, then half of them fail:
				// their writes and events must vanish, others' stay.
				if err := tx.TouchSession("s_1", now); err != nil {
					return nil, err
				}
				if i%2 == 1 {
					return []Event{{Type: "x", Data: []byte(`{}`)}}, boom
				}
				return []Event{{Type: "ok", Data: []byte(`{}`)}}, nil
			})
		}(i)
	}
	wg.Wait()
	var okCount int
	for i, err := range errs {
		switch {
		case i%2 == 1 && !errors.Is(err, boom):
			t.Fatalf("request %d: %v; want boom", i, err)
		case i%2 == 0 && err == nil:
			okCount++
		}
	}
	sub, _ := l.Subscribe(l.Epoch(), 0)
	recs := drain(t, sub, l.Head())
	if int64(len(recs)) != l.Head() {
		t.Fatalf("head %d but %d events", l.Head(), len(recs))
	}
	for _, r := range recs {
		if r.Type == "x" {
			t.Fatalf("event of a failed request was kept: %+v", r)
		}
	}
	if len(recs) > okCount {
		t.Fatalf("%d events for %d successful requests", len(recs), okCount)
	}
	if _, err := st.GetSession(ctx, "s_1"); err != nil {
		t.Fatalf("session of the successful request: %v", err)
	}
}

func TestLiveSubscriberTrimmedBehindGetsReset(t *testing.T) {
	ctx := context.Background()
	l, _ := openLog(t, tempPath(t), Options{RingSize: 8})
	sub := l.SubscribeLive()
	appendN(t, l, 50, "")
	if _, err := l.ApplyRetention(ctx, Retention{MaxEvents: 10}); err != nil {
		t.Fatal(err)
	}
	if l.TrimmedThrough() != 40 {
		t.Fatalf("trimmed through %d; want 40", l.TrimmedThrough())
	}
	if _, err := sub.Next(ctx, 10); !IsReset(err) {
		t.Fatalf("next: %v; want reset", err)
	}
	// seq never goes backwards or gets reused after trimming everything.
	if _, err := l.Trim(ctx, 50); err != nil {
		t.Fatal(err)
	}
	recs, err := l.Append(ctx, Event{Type: "t", Data: []byte(`{}`)})
	if err != nil || recs[0].Seq != 51 {
		t.Fatalf("append after trimming all: %v, %v; want seq 51", recs, err)
	}
}

func TestRetentionByAge(t *testing.T) {
	ctx := context.Background()
	l, _ := openLog(t, tempPath(t), Options{})
	appendN(t, l, 5, "")
	time.Sleep(20 * time.Millisecond)
	appendN(t, l, 3, "")
	n, err := l.ApplyRetention(ctx, Retention{MaxAge: 10 * time.Millisecond})
	if err != nil || n != 5 {
		t.Fatalf("trimmed %d, %v; want 5", n, err)
	}
	sub, err := l.Subscribe(l.Epoch(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(t, sub, l.Head()); len(got) != 3 || got[0].Seq != 6 {
		t.Fatalf("kept %d events from seq %d; want 3 from 6", len(got), got[0].Seq)
	}
}

func TestCloseWakesSubscribersAndRefusesAppends(t *testing.T) {
	l, _ := openLog(t, tempPath(t), Options{})
	sub := l.SubscribeLive()
	errc := make(chan error, 1)
	go func() {
		_, err := sub.Next(context.Background(), 10)
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	l.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("next after close: %v", err)
	}
	if _, err := l.Append(context.Background(), Event{Type: "t", Data: []byte(`{}`)}); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
}

func TestIDs(t *testing.T) {
	cases := []struct {
		in    string
		epoch string
		seq   int64
		ok    bool
	}{
		{"abc:0", "abc", 0, true},
		{"abc:42", "abc", 42, true},
		{"abc", "", 0, false},
		{":4", "", 0, false},
		{"abc:-1", "", 0, false},
		{"abc:x", "", 0, false},
		{"0123456789ab:9223372036854775807", "0123456789ab", 9223372036854775807, true},
		{"abc:9223372036854775808", "", 0, false}, // overflows
		{"abc:+4", "", 0, false},
		{"abc: 4", "", 0, false},
		{"abc:4 ", "", 0, false},
		{"abc:", "", 0, false},
		{"a\nb:4", "", 0, false},
		{"abc:4\r\nevent: x", "", 0, false},
		{"e:1\nevent: forged\ndata: {}\n\nid: x", "", 0, false},
		{"ab\x00c:4", "", 0, false},
		{"ab c:4", "", 0, false},
		{"épo:4", "", 0, false},
		{strings.Repeat("a", 64) + ":1", strings.Repeat("a", 64), 1, true},
		{strings.Repeat("a", 65) + ":1", "", 0, false},
		{"a:" + strings.Repeat("0", MaxIDLen), "", 0, false}, // oversized, though it parses
		{strings.Repeat("x", 10000) + ":1", "", 0, false},
	}
	for _, tc := range cases {
		e, s, err := ParseID(tc.in)
		if (err == nil) != tc.ok || e != tc.epoch || s != tc.seq {
			t.Errorf("ParseID(%q) = %q, %d, %v", tc.in, e, s, err)
		}
		// The error is for the client to read: it never repeats its id.
		if err != nil && len(tc.in) > 3 && strings.Contains(err.Error(), tc.in) {
			t.Errorf("ParseID(%q) error repeats the id: %v", tc.in, err)
		}
		if tc.ok && FormatID(e, s) != tc.in {
			t.Errorf("FormatID round trip of %q = %q", tc.in, FormatID(e, s))
		}
	}
	if got := string(AppendID([]byte("x"), "ep", 7)); got != "xep:7" {
		t.Fatalf("AppendID = %q", got)
	}
}

// Records replayed from the database share their backing memory; each
// one's data must still be its own and its encoding made once.
func TestReplayedRecordsAreIndependent(t *testing.T) {
	path := tempPath(t)
	l, st := openLog(t, path, Options{})
	appendN(t, l, 50, "s")
	l.Close()
	st.Close()
	l, _ = openLog(t, path, Options{RingSize: 4}) // nothing in memory: every read is a replay
	sub, err := l.Subscribe(l.Epoch(), 0)
	if err != nil {
		t.Fatal(err)
	}
	recs := drain(t, sub, 50)
	for i, r := range recs {
		if want := fmt.Sprintf(`{"n":%d}`, i); string(r.Data) != want || r.Type != "test" || r.SessionID != "s" {
			t.Fatalf("record %d = %+v; want data %s", i, r, want)
		}
		if cap(r.Data) != len(r.Data) {
			t.Fatalf("record %d: data has %d spare bytes of a neighbour", i, cap(r.Data)-len(r.Data))
		}
	}
	_ = append(recs[0].Data, "clobber"...)
	if string(recs[1].Data) != `{"n":1}` {
		t.Fatalf("appending to one record's data changed the next: %s", recs[1].Data)
	}
	// A replayed record is one reader's: encoded into the caller's buffer,
	// never kept. A live one is everybody's: encoded once, then shared.
	calls := 0
	enc := func(dst []byte, r *Record) []byte { calls++; return fmt.Append(dst, r.Seq) }
	scratch := make([]byte, 0, 16)
	for range 3 {
		if got := recs[4].Encoded(scratch, enc); string(got) != "5" || &got[0] != &scratch[:1][0] {
			t.Fatalf("replayed Encoded = %q, or not in the caller's buffer", got)
		}
	}
	live, err := l.Append(context.Background(), Event{Type: "test", Data: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got := string(live[0].Encoded(scratch, enc)); got != "51" {
			t.Fatalf("live Encoded = %q", got)
		}
	}
	if calls != 3+1 {
		t.Fatalf("encoded %d times; want 3 replayed + 1 live", calls)
	}
}
