// Command seedhistory writes issue 12's seeded history into a data folder
// for the front-end bench (frontend/e2e/bench.mjs), which then serves it
// with `holdfast serve`. The history is internal/bench's (SeedHistory:
// by default 10,000 chats and 1,000,000 messages through the store's bulk
// loader, a chat whose path is 500,100 messages long, one of 2,000
// messages in 20 branches, a word in exactly 10 messages). It prints what
// the bench needs to find those as one JSON object.
//
//	go build -tags sqlite_fts5 -o bin/seedhistory ./scripts/seedhistory
//	bin/seedhistory -dir /tmp/x [-chats 10000 -messages 1000000]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/holdfast-chat/holdfast/internal/bench"
)

func main() {
	dir := flag.String("dir", "", "data folder to write holdfast.db into (created if missing; must not hold one)")
	chats := flag.Int("chats", 10_000, "chats")
	messages := flag.Int("messages", 1_000_000, "messages")
	flag.Parse()
	if err := run(*dir, *chats, *messages); err != nil {
		fmt.Fprintln(os.Stderr, "seedhistory:", err)
		os.Exit(1)
	}
}

func run(dir string, chats, messages int) error {
	if dir == "" {
		return fmt.Errorf("-dir is required")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	opts := bench.HistoryOptions{Chats: chats, Messages: messages}
	hitAt := 500_000          // HistoryOptions' default
	if messages < 1_000_000 { // smaller, same shapes (as `holdfast bench` scales it)
		opts.LongPath = messages / 2
		opts.HitAt = messages / 2
		hitAt = opts.HitAt
	}
	h, err := bench.SeedHistory(context.Background(), dir, opts)
	if err != nil {
		return err
	}
	// SeedHistory also serves the history; `holdfast serve` will do that here.
	h.Close()
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"seeded_ms":    h.Seeded.Milliseconds(),
		"long_chat":    h.LongChat,
		"hit_id":       h.HitID,
		"hit_at":       hitAt,
		"branchy_chat": h.BranchyChat,
		"needle":       bench.Needle,
		"hit_word":     bench.HitWord,
	})
}
