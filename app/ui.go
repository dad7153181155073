package app

import "context"

// The window side of the app sits behind these interfaces so the logic in
// Core runs in tests without a window. Every ctx passed in is the one Wails
// gave OnStartup (or one derived from it): the Wails runtime finds the
// window through it.

// Dialogs shows native dialogs.
type Dialogs interface {
	// SaveFile asks where to save a file; "" means the user cancelled.
	SaveFile(ctx context.Context, d SaveDialog) (string, error)
	// OpenFile asks for an existing file; "" means the user cancelled.
	OpenFile(ctx context.Context, d OpenDialog) (string, error)
	// OpenFiles asks for one or more existing files; none means the user
	// cancelled.
	OpenFiles(ctx context.Context, d OpenDialog) ([]string, error)
	// ChooseFolder asks for a folder; "" means the user cancelled.
	ChooseFolder(ctx context.Context, title, dir string) (string, error)
	// Message shows a message and waits until it is dismissed.
	Message(ctx context.Context, kind MessageKind, title, text string) error
}

// Page talks to the web page in the window through Wails events.
type Page interface {
	Emit(ctx context.Context, event string, data ...any)
	On(ctx context.Context, event string, fn func(data ...any))
	Reload(ctx context.Context)
	// ExecJS runs a script in the page (test hooks only).
	ExecJS(ctx context.Context, js string)
}

// Desktop is the rest of the window and the OS.
type Desktop interface {
	// OpenPath shows a file or folder in the OS file manager.
	OpenPath(ctx context.Context, path string) error
	Quit(ctx context.Context)
	// Focus brings the window to the front, unminimised.
	Focus(ctx context.Context)
	Geometry(ctx context.Context) Geometry
	SetGeometry(ctx context.Context, g Geometry)
}

// UI is everything Core needs from the window.
type UI interface {
	Dialogs
	Page
	Desktop
}

// SaveDialog describes a save-file dialog.
type SaveDialog struct {
	Title    string
	Dir      string // start folder ("" = the OS default)
	Filename string // suggested name
	Filters  []FileFilter
}

// OpenDialog describes an open-file dialog.
type OpenDialog struct {
	Title   string
	Dir     string // start folder ("" = the OS default)
	Filters []FileFilter
}

// FileFilter is one entry of a dialog's file type list.
type FileFilter struct {
	Name    string // "Markdown (*.md)"
	Pattern string // "*.md"
}

// MessageKind is the icon and tone of a message dialog.
type MessageKind int

// Message kinds.
const (
	InfoMessage MessageKind = iota
	ErrorMessage
)

// Geometry is the window's size and position, in screen pixels.
type Geometry struct {
	X         int  `json:"x"`
	Y         int  `json:"y"`
	Width     int  `json:"width"`
	Height    int  `json:"height"`
	Maximised bool `json:"maximised"`
}
