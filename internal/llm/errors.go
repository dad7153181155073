package llm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrCannotContinue is returned when a provider that cannot continue an
// answer is asked to (Request.Prefix set but CanContinue reports false).
var ErrCannotContinue = errors.New("this provider cannot continue an interrupted answer; regenerate it instead")

// ErrorKind classifies a provider failure so callers can decide what to do
// with it without parsing messages.
type ErrorKind string

// Error kinds.
const (
	// KindAuth: the key is missing, rejected or lacks permission; the user
	// must fix it in Settings. Never retried.
	KindAuth ErrorKind = "auth"
	// KindTransient: worth trying again later (connection refused, 429,
	// 5xx, Anthropic overloaded_error). Retried before the first chunk.
	KindTransient ErrorKind = "transient"
	// KindTimeout: the upstream sent nothing within the first-token or
	// idle timeout. Not retried: the wait would multiply.
	KindTimeout ErrorKind = "timeout"
	// KindTruncated: the stream ended before the provider's terminator.
	// Wraps ErrTruncated. Retried only before the first chunk.
	KindTruncated ErrorKind = "truncated"
	// KindRequest: the provider refused this request (unknown model, bad
	// parameter, context too long, quota exhausted). Never retried.
	KindRequest ErrorKind = "request"
	// KindUpstream: any other failure the provider reported.
	KindUpstream ErrorKind = "upstream"
	// KindNewTurn: asked to continue an answer, the server began a new
	// one instead (wraps ErrNewTurn). Never retried; regenerate.
	KindNewTurn ErrorKind = "new_turn"
)

// Error is a classified provider failure. Its message names the provider
// and, where the user can do something about it, says what.
type Error struct {
	Provider string    // provider name, e.g. "openai"
	Kind     ErrorKind // what sort of failure
	Status   int       // HTTP status, 0 when there was no HTTP answer
	// Type is the provider's own error type or code, e.g.
	// "overloaded_error", "insufficient_quota"; may be empty.
	Type string
	// Message is the human-readable explanation without the provider
	// prefix; it carries the provider's own message where there is one.
	Message string
	// RetryAfter is how long the provider asked us to wait (Retry-After),
	// 0 when it did not say.
	RetryAfter time.Duration
	// Err is the underlying error, if any.
	Err error
}

var (
	_ error                       = (*Error)(nil)
	_ error                       = (*TimeoutError)(nil)
	_ interface{ Timeout() bool } = (*TimeoutError)(nil)
)

func (e *Error) Error() string { return e.Provider + ": " + e.Message }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of a provider error, or "" when err carries no
// *Error (nil, context cancellation, an error returned by emit).
func KindOf(err error) ErrorKind {
	if e, ok := asError(err); ok {
		return e.Kind
	}
	return ""
}

func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsAuth reports whether err means the credentials must be fixed.
func IsAuth(err error) bool { return KindOf(err) == KindAuth }

// IsTransient reports whether err is a failure worth retrying later.
func IsTransient(err error) bool { return KindOf(err) == KindTransient }

// IsTimeout reports whether err is a first-token or idle timeout.
func IsTimeout(err error) bool { return KindOf(err) == KindTimeout }

// retryable reports whether the retry wrapper may try again, provided
// nothing was emitted yet: a cut before any text is as good as a refused
// connection.
func retryable(err error) bool {
	k := KindOf(err)
	return k == KindTransient || k == KindTruncated
}

// TimeoutPhase says which timeout fired.
type TimeoutPhase string

// Timeout phases.
const (
	PhaseConnect    TimeoutPhase = "connect"
	PhaseFirstToken TimeoutPhase = "first token"
	PhaseIdle       TimeoutPhase = "idle"
)

// TimeoutError is what the HTTP client built by NewHTTPClient returns when
// one of its timeouts fires. Providers turn it into an *Error.
type TimeoutError struct {
	Phase TimeoutPhase
	After time.Duration
}

