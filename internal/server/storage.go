package server

import (
	"net/http"
	"time"

	"github.com/holdfast-chat/holdfast/internal/eventlog"
	"github.com/holdfast-chat/holdfast/internal/store"
)

// Words for a storage fault, as the banner shows them and REST errors
// say them.
const (
	busyWords = "another program is holding the database"
	fullWords = "the disk is full: free space to continue"
)

// storageData is the payload of the `storage` event and of /api/health's
// "storage": whether the database can be written, and if not why. The
// event is not logged (the log cannot be written while this matters), so
// like heartbeat it has no id; a stream sends it after hello while a
// fault is on, and whenever the state changes.
type storageData struct {
	State   string `json:"state"`             // "ok", "busy" or "full"
	Message string `json:"message,omitempty"` // what the banner says
	Since   string `json:"since,omitempty"`   // RFC 3339, when the fault began
}

func storageState(f eventlog.Fault) storageData {
	d := storageData{State: "ok"}
	switch f.Kind {
	case eventlog.FaultBusy:
		d = storageData{State: "busy", Message: busyWords}
	case eventlog.FaultFull:
		d = storageData{State: "full", Message: fullWords}
	default:
		return d
	}
	d.Since = f.Since.UTC().Format(time.RFC3339Nano)
	return d
}

// storageFailure answers a write that met a storage fault: 507
// storage_full or 503 storage_busy, with words a person understands.
// It reports false for any other error.
func storageFailure(w http.ResponseWriter, err error) bool {
	switch store.Fault(err) {
	case store.ErrFull:
		writeError(w, http.StatusInsufficientStorage, "storage_full",
			"The disk is full, so nothing was saved. Free space on the disk that holds Holdfast's data, then try again.")
		return true
	case store.ErrBusy:
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "storage_busy",
			"Another program is holding Holdfast's database, so nothing was saved. Close it (or wait for it to finish), then try again.")
		return true
	}
	return false
}

// storage sends the current storage state and returns the channel that
// closes at its next change.
func (c *streamConn) storage() <-chan struct{} {
	f, changed := c.srv.cfg.Events.Fault()
	c.send("", "storage", storageState(f))
	return changed
}
