package config

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// position is a 1-based line and column (in characters).
type position struct{ line, col int }

// locate maps key paths ("server.addr", "providers[1]",
// "providers[1].kind", "providers[0].models[2]") to where they are written
// in src. The TOML library reports positions for syntax errors only, and
// loses the index of [[providers]] tables, so value errors are placed with
// this scan. It runs only on text the TOML parser accepted, and is best
// effort: a path it cannot place gets the position of its nearest parent.
func locate(src string) map[string]position {
	l := &locator{src: src, line: 1, at: map[string]position{}, arrays: map[string]int{}}
	for {
		l.skipSpace(true)
		if l.eof() {
			break
		}
		if l.peek() == '[' {
			l.header()
		} else {
			l.keyval(l.table)
		}
	}
	return l.at
}

// find returns the position of path or of its nearest parent present.
func find(at map[string]position, path string) (position, bool) {
	for path != "" {
		if p, ok := at[path]; ok {
			return p, true
		}
		if strings.HasSuffix(path, "]") {
			path = path[:strings.LastIndexByte(path, '[')]
		} else if i := strings.LastIndexByte(path, '.'); i >= 0 {
			path = path[:i]
		} else {
			break
		}
	}
	return position{}, false
}

type locator struct {
	src       string
	i         int
	line      int
	lineStart int
	table     string // path of the current [table]
	at        map[string]position
	arrays    map[string]int // [[array]] path -> tables seen so far
}

func (l *locator) eof() bool  { return l.i >= len(l.src) }
func (l *locator) peek() byte { return l.src[l.i] }

func (l *locator) has(s string) bool { return strings.HasPrefix(l.src[l.i:], s) }

func (l *locator) advance(n int) {
	for ; n > 0 && !l.eof(); n-- {
		if l.src[l.i] == '\n' {
			l.line++
			l.lineStart = l.i + 1
		}
		l.i++
	}
}

func (l *locator) here() position {
	return position{line: l.line, col: utf8.RuneCountInString(l.src[l.lineStart:l.i]) + 1}
}

func (l *locator) mark(path string) {
	if _, dup := l.at[path]; !dup {
		l.at[path] = l.here()
	}
}

// skipSpace skips blanks and comments, and newlines too when nl is set.
func (l *locator) skipSpace(nl bool) {
	for !l.eof() {
		switch c := l.peek(); {
		case c == ' ' || c == '\t' || (nl && (c == '\n' || c == '\r')):
			l.advance(1)
		case c == '#':
			for !l.eof() && l.peek() != '\n' {
				l.advance(1)
			}
		default:
			return
		}
	}
}

// header reads [table] or [[array]] and makes it the current table.
func (l *locator) header() {
	start := l.here()
	array := l.has("[[")
	if array {
		l.advance(2)
	} else {
		l.advance(1)
	}
	parts := l.key()
	path := ""
	for j, part := range parts {
		path = join(path, part)
		if array && j == len(parts)-1 {
			n := l.arrays[path]
			l.arrays[path] = n + 1
			path += "[" + strconv.Itoa(n) + "]"
		} else if n, ok := l.arrays[path]; ok {
			path += "[" + strconv.Itoa(n-1) + "]"
		}
	}
	l.at[path] = start
	l.table = path
	for !l.eof() && l.peek() != '\n' { // the closing brackets and any comment
		l.advance(1)
	}
}

// key reads a dotted key: bare, "basic" or 'literal' parts.
func (l *locator) key() []string {
	var parts []string
	for {
		l.skipSpace(false)
		if l.eof() {
			return parts
		}
		switch l.peek() {
		case '"', '\'':
			start := l.i
			l.skipString()
			part := l.src[start:l.i]
			if part[0] == '"' {
				if s, err := strconv.Unquote(part); err == nil {
					part = s
				} else {
					part = strings.Trim(part, `"`)
				}
			} else {
				part = strings.Trim(part, "'")
			}
			parts = append(parts, part)
		default:
			start := l.i
			for !l.eof() && isBare(l.peek()) {
				l.advance(1)
			}
			if l.i == start { // not a key: give up on this line
				for !l.eof() && l.peek() != '\n' {
					l.advance(1)
				}
				return parts
			}
			parts = append(parts, l.src[start:l.i])
		}
		l.skipSpace(false)
		if l.eof() || l.peek() != '.' {
			return parts
		}
		l.advance(1)
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func join(prefix, part string) string {
	if prefix == "" {
		return part
	}
	return prefix + "." + part
}

// keyval reads key = value inside the table at prefix.
func (l *locator) keyval(prefix string) {
	start := l.here()
	parts := l.key()
	if len(parts) == 0 {
		return
	}
	path := prefix
	for _, p := range parts {
		path = join(path, p)
	}
	if _, dup := l.at[path]; !dup {
		l.at[path] = start
	}
	l.skipSpace(false)
	if l.eof() || l.peek() != '=' {
		return
	}
	l.advance(1)
	l.skipSpace(false)
	l.value(path)
}

// value skips one value, recording array elements and inline-table keys.
func (l *locator) value(path string) {
	if l.eof() {
		return
	}
	switch l.peek() {
	case '"', '\'':
		l.skipString()
	case '[':
		l.advance(1)
		for n := 0; ; n++ {
			l.skipSpace(true)
			if l.eof() || l.peek() == ']' {
				break
			}
			elem := path + "[" + strconv.Itoa(n) + "]"
			l.mark(elem)
			l.value(elem)
			l.skipSpace(true)
			if !l.eof() && l.peek() == ',' {
				l.advance(1)
			}
		}
		l.advance(1)
	case '{':
		l.advance(1)
		for {
			l.skipSpace(true)
			if l.eof() || l.peek() == '}' {
				break
			}
			before := l.i
			l.keyval(path)
			l.skipSpace(true)
			if !l.eof() && l.peek() == ',' {
				l.advance(1)
			}
			if l.i == before { // malformed; do not spin
				l.advance(1)
			}
		}
		l.advance(1)
	default: // number, boolean, date
		for !l.eof() && !strings.ContainsRune(",]}#\n\r", rune(l.peek())) {
			l.advance(1)
		}
	}
}

// skipString skips a basic, literal or multi-line string.
func (l *locator) skipString() {
	q := l.peek()
	triple := strings.Repeat(string(q), 3)
	if l.has(triple) {
		l.advance(3)
		for !l.eof() {
			if q == '"' && l.peek() == '\\' {
				l.advance(2)
				continue
			}
			if l.has(triple) {
				l.advance(3)
				// Up to two quotes may end the content right before the delimiter.
				for k := 0; k < 2 && !l.eof() && l.peek() == q; k++ {
					l.advance(1)
				}
				return
			}
			l.advance(1)
		}
		return
	}
	l.advance(1)
	for !l.eof() && l.peek() != '\n' {
		c := l.peek()
		if q == '"' && c == '\\' {
			l.advance(2)
			continue
		}
		l.advance(1)
		if c == q {
			return
		}
	}
}
