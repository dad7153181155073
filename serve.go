package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/holdfast-chat/holdfast/frontend"
	"github.com/holdfast-chat/holdfast/internal/backend"
)

// runServe implements `holdfast serve`: the same backend as the desktop
// app, headless, serving the web UI too.
func runServe(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "", "loopback address to listen on (default: server.addr in config.toml; port 0 picks a free one)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	opts, logFile, err := backendOptions()
	if err != nil {
		fmt.Fprintln(os.Stderr, "holdfast:", err)
		return 1
	}
	defer logFile.Close()
	opts.Addr = *addr
	b, err := backend.Open(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "holdfast:", err)
		return 1
	}
	if err := b.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "holdfast:", err)
		b.Close(context.Background())
		return 1
	}
	fmt.Printf("Holdfast %s is serving %s/#token=%s\n", appVersion(), b.BaseURL(), b.Token())
	fmt.Printf("data folder: %s\n", b.Home())

	<-ctx.Done()
	fmt.Println("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Close(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "holdfast: shutdown:", err)
		return 1
	}
	return 0
}

// backendOptions reads the environment and opens the log file; everything
// the process does is constructed from here.
func backendOptions() (backend.Options, io.WriteCloser, error) {
	home, err := backend.DefaultHome()
	if err != nil {
		return backend.Options{}, nil, err
	}
	opts, err := backend.OptionsFromEnv(home)
	if err != nil {
		return backend.Options{}, nil, err
	}
	if err := os.MkdirAll(filepath.Join(home, "logs"), 0o700); err != nil {
		return backend.Options{}, nil, fmt.Errorf("create data folder: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(home, "logs", "holdfast.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return backend.Options{}, nil, fmt.Errorf("open log file: %w", err)
	}
	opts.Logger = slog.New(slog.NewTextHandler(io.MultiWriter(os.Stderr, f), &slog.HandlerOptions{Level: slog.LevelInfo}))
	opts.Version = appVersion()
	opts.Static = frontend.Dist()
	return opts, f, nil
}
