package importer

import (
	"reflect"
	"testing"
)

func TestSplitOpenWebUIContent(t *testing.T) {
	tests := []struct {
		name, in, text, reasoning string
		calls                     []ToolCall
	}{
		{name: "plain", in: "Just text <b>bold</b>", text: "Just text <b>bold</b>"},
		{name: "reasoning unescaped (older versions)",
			in:   "<details type=\"reasoning\" done=\"true\" duration=\"2\">\n<summary>Thought for 2 seconds</summary>\n> a < b\n>\n> done\n</details>\nAnswer",
			text: "Answer", reasoning: "a < b\n\ndone"},
		{name: "reasoning still running",
			in:   "<details type=\"reasoning\" done=\"false\">\n<summary>Thinking…</summary>\n&gt; half\n</details>\n",
			text: "", reasoning: "half"},
		{name: "two reasoning blocks", in: "<details type=\"reasoning\">\n> one\n</details>mid<details type=\"reasoning\">\n> two\n</details>end",
			text: "midend", reasoning: "one\n\ntwo"},
		{name: "tool call as the frontend writes it (single quotes)",
			in:    `<details type="tool_calls" done="true" id="c1" name="calc" arguments='"{\"x\":\"it&apos;s > 1\"}"' result='"2"'>` + "\n<summary>Tool Executed</summary>\n</details>\nTwo.",
			text:  "Two.",
			calls: []ToolCall{{ID: "c1", Name: "calc", Input: `{"x":"it's > 1"}`, Output: "2"}}},
		{name: "tool call result in the body",
			in:    "<details type=\"tool_calls\" done=\"true\" id=\"c2\" name=\"t\" arguments=\"{}\">\n<summary>Tool Executed</summary>\n&quot;body result&quot;\n</details>x",
			text:  "x",
			calls: []ToolCall{{ID: "c2", Name: "t", Input: "{}", Output: "body result"}}},
		{name: "code interpreter",
			in:    "<details type=\"code_interpreter\" done=\"true\" output=\"&quot;4&quot;\">\n<summary>Analyzed</summary>\n```py\nprint(2+2)\n```\n</details>\nFour.",
			text:  "Four.",
			calls: []ToolCall{{Name: "code_interpreter", Input: "```py\nprint(2+2)\n```", Output: "4"}}},
		{name: "nested details inside reasoning", in: "<details type=\"reasoning\">\n> <details>inner</details>\n</details>after",
			text: "after", reasoning: "<details>inner</details>"},
		{name: "unterminated block stays text", in: "<details type=\"reasoning\">\n> never closed", text: "<details type=\"reasoning\">\n> never closed"},
		{name: "unclosed tag stays text", in: "a <details type=\"reasoning\"", text: "a <details type=\"reasoning\""},
		{name: "leading think", in: "<think>\nstep\n</think>\n\nResult <think>not at start</think>", text: "Result <think>not at start</think>", reasoning: "step"},
		{name: "user details kept", in: "<details><summary>S</summary>body</details>", text: "<details><summary>S</summary>body</details>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, reasoning, calls := splitOpenWebUIContent(tt.in)
			if text != tt.text || reasoning != tt.reasoning || !reflect.DeepEqual(nilIfEmpty(calls), tt.calls) {
				t.Errorf("got\n\ttext %q\n\treasoning %q\n\tcalls %#v\nwant\n\ttext %q\n\treasoning %q\n\tcalls %#v",
					text, reasoning, calls, tt.text, tt.reasoning, tt.calls)
			}
		})
	}
}
