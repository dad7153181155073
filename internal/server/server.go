// Package server is Holdfast's HTTP API on loopback: REST for sessions and
// messages, and the one SSE stream per window (GET /api/events) that
// replays from a Last-Event-ID and then follows the event log live.
//
// Every /api/ request needs the token; requests whose Host is not a
// loopback name are refused (DNS rebinding) and CORS answers only the
// allowed origins. Errors are JSON: {"error":{"code":..., "message":...}}.
package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/holdfast-chat/holdfast/internal/chat"
	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/search"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

// Events is the slice of the event log the stream needs.
type Events interface {
	Epoch() string
	Head() int64
	Subscribe(epoch string, after int64) (*eventlog.Subscription, error)
	SubscribeLive() *eventlog.Subscription
	// Fault is whether the database can be written, and a channel closed
	// when that changes (the `storage` event, /api/health).
	Fault() (eventlog.Fault, <-chan struct{})
}

// Chats performs the mutations.
type Chats interface {
	CreateSession(ctx context.Context, ns chat.NewSession) (store.Session, error)
	UpdateSession(ctx context.Context, id string, p chat.SessionPatch) (store.Session, error)
	DeleteSession(ctx context.Context, id string) error
	Send(ctx context.Context, req chat.SendRequest) (chat.Sent, error)
	Stop(ctx context.Context, id string) (store.Message, error)
	Continue(ctx context.Context, id string) (store.Message, error)
	Regenerate(ctx context.Context, id, model, clientID string) (store.Message, bool, error)
	Edit(ctx context.Context, id, content, clientID string) (chat.Sent, error)
	// EditFiles is Edit with the edited message's files (nil keeps them).
	EditFiles(ctx context.Context, id, content, clientID string, files *[]store.AttachmentRef) (chat.Sent, error)
	Switch(ctx context.Context, sessionID, id string, limit int) (chat.SwitchResult, error)
	Delete(ctx context.Context, id string) (chat.Deletion, error)
}

// Snapshots are the consistent reads (data plus the event head).
type Snapshots interface {
	SessionsPage(ctx context.Context, q store.SessionQuery) (store.SessionPage, error)
	GetSession(ctx context.Context, id string) (store.Session, error)
	PathPage(ctx context.Context, r store.PageRequest) (store.Page, error)
}

// Searcher answers GET /api/search.
type Searcher interface {
	Search(ctx context.Context, text, cursor string, limit int) (search.Result, error)
}

// ModelInfo is one entry of GET /api/models.
type ModelInfo struct {
	ID       string `json:"id"` // model reference "<provider>/<model>"
	Provider string `json:"provider"`
	Model    string `json:"model"`
	Label    string `json:"label"`
	Demo     bool   `json:"demo,omitempty"`
}

// ProviderInfo is one provider in GET /api/models: every provider in use
// is listed, also one whose server cannot be reached (then with its
// configured models, if any, and the error), so the model picker can say
// so instead of silently leaving it out.
type ProviderInfo struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"` // demo | openai | anthropic
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
	// Local: a server found on loopback, not a [[providers]] entry.
	Local bool `json:"local,omitempty"`
}

// ModelList is the body of GET /api/models.
type ModelList struct {
	Models    []ModelInfo    `json:"models"`
	Default   string         `json:"default"`
	Providers []ProviderInfo `json:"providers"`
}

// Models lists the models the user can pick.
type Models interface {
	Models(ctx context.Context) (ModelList, error)
}

// ProviderTools answer the Settings screen's questions about providers:
// how each continues answers, and the Test button.
type ProviderTools interface {
	// Continuations says, for every provider in use, how it continues an
	// interrupted answer (asking servers set to "auto" when that is not
	// known yet, within ctx).
	Continuations(ctx context.Context) []ProviderContinuation
	// Check tests a provider: its models, a 1-token request, the time to
	// the first token, its continuation mode found afresh. model "" picks
	// one. ErrNoProvider when there is no such provider.
	Check(ctx context.Context, name, model string) (llm.CheckResult, error)
}

// ProviderContinuation is one entry of GET /api/providers.
type ProviderContinuation struct {
	Name         string           `json:"name"`
	Kind         string           `json:"kind"`
	Continuation llm.Continuation `json:"continuation"`
}

