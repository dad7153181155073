package llm

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Timeouts bound how long a provider may keep the user waiting. A zero
// field takes its default (DefaultTimeouts); a negative one disables that
// timeout.
type Timeouts struct {
	// Connect bounds establishing the connection (TCP and TLS).
	Connect time.Duration
	// FirstToken bounds the wait from sending the request to the first
	// byte of the answer's body; it includes Connect. Generous, because a
	// local server may first load the model and a reasoning model may
	// think before it streams.
	FirstToken time.Duration
	// Idle bounds the gap between two reads of the answer's body. Keep-alive
	// traffic (Anthropic ping events, SSE comments) counts as activity.
	Idle time.Duration
}

// Default timeouts.
const (
	DefaultConnectTimeout    = 10 * time.Second
	DefaultFirstTokenTimeout = 5 * time.Minute
	DefaultIdleTimeout       = 2 * time.Minute
)

// DefaultTimeouts returns the timeouts used where none are configured.
func DefaultTimeouts() Timeouts {
	return Timeouts{Connect: DefaultConnectTimeout, FirstToken: DefaultFirstTokenTimeout, Idle: DefaultIdleTimeout}
}

func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts()
	if t.Connect == 0 {
		t.Connect = d.Connect
	}
	if t.FirstToken == 0 {
		t.FirstToken = d.FirstToken
	}
	if t.Idle == 0 {
		t.Idle = d.Idle
	}
	return t
}

// NewHTTPClient returns the HTTP client providers use: it enforces the
// timeouts on every request, so they apply to every provider alike, and
// has no overall request timeout (an answer may stream for minutes). When
// a timeout fires the request is aborted and the error is a *TimeoutError.
func NewHTTPClient(t Timeouts) *http.Client {
	t = t.withDefaults()
	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	if t.Connect > 0 {
		dialer.Timeout = t.Connect
	}
	transport := &http.Transport{
		// The system proxy is honoured; Go never proxies loopback.
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           connectTimeoutDialer(dialer, t.Connect),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	if t.Connect > 0 {
		transport.TLSHandshakeTimeout = t.Connect
	}
	return &http.Client{Transport: &watchdogTransport{next: transport, firstByte: t.FirstToken, idle: t.Idle}}
}

// connectTimeoutDialer turns the dialer's own timeout into a *TimeoutError
// so the message can say which limit was hit.
func connectTimeoutDialer(d *net.Dialer, limit time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		var ne net.Error
		if err != nil && ctx.Err() == nil && errors.As(err, &ne) && ne.Timeout() {
			return nil, &TimeoutError{Phase: PhaseConnect, After: limit}
		}
		return conn, err
	}
}

// watchdogTransport aborts a request whose first body byte does not arrive
// within firstByte, or whose body then goes quiet for idle.
var (
	_ http.RoundTripper = (*watchdogTransport)(nil)
	_ io.ReadCloser     = (*watchedBody)(nil)
)

type watchdogTransport struct {
	next      http.RoundTripper
	firstByte time.Duration
	idle      time.Duration
}

func (t *watchdogTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	w := &watchdog{cancel: cancel}
	w.arm(t.firstByte, PhaseFirstToken)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		w.stop()
		cancel(nil)
		if te := w.timedOut(); te != nil {
			return nil, te
		}
		return nil, err
	}
	resp.Body = &watchedBody{rc: resp.Body, w: w, idle: t.idle}
	return resp, nil
}

// watchdog is one request's timer. A single timer is re-armed on every
// read; a firing that lost the race with a re-arm sees a deadline still
// in the future and does nothing.
type watchdog struct {
	cancel context.CancelCauseFunc

	mu       sync.Mutex
	timer    *time.Timer
	deadline time.Time
	pending  *TimeoutError // what fires at deadline
	fired    *TimeoutError
	stopped  bool
}

func (w *watchdog) arm(d time.Duration, phase TimeoutPhase) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped || w.fired != nil {
		return
	}
	if d <= 0 {
		w.pending = nil
		if w.timer != nil {
			w.timer.Stop()
		}
		return
	}
	w.deadline = time.Now().Add(d)
	w.pending = &TimeoutError{Phase: phase, After: d}
	if w.timer == nil {
		w.timer = time.AfterFunc(d, w.fire)
	} else {
		w.timer.Reset(d)
	}
}

func (w *watchdog) fire() {
	w.mu.Lock()
	if w.stopped || w.fired != nil || w.pending == nil || time.Now().Before(w.deadline) {
		w.mu.Unlock()
		return
	}
	w.fired = w.pending
	te := w.fired
	w.mu.Unlock()
	w.cancel(te)
}

func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	if w.timer != nil {
		w.timer.Stop()
	}
}

func (w *watchdog) timedOut() *TimeoutError {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fired
}

// watchedBody re-arms the watchdog with the idle timeout on every read
// that brought data, and reports a fired timeout instead of the bare
// "context canceled" the transport returns.
type watchedBody struct {
	rc   io.ReadCloser
	w    *watchdog
	idle time.Duration
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if te := b.w.timedOut(); te != nil {
		return n, te
	}
	if n > 0 {
		b.w.arm(b.idle, PhaseIdle)
	}
	return n, err
}

func (b *watchedBody) Close() error {
	b.w.stop()
	b.w.cancel(nil)
	return b.rc.Close()
}
