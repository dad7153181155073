// Package bench measures Holdfast's streaming path end to end: events
// appended durably to the SQLite log and delivered over SSE on loopback.
// The Go benchmarks and `holdfast bench` run the same scenarios.
package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/server"
	"github.com/holdfast-chat/holdfast/internal/sse"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// Token is the API token of every Env.
const Token = "bench-token-0123456789abcdef"

// eventType is what benchmark events are called on the wire.
const eventType = "message.delta"

// Env is a store, an event log and the real SSE server on loopback.
type Env struct {
	Dir  string
	Log  *eventlog.Log
	URL  string
	st   *store.Store
	http *http.Server
	srv  *server.Server
	done chan struct{}
}

// Open starts an Env on the database in dir (created if missing).
func Open(ctx context.Context, dir string) (*Env, error) {
	st, err := store.Open(ctx, filepath.Join(dir, "holdfast.db"), store.Options{})
	if err != nil {
		return nil, err
	}
	log, err := eventlog.Open(ctx, st, eventlog.Options{})
	if err != nil {
		st.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Close()
		st.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	e := &Env{Dir: dir, Log: log, st: st, URL: "http://" + ln.Addr().String(), done: make(chan struct{})}
	e.srv = server.New(server.Config{Token: Token, Events: log, Heartbeat: time.Minute})
	e.http = &http.Server{Handler: e.srv}
	go func() {
		defer close(e.done)
		e.http.Serve(ln)
	}()
	return e, nil
}

// Close stops the server and closes the database.
func (e *Env) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e.srv.Close(ctx, "bench done", time.Second)
	e.http.Shutdown(ctx)
	<-e.done
	e.Log.Close()
	e.st.Close()
}

// payload is a delta-sized event body.
func payload(i int) []byte {
	return []byte(`{"message_id":"m_01JBENCHMARKMESSAGE0000000","session_id":"s_01JBENCHMARKSESSION0000000","index":` +
		strconv.Itoa(i) + `,"text":"token "}`)
}

// AppendN appends n events from `writers` goroutines in batches of batch.
func AppendN(ctx context.Context, log *eventlog.Log, n, writers, batch int) error {
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	per := (n + writers - 1) / writers
	for w := 0; w < writers; w++ {
		count := min(per, n-w*per)
		if count <= 0 {
			break
		}
		wg.Add(1)
		go func(w, count int) {
			defer wg.Done()
			evs := make([]eventlog.Event, 0, batch)
			for i := 0; i < count; i += batch {
				evs = evs[:0]
				for j := i; j < min(i+batch, count); j++ {
					evs = append(evs, eventlog.Event{SessionID: "s_bench", Type: eventType, Data: payload(w*per + j)})
				}
				if _, err := log.Append(ctx, evs...); err != nil {
					errc <- err
					return
				}
			}
		}(w, count)
	}
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// connect opens GET /api/events after lastID ("" = live) and waits for hello.
func (e *Env) connect(ctx context.Context, lastID string) (*http.Response, *bufio.Reader, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", e.URL+"/api/events", nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+Token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	if resp.StatusCode != 200 {
		resp.Body.Close()
		return nil, nil, fmt.Errorf("connect: status %d", resp.StatusCode)
	}
	br := bufio.NewReaderSize(resp.Body, 256<<10)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			resp.Body.Close()
			return nil, nil, fmt.Errorf("wait for hello: %w", err)
		}
		if bytes.HasPrefix(line, []byte("event: hello")) {
			return resp, br, nil
		}
	}
}

var eventLine = []byte("event: " + eventType + "\n")

// count reads until n benchmark events arrived; it returns when the first
// and the last arrived.
func count(br *bufio.Reader, n int) (first, last time.Time, err error) {
	got := 0
	for got < n {
		line, err := br.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return first, last, fmt.Errorf("after %d of %d events: %w", got, n, err)
		}
		if bytes.Equal(line, eventLine) {
			if got == 0 {
				first = time.Now()
			}
			got++
		}
	}
	return first, time.Now(), nil
}