// Exporter writes one chat as a file.
type Exporter interface {
	// Export writes the session in format (md, json, html) to w.
	Export(ctx context.Context, w io.Writer, sessionID, format string) error
	// ContentType is the content type and the file extension (no dot) of
	// format; an unknown format is an error.
	ContentType(format string) (ctype, ext string, err error)
}

// Config is everything a Server needs.
type Config struct {
	Token     string
	Version   string
	Heartbeat time.Duration // default 15s
	Retry     time.Duration // the SSE retry: hint (default 1s)
	Static    fs.FS         // the web front end, nil for none
	Logger    *slog.Logger

	Events    Events
	Chats     Chats
	Snapshots Snapshots
	Models    Models
	Exporter  Exporter // optional
	Search    Searcher // optional: GET /api/search
	Settings  Settings // optional: GET/PUT /api/config, keys, discovery
	// Attachments, optional: uploads and stored files (attachments.go).
	Attachments Attachments
	// Imports, optional: /api/imports (import.go).
	Imports Importer
	// Providers, optional: GET /api/providers, provider tests.
	Providers ProviderTools
}

// Server serves the API. Make a new one for each listener: Close ends its
// streams for good.
type Server struct {
	// Set by New and never changed.
	cfg     Config
	log     *slog.Logger
	handler http.Handler

	// mu guards conns and reason, and makes "not closing yet" and
	// registering a stream one step (see register).
	mu      sync.Mutex
	conns   map[string]*streamConn // open streams by connection id
	closing chan struct{}          // closed by Close, under mu, after reason is set
	reason  shutdownInfo           // what Close said; zero until then

	once sync.Once      // makes Close's first call the only one that closes
	wg   sync.WaitGroup // one count per registered stream, for Close to wait on
}

var (
	_ http.Handler = (*Server)(nil)
	_ Events       = (*eventlog.Log)(nil)
)

type shutdownInfo struct {
	Reason  string `json:"reason"`
	RetryMS int    `json:"retry_ms"`
}

// New builds a Server.
func New(cfg Config) *Server {
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.Retry <= 0 {
		cfg.Retry = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, conns: map[string]*streamConn{}, closing: make(chan struct{})}
	s.handler = s.routes()
	return s
}

// ServeHTTP routes r through the Host/Origin guard and the token check.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Close sends `shutdown` on every stream (reason, suggested retry) and
// waits for the stream handlers to return, bounded by ctx. Call it before
// http.Server.Shutdown, which would otherwise wait on open streams.
func (s *Server) Close(ctx context.Context, reason string, retry time.Duration) {
	s.once.Do(func() {
		s.mu.Lock()
		s.reason = shutdownInfo{Reason: reason, RetryMS: int(retry / time.Millisecond)}
		close(s.closing)
		s.mu.Unlock()
	})
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern string, methods map[string]http.HandlerFunc) {
		mux.Handle(pattern, s.auth(boundedPathValues(byMethod(methods))))
	}
	api("/api/health", map[string]http.HandlerFunc{"GET": s.health})
	api("/api/events", map[string]http.HandlerFunc{"GET": s.events})
	api("/api/models", map[string]http.HandlerFunc{"GET": s.models})
	api("/api/sessions", map[string]http.HandlerFunc{"GET": s.listSessions, "POST": s.createSession})
	api("/api/sessions/{id}", map[string]http.HandlerFunc{"GET": s.getSession, "PATCH": s.updateSession, "DELETE": s.deleteSession})
	api("/api/sessions/{id}/messages", map[string]http.HandlerFunc{"GET": s.listMessages, "POST": s.sendMessage})
	api("/api/sessions/{id}/export", map[string]http.HandlerFunc{"GET": s.export})
	api("/api/sessions/{id}/switch", map[string]http.HandlerFunc{"POST": s.switchPath})
	api("/api/messages/{id}", map[string]http.HandlerFunc{"DELETE": s.deleteMessage})
	api("/api/messages/{id}/{action}", map[string]http.HandlerFunc{"POST": s.messageAction})
	api("/api/search", map[string]http.HandlerFunc{"GET": s.search})
	api("/api/streams/{conn}/{action}", map[string]http.HandlerFunc{"POST": s.streamAction})
	if s.cfg.Settings != nil {
		s.settingsRoutes(api)
	}
	if s.cfg.Attachments != nil {
		s.attachmentRoutes(api)
	}
	if s.cfg.Imports != nil {
		s.importRoutes(api)
	}
	if s.cfg.Providers != nil {
		api("/api/providers", map[string]http.HandlerFunc{"GET": s.providerContinuations})
		api("/api/providers/{name}/test", map[string]http.HandlerFunc{"POST": s.testProvider})
	}
	unknown := s.auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+quoteShort(r.URL.Path))
	}))
	mux.Handle("/api/", unknown)
	mux.Handle("/", staticHandler(s.cfg.Static))
	return s.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The mux answers a path it would clean ("/api//x", "/api/./x",
		// "/api/../x") or "/api" with a redirect and a text body; an API
		// client gets its JSON 404 instead.
		if p := r.URL.Path; p == "/api" || strings.HasPrefix(p, "/api/") && !cleanPath(p) {
			unknown.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	}))
}

