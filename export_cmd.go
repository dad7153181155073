package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/holdfast-chat/holdfast/internal/attach"
	"github.com/holdfast-chat/holdfast/internal/backend"
	"github.com/holdfast-chat/holdfast/internal/export"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// errUsage marks command-line mistakes (exit status 2).
var errUsage = errors.New("usage")

// runExport implements `holdfast export`:
//
//	holdfast export --session ID [--format md|json|html|jsonl] [-o PATH]
//	holdfast export --all [--format jsonl|md] -o PATH
//	holdfast export --session ID|--all -o PATH.zip
//
// The format defaults to the output's extension, else md for one chat
// and jsonl for all. One chat without -o goes to standard output. --all
// with md writes a folder of Markdown files at PATH. A PATH ending in .zip
// gets the JSON (one chat) or JSON Lines (--all) export with its files
// folder inside. Files are written atomically.
func runExport(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	msg, err := exportCmd(ctx, args, os.Stdout)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "holdfast export: %v\n", err)
		fmt.Fprintln(os.Stderr, "usage: holdfast export --session ID|--all --format md|json|html|jsonl -o PATH (a PATH ending in .zip: the JSON or JSON Lines export with its files)")
		return 2
	case err != nil:
		fmt.Fprintf(os.Stderr, "holdfast export: %v\n", err)
		return 1
	}
	if msg != "" {
		fmt.Fprintln(os.Stderr, msg)
	}
	return 0
}

func exportCmd(ctx context.Context, args []string, stdout io.Writer) (string, error) {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	session := fs.String("session", "", "id of the chat to export")
	all := fs.Bool("all", false, "export every chat")
	format := fs.String("format", "", "md, json, html or jsonl (default: from the output's extension)")
	out := fs.String("o", "", "output file (or folder for --all --format md); one chat without -o goes to standard output")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", err
		}
		return "", fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if (*session == "") == !*all {
		return "", fmt.Errorf("%w: give exactly one of --session ID or --all", errUsage)
	}
	if strings.EqualFold(filepath.Ext(*out), ".zip") {
		return exportZip(ctx, *session, *all, *format, *out)
	}
	f, err := pickFormat(*format, *out, *all)
	if err != nil {
		return "", err
	}
	if *all && *out == "" {
		return "", fmt.Errorf("%w: --all needs -o PATH", errUsage)
	}

	st, files, err := openStoreForExport(ctx)
	if err != nil {
		return "", err
	}
	defer st.Close()

	switch {
	case *all && f == export.Markdown:
		n, err := export.WriteMarkdownDirFiles(ctx, *out, st, files, appVersion())
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("exported %d chats to %s", n, *out), nil
	case *all:
		var n int
		err := export.WriteFileAtomic(*out, func(w io.Writer) error {
			var err error
			// The files go in a folder beside the file, where the lines
			// link them (`holdfast import` brings them back).
			n, err = export.WriteAllJSONLFiles(ctx, w, st, files, filepath.Dir(*out), export.FilesDirFor(*out), appVersion())
			return err
		})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("exported %d chats to %s", n, *out), nil
	}
	c, err := export.Load(ctx, st, *session)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("no chat with id %q", *session)
	}
	if err != nil {
		return "", err
	}
	c.AppVersion = appVersion()
	c.Files = files
	if *out == "" || *out == "-" {
		return "", export.Write(stdout, f, c)
	}
	// Markdown and JSON link the chat's files in a folder beside the
	// file; HTML embeds its images.
	c.FilesDir = export.FilesDirFor(*out)
	if f == export.Markdown || f == export.JSON {
		if _, err := export.WriteFiles(filepath.Dir(*out), c); err != nil {
			return "", err
		}
	}
	if err := export.WriteFileAtomic(*out, func(w io.Writer) error { return export.Write(w, f, c) }); err != nil {
		return "", err
	}
	return fmt.Sprintf("exported %q to %s", c.Session.Title, *out), nil
}

// exportZip writes a zip holding the JSON export of one chat (or the JSON
// Lines export of all) and its folder of files, which `holdfast import`
// and the app's import read back whole.
func exportZip(ctx context.Context, session string, all bool, format, out string) (string, error) {
	inner := export.JSON
	if all {
		inner = export.JSONLines
	}
	if format != "" {
		if f, err := export.ParseFormat(format); err != nil || f != inner {
			return "", fmt.Errorf("%w: a .zip holds a JSON export of one chat, or a JSON Lines export of all (--all); not --format %s", errUsage, format)
		}
	}
	st, files, err := openStoreForExport(ctx)
	if err != nil {
		return "", err
	}
	defer st.Close()
	name := strings.TrimSuffix(filepath.Base(out), filepath.Ext(out)) + inner.Ext()
	if all {
		var n int
		err := export.WriteFileAtomic(out, func(w io.Writer) error {
			var err error
			n, err = export.WriteAllZip(ctx, w, name, st, files, appVersion())
			return err
		})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("exported %d chats to %s", n, out), nil
	}
	c, err := export.Load(ctx, st, session)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("no chat with id %q", session)
	}
	if err != nil {
		return "", err
	}
	c.AppVersion, c.Files = appVersion(), files
	if err := export.WriteFileAtomic(out, func(w io.Writer) error { return export.WriteChatZip(w, name, c) }); err != nil {
		return "", err
	}
	return fmt.Sprintf("exported %q to %s", c.Session.Title, out), nil
}

// pickFormat settles the format from --format, else the output's
// extension, else the default for one chat or all.
func pickFormat(flagValue, out string, all bool) (export.Format, error) {
	var f export.Format
	switch {
	case flagValue != "":
		var err error
		if f, err = export.ParseFormat(flagValue); err != nil {
			return "", fmt.Errorf("%w: %v", errUsage, err)
		}
	case all:
		f = export.JSONLines
		if ext := filepath.Ext(out); ext == "" {
			// A path without an extension is taken as the folder of
			// Markdown files.
			f = export.Markdown
		} else if g, err := export.ParseFormat(ext); err == nil {
			f = g
		}
	default:
		f = export.Markdown
		if g, err := export.ParseFormat(filepath.Ext(out)); err == nil {
			f = g
		}
	}
	if all && f != export.JSONLines && f != export.Markdown {
		return "", fmt.Errorf("%w: --all writes jsonl (one file) or md (a folder of files), not %s", errUsage, f)
	}
	return f, nil
}

// openStoreForExport opens the data folder's database for reading chats,
// and its attachments folder. It deliberately does not start a backend:
// that would recover (and resume) answers a running desktop app is still
// streaming.
func openStoreForExport(ctx context.Context) (*store.Store, *attach.Files, error) {
	home, err := backend.DefaultHome()
	if err != nil {
		return nil, nil, err
	}
	path := backend.DatabasePath(home)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("no Holdfast database in %s (set HOLDFAST_HOME to the data folder)", home)
		}
		return nil, nil, fmt.Errorf("open database: %w", err)
	}
	files, err := attach.OpenFiles(backend.AttachmentsPath(home))
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, path, store.Options{Readers: 1})
	return st, files, err
}
