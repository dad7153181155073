package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/holdfast-chat/holdfast/internal/attach"
	"github.com/holdfast-chat/holdfast/internal/backend"
	"github.com/holdfast-chat/holdfast/internal/importjob"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// runImport implements `holdfast import`:
//
//	holdfast import PATH [--format auto|holdfast|chatgpt|claude|...] [--dry-run] [--model REF]
//
// It writes into the data folder's database directly (like export, it
// starts no backend). A running app shows the new chats at its next
// reload of the chat list. Ctrl-C stops after the chats already stored.
func runImport(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := importCmd(ctx, args, os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "holdfast import: %v\n", err)
		fmt.Fprintln(os.Stderr, importUsage)
		return 2
	case err != nil:
		fmt.Fprintf(os.Stderr, "holdfast import: %v\n", err)
		return 1
	}
	return 0
}

const importUsage = "usage: holdfast import PATH [--format auto|" + "holdfast|chatgpt|claude|openwebui|librechat|cherrystudio|chatbox] [--dry-run] [--model PROVIDER/MODEL]"

func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "auto", "the app that wrote the file: auto, "+strings.Join(importjob.Formats(), ", "))
	dryRun := fs.Bool("dry-run", false, "read and check the file, report what would be imported, write nothing")
	model := fs.String("model", "", "the model imported chats continue with (default: the model the source used)")
	// Flags may come before or after PATH.
	var paths []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		paths = append(paths, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(paths) != 1 {
		return fmt.Errorf("%w: give exactly one file to import", errUsage)
	}
	if _, err := importjob.ParseFormat(*format); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	home, err := backend.DefaultHome()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	st, err := store.Open(ctx, backend.DatabasePath(home), store.Options{Readers: 1})
	if err != nil {
		return err
	}
	defer st.Close()
	// Attached files of a Holdfast export go where the app keeps them,
	// checked and kept like uploads.
	files, err := attach.OpenFiles(backend.AttachmentsPath(home))
	if err != nil {
		return err
	}
	uploads := attach.NewService(files, attach.StoreLog{Store: st}, st, 0, nil)
	last := -1
	sum, err := importjob.Run(ctx, st, paths[0], importjob.Options{Format: *format, DryRun: *dryRun, Model: *model, Files: uploads,
		Progress: func(p importjob.Progress) {
			// A line every 5% on a big file keeps a terminal informed
			// without flooding it.
			if p.Total >= 200 && p.Done*20/p.Total != last {
				last = p.Done * 20 / p.Total
				fmt.Fprintf(stderr, "  %d / %d conversations\n", p.Done, p.Total)
			}
		}})
	if err != nil {
		if sum.Imported > 0 {
			// The file broke off after some chats: those are stored, whole.
			printSummary(stdout, paths[0], sum)
		}
		return err
	}
	printSummary(stdout, paths[0], sum)
	return nil
}

// printSummary says what an import did, each skipped chat with its reason.
func printSummary(w io.Writer, path string, sum importjob.Summary) {
	verb := "imported"
	if sum.DryRun {
		verb = "would import"
	}
	fmt.Fprintf(w, "%s (%s): %s %d of %d conversations (%d messages)", path, sum.Format, verb, sum.Imported, sum.Total, sum.Messages)
	if sum.Duplicates > 0 {
		fmt.Fprintf(w, ", %d already imported", sum.Duplicates)
	}
	if sum.Failed > 0 {
		fmt.Fprintf(w, ", %d skipped", sum.Failed)
	}
	if sum.Files > 0 || sum.MissingFiles > 0 {
		fmt.Fprintf(w, "; %d attached files", sum.Files)
		if sum.MissingFiles > 0 {
			fmt.Fprintf(w, ", %d missing (named in their messages)", sum.MissingFiles)
		}
	}
	fmt.Fprintln(w)
	if sum.Cancelled {
		fmt.Fprintln(w, "stopped before the end: the conversations listed as imported are stored whole; run the same import again to finish it")
	}
	for _, k := range sum.Skipped {
		fmt.Fprintf(w, "  skipped: %v\n", &k)
	}
	if more := sum.Failed - len(sum.Skipped); more > 0 {
		fmt.Fprintf(w, "  and %d more skipped\n", more)
	}
	for _, n := range sum.Notes {
		fmt.Fprintf(w, "  note (%s): %s\n", n.Title, n.Text)
	}
}
