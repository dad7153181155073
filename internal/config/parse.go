package config

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// maxFileSize bounds what is read from config.toml.
const maxFileSize = 1 << 20

// parse turns the text of config.toml into a normalised, validated Config.
// Unknown keys are warnings: the rest of the file still applies, and a file
// written by a newer Holdfast keeps working. The error is an *Error whose
// problems carry line and column where the text has them, and whose
// messages never contain an API key.
func parse(file string, src []byte) (Config, []Problem, error) {
	text := strings.TrimPrefix(string(src), "\uFEFF") // Notepad's BOM
	fail := func(ps []Problem) (Config, []Problem, error) {
		return Config{}, nil, &Error{File: file, Problems: scrub(text, ps)}
	}
	if len(src) > maxFileSize {
		return fail([]Problem{{Message: fmt.Sprintf("config.toml is larger than %d KiB", maxFileSize>>10)}})
	}
	if !utf8.ValidString(text) {
		return fail([]Problem{{Message: "config.toml is not valid UTF-8 text"}})
	}

	var raw map[string]any
	if _, err := toml.Decode(text, &raw); err != nil {
		var pe toml.ParseError
		if !errors.As(err, &pe) {
			return fail([]Problem{{Message: err.Error()}})
		}
		line, col := syntaxPosition(text, pe.Position)
		return fail([]Problem{{Line: line, Column: col, Message: pe.Message}})
	}

	d := decoder{}
	cfg := d.config(raw)
	normalize(&cfg)
	errs, warns := validate(cfg)
	errs = append(d.errs, dropCovered(errs, d.errs)...)
	warns = append(d.warns, warns...)

	at := locate(text)
	place := func(ps []Problem) {
		for i := range ps {
			if p, ok := find(at, ps[i].Key); ok {
				ps[i].Line, ps[i].Column = p.line, p.col
			}
		}
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	}
	place(errs)
	place(warns)
	if len(errs) > 0 {
		return fail(errs)
	}
	return cfg, scrub(text, warns), nil
}

// syntaxPosition returns the line and column (in characters) of a syntax
// error. It counts from the byte offset, which the library gets right even
// where its line is one too far (an error on a line's newline).
func syntaxPosition(text string, p toml.Position) (line, col int) {
	if p.Start < 0 || p.Start > len(text) || (p.Start == 0 && p.Line > 1) {
		return p.Line, p.Col
	}
	// The reported span can start with the blanks before the culprit.
	for n := 1; n < p.Len && p.Start < len(text) && (text[p.Start] == ' ' || text[p.Start] == '\t'); n++ {
		p.Start++
	}
	before := text[:p.Start]
	lineStart := strings.LastIndexByte(before, '\n') + 1
	return strings.Count(before, "\n") + 1, utf8.RuneCountInString(before[lineStart:]) + 1
}

// dropCovered removes problems about a key that already has a type error.
func dropCovered(ps, covered []Problem) []Problem {
	return slices.DeleteFunc(ps, func(p Problem) bool {
		return slices.ContainsFunc(covered, func(c Problem) bool { return c.Key == p.Key })
	})
}

var apiKeyLineRE = regexp.MustCompile(`^\s*["']?api_key["']?\s*=\s*(.*)$`)

// scrub removes anything that looks like an API key from messages. Syntax
// errors quote the text they choke on, which can be a key written without
// quotes, so a problem on an api_key line gets a fixed message, and any
// api_key value in the file is cut out of every message.
func scrub(text string, ps []Problem) []Problem {
	var secrets []string
	keyLines := map[int]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), maxFileSize+1)
	for n := 1; sc.Scan(); n++ {
		m := apiKeyLineRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		keyLines[n] = true
		v := strings.TrimSpace(m[1])
		if i := strings.Index(v, " #"); i >= 0 {
			v = v[:i]
		}
		if v = strings.Trim(v, `"' `); len(v) >= 4 {
			secrets = append(secrets, v)
		}
	}
	out := make([]Problem, len(ps))
	for i, p := range ps {
		if keyLines[p.Line] && p.Key == "" {
			p.Message = "the api_key value is not valid TOML (the value is not shown); write it in double quotes, like api_key = \"sk-…\""
		}
		for _, s := range secrets {
			p.Message = strings.ReplaceAll(p.Message, s, Mask(s))
		}
		out[i] = p
	}
	return out
}

// decoder maps the generic TOML tree onto Config, reporting type errors and
// unknown keys by path.
type decoder struct {
	errs, warns []Problem
}

func (d *decoder) bad(path, format string, a ...any) {
	d.errs = append(d.errs, Problem{Key: path, Message: fmt.Sprintf(format, a...)})
}