func (e *TimeoutError) Error() string {
	switch e.Phase {
	case PhaseConnect:
		return fmt.Sprintf("could not connect within %s (connect timeout)", e.After)
	case PhaseIdle:
		return fmt.Sprintf("the answer stalled: nothing received for %s (idle timeout)", e.After)
	default:
		return fmt.Sprintf("no answer within %s (first-token timeout); the server may be busy or still loading the model", e.After)
	}
}

// Timeout reports true, like net.Error.
func (e *TimeoutError) Timeout() bool { return true }

// parseErrorBody extracts type, message and numeric code from an error
// body in any of the shapes servers use: {"error":{"type","message","code"}}
// (OpenAI, Anthropic; code is a number at OpenRouter), {"error":"text"},
// a top-level {"message","type","code"} (vLLM) or {"detail"} (FastAPI). A
// body that is not JSON becomes the message itself (Ollama answers 404 in
// plain text).
func parseErrorBody(raw []byte) (typ, msg string, code int) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return "", clip(strings.TrimSpace(string(raw))), 0
	}
	obj := top
	if inner, ok := top["error"]; ok {
		var nested map[string]json.RawMessage
		if json.Unmarshal(inner, &nested) == nil {
			obj = nested
		} else {
			msg = jsonString(inner)
		}
	}
	typ = jsonString(obj["type"])
	if msg == "" {
		msg = jsonString(obj["message"])
	}
	if msg == "" {
		msg = jsonString(obj["detail"])
	}
	if c := obj["code"]; len(c) > 0 {
		if s := jsonString(c); s != "" {
			switch {
			case typ == "":
				typ = s
			case s != typ:
				typ += "/" + s
			}
		} else {
			_ = json.Unmarshal(c, &code)
		}
	}
	return typ, clip(msg), code
}

func jsonString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// clip bounds a provider message so an HTML error page cannot flood the UI.
func clip(s string) string {
	const limit = 500
	if len(s) <= limit {
		return s
	}
	return strings.ToValidUTF8(s[:limit], "") + "…"
}

// isTransientType reports provider error types that mean "try again
// later", used when there is no HTTP status to go by (errors inside a 200
// stream).
func isTransientType(t string) bool {
	switch t {
	case "overloaded_error", "api_error", "server_error", "rate_limit_error",
		"rate_limit_exceeded", "timeout_error", "service_unavailable":
		return true
	}
	return false
}

// statusError classifies an HTTP error answer (status >= 400), or an error
// event inside a 200 stream (status 0 or 200: classified by type).
func statusError(provider string, status int, typ, msg string, header http.Header, now time.Time) *Error {
	e := &Error{Provider: provider, Status: status, Type: typ}
	if header != nil {
		e.RetryAfter = parseRetryAfter(header, now)
	}
	baseType, _, _ := strings.Cut(typ, "/")
	class := status
	if status < 400 {
		// An error inside a 200 stream: its type says what it means.
		switch baseType {
		case "authentication_error", "invalid_api_key":
			class = http.StatusUnauthorized
		case "permission_error":
			class = http.StatusForbidden
		}
	}
	switch {
	case class == http.StatusUnauthorized:
		e.Kind = KindAuth
		// The provider's text is left out on purpose: OpenAI echoes part
		// of the rejected key in it.
		e.Message = fmt.Sprintf("the API key was rejected (%s); set a valid key for %q in Settings", statusLabel(status, typ), provider)
	case class == http.StatusForbidden:
		e.Kind = KindAuth
		e.Message = fmt.Sprintf("access was denied (%s%s); check that the key for %q in Settings may use this model", statusLabel(status, typ), withMsg(msg), provider)
	case strings.Contains(typ, "insufficient_quota") || baseType == "billing_error":
		e.Kind = KindRequest
		e.Message = fmt.Sprintf("the account has no quota left (%s%s); check the plan and billing with the provider", statusLabel(status, typ), withMsg(msg))
	case status == http.StatusTooManyRequests:
		e.Kind = KindTransient
		e.Message = fmt.Sprintf("rate limited (%s%s)", statusLabel(status, typ), withMsg(msg))
	case status == http.StatusRequestTimeout || status >= 500:
		e.Kind = KindTransient
		e.Message = fmt.Sprintf("the server failed (%s%s)", statusLabel(status, typ), withMsg(msg))
	case status == http.StatusNotFound:
		e.Kind = KindRequest
		e.Message = fmt.Sprintf("not found (%s%s); check the model name and the base URL", statusLabel(status, typ), withMsg(msg))
	case status >= 400:
		e.Kind = KindRequest
		e.Message = fmt.Sprintf("the request was refused (%s%s)", statusLabel(status, typ), withMsg(msg))
	case isTransientType(baseType):
		e.Kind = KindTransient
		e.Message = fmt.Sprintf("the provider reported an error (%s%s)", typ, withMsg(msg))
	default:
		e.Kind = KindUpstream
		label := typ
		if label == "" {
			label = "error"
		}
		e.Message = fmt.Sprintf("the provider reported an error (%s%s)", label, withMsg(msg))
	}
	return e
}

