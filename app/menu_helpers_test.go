package app

import "github.com/wailsapp/wails/v2/pkg/menu/keys"

func modifiers(ms []keys.Modifier) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m)
	}
	return out
}
