// Package app is the Wails side of Holdfast: the window, its native menus
// and dialogs, and the binding that tells the page where the in-process
// server listens. Everything that does not need a window lives in
// internal/; the logic here (Core) reaches the window only through the UI
// interface, so it is tested with a fake.
package app

import "time"

// App is bound to the page: the front end calls
// window.go.app.App.ConnectionInfo(). Every exported method here is
// callable from JavaScript, so there are few.
type App struct {
	core *Core
}

// connectionWait bounds how long the page's first ConnectionInfo call
// waits for the backend to open the database and listen.
const connectionWait = 30 * time.Second

// ConnectionInfo returns the server's base URL and token. The page calls
// it before every connection attempt, so after Restart Backend (a new
// port) it follows the server. It waits for start-up to finish.
func (a *App) ConnectionInfo() (ConnectionInfo, error) {
	return a.core.connectionInfo(connectionWait)
}

// RestartBackend restarts the in-process server (the View menu's Restart
// Backend): the page offers it when the server is down. The error, if it
// fails again, is the page's to show.
func (a *App) RestartBackend() error {
	return a.core.restartBackend(a.core.wailsCtx())
}

// PickAttachments shows the native file dialog for the composer's
// paperclip and stores the picked files like uploads; room is how many
// more files the message takes. The page adds the stored files as ready
// chips and shows why each refused one was refused.
func (a *App) PickAttachments(room int) (Picked, error) {
	return a.core.pickAttachments(a.core.wailsCtx(), room)
}
