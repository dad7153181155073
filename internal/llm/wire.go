package llm

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"
)

// wire observes one HTTP exchange from inside the SDK (as middleware): it
// keeps the status, headers and error body of the answer, so errors are
// classified the same way whatever the SDK made of them, and optionally
// watches the body for the SSE line "data: [DONE]", which the OpenAI SDK
// swallows without telling.
type wire struct {
	watchDone bool

	status int
	header http.Header
	body   []byte // of an error answer (status >= 400), at most maxErrorBody
	done   *doneWatcher
}

const maxErrorBody = 64 << 10

func (w *wire) middleware(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	resp, err := next(req)
	if err != nil || resp == nil {
		return resp, err
	}
	w.status, w.header = resp.StatusCode, resp.Header
	if resp.StatusCode >= 400 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		_ = resp.Body.Close()
		w.body = body
		resp.Body = io.NopCloser(bytes.NewReader(body))
	} else if w.watchDone {
		w.done = &doneWatcher{rc: resp.Body}
		resp.Body = w.done
	}
	return resp, nil
}

// sawDone reports whether the answer carried "data: [DONE]".
func (w *wire) sawDone() bool { return w.done != nil && w.done.done }

// fail turns whatever a provider call returned into the error Stream
// returns: ctx.Err() after Stop, a classified *Error otherwise. inStream
// extracts the body of an error event an SDK reported inside a 200 stream.
func (w *wire) fail(ctx context.Context, provider, baseURL string, err error, inStream func(error) ([]byte, bool)) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if w.status >= 400 {
		typ, msg, _ := parseErrorBody(w.body)
		e := statusError(provider, w.status, typ, msg, w.header, time.Now())
		e.Err = err
		return e
	}
	if raw, ok := inStream(err); ok {
		e := streamError(provider, raw)
		e.Err = err
		return e
	}
	return transportError(provider, baseURL, err)
}

// doneWatcher passes a body through and notes a line "data: [DONE]".
var _ io.ReadCloser = (*doneWatcher)(nil)

type doneWatcher struct {
	rc       io.ReadCloser
	line     []byte
	overflow bool // the current line is too long to be the marker
	done     bool
}

func (d *doneWatcher) Read(p []byte) (int, error) {
	n, err := d.rc.Read(p)
	for _, c := range p[:n] {
		if c == '\n' || c == '\r' {
			if !d.overflow && isDoneLine(d.line) {
				d.done = true
			}
			d.line, d.overflow = d.line[:0], false
			continue
		}
		if len(d.line) < 32 {
			d.line = append(d.line, c)
		} else {
			d.overflow = true
		}
	}
	return n, err
}

func (d *doneWatcher) Close() error { return d.rc.Close() }

func isDoneLine(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("data:"))
	return ok && string(bytes.TrimSpace(rest)) == "[DONE]"
}