// streamError classifies an error object received inside a 200 stream. A
// numeric code (OpenRouter) is an HTTP status in disguise.
func streamError(provider string, raw []byte) *Error {
	typ, msg, code := parseErrorBody(raw)
	if code >= 400 {
		return statusError(provider, code, typ, msg, nil, time.Time{})
	}
	return statusError(provider, 0, typ, msg, nil, time.Time{})
}

func statusLabel(status int, typ string) string {
	if status < 400 {
		if typ == "" {
			return "error"
		}
		return typ
	}
	if t := http.StatusText(status); t != "" {
		return fmt.Sprintf("%d %s", status, t)
	}
	return strconv.Itoa(status)
}

func withMsg(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}

// parseRetryAfter reads retry-after-ms (OpenAI) or Retry-After, in seconds
// or as an HTTP date. A date is measured against the answer's own Date
// header when there is one, so a skewed local clock does not matter.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		now = d
	}
	if wait := at.Sub(now); wait > 0 {
		return wait
	}
	return 0
}

// transportError classifies a failure that produced no HTTP answer, or cut
// the answer short.
func transportError(provider, baseURL string, err error) *Error {
	e := &Error{Provider: provider, Err: err}
	where := displayURL(baseURL)
	var te *TimeoutError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var netErr net.Error
	switch {
	case errors.As(err, &te) && te.Phase == PhaseConnect:
		e.Kind = KindTransient
		e.Message = fmt.Sprintf("could not connect to %s within %s (connect timeout)", where, te.After)
	case errors.As(err, &te):
		e.Kind = KindTimeout
		e.Message = te.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Kind = KindTransient
		e.Message = fmt.Sprintf("could not connect to %s (connection refused); is the server running?", where)
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		e.Kind = KindRequest
		e.Message = fmt.Sprintf("could not find the host of %s; check the base URL", where)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF):
		return truncatedError(provider, "the connection was cut before the answer finished", err)
	case errors.As(err, &netErr) && netErr.Timeout():
		// The TLS handshake timeout, set to the connect timeout.
		e.Kind = KindTransient
		e.Message = fmt.Sprintf("could not connect to %s (the TLS handshake timed out)", where)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		e.Kind = KindTransient
		e.Message = fmt.Sprintf("could not connect to %s (%v)", where, opErr.Err)
	default:
		// A *url.Error would print the full URL, query included.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		e.Kind = KindUpstream
		e.Message = fmt.Sprintf("the request to %s failed: %v", where, err)
	}
	return e
}

// truncatedError reports a stream that ended without its terminator.
func truncatedError(provider, why string, cause error) *Error {
	wrapped := ErrTruncated
	if cause != nil {
		wrapped = fmt.Errorf("%w: %w", ErrTruncated, cause)
	}
	return &Error{Provider: provider, Kind: KindTruncated, Message: ErrTruncated.Error() + " (" + why + ")", Err: wrapped}
}

// displayURL shows scheme://host[/path] of a base URL: never user info or a
// query, either of which may hold a key.
func displayURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the server"
	}
	return u.Scheme + "://" + u.Host + strings.TrimSuffix(u.Path, "/")
}
