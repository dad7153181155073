package importjob

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/holdfast-chat/holdfast/internal/importgen"
)

func generated(t testing.TB, convs, msgs int) string {
	return generatedSpec(t, convs, msgs, 100, 300)
}

func generatedSpec(t testing.TB, convs, msgs, userLen, answerLen int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "conversations.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := importgen.WriteChatGPT(f, importgen.Spec{Convs: convs, Msgs: msgs, UserLen: userLen, AnswerLen: answerLen}); err != nil {
		t.Fatal(err)
	}
	return path
}
