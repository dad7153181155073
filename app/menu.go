package app

import (
	"context"
	"runtime"

	"github.com/wailsapp/wails/v2/pkg/menu"
	"github.com/wailsapp/wails/v2/pkg/menu/keys"

	"github.com/holdfast-chat/holdfast/internal/export"
)

// Action ids: the menu and the test hooks run actions by id.
const (
	ActNewChat         = "file.new-chat"
	ActImport          = "file.import"
	ActExportMarkdown  = "file.export.md"
	ActExportJSON      = "file.export.json"
	ActExportHTML      = "file.export.html"
	ActExportAllJSONL  = "file.export-all.jsonl"
	ActExportAllFolder = "file.export-all.markdown-folder"
	ActOpenDataFolder  = "file.open-data-folder"
	ActQuit            = "file.quit"
	ActReload          = "view.reload"
	ActToggleTheme     = "view.toggle-theme"
	ActRestartBackend  = "view.restart-backend"
	ActShortcuts       = "help.shortcuts"
	ActAbout           = "help.about"
	ActOpenLogs        = "help.open-logs"
)

// actSeparator marks a separator among a menu's entries.
const actSeparator = ""

// Titles of the error dialogs actions show.
const (
	errTitleExport     = "Export failed"
	errTitleImport     = "Import failed"
	errTitleRestart    = "Restart Backend failed"
	errTitleOpenFolder = "Could not open the folder"
	errTitleGeneric    = "Holdfast"
)

// action is one menu command.
type action struct {
	id    string
	label string
	accel *keys.Accelerator
	run   func(ctx context.Context) error
	// errTitle heads the error dialog when run fails.
	errTitle string
}

// menuGroup is a top-level menu or a submenu: a label and its entries
// (actions, submenus, or separators as actSeparator).
type menuGroup struct {
	label   string
	entries []any // action | menuGroup | string(actSeparator)
}

// menuTree is the whole menu: every action, in menu order.
func (c *Core) menuTree() []menuGroup {
	emit := func(event string) func(ctx context.Context) error {
		return func(ctx context.Context) error { c.ui.Emit(ctx, event); return nil }
	}
	exportAs := func(f export.Format) func(ctx context.Context) error {
		return func(ctx context.Context) error { _, err := c.exportChat(ctx, f); return err }
	}
	return []menuGroup{
		{label: "File", entries: []any{
			action{id: ActNewChat, label: "New Chat", accel: keys.CmdOrCtrl("n"), run: emit(EventNewChat)},
			actSeparator,
			action{id: ActImport, label: "Import…", accel: keys.CmdOrCtrl("o"), run: func(ctx context.Context) error {
				_, err := c.importFile(ctx)
				return err
			}, errTitle: errTitleImport},
			menuGroup{label: "Export Chat", entries: []any{
				action{id: ActExportMarkdown, label: "Markdown…", accel: keys.CmdOrCtrl("e"), run: exportAs(export.Markdown), errTitle: errTitleExport},
				action{id: ActExportJSON, label: "JSON…", run: exportAs(export.JSON), errTitle: errTitleExport},
				action{id: ActExportHTML, label: "HTML…", run: exportAs(export.HTML), errTitle: errTitleExport},
			}},
			menuGroup{label: "Export All Chats", entries: []any{
				action{id: ActExportAllJSONL, label: "One JSON Lines File…", run: func(ctx context.Context) error {
					_, err := c.exportAllJSONL(ctx)
					return err
				}, errTitle: errTitleExport},
				action{id: ActExportAllFolder, label: "Folder of Markdown Files…", run: func(ctx context.Context) error {
					_, err := c.exportAllMarkdown(ctx)
					return err
				}, errTitle: errTitleExport},
			}},
			actSeparator,
			action{id: ActOpenDataFolder, label: "Open Data Folder", run: c.openDataFolder, errTitle: errTitleOpenFolder},
			actSeparator,
			action{id: ActQuit, label: "Quit", accel: keys.CmdOrCtrl("q"), run: func(ctx context.Context) error { c.ui.Quit(ctx); return nil }},
		}},
		{label: "View", entries: []any{
			action{id: ActReload, label: "Reload", accel: keys.CmdOrCtrl("r"), run: func(ctx context.Context) error { c.ui.Reload(ctx); return nil }},
			action{id: ActToggleTheme, label: "Toggle Theme", accel: keys.Combo("l", keys.CmdOrCtrlKey, keys.ShiftKey), run: emit(EventToggleTheme)},
			actSeparator,
			action{id: ActRestartBackend, label: "Restart Backend", run: c.restartBackend, errTitle: errTitleRestart},
		}},
		{label: "Help", entries: []any{
			// No accelerator: the page handles Ctrl/Cmd+/ itself (the menu would swallow the key).
			action{id: ActShortcuts, label: "Keyboard Shortcuts", run: emit(EventShortcuts)},
			action{id: ActAbout, label: "About Holdfast", run: c.about},
			action{id: ActOpenLogs, label: "Open Logs", run: c.openLogs, errTitle: errTitleOpenFolder},
		}},
	}
}

// findAction looks an action up by id.
func (c *Core) findAction(id string) (action, bool) {
	var found action
	ok := false
	var walk func([]any)
	walk = func(entries []any) {
		for _, e := range entries {
			switch e := e.(type) {
			case action:
				if e.id == id {
					found, ok = e, true
				}
			case menuGroup:
				walk(e.entries)
			}
		}
	}
	for _, g := range c.menuTree() {
		walk(g.entries)
	}
	return found, ok
}

// do runs an action with the Wails context and reports its error.
func (c *Core) do(a action) {
	ctx := c.wailsCtx()
	c.log.Debug("menu action", "id", a.id)
	if err := a.run(ctx); err != nil {
		title := a.errTitle
		if title == "" {
			title = errTitleGeneric
		}
		c.report(ctx, title, err)
	}
}

// appMenu builds the native application menu. Wails runs click callbacks
// on their own goroutine, so actions may block on dialogs.
func (c *Core) appMenu() *menu.Menu {
	m := menu.NewMenu()
	if runtime.GOOS == "darwin" {
		m.Append(menu.AppMenu())
	}
	for i, g := range c.menuTree() {
		m.Append(menu.SubMenu(g.label, c.buildMenu(g.entries)))
		// The platform's own Edit menu, where there is one, after File.
		// Elsewhere the web view's built-in shortcuts and context menu
		// (cut, copy, paste, select all) already work, and a home-made
		// Edit menu would take those keys away from it.
		if i == 0 && runtime.GOOS == "darwin" {
			m.Append(menu.EditMenu())
		}
	}
	if runtime.GOOS == "darwin" {
		m.Append(menu.WindowMenu())
	}
	return m
}

func (c *Core) buildMenu(entries []any) *menu.Menu {
	m := menu.NewMenu()
	for _, e := range entries {
		switch e := e.(type) {
		case string:
			m.AddSeparator()
		case menuGroup:
			m.Append(menu.SubMenu(e.label, c.buildMenu(e.entries)))
		case action:
			m.AddText(e.label, e.accel, func(*menu.CallbackData) { c.do(e) })
		}
	}
	return m
}