// Result is one scenario's figures.
type Result struct {
	Events      int
	Subscribers int
	Elapsed     time.Duration
	// PerSec is events appended per second for one subscriber, or the
	// aggregate delivered (events x subscribers) per second for many.
	PerSec float64
}

// Deliver appends n events durably while subs SSE subscribers receive them
// all; the clock runs from the first append to the last event received.
func Deliver(ctx context.Context, e *Env, n, subs int) (Result, error) {
	type sub struct {
		resp *http.Response
		br   *bufio.Reader
	}
	conns := make([]sub, subs)
	for i := range conns {
		resp, br, err := e.connect(ctx, "")
		if err != nil {
			return Result{}, err
		}
		defer resp.Body.Close()
		conns[i] = sub{resp, br}
	}
	var wg sync.WaitGroup
	errs := make([]error, subs)
	start := time.Now()
	for i, c := range conns {
		wg.Add(1)
		go func(i int, c sub) {
			defer wg.Done()
			_, _, errs[i] = count(c.br, n)
		}(i, c)
	}
	if err := AppendN(ctx, e.Log, n, 8, 64); err != nil {
		return Result{}, err
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return Result{}, err
	}
	return Result{Events: n, Subscribers: subs, Elapsed: elapsed, PerSec: float64(n*subs) / elapsed.Seconds()}, nil
}

// Latencies are append->receive percentiles.
type Latencies struct {
	P50, P99, Max time.Duration
	Samples       int
}

// Latency appends n single events at rate per second, each stamped with its
// append time, and measures when one SSE subscriber receives them.
func Latency(ctx context.Context, e *Env, n, rate int) (Latencies, error) {
	resp, br, err := e.connect(ctx, "")
	if err != nil {
		return Latencies{}, err
	}
	defer resp.Body.Close()
	lat := make([]time.Duration, 0, n)
	errc := make(chan error, 1)
	go func() {
		r := sse.NewReader(br)
		for len(lat) < n {
			ev, err := r.Next()
			if err != nil {
				errc <- err
				return
			}
			if ev.Event != "bench.stamp" {
				continue
			}
			var d struct{ T int64 }
			if err := json.Unmarshal([]byte(ev.Data), &d); err != nil {
				errc <- err
				return
			}
			lat = append(lat, time.Since(time.Unix(0, d.T)))
		}
		errc <- nil
	}()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := 0; i < n; i++ {
		<-tick.C
		data := []byte(`{"t":` + strconv.FormatInt(time.Now().UnixNano(), 10) + `}`)
		if _, err := e.Log.Append(ctx, eventlog.Event{Type: "bench.stamp", Data: data}); err != nil {
			return Latencies{}, err
		}
	}
	if err := <-errc; err != nil {
		return Latencies{}, err
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return Latencies{P50: lat[len(lat)/2], P99: lat[len(lat)*99/100], Max: lat[len(lat)-1], Samples: len(lat)}, nil
}

// ReplayResult is how fast a reconnecting client catches up.
type ReplayResult struct {
	Missed     int
	FirstEvent time.Duration // from the server being ready
	All        time.Duration
}

// Replay appends missed events, restarts the whole stack on the same
// database (nothing in memory), then reconnects from before them.
func Replay(ctx context.Context, dir string, missed int) (ReplayResult, error) {
	e, err := Open(ctx, dir)
	if err != nil {
		return ReplayResult{}, err
	}
	from := eventlog.FormatID(e.Log.Epoch(), e.Log.Head())
	if err := AppendN(ctx, e.Log, missed, 4, 256); err != nil {
		e.Close()
		return ReplayResult{}, err
	}
	e.Close()

	e, err = Open(ctx, dir)
	if err != nil {
		return ReplayResult{}, err
	}
	defer e.Close()
	ready := time.Now()
	resp, br, err := e.connect(ctx, from)
	if err != nil {
		return ReplayResult{}, err
	}
	defer resp.Body.Close()
	first, last, err := count(br, missed)
	if err != nil {
		return ReplayResult{}, err
	}
	return ReplayResult{Missed: missed, FirstEvent: first.Sub(ready), All: last.Sub(ready)}, nil
}
