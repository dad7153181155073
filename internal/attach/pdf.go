package attach

import (
	"fmt"
	"io"
	"strings"

	"github.com/ledongthuc/pdf"
)

// maxPDFPages bounds how many pages text is read from.
const maxPDFPages = 2000

// pdfText extracts the text of the PDF in r (size bytes), page by page,
// up to limit bytes. The PDF is untrusted: the reader's panics on
// malformed input are turned into errors, and a PDF with no extractable
// text (a scan) gives "" without an error.
func pdfText(r io.ReaderAt, size int64, limit int) (text string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("read pdf: malformed file (%v)", p)
		}
	}()
	doc, err := pdf.NewReader(r, size)
	if err != nil {
		return "", fmt.Errorf("read pdf: %w", err)
	}
	var b strings.Builder
	n := min(doc.NumPage(), maxPDFPages)
	for i := 1; i <= n && b.Len() < limit; i++ {
		page := doc.Page(i)
		if page.V.IsNull() {
			continue
		}
		t, err := page.GetPlainText(nil)
		if err != nil {
			continue // one bad page does not lose the others
		}
		t = strings.TrimSpace(strings.ToValidUTF8(t, ""))
		if t == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(t)
	}
	return truncateUTF8(b.String(), limit), nil
}

// truncateUTF8 cuts s to at most n bytes on a rune boundary.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	return strings.ToValidUTF8(s, "")
}
