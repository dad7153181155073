package export

import "strings"

// segment is a run of message text: prose, or the inside of one fenced
// code block.
type segment struct {
	Code bool
	Lang string // first word of the fence's info string
	Text string
}

// segments splits message text at CommonMark fenced code blocks (``` or
// ~~~, at most three spaces of indent, closed by a fence of the same
// character at least as long). An unclosed fence runs to the end, as in
// CommonMark; a stopped answer often ends inside one. Prose keeps every
// character apart from the blank lines around a code block.
func segments(text string) []segment {
	var (
		out    []segment
		buf    []string
		inCode bool
		fch    byte
		flen   int
		indent int
		lang   string
	)
	flush := func(code bool) {
		s := strings.Join(buf, "\n")
		buf = buf[:0]
		if !code {
			s = strings.Trim(s, "\n")
			if s == "" {
				return
			}
		}
		out = append(out, segment{Code: code, Lang: lang, Text: s})
	}
	for _, line := range splitLines(text) {
		if !inCode {
			if ch, n, ind, info, ok := fenceOpen(line); ok {
				lang = ""
				flush(false)
				inCode, fch, flen, indent = true, ch, n, ind
				if f := strings.Fields(info); len(f) > 0 {
					lang = f[0]
				}
				continue
			}
			buf = append(buf, line)
			continue
		}
		if fenceClose(line, fch, flen) {
			flush(true)
			inCode, lang = false, ""
			continue
		}
		buf = append(buf, stripIndent(line, indent))
	}
	if inCode {
		flush(true)
	} else {
		lang = ""
		flush(false)
	}
	return out
}

// fenceOpen reports whether line opens a fenced code block.
func fenceOpen(line string) (ch byte, n, indent int, info string, ok bool) {
	rest := strings.TrimLeft(line, " ")
	indent = len(line) - len(rest)
	if indent > 3 || len(rest) < 3 || (rest[0] != '`' && rest[0] != '~') {
		return 0, 0, 0, "", false
	}
	ch = rest[0]
	for n < len(rest) && rest[n] == ch {
		n++
	}
	if n < 3 {
		return 0, 0, 0, "", false
	}
	info = strings.TrimSpace(rest[n:])
	if ch == '`' && strings.Contains(info, "`") {
		return 0, 0, 0, "", false
	}
	return ch, n, indent, info, true
}

// fenceClose reports whether line closes a fence of ch repeated n times.
func fenceClose(line string, ch byte, n int) bool {
	rest := strings.TrimLeft(line, " ")
	if len(line)-len(rest) > 3 {
		return false
	}
	k := 0
	for k < len(rest) && rest[k] == ch {
		k++
	}
	return k >= n && strings.Trim(rest[k:], " \t") == ""
}

// stripIndent removes up to n leading spaces, as CommonMark does for the
// lines of an indented fence.
func stripIndent(line string, n int) string {
	for n > 0 && strings.HasPrefix(line, " ") {
		line, n = line[1:], n-1
	}
	return line
}
