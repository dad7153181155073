package importer

import (
	"io"

	"github.com/holdfast-chat/holdfast/internal/importgen"
)

// genSpec shapes a generated ChatGPT export (see importgen.Spec).
type genSpec struct {
	convs     int // conversations
	msgs      int // user and assistant messages per conversation, branches included (even, >= 4)
	userLen   int // about how long a user message is, in bytes
	answerLen int // about how long an answer is
}

// writeChatGPTExport writes a conversations.json shaped like a real ChatGPT
// export (see importgen.WriteChatGPT).
func writeChatGPTExport(w io.Writer, spec genSpec) error {
	return importgen.WriteChatGPT(w, importgen.Spec{Convs: spec.convs, Msgs: spec.msgs, UserLen: spec.userLen, AnswerLen: spec.answerLen})
}
