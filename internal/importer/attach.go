package importer

import (
	"archive/zip"
	"encoding/base64"
	"mime"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// fromZip fills a reference from the zip member holding the file.
func fromZip(a AttachmentRef, z *zipArchive, f *zip.File) AttachmentRef {
	if a.Name == "" {
		a.Name = sanitizeName(path.Base(cleanMemberName(f.Name)))
	}
	if a.MIME == "" {
		a.MIME = mimeByName(f.Name)
	}
	if a.Size <= 0 {
		a.Size = int64(f.UncompressedSize64)
	}
	a.SourcePath = cleanMemberName(f.Name)
	a.open = z.opener(f)
	return a
}

// sanitizeName makes a display name out of whatever a source called a
// file: no directories, no control characters, at most 255 bytes.
func sanitizeName(s string) string {
	s = strings.ReplaceAll(s, "\\", "/")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if s == "." || s == ".." {
		return ""
	}
	for len(s) > 255 {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// commonTypes keeps the usual types independent of the machine's mime
// database, so the same export reads the same everywhere.
var commonTypes = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".webp": "image/webp", ".svg": "image/svg+xml", ".heic": "image/heic", ".bmp": "image/bmp",
	".pdf": "application/pdf", ".txt": "text/plain", ".md": "text/markdown", ".csv": "text/csv",
	".json": "application/json", ".html": "text/html", ".htm": "text/html",
	".wav": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".webm": "video/webm", ".mp4": "video/mp4",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".zip":  "application/zip", ".py": "text/x-python", ".go": "text/x-go", ".js": "text/javascript",
}

func mimeByName(name string) string {
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(name, "\\", "/")))
	if ext == "" {
		return ""
	}
	if t, ok := commonTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		if mt, _, err := mime.ParseMediaType(t); err == nil {
			return mt
		}
	}
	return ""
}

// decodeDataURL reads a base64 data: URL (as Open WebUI and Cherry Studio
// store pasted images), refusing one that would decode to more than max
// bytes.
func decodeDataURL(u string, max int64) (mimeType string, data []byte, ok bool) {
	rest, found := strings.CutPrefix(u, "data:")
	if !found {
		return "", nil, false
	}
	meta, payload, found := strings.Cut(rest, ",")
	if !found || !strings.HasSuffix(meta, ";base64") {
		return "", nil, false
	}
	if int64(base64.StdEncoding.DecodedLen(len(payload))) > max {
		return "", nil, false
	}
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(payload))
	if err != nil {
		if data, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(payload), "=")); err != nil {
			return "", nil, false
		}
	}
	mimeType = strings.TrimSuffix(meta, ";base64")
	if i := strings.IndexByte(mimeType, ';'); i >= 0 {
		mimeType = mimeType[:i]
	}
	return strings.ToLower(strings.TrimSpace(mimeType)), data, true
}