// cleanPath reports whether p is what path.Clean makes of it, a trailing
// slash allowed: no empty, "." or ".." segment.
func cleanPath(p string) bool {
	c := path.Clean(p)
	return p == c || p == c+"/"
}

// maxPathValue bounds an id or a name taken from the path. Ids this
// server makes are under 40 bytes.
const maxPathValue = 128

// boundedPathValues answers a path whose {id}, {conn}, {action} or {name}
// is longer than any this server makes with a 404 that quotes only its
// start, before a handler (or an error message) can repeat it whole.
func boundedPathValues(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, k := range [...]string{"id", "conn", "action", "name"} {
			if v := r.PathValue(k); len(v) > maxPathValue {
				writeError(w, http.StatusNotFound, "not_found", "no such "+k+" "+quoteShort(v))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// validID reports whether s could be an id this server made: up to
// maxPathValue bytes of letters, digits, '_' and '-'.
func validID(s string) bool {
	if s == "" || len(s) > maxPathValue {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// byMethod dispatches on the method and answers others with a JSON 405.
func byMethod(m map[string]http.HandlerFunc) http.Handler {
	allow := make([]string, 0, len(m))
	for k := range m {
		allow = append(allow, k)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := m[r.Method]; ok {
			h(w, r)
			return
		}
		if r.Method == http.MethodHead {
			if h, ok := m["GET"]; ok {
				h(w, r)
				return
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here")
	})
}

// guard refuses foreign Hosts and Origins, answers CORS, and bounds bodies.
// Every response, refusals included, says its Content-Type is final.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if !loopbackHost(r.Host) {
			writeError(w, http.StatusForbidden, "bad_host", "Host "+quoteShort(r.Host)+" is not a loopback address")
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			if !allowedOrigin(origin, r.Host) {
				writeError(w, http.StatusForbidden, "bad_origin", "Origin "+quoteShort(origin)+" is not allowed")
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Expose-Headers", "X-Event-Head, Content-Disposition")
			if r.Method == http.MethodOptions {
				h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, PUT, DELETE, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID, Cache-Control")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, bodyLimit(r))
		}
		next.ServeHTTP(w, r)
	})
}

// auth requires the token on every API request: `Authorization: Bearer
// T` (the scheme is required; a bare token is refused), or ?token=T for
// clients that cannot set headers.
func (s *Server) auth(next http.Handler) http.Handler {
	want := []byte(s.cfg.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.URL.Query().Get("token")
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, cred, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				cred = ""
			}
			got = cred
		}
		if len(want) == 0 || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="holdfast"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	switch strings.ToLower(host) {
	case "localhost", "wails.localhost":
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var fixedOrigins = map[string]bool{
	"wails://wails":                 true,
	"wails://wails:34115":           true,
	"wails://wails.localhost":       true, // WebKitGTK's origin for the app
	"wails://wails.localhost:34115": true, // ...and under `wails dev`
	"http://wails.localhost":        true,
	"http://wails.localhost:34115":  true,
	"http://localhost:34115":        true,
	"http://127.0.0.1:34115":        true,
}

// allowedOrigin admits the Wails origins and the server's own origin.
func allowedOrigin(origin, host string) bool {
	return fixedOrigins[origin] || origin == "http://"+host
}

func quoteShort(s string) string {
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}

func newConnID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "c_" + hex.EncodeToString(b)
}
