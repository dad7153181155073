package llm

import (
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"strings"
)

// AttachmentKind is what a file is to a model.
type AttachmentKind string

// The kinds of attachment a message carries.
const (
	AttachImage AttachmentKind = "image"
	AttachPDF   AttachmentKind = "pdf"
	AttachText  AttachmentKind = "text"
)

// Attachment is a file sent with a user message, ready for a provider:
// an image already scaled to the provider's ImageLimit.
type Attachment struct {
	Name string
	Kind AttachmentKind
	MIME string // of Data
	Data []byte // images, PDFs
	Text string // text files: the content; PDFs: the extracted text ("" for a scan)
	// Omitted says the file is not sent (an image to a model that cannot
	// see): the model is told its name only.
	Omitted bool
}

// ImageLimit is the largest image a provider takes as it is; larger ones
// are scaled down before sending (docs/attachments.md lists the sizes).
type ImageLimit struct {
	MaxEdge  int   // longest edge, pixels
	MaxBytes int64 // encoded size
}

// Image limits per provider. Anthropic scales anything over 1568 px on
// the long edge down itself (so sending more only costs time) and refuses
// images over 5 MB; OpenAI's high-detail mode fits images into 2048 px
// and takes up to 20 MB, and local servers (llama.cpp, Ollama) do best
// with the same.
const (
	AnthropicMaxEdge  = 1568
	AnthropicMaxBytes = 5_000_000
	OpenAIMaxEdge     = 2048
	OpenAIMaxBytes    = 20_000_000
)

// ImageLimitOf is the image limit of p (or the provider it wraps); the
// OpenAI-compatible one when it names none.
func ImageLimitOf(p Provider) ImageLimit {
	for p != nil {
		if l, ok := p.(interface{ ImageLimit() ImageLimit }); ok {
			return l.ImageLimit()
		}
		u, ok := p.(interface{ Unwrap() Provider })
		if !ok {
			break
		}
		p = u.Unwrap()
	}
	return ImageLimit{MaxEdge: OpenAIMaxEdge, MaxBytes: OpenAIMaxBytes}
}

// Vision says whether a model takes images, and how that is known.
type Vision struct {
	Can bool
	// Known is false when nothing said either way (then images are sent
	// and the server decides).
	Known  bool
	Source string // "setting", "server", "provider", or "" when unknown
}

// CanSee asks p (or the provider it wraps) whether model takes images.
func CanSee(ctx context.Context, p Provider, model string) Vision {
	for p != nil {
		if v, ok := p.(interface {
			Vision(context.Context, string) Vision
		}); ok {
			return v.Vision(ctx, model)
		}
		u, ok := p.(interface{ Unwrap() Provider })
		if !ok {
			break
		}
		p = u.Unwrap()
	}
	return Vision{}
}

// FileText is how a text file, a PDF's extracted text, or a file the
// model cannot take is put before a model: a block naming the file.
func FileText(a Attachment) string {
	attrs := fmt.Sprintf(`name="%s"`, html.EscapeString(a.Name))
	switch {
	case a.Omitted:
		return fmt.Sprintf("<file %s omitted=\"this model cannot see images\"/>", attrs)
	case a.Kind == AttachPDF && strings.TrimSpace(a.Text) == "":
		return fmt.Sprintf("<file %s type=\"application/pdf\">\n(no text could be extracted from this PDF)\n</file>", attrs)
	case a.Kind == AttachPDF:
		return fmt.Sprintf("<file %s type=\"application/pdf\" content=\"extracted text\">\n%s\n</file>", attrs, a.Text)
	}
	return fmt.Sprintf("<file %s>\n%s\n</file>", attrs, a.Text)
}

// dataURL is Data as a data: URL (OpenAI-compatible image_url).
func (a Attachment) dataURL() string {
	return "data:" + a.MIME + ";base64," + base64.StdEncoding.EncodeToString(a.Data)
}
