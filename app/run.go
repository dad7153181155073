package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/logger"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"
)

// Config is what Run needs; main fills it in.
type Config struct {
	Version string
	// Home is the data folder. Only its path is known before the window
	// starts; nothing is created in it until OnStartup.
	Home string
	// Assets is the built front end (frontend.Dist()).
	Assets fs.FS
	// Icon is the PNG shown for the window on Linux and in About on macOS.
	Icon []byte
	// Open opens and starts the backend (see BackendOpener).
	Open OpenBackend
	// TestHooks enables the smoke test's control files (HOLDFAST_TEST_HOOKS=1).
	TestHooks bool
}

// Run opens the window and blocks until the app quits.
//
// Wails runs this binary at build time to generate bindings, so nothing
// here may have side effects before wails.Run: the only thing done up
// front is reading the saved window size. The data folder, the log file,
// the database and the server are all opened in OnStartup.
func Run(cfg Config) error {
	sink := &logSink{fallback: os.Stderr}
	log := slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: logLevel()}))
	geom, geomErr := loadWindowState(windowStatePath(cfg.Home))

	ui := &wailsUI{}
	core := NewCore(CoreConfig{
		Version: cfg.Version, Home: cfg.Home, UI: ui, Open: cfg.Open, Log: log,
		Geometry: geom, TestHooks: cfg.TestHooks,
	})
	width, height, start := defaultWidth, defaultHeight, options.Normal
	if geom != nil {
		width, height = geom.Width, geom.Height
		if geom.Maximised {
			start = options.Maximised
		}
	}

	return wails.Run(&options.App{
		Title:            "Holdfast",
		Width:            width,
		Height:           height,
		MinWidth:         minWidth,
		MinHeight:        minHeight,
		WindowStartState: start,
		// The page paints its own theme at once; this only shows for the
		// first frames, so pick a neutral between light and dark.
		BackgroundColour:   options.NewRGB(0x2a, 0x2d, 0x33),
		AssetServer:        &assetserver.Options{Assets: cfg.Assets},
		Menu:               core.appMenu(),
		Logger:             wailsLogger{log: log.With("component", "wails")},
		LogLevel:           logger.INFO,
		LogLevelProduction: logger.WARNING,
		OnStartup: func(ctx context.Context) {
			if path, err := sink.open(cfg.Home); err != nil {
				log.Error("no log file", "err", err)
			} else {
				log.Info("starting", "version", cfg.Version, "log", path, "pid", os.Getpid())
			}
			if geomErr != nil {
				log.Warn("saved window state ignored", "err", geomErr)
			}
			quitOnSignal(ctx, ui, log)
			core.startup(ctx)
		},
		OnBeforeClose: core.beforeClose,
		OnShutdown: func(ctx context.Context) {
			core.shutdown(ctx)
			log.Info("stopped")
			sink.close()
		},
		Bind: []any{&App{core: core}},
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId: instanceID(cfg.Home),
			OnSecondInstanceLaunch: func(options.SecondInstanceData) {
				core.secondInstance()
			},
		},
		Linux: &linux.Options{
			Icon:        cfg.Icon,
			ProgramName: "holdfast",
			// Wails' own default (see wailsapp/wails#2977): GPU paths crash
			// on some drivers, and a chat window does not need them.
			WebviewGpuPolicy: linux.WebviewGpuPolicyNever,
		},
		Mac: &mac.Options{
			About: &mac.AboutInfo{
				Title:   "Holdfast " + cfg.Version,
				Message: "A desktop AI chat app whose answers never get lost.\n\nData: " + cfg.Home,
				Icon:    cfg.Icon,
			},
		},
		Windows: &windows.Options{},
	})
}

// secondInstance runs when the app is launched again for the same data
// folder: the new process exits and this window comes to the front.
func (c *Core) secondInstance() {
	c.log.Info("second launch: focusing the window")
	c.ui.Focus(c.wailsCtx())
	c.hooks.record("second-instance")
}

// instanceID makes the single-instance lock per data folder, so two
// installs (or a test run next to the user's app) do not block each
// other. Only [a-z0-9_] so it is a valid D-Bus name element on Linux.
func instanceID(home string) string {
	if abs, err := filepath.Abs(home); err == nil {
		home = abs
	}
	sum := sha256.Sum256([]byte(home))
	return "holdfast_" + hex.EncodeToString(sum[:8])
}

// quitOnSignal makes SIGINT and SIGTERM quit like File → Quit, so a
// logout or a kill still closes streams and SQLite cleanly.
func quitOnSignal(ctx context.Context, ui Desktop, log *slog.Logger) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-ch
		log.Info("quitting on signal", "signal", sig.String())
		ui.Quit(ctx)
	}()
}

func logLevel() slog.Level {
	if os.Getenv("HOLDFAST_DEBUG") == "1" {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// wailsLogger sends Wails' own log lines to our log.
type wailsLogger struct{ log *slog.Logger }

func (l wailsLogger) Print(m string)   { l.log.Info(m) }
func (l wailsLogger) Trace(m string)   { l.log.Debug(m) }
func (l wailsLogger) Debug(m string)   { l.log.Debug(m) }
func (l wailsLogger) Info(m string)    { l.log.Info(m) }
func (l wailsLogger) Warning(m string) { l.log.Warn(m) }
func (l wailsLogger) Error(m string)   { l.log.Error(m) }
func (l wailsLogger) Fatal(m string)   { l.log.Error(m); panic(fmt.Sprintf("wails: %s", m)) }
