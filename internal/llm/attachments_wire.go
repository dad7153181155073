package llm

import (
	"encoding/base64"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/openai/openai-go/v3"
)

// openAIUser is a user message for an OpenAI-compatible server. Without
// files it is the plain string form every server knows; with files it is
// a list of parts: each file first, in order (images as image_url parts
// with a data URL, PDFs as their extracted text, text files as text),
// then the user's words, so the question comes after what it is about.
func openAIUser(m Message) openai.ChatCompletionMessageParamUnion {
	if len(m.Attachments) == 0 {
		return openai.UserMessage(m.Content)
	}
	parts := make([]openai.ChatCompletionContentPartUnionParam, 0, len(m.Attachments)+1)
	for _, a := range m.Attachments {
		if a.Kind == AttachImage && !a.Omitted {
			parts = append(parts, openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: a.dataURL()}))
			continue
		}
		parts = append(parts, openai.TextContentPart(FileText(a)))
	}
	if m.Content != "" {
		parts = append(parts, openai.TextContentPart(m.Content))
	}
	return openai.UserMessage(parts)
}

// anthropicUserBlocks are the content blocks of a user message for
// Anthropic: images as base64 image blocks, PDFs as base64 document
// blocks titled with their name (Claude reads the pages itself), text
// files as text blocks naming the file, then the user's words.
func anthropicUserBlocks(m Message) []anthropic.ContentBlockParamUnion {
	blocks := make([]anthropic.ContentBlockParamUnion, 0, len(m.Attachments)+1)
	for _, a := range m.Attachments {
		switch {
		case a.Omitted:
			blocks = append(blocks, anthropic.NewTextBlock(FileText(a)))
		case a.Kind == AttachImage:
			blocks = append(blocks, anthropic.NewImageBlockBase64(a.MIME, base64.StdEncoding.EncodeToString(a.Data)))
		case a.Kind == AttachPDF && len(a.Data) > 0:
			doc := anthropic.NewDocumentBlock(anthropic.Base64PDFSourceParam{Data: base64.StdEncoding.EncodeToString(a.Data)})
			doc.OfDocument.Title = anthropic.String(a.Name)
			blocks = append(blocks, doc)
		default:
			blocks = append(blocks, anthropic.NewTextBlock(FileText(a)))
		}
	}
	if m.Content != "" {
		blocks = append(blocks, anthropic.NewTextBlock(m.Content))
	}
	return blocks
}

// ImageLimit is Anthropic's: see AnthropicMaxEdge.
func (p *Anthropic) ImageLimit() ImageLimit {
	return ImageLimit{MaxEdge: AnthropicMaxEdge, MaxBytes: AnthropicMaxBytes}
}

// ImageLimit is that of OpenAI-compatible servers: see OpenAIMaxEdge.
func (p *OpenAI) ImageLimit() ImageLimit {
	return ImageLimit{MaxEdge: OpenAIMaxEdge, MaxBytes: OpenAIMaxBytes}
}
