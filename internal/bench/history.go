package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/holdfast-chat/holdfast/internal/chat"
	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/llm"
	"github.com/holdfast-chat/holdfast/internal/search"
	"github.com/holdfast-chat/holdfast/internal/server"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// HistoryOptions size a seeded history. The zero value is issue 12's:
// 10,000 chats and 1,000,000 messages, one chat with a path of 500,100
// messages, one of 2,000 messages in 20 branches.
type HistoryOptions struct {
	Chats    int // every chat, the two special ones included
	Messages int // every message
	LongPath int // messages on the long chat's path
	HitAt    int // the 1-based place on the long path of the message a search hit opens
	Branchy  int // messages of the branchy chat
	Branches int // its branches (the shown path is one of them)
	Needles  int // messages holding the needle word
}

func (o HistoryOptions) withDefaults() HistoryOptions {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Chats, 10_000)
	def(&o.Messages, 1_000_000)
	def(&o.LongPath, 500_100)
	def(&o.HitAt, 500_000)
	def(&o.Branchy, 2_000)
	def(&o.Branches, 20)
	def(&o.Needles, 10)
	return o
}

// longSide is the length of the long chat's other branch.
const longSide = 4

// Needle is a word in exactly HistoryOptions.Needles messages; HitWord is
// only in the message at HitAt on the long path.
const (
	Needle  = "quokkafjord"
	HitWord = "zanzibarhit"
)

// History is a seeded database served by the real server (chat service,
// search, snapshots) on loopback.
type History struct {
	Dir      string
	URL      string
	Seeded   time.Duration // seeding time, in big transactions through the store
	Messages int

	LongChat, HitID         string
	BranchyChat, BranchyTip string

	st   *store.Store
	log  *eventlog.Log
	svc  *chat.Service
	srv  *server.Server
	http *http.Server
	done chan struct{}
}

// demoOnly resolves every model to the demo.
type demoOnly struct{ demo *llm.Demo }

func (d demoOnly) Resolve(string) (llm.Provider, string, error) { return d.demo, "demo", nil }
func (d demoOnly) DefaultModel() string                         { return "demo/demo" }

// vocabulary makes plausible message text (never the needle words).
var vocabulary = strings.Fields(`the a and to of in is it that for on with as this be are you can or not by
	stream answer token event server client window durable resume log sqlite index branch path model title
	question reply network sleep wake retry backoff heartbeat socket buffer commit transaction page cursor
	数据 库 心跳 检测 流式 回答 搜索 消息 分支 标题 模型 网络`)

func sentence(r *rand.Rand, words int) string {
	var b strings.Builder
	for i := 0; i < words; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(vocabulary[r.Intn(len(vocabulary))])
	}
	return b.String()
}

