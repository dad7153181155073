package app

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// fakeUI stands in for the window. Dialog answers are set per test; what
// the app showed or sent is recorded.
type fakeUI struct {
	mu sync.Mutex

	// What the "user" picks. nil SaveFn/FolderFn cancel.
	SaveFn   func(SaveDialog) (string, error)
	FolderFn func(title, dir string) (string, error)
	OpenFn   func(OpenDialog) (string, error)
	// OpenFilesFn answers the multi-file open dialog (nil cancels).
	OpenFilesFn func(OpenDialog) ([]string, error)
	OpenErr     error

	saves    []SaveDialog
	opens    []OpenDialog // multi-file open dialogs shown
	folders  []string
	messages []shown
	emitted  []emitted
	handlers map[string][]func(...any)
	opened   []string
	quits    int
	reloads  int
	scripts  []string
	focuses  int
	geometry Geometry
	setGeo   []Geometry
	messaged chan struct{} // gets a value per message shown
}

type shown struct {
	kind        MessageKind
	title, text string
}

type emitted struct {
	event string
	data  []any
}

func newFakeUI() *fakeUI {
	return &fakeUI{handlers: map[string][]func(...any){}, messaged: make(chan struct{}, 100)}
}

func (f *fakeUI) SaveFile(_ context.Context, d SaveDialog) (string, error) {
	f.mu.Lock()
	f.saves = append(f.saves, d)
	fn := f.SaveFn
	f.mu.Unlock()
	if fn == nil {
		return "", nil
	}
	return fn(d)
}

func (f *fakeUI) OpenFile(_ context.Context, d OpenDialog) (string, error) {
	f.mu.Lock()
	fn := f.OpenFn
	f.mu.Unlock()
	if fn == nil {
		return "", nil
	}
	return fn(d)
}

func (f *fakeUI) OpenFiles(_ context.Context, d OpenDialog) ([]string, error) {
	f.mu.Lock()
	f.opens = append(f.opens, d)
	fn := f.OpenFilesFn
	f.mu.Unlock()
	if fn == nil {
		return nil, nil
	}
	return fn(d)
}

func (f *fakeUI) ChooseFolder(_ context.Context, title, dir string) (string, error) {
	f.mu.Lock()
	f.folders = append(f.folders, title)
	fn := f.FolderFn
	f.mu.Unlock()
	if fn == nil {
		return "", nil
	}
	return fn(title, dir)
}

func (f *fakeUI) Message(_ context.Context, kind MessageKind, title, text string) error {
	f.mu.Lock()
	f.messages = append(f.messages, shown{kind, title, text})
	f.mu.Unlock()
	f.messaged <- struct{}{}
	return nil
}

func (f *fakeUI) Emit(_ context.Context, event string, data ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.emitted = append(f.emitted, emitted{event, data})
}

func (f *fakeUI) On(_ context.Context, event string, fn func(...any)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[event] = append(f.handlers[event], fn)
}

// fire is the page emitting an event.
func (f *fakeUI) fire(event string, data ...any) {
	f.mu.Lock()
	hs := append([]func(...any){}, f.handlers[event]...)
	f.mu.Unlock()
	for _, h := range hs {
		h(data...)
	}
}

func (f *fakeUI) Reload(context.Context) { f.mu.Lock(); f.reloads++; f.mu.Unlock() }
func (f *fakeUI) Quit(context.Context)   { f.mu.Lock(); f.quits++; f.mu.Unlock() }
func (f *fakeUI) Focus(context.Context)  { f.mu.Lock(); f.focuses++; f.mu.Unlock() }

func (f *fakeUI) ExecJS(_ context.Context, js string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts = append(f.scripts, js)
}

func (f *fakeUI) ranScripts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.scripts...)
}

func (f *fakeUI) OpenPath(_ context.Context, path string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.OpenErr != nil {
		return f.OpenErr
	}
	f.opened = append(f.opened, path)
	return nil
}

func (f *fakeUI) Geometry(context.Context) Geometry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.geometry
}

func (f *fakeUI) SetGeometry(_ context.Context, g Geometry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setGeo = append(f.setGeo, g)
}

func (f *fakeUI) shownMessages() []shown {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]shown{}, f.messages...)
}

func (f *fakeUI) emittedEvents() []emitted {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]emitted{}, f.emitted...)
}

var errDialogBroken = errors.New("dialog broken")

func failOpen(context.Context, *slog.Logger) (Backend, error) {
	return nil, errors.New("no backend in this test")
}
