package export

import (
	"context"
	"io"
	"strings"
)

// Service serves single-chat exports from a Source; it fits the HTTP
// server's Exporter interface (GET /api/sessions/{id}/export).
type Service struct {
	Src Source
	// AppVersion is the running Holdfast's version, written into exports.
	AppVersion string
	// Files, optional, lets HTML exports embed attached images.
	Files Files
}

// Export writes session id in the named format to w. The chat is read in
// full before the first byte is written, so a read error leaves w
// untouched.
func (s Service) Export(ctx context.Context, w io.Writer, id, format string) error {
	f, err := ParseFormat(format)
	if err != nil {
		return err
	}
	c, err := Load(ctx, s.Src, id)
	if err != nil {
		return err
	}
	c.AppVersion = s.AppVersion
	c.Files = s.Files
	return Write(w, f, c)
}

// ContentType reports the MIME type and file extension (without the dot)
// of the named format.
func (s Service) ContentType(format string) (ctype, ext string, err error) {
	f, err := ParseFormat(format)
	if err != nil {
		return "", "", err
	}
	return f.ContentType(), strings.TrimPrefix(f.Ext(), "."), nil
}
