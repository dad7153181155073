package importer

import (
	"bufio"
	"context"
	"fmt"
	"io"
)

// countElements counts the elements of a top-level JSON array without
// decoding them (a single object counts as one). It only tracks strings and
// nesting, so it is much faster than decoding; the decoder reports any
// syntax error later.
func countElements(ctx context.Context, r io.Reader) (int, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	first, err := firstByte(br)
	if err != nil {
		return 0, err
	}
	if first == '{' {
		return 1, nil
	}
	if first != '[' {
		return 0, fmt.Errorf("not a JSON array or object (starts with %q)", first)
	}
	var (
		depth   int
		count   int
		inStr   bool
		escaped bool
		atStart bool // at depth 1, before the next element
	)
	buf := make([]byte, 256<<10)
	for chunk := 0; ; chunk++ {
		if chunk%64 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		n, err := br.Read(buf)
		for _, c := range buf[:n] {
			if inStr {
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == '"':
					inStr = false
				}
				continue
			}
			switch c {
			case ' ', '\t', '\r', '\n':
				continue
			case ',':
				if depth == 1 {
					atStart = true
				}
				continue
			case ']', '}':
				depth--
				if depth == 0 {
					return count, nil
				}
				continue
			}
			if depth == 1 && atStart {
				count++
				atStart = false
			}
			switch c {
			case '"':
				inStr = true
			case '[', '{':
				depth++
				if depth == 1 {
					atStart = true
				}
			}
		}
		if err == io.EOF {
			return count, nil
		}
		if err != nil {
			return 0, err
		}
	}
}
