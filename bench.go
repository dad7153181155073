package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/holdfast-chat/holdfast/internal/bench"
)

// runBench implements `holdfast bench`: the streaming scenarios of
// internal/bench, end to end on loopback, several runs, medians printed.
func runBench(args []string) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	runs := fs.Int("runs", 3, "runs per scenario (the median is shown)")
	events := fs.Int("events", 200_000, "events appended and delivered to one subscriber")
	fanEvents := fs.Int("fanout-events", 100_000, "events delivered to each of -subs subscribers")
	subs := fs.Int("subs", 50, "subscribers in the fan-out scenario")
	latN := fs.Int("latency-events", 2000, "events in the latency scenario (sent at 1,000/s)")
	missed := fs.Int("replay", 100_000, "missed events a reconnecting client replays")
	streaming := fs.Bool("streaming", true, "time the streaming scenarios")
	history := fs.Bool("history", true, "seed a large history and time the history scenarios")
	chats := fs.Int("chats", 10_000, "chats in the seeded history")
	messages := fs.Int("messages", 1_000_000, "messages in the seeded history")
	historyRuns := fs.Int("history-runs", 15, "runs per history scenario (the median is shown)")
	imports := fs.Bool("import", true, "time importing a generated ChatGPT export of 5,000 conversations, 100,000 messages")
	importRuns := fs.Int("import-runs", 3, "runs of the import scenario (the median is shown)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx := context.Background()
	type row struct {
		name, unit, target string
		vals               []float64
	}
	rows := []*row{
		{name: "append + deliver, 1 subscriber", unit: "events/s", target: ">= 250,000"},
		{name: fmt.Sprintf("append + deliver, %d subscribers (aggregate)", *subs), unit: "events/s", target: ">= 3,000,000"},
		{name: "append -> receive p50 at 1,000 events/s", unit: "ms", target: ""},
		{name: "append -> receive p99 at 1,000 events/s", unit: "ms", target: "<= 0.5"},
		{name: fmt.Sprintf("replay %d missed events after restart", *missed), unit: "ms", target: "<= 150"},
		{name: "first missed event after the server is ready", unit: "ms", target: "<= 20"},
	}
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "holdfast bench:", err)
		return 1
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	if !*streaming {
		rows, *runs = nil, 0
	}
	for i := 0; i < *runs; i++ {
		dir, err := os.MkdirTemp("", "holdfast-bench-")
		if err != nil {
			return fail(err)
		}
		err = func() error {
			defer os.RemoveAll(dir)
			e, err := bench.Open(ctx, dir)
			if err != nil {
				return err
			}
			defer e.Close()
			one, err := bench.Deliver(ctx, e, *events, 1)
			if err != nil {
				return err
			}
			fan, err := bench.Deliver(ctx, e, *fanEvents, *subs)
			if err != nil {
				return err
			}
			lat, err := bench.Latency(ctx, e, *latN, 1000)
			if err != nil {
				return err
			}
			rep, err := bench.Replay(ctx, dir+"/replay", *missed)
			if err != nil {
				return err
			}
			for j, v := range []float64{one.PerSec, fan.PerSec, ms(lat.P50), ms(lat.P99), ms(rep.All), ms(rep.FirstEvent)} {
				rows[j].vals = append(rows[j].vals, v)
			}
			return nil
		}()
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(os.Stderr, "run %d of %d done\n", i+1, *runs)
	}
	if *history {
		hist, seeded, err := benchHistory(ctx, *chats, *messages, *historyRuns)
		if err != nil {
			return fail(err)
		}
		rows = append(rows, &row{name: fmt.Sprintf("seed %d chats, %d messages (store, big transactions)", *chats, *messages),
			unit: "s", target: "< 60", vals: []float64{seeded.Seconds()}})
		for _, h := range hist {
			var vals []float64
			for _, d := range h.Samples {
				vals = append(vals, ms(d))
			}
			rows = append(rows, &row{name: h.Name, unit: "ms", target: h.Target, vals: vals})
		}
	}
	if *imports {
		vals, indexed, err := benchImport(ctx, *importRuns)
		if err != nil {
			return fail(err)
		}
		rows = append(rows, &row{name: fmt.Sprintf("import %d ChatGPT conversations, %d messages", bench.ImportSpec.Convs, bench.ImportSpec.Convs*bench.ImportSpec.Msgs),
			unit: "s", target: "<= 10", vals: vals},
			&row{name: "  ... and indexed for search (background indexer)", unit: "s", vals: indexed})
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario\tmedian\tmin\tmax\tunit\ttarget\n")
	for _, r := range rows {
		sort.Float64s(r.vals)
		format := "%.0f"
		if r.unit == "ms" || r.unit == "s" {
			format = "%.2f"
		}
		f := func(v float64) string { return fmt.Sprintf(format, v) }
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.name, f(r.vals[len(r.vals)/2]), f(r.vals[0]), f(r.vals[len(r.vals)-1]), r.unit, r.target)
	}
	tw.Flush()
	return 0
}

// benchHistory seeds a history of chats and messages once and times the
// history scenarios (sessions list, search, opening a hit, a branchy chat).
func benchHistory(ctx context.Context, chats, messages, runs int) ([]bench.Timing, time.Duration, error) {
	dir, err := os.MkdirTemp("", "holdfast-bench-history-")
	if err != nil {
		return nil, 0, err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(os.Stderr, "seeding %d chats and %d messages\n", chats, messages)
	opts := bench.HistoryOptions{Chats: chats, Messages: messages}
	if messages < 1_000_000 { // a smaller history keeps the shapes, scaled down
		opts.LongPath = messages / 2
		opts.HitAt = messages / 2
	}
	h, err := bench.SeedHistory(ctx, dir, opts)
	if err != nil {
		return nil, 0, err
	}
	defer h.Close()
	fmt.Fprintf(os.Stderr, "seeded in %v; timing the history scenarios\n", h.Seeded.Round(time.Millisecond))
	t, err := h.Measure(ctx, runs)
	return t, h.Seeded, err
}

// benchImport writes a ChatGPT export once and imports it runs times,
// each into a new database: the seconds to the end of the import, and to
// the end of its search indexing.
func benchImport(ctx context.Context, runs int) (imported, indexed []float64, err error) {
	dir, err := os.MkdirTemp("", "holdfast-bench-import-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	path, err := bench.WriteImportFile(dir, bench.ImportSpec)
	if err != nil {
		return nil, nil, err
	}
	for i := 0; i < runs; i++ {
		db := filepath.Join(dir, fmt.Sprintf("run%d", i))
		if err := os.Mkdir(db, 0o700); err != nil {
			return nil, nil, err
		}
		took, err := bench.Import(ctx, db, path, bench.ImportSpec)
		if err != nil {
			return nil, nil, err
		}
		os.RemoveAll(db)
		imported = append(imported, took.Import.Seconds())
		indexed = append(indexed, took.Indexed.Seconds())
		fmt.Fprintf(os.Stderr, "import run %d of %d: %v (indexed for search after %v)\n", i+1, runs, took.Import.Round(time.Millisecond), took.Indexed.Round(time.Millisecond))
	}
	return imported, indexed, nil
}