// SeedHistory writes a history into a new database in dir through the
// store's bulk loader (big transactions, no HTTP), then serves it.
func SeedHistory(ctx context.Context, dir string, opts HistoryOptions) (*History, error) {
	opts = opts.withDefaults()
	if opts.LongPath+longSide+opts.Branchy+2*(opts.Chats-2) > opts.Messages || opts.HitAt > opts.LongPath {
		return nil, fmt.Errorf("seed history: %d messages cannot hold the chats asked for", opts.Messages)
	}
	st, err := store.Open(ctx, filepath.Join(dir, "holdfast.db"), store.Options{})
	if err != nil {
		return nil, err
	}
	h := &History{Dir: dir, st: st, Messages: opts.Messages, done: make(chan struct{})}
	start := time.Now()
	if err := h.seed(ctx, opts); err != nil {
		st.Close()
		return nil, fmt.Errorf("seed history: %w", err)
	}
	h.Seeded = time.Since(start)
	if err := h.serve(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return h, nil
}

// seeder writes one chat at a time.
type seeder struct {
	b      *store.Bulk
	r      *rand.Rand
	at     time.Time // creation time of the next message
	needle map[int]bool
	n      int // messages written
}

func (s *seeder) message(sessionID, parent string, role store.Role, extra string) (store.Message, error) {
	text := sentence(s.r, 5+s.r.Intn(6))
	if s.needle[s.n] {
		text += " " + Needle
	}
	if extra != "" {
		text += " " + extra
	}
	s.n++
	s.at = s.at.Add(time.Millisecond)
	m := store.Message{ID: s.b.NewID("m_"), SessionID: sessionID, ParentID: store.Ref(parent), Role: role, Content: text,
		Status: store.StatusComplete, CreatedAt: s.at, UpdatedAt: s.at}
	if role == store.RoleAssistant {
		m.Model = "demo/demo"
	}
	return s.b.InsertMessage(m)
}

// chain writes n messages after parent, alternating roles; it returns
// the last one.
func (s *seeder) chain(sessionID, parent string, n int, each func(i int) string) (string, error) {
	for i := 0; i < n; i++ {
		role := store.RoleUser
		if i%2 == 1 {
			role = store.RoleAssistant
		}
		extra := ""
		if each != nil {
			extra = each(i)
		}
		m, err := s.message(sessionID, parent, role, extra)
		if err != nil {
			return "", err
		}
		parent = m.ID
	}
	return parent, nil
}

func (s *seeder) session(title string, activity time.Time) (string, error) {
	id := s.b.NewID("s_")
	return id, s.b.InsertSession(store.Session{ID: id, Title: title, Model: "demo/demo", CreatedAt: activity, UpdatedAt: activity, LastActivityAt: activity})
}

func (h *History) seed(ctx context.Context, opts HistoryOptions) error {
	r := rand.New(rand.NewSource(12))
	needles := map[int]bool{}
	for len(needles) < opts.Needles {
		needles[r.Intn(opts.Messages)] = true
	}
	base := time.Now().Add(-90 * 24 * time.Hour).UTC().Truncate(time.Millisecond)
	others := opts.Chats - 2
	rest := opts.Messages - (opts.LongPath + longSide) - opts.Branchy
	// Several transactions of about 100,000 messages: big, but each one
	// bounded in memory.
	chatIdx := 0
	left := rest
	s := &seeder{r: r, at: base, needle: needles}
	var err error
	for chatIdx < others {
		err = h.st.Bulk(ctx, func(b *store.Bulk) error {
			s.b = b
			for written := 0; chatIdx < others && written < 100_000; chatIdx++ {
				n := left / (others - chatIdx)
				left -= n
				activity := base.Add(time.Duration(r.Int63n(int64(90 * 24 * time.Hour))))
				id, err := s.session(sentence(r, 3), activity)
				if err != nil {
					return err
				}
				leaf, err := s.chain(id, "", n, nil)
				if err != nil {
					return err
				}
				if err := b.SetPath(id, leaf); err != nil {
					return err
				}
				written += n
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// The branchy chat: a path of Branchy-(Branches-1)*side messages, and
	// Branches-1 side branches of `side` messages at spread-out depths.
	err = h.st.Bulk(ctx, func(b *store.Bulk) error {
		s.b = b
		id, err := s.session("A chat with many versions", base.Add(89*24*time.Hour))
		if err != nil {
			return err
		}
		h.BranchyChat = id
		side := 10
		main := opts.Branchy - (opts.Branches-1)*side
		var ids []string
		leaf, err := s.chain(id, "", main, nil)
		if err != nil {
			return err
		}
		// Fork the side branches off the path.
		path, err := b.PathTo(leaf)
		if err != nil {
			return err
		}
		for _, m := range path {
			ids = append(ids, m.ID)
		}
		for i := 1; i < opts.Branches; i++ {
			at := ids[i*len(ids)/opts.Branches-1]
			if _, err := s.chain(id, at, side, nil); err != nil {
				return err
			}
		}
		h.BranchyTip = leaf
		return b.SetPath(id, leaf)
	})
	if err != nil {
		return err
	}
	// The long chat, most recent: one branch near its start, then a path
	// of LongPath messages, HitWord at place HitAt.
	return h.st.Bulk(ctx, func(b *store.Bulk) error {
		s.b = b
		id, err := s.session("The very long chat", base.Add(90*24*time.Hour-time.Minute))
		if err != nil {
			return err
		}
		h.LongChat = id
		fork, err := s.chain(id, "", 10, nil)
		if err != nil {
			return err
		}
		if _, err := s.chain(id, fork, longSide, nil); err != nil { // an older version, not shown
			return err
		}
		leaf, err := s.chain(id, fork, opts.LongPath-10, func(i int) string {
			if 10+i+1 == opts.HitAt {
				return HitWord
			}
			return ""
		})
		if err != nil {
			return err
		}
		hit, err := b.NodeAtDepth(leaf, opts.HitAt-1)
		if err != nil {
			return err
		}
		h.HitID = hit
		return b.SetPath(id, leaf)
	})
}

func (h *History) serve(ctx context.Context) error {
	log, err := eventlog.Open(ctx, h.st, eventlog.Options{})
	if err != nil {
		return err
	}
	h.log = log
	h.svc = chat.New(log, h.st, demoOnly{&llm.Demo{TokensPerSecond: 1000}}, nil, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Close()
		return fmt.Errorf("listen: %w", err)
	}
	h.URL = "http://" + ln.Addr().String()
	h.srv = server.New(server.Config{Token: Token, Events: log, Chats: h.svc, Snapshots: h.st, Search: search.Service{Store: h.st}, Heartbeat: time.Minute})
	h.http = &http.Server{Handler: h.srv}
	go func() {
		defer close(h.done)
		h.http.Serve(ln)
	}()
	return nil
}

// Close stops the server and closes the database.
func (h *History) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.srv.Close(ctx, "bench done", time.Second)
	h.http.Shutdown(ctx)
	<-h.done
	h.svc.Close(ctx)
	h.log.Close()
	h.st.Close()
}

// call makes one API request and checks its status; it returns the body.
func (h *History) call(ctx context.Context, method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.URL+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
	return out, nil
}

// Timing is one history scenario's measured runs.
type Timing struct {
	Name    string
	Target  string // issue 12's bound, where it sets one
	Samples []time.Duration
}

// Median of the samples.
func (t Timing) Median() time.Duration {
	s := slices.Clone(t.Samples)
	slices.Sort(s)
	return s[len(s)/2]
}

// Min and Max of the samples.
func (t Timing) Min() time.Duration { return slices.Min(t.Samples) }

// Max of the samples.
func (t Timing) Max() time.Duration { return slices.Max(t.Samples) }

// Measure runs every history scenario runs times (after one warm-up run
// each) and checks every answer. Times are end to end on loopback (request
// sent to body read), except the store-only search.
func (h *History) Measure(ctx context.Context, runs int) ([]Timing, error) {
	q, err := store.ParseQuery(Needle)
	if err != nil {
		return nil, err
	}
	type scenario struct {
		name, target string
		run          func() ([]byte, error)
		check        func([]byte) error
	}
	scenarios := []scenario{
		{"sessions API, first page of 50", "", func() ([]byte, error) { return h.call(ctx, "GET", "/api/sessions?limit=50", nil) },
			func(b []byte) error { return expectCount(b, "sessions", 50) }},
		{"search, a word in 10 messages (HTTP)", "<= 30", func() ([]byte, error) {
			return h.call(ctx, "GET", "/api/search?q="+url.QueryEscape(Needle), nil)
		}, func(b []byte) error { return expectHits(b, 10) }},
		{"search, a word in 10 messages (store)", "<= 30", func() ([]byte, error) {
			page, err := h.st.SearchMessages(ctx, store.SearchRequest{Query: q, Limit: search.DefaultLimit})
			if err != nil {
				return nil, err
			}
			return json.Marshal(map[string]int{"hits": len(page.Hits)})
		}, func(b []byte) error {
			if string(b) != `{"hits":10}` {
				return fmt.Errorf("store search: %s; want 10 hits", b)
			}
			return nil
		}},
		{"open the hit at message 500,000 of its path", "<= 300", func() ([]byte, error) {
			return h.call(ctx, "POST", "/api/sessions/"+h.LongChat+"/switch", map[string]any{"message_id": h.HitID, "limit": 50})
		}, func(b []byte) error { return expectHit(b, h.HitID) }},
		{"open the 2,000-message, 20-branch chat (page of 50)", "<= 300", func() ([]byte, error) {
			return h.call(ctx, "GET", "/api/sessions/"+h.BranchyChat+"/messages?limit=50", nil)
		}, func(b []byte) error { return expectCount(b, "messages", 50) }},
		{"... the same chat, a page of 500", "", func() ([]byte, error) {
			return h.call(ctx, "GET", "/api/sessions/"+h.BranchyChat+"/messages?limit=500", nil)
		}, func(b []byte) error { return expectCount(b, "messages", 500) }},
	}
	var out []Timing
	for _, sc := range scenarios {
		tm := Timing{Name: sc.name, Target: sc.target}
		for i := 0; i <= runs; i++ {
			start := time.Now()
			body, err := sc.run()
			elapsed := time.Since(start)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", sc.name, err)
			}
			if err := sc.check(body); err != nil {
				return nil, fmt.Errorf("%s: %w", sc.name, err)
			}
			if i > 0 { // the first run warms the page cache
				tm.Samples = append(tm.Samples, elapsed)
			}
		}
		out = append(out, tm)
	}
	return out, nil
}

func expectCount(body []byte, field string, n int) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return err
	}
	var list []json.RawMessage
	if err := json.Unmarshal(m[field], &list); err != nil {
		return err
	}
	if len(list) != n {
		return fmt.Errorf("%d %s; want %d", len(list), field, n)
	}
	return nil
}

func expectHits(body []byte, n int) error {
	var res search.Result
	if err := json.Unmarshal(body, &res); err != nil {
		return err
	}
	got := 0
	for _, g := range res.Groups {
		got += len(g.Hits)
	}
	if got != n {
		return fmt.Errorf("search found %d; want %d", got, n)
	}
	return nil
}

func expectHit(body []byte, id string) error {
	var res struct {
		Page struct {
			Messages []struct{ ID, Content string }
			Current  bool
		}
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return err
	}
	for _, m := range res.Page.Messages {
		if m.ID == id && strings.Contains(m.Content, HitWord) && res.Page.Current {
			return nil
		}
	}
	return fmt.Errorf("the page around the hit (%d messages) lacks it", len(res.Page.Messages))
}