func (d *decoder) config(raw map[string]any) Config {
	c := Default()
	d.fields("", raw, map[string]func(string, any){
		"default_model": d.str(&c.DefaultModel),
		"system_prompt": d.str(&c.SystemPrompt),
		"server": d.table(map[string]func(string, any){
			"addr":      d.str(&c.Server.Addr),
			"heartbeat": d.duration(&c.Server.Heartbeat),
		}),
		"ui": d.table(map[string]func(string, any){
			"theme":    d.str(&c.UI.Theme),
			"language": d.str(&c.UI.Language),
		}),
		"providers": func(path string, v any) {
			tables, ok := tableList(v)
			if !ok {
				d.bad(path, "providers must be written as [[providers]] tables, not %s", typeName(v))
				return
			}
			for i, t := range tables {
				c.Providers = append(c.Providers, d.provider(fmt.Sprintf("%s[%d]", path, i), t))
			}
		},
	})
	return c
}

func (d *decoder) provider(path string, raw any) Provider {
	var p Provider
	d.table(map[string]func(string, any){
		"name":         d.str(&p.Name),
		"kind":         d.str(&p.Kind),
		"base_url":     d.str(&p.BaseURL),
		"api_key_ref":  d.str(&p.APIKeyRef),
		"continuation": d.str(&p.Continuation),
		"api_key":      d.str(&p.APIKey),
		"models": func(path string, v any) {
			list, ok := v.([]any)
			if !ok {
				d.bad(path, "models must be a list of names, like [\"gpt-4o\", \"gpt-4o-mini\"], not %s", typeName(v))
				return
			}
			p.Models = make([]string, 0, len(list))
			for i, m := range list {
				s, ok := m.(string)
				if !ok {
					d.bad(fmt.Sprintf("%s[%d]", path, i), "model names must be strings, not %s", typeName(m))
					continue
				}
				p.Models = append(p.Models, s)
			}
		},
		"vision": func(path string, v any) {
			tbl, ok := v.(map[string]any)
			if !ok {
				d.bad(path, "vision must be a table of model names and true or false, like { \"llava\" = true }, not %s", typeName(v))
				return
			}
			p.Vision = make(map[string]bool, len(tbl))
			for model, on := range tbl {
				b, ok := on.(bool)
				if !ok {
					d.bad(join(path, model), "vision of a model must be true or false, not %s", typeName(on))
					continue
				}
				p.Vision[model] = b
			}
		},
		"params": d.table(map[string]func(string, any){
			"temperature": func(path string, v any) {
				switch n := v.(type) {
				case float64:
					p.Params.Temperature = &n
				case int64:
					f := float64(n)
					p.Params.Temperature = &f
				default:
					d.bad(path, "temperature must be a number, not %s", typeName(v))
				}
			},
			"max_tokens": func(path string, v any) {
				n, ok := v.(int64)
				if !ok || n > math.MaxInt32 || n < math.MinInt32 {
					d.bad(path, "max_tokens must be a whole number up to %d, not %s", maxMaxTokens, typeName(v))
					return
				}
				p.Params.MaxTokens = int(n)
			},
		}),
		"connect_timeout":     d.duration(&p.ConnectTimeout),
		"first_token_timeout": d.duration(&p.FirstTokenTimeout),
		"idle_timeout":        d.duration(&p.IdleTimeout),
	})(path, raw)
	return p
}

// fields applies set[key] to each value of the table, and warns about keys
// it does not know.
func (d *decoder) fields(path string, tbl map[string]any, set map[string]func(string, any)) {
	keys := make([]string, 0, len(tbl))
	for k := range tbl {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sub := join(path, k)
		if f, ok := set[k]; ok {
			f(sub, tbl[k])
			continue
		}
		d.warns = append(d.warns, Problem{Key: sub, Message: fmt.Sprintf("unknown key %q is ignored (check its spelling)", k)})
	}
}

func (d *decoder) table(set map[string]func(string, any)) func(string, any) {
	return func(path string, v any) {
		tbl, ok := v.(map[string]any)
		if !ok {
			d.bad(path, "%s must be a table, not %s", path, typeName(v))
			return
		}
		d.fields(path, tbl, set)
	}
}

func (d *decoder) str(dst *string) func(string, any) {
	return func(path string, v any) {
		s, ok := v.(string)
		if !ok {
			d.bad(path, "must be a string in double quotes, not %s", typeName(v))
			return
		}
		*dst = s
	}
}

func (d *decoder) duration(dst *Duration) func(string, any) {
	return func(path string, v any) {
		switch x := v.(type) {
		case string:
			dur, err := parseDuration(x)
			if err != nil {
				d.bad(path, "%v", err)
				return
			}
			*dst = dur
		case int64:
			if x != 0 {
				d.bad(path, "a duration needs a unit and quotes: write \"%ds\", not %d", x, x)
				return
			}
			*dst = 0
		default:
			d.bad(path, "must be a duration like \"15s\", not %s", typeName(v))
		}
	}
}

// tableList accepts [[providers]] tables and an inline array of tables.
func tableList(v any) ([]any, bool) {
	switch x := v.(type) {
	case []map[string]any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = x[i]
		}
		return out, true
	case []any:
		return x, true
	}
	return nil, false
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a decimal number"
	case bool:
		return "true/false"
	case time.Time:
		return "a date or time"
	case []any, []map[string]any:
		return "a list"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}
