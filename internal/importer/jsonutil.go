package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// flexTime reads the timestamp shapes the sources use: seconds since the
// epoch (ChatGPT, Open WebUI; fractions allowed), milliseconds (Chatbox),
// ISO 8601 strings (Claude, LibreChat, Cherry Studio) and null. Anything it
// cannot read is treated as missing rather than failing the conversation.
type flexTime struct{ time.Time }

func (t *flexTime) UnmarshalJSON(b []byte) error {
	t.Time = parseTimeJSON(b)
	return nil
}

func parseTimeJSON(b []byte) time.Time {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] == 'n' {
		return time.Time{}
	}
	if b[0] == '"' {
		s, ok := jsonString(b)
		if !ok {
			return time.Time{}
		}
		return parseTimeString(s)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return time.Time{}
	}
	return epochTime(f)
}

// epochTime reads a number as seconds, milliseconds, microseconds or
// nanoseconds since 1970 by its size: no chat was written before 1973 or
// after 5138, so the ranges do not overlap.
func epochTime(f float64) time.Time {
	if f <= 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}
	}
	if f >= 1e17 {
		if f >= math.MaxInt64 {
			return time.Time{}
		}
		return time.Unix(0, int64(f)).UTC()
	}
	// Work in microseconds: a float of seconds holds no more precision than
	// that, and rounding keeps the same input giving the same time.
	us := f * 1e6
	switch {
	case f >= 1e14:
		us = f
	case f >= 1e11:
		us = f * 1e3
	}
	t := time.UnixMicro(int64(math.Round(us))).UTC()
	if t.Year() > 9999 {
		return time.Time{}
	}
	return t
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func parseTimeString(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1 || t.Year() > 9999 {
				return time.Time{}
			}
			return t.UTC()
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return epochTime(f)
	}
	return time.Time{}
}

// flexString reads a string, or a number written where a string was
// expected (some exports write numeric ids); other shapes read as "".
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		*s = ""
	case b[0] == '"':
		if v, ok := jsonString(b); ok {
			*s = flexString(v)
		}
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*s = flexString(b)
	default:
		*s = ""
	}
	return nil
}

// jsonString decodes a JSON string literal. Most strings have no escapes
// and are valid UTF-8, so they are copied as they are; the rest go through
// encoding/json. The decoder has already checked the syntax.
func jsonString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	inner := b[1 : len(b)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return "", false
	}
	return s, true
}

// rawText renders a JSON value for display: a string as itself, anything
// else as compact JSON ("" for null).
func rawText(r json.RawMessage) string {
	r = bytes.TrimSpace(r)
	if len(r) == 0 || string(r) == "null" {
		return ""
	}
	if r[0] == '"' {
		var s string
		if json.Unmarshal(r, &s) == nil {
			return s
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, r) == nil {
		return buf.String()
	}
	return string(r)
}

// elementStream decodes the top-level value of a JSON document one element
// at a time: an array element by element, a single object as the only
// element. Memory is bounded by the largest element, not the file.
type elementStream struct {
	dec   *json.Decoder
	array bool
	n     int
	done  bool
}

func newElementStream(r io.Reader) (*elementStream, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := firstByte(br)
	if err != nil {
		return nil, err
	}
	s := &elementStream{dec: json.NewDecoder(br)}
	switch first {
	case '[':
		if _, err := s.dec.Token(); err != nil {
			return nil, jsonError(err, s.dec)
		}
		s.array = true
	case '{':
	default:
		return nil, fmt.Errorf("not a JSON array or object (starts with %q)", first)
	}
	return s, nil
}

// firstByte skips a UTF-8 byte order mark and white space and returns the
// first byte of the document without consuming it.
func firstByte(br *bufio.Reader) (byte, error) {
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return 0, errors.New("the file is empty")
		}
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		br.UnreadByte()
		return c, nil
	}
}

// next decodes the next element into v. It returns ok=false at the end of
// the document. An error with ok=true concerns this element only (the
// stream is still in step and the next call goes on); an error with
// ok=false ends the stream.
func (s *elementStream) next(v any) (ok bool, err error) {
	if s.done {
		return false, nil
	}
	if s.array && !s.dec.More() {
		s.done = true
		if _, err := s.dec.Token(); err != nil {
			return false, jsonError(err, s.dec)
		}
		return false, s.trailing()
	}
	if !s.array {
		s.done = true
	}
	s.n++
	err = s.dec.Decode(v)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &te):
		return true, typeError(te)
	default:
		return false, jsonError(err, s.dec)
	}
	if !s.array {
		if err := s.trailing(); err != nil {
			return false, err
		}
	}
	return true, nil
}

func (s *elementStream) trailing() error {
	if _, err := s.dec.Token(); err != io.EOF {
		return fmt.Errorf("unexpected data after the end of the JSON document at byte %d", s.dec.InputOffset())
	}
	return nil
}

// typeError words a JSON type mismatch for a person: which field, what it
// held, what was expected.
func typeError(te *json.UnmarshalTypeError) error {
	return fmt.Errorf("%s holds %s where %s was expected", fieldName(te), jsonWord(te.Value), goKindWord(te.Type))
}

// describeJSONError words an error from json.Unmarshal.
func describeJSONError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return typeError(te)
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, se)
	}
	return err
}

// jsonWord and goKindWord describe a type mismatch in JSON's terms rather
// than Go's.
func jsonWord(v string) string {
	switch v {
	case "array":
		return "a list"
	case "object":
		return "an object"
	case "bool":
		return "true/false"
	case "string", "number":
		return "a " + v
	}
	return v
}

func goKindWord(t reflect.Type) string {
	if t == nil {
		return "something else"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true/false"
	case reflect.Pointer:
		return goKindWord(t.Elem())
	}
	return "a number"
}

func fieldName(te *json.UnmarshalTypeError) string {
	if te.Field != "" {
		return "field " + strconv.Quote(te.Field)
	}
	return fmt.Sprintf("byte %d", te.Offset)
}

// jsonError words a decoding error that ends the stream.
func jsonError(err error, dec *json.Decoder) error {
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF:
		return fmt.Errorf("the file ends in the middle of the JSON (truncated?) at byte %d", dec.InputOffset())
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, se)
	default:
		return err
	}
}

// flexBool reads true/false, and treats anything else (null, "true",
// numbers) leniently instead of failing the conversation.
type flexBool bool

func (b *flexBool) UnmarshalJSON(raw []byte) error {
	s := string(bytes.Trim(bytes.TrimSpace(raw), `"`))
	*b = flexBool(s == "true" || s == "1")
	return nil
}

// flexInt reads an integer written as a number (fractions dropped) or a
// numeric string; anything else reads as 0.
type flexInt int64

func (n *flexInt) UnmarshalJSON(raw []byte) error {
	s := string(bytes.Trim(bytes.TrimSpace(raw), `"`))
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < math.MinInt64 || f > math.MaxInt64 {
		*n = 0
		return nil
	}
	*n = flexInt(f)
	return nil
}
