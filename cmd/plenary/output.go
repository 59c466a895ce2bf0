package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Everything the commands print that came from outside — names,
// organisations, answers, subjects, addresses, errors that quote input —
// goes through printable (one line) or printableText (keeps line breaks),
// so an escape sequence hidden in a booking cannot move the cursor,
// recolour or retitle the coordinator's terminal, and text that reorders
// itself (bidi overrides) cannot disguise what it says. The characters
// are written visibly escaped, Go style: ESC as \x1b, U+202E as \u202e.

// printable returns s with every control character (C0, DEL, C1, line
// and paragraph separators, tab and newline included), bidi control and
// invalid UTF-8 byte written as a visible escape. Use it for one-line
// fields: table cells, names, subjects.
func printable(s string) string { return escapeControls(s, false) }

// printableText is printable for text that may run over several lines
// (error messages, access needs): newlines and tabs are kept.
func printableText(s string) string { return escapeControls(s, true) }

func escapeControls(s string, keepLines bool) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r, keepLines) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !unsafeRune(r, keepLines):
			b.WriteString(s[i : i+size])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// unsafeRune reports whether r must not reach a terminal as it is.
func unsafeRune(r rune, keepLines bool) bool {
	switch {
	case r == utf8.RuneError:
		return true // an invalid byte (a real U+FFFD is escaped too: harmless)
	case keepLines && (r == '\n' || r == '\t'):
		return false
	case unicode.IsControl(r): // C0, DEL and C1 (0x9b is CSI on some terminals)
		return true
	case r == '\u2028' || r == '\u2029': // line and paragraph separators
		return true
	}
	return isBidiControl(r)
}

// isBidiControl reports the invisible characters that reorder text.
func isBidiControl(r rune) bool {
	switch {
	case r == '\u061c', r == '\u200e', r == '\u200f':
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// writeJSON writes v as indented JSON. encoding/json escapes C0 controls
// but writes DEL, C1 controls and bidi controls as they are; they are
// escaped here as \uXXXX too, which leaves the data the same for any JSON
// reader.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	out := buf.Bytes()
	if bytes.IndexFunc(out, func(r rune) bool { return unsafeRune(r, true) }) >= 0 {
		var b bytes.Buffer
		for _, r := range string(out) {
			if r != utf8.RuneError && unsafeRune(r, true) {
				fmt.Fprintf(&b, `\u%04x`, r)
				continue
			}
			b.WriteRune(r)
		}
		out = b.Bytes()
	}
	_, err := w.Write(out)
	return err
}

// timeIn writes an instant as the pages do, in the given zone (an
// event's): "Wed 10 Jun 2026 09:00 BST". The zero time is "-".
func timeIn(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
}
