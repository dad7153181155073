package app

import (
	"context"
	"fmt"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// wailsUI is the real UI: the Wails runtime.
type wailsUI struct{}

var _ UI = wailsUI{}

func (wailsUI) SaveFile(ctx context.Context, d SaveDialog) (string, error) {
	filters := make([]runtime.FileFilter, len(d.Filters))
	for i, f := range d.Filters {
		filters[i] = runtime.FileFilter{DisplayName: f.Name, Pattern: f.Pattern}
	}
	return runtime.SaveFileDialog(ctx, runtime.SaveDialogOptions{
		Title: d.Title, DefaultDirectory: d.Dir, DefaultFilename: d.Filename,
		Filters: filters, CanCreateDirectories: true,
	})
}

func (wailsUI) OpenFile(ctx context.Context, d OpenDialog) (string, error) {
	filters := make([]runtime.FileFilter, len(d.Filters))
	for i, f := range d.Filters {
		filters[i] = runtime.FileFilter{DisplayName: f.Name, Pattern: f.Pattern}
	}
	return runtime.OpenFileDialog(ctx, runtime.OpenDialogOptions{Title: d.Title, DefaultDirectory: d.Dir, Filters: filters})
}

func (wailsUI) OpenFiles(ctx context.Context, d OpenDialog) ([]string, error) {
	filters := make([]runtime.FileFilter, len(d.Filters))
	for i, f := range d.Filters {
		filters[i] = runtime.FileFilter{DisplayName: f.Name, Pattern: f.Pattern}
	}
	return runtime.OpenMultipleFilesDialog(ctx, runtime.OpenDialogOptions{Title: d.Title, DefaultDirectory: d.Dir, Filters: filters})
}

func (wailsUI) ChooseFolder(ctx context.Context, title, dir string) (string, error) {
	return runtime.OpenDirectoryDialog(ctx, runtime.OpenDialogOptions{
		Title: title, DefaultDirectory: dir, CanCreateDirectories: true,
	})
}

func (wailsUI) Message(ctx context.Context, kind MessageKind, title, text string) error {
	t := runtime.InfoDialog
	if kind == ErrorMessage {
		t = runtime.ErrorDialog
	}
	_, err := runtime.MessageDialog(ctx, runtime.MessageDialogOptions{Type: t, Title: title, Message: text})
	return err
}

func (wailsUI) Emit(ctx context.Context, event string, data ...any) {
	runtime.EventsEmit(ctx, event, data...)
}

func (wailsUI) On(ctx context.Context, event string, fn func(data ...any)) {
	runtime.EventsOn(ctx, event, fn)
}

func (wailsUI) Reload(ctx context.Context) { runtime.WindowReloadApp(ctx) }

func (wailsUI) ExecJS(ctx context.Context, js string) { runtime.WindowExecJS(ctx, js) }

func (wailsUI) OpenPath(_ context.Context, path string) error {
	cmd := openCommand(path)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	// Reap it; its exit code means nothing useful (explorer.exe returns 1).
	go cmd.Wait()
	return nil
}

func (wailsUI) Quit(ctx context.Context) { runtime.Quit(ctx) }

func (wailsUI) Focus(ctx context.Context) {
	runtime.WindowUnminimise(ctx)
	runtime.WindowShow(ctx)
}

func (wailsUI) Geometry(ctx context.Context) Geometry {
	w, h := runtime.WindowGetSize(ctx)
	x, y := runtime.WindowGetPosition(ctx)
	return Geometry{X: x, Y: y, Width: w, Height: h, Maximised: runtime.WindowIsMaximised(ctx)}
}

// SetGeometry restores a saved window, unless its place is off every
// screen now (a monitor was unplugged): then it stays centred.
func (wailsUI) SetGeometry(ctx context.Context, g Geometry) {
	if g.Maximised {
		runtime.WindowMaximise(ctx)
		return
	}
	runtime.WindowSetSize(ctx, g.Width, g.Height)
	screens, err := runtime.ScreenGetAll(ctx)
	if err != nil {
		return
	}
	for _, s := range screens {
		// Wails v2 reports screen sizes, not their origins: accept a place
		// whose corner lies within some screen's size.
		if g.X >= 0 && g.Y >= 0 && g.X+64 <= s.Size.Width && g.Y+64 <= s.Size.Height {
			runtime.WindowSetPosition(ctx, g.X, g.Y)
			return
		}
	}
}
