package catalog

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TextFault is what is wrong with a piece of text a person typed or a
// course file holds, by the rules every text field in Plenary follows:
// valid UTF-8; no control characters (a NUL, which PostgreSQL cannot store;
// an escape, which starts a terminal escape sequence); no line break in a
// one-line field; and no invisible formatting characters (text-direction
// overrides, zero-width spaces) that make text read differently from what
// it holds.
type TextFault int

// The faults CheckText finds.
const (
	TextOK        TextFault = iota
	TextNotUTF8             // not valid UTF-8
	TextLineBreak           // a line break in a one-line field
	TextControl             // a control character such as NUL or escape
	TextHidden              // an invisible formatting or direction character
)

// CheckText returns the first fault in s and the character at fault (0 for
// TextNotUTF8). Multi-line fields (multiLine true) may hold line feeds,
// carriage returns before them, and tabs; one-line fields hold none.
//
// Refused as hidden: every Unicode format character (category Cf) except
// the zero-width joiner and non-joiner, which some scripts and emoji need
// — so the direction overrides and isolates, zero-width spaces, the soft
// hyphen and the byte order mark — and the line and paragraph separators.
func CheckText(s string, multiLine bool) (TextFault, rune) {
	if !utf8.ValidString(s) {
		return TextNotUTF8, 0
	}
	for i, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			if !multiLine {
				return TextLineBreak, r
			}
			if r == '\r' && !strings.HasPrefix(s[i+1:], "\n") {
				return TextControl, r // a lone carriage return rewrites the line on a terminal
			}
			if r == '\u2028' || r == '\u2029' {
				return TextHidden, r
			}
		case r == '\t':
			if !multiLine {
				return TextControl, r
			}
		case unicode.IsControl(r):
			return TextControl, r
		case r == '\u200c' || r == '\u200d':
			// The joiners shape Persian, Indic scripts and emoji.
		case unicode.Is(unicode.Cf, r):
			return TextHidden, r
		}
	}
	return TextOK, 0
}

// HasVisibleLetter reports whether s has at least one letter that shows
// when printed: a name of spaces, fillers or other blank letters (such as
// U+3164 HANGUL FILLER) has none.
func HasVisibleLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) && !unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) {
			return true
		}
	}
	return false
}

// HasVisible reports whether s has at least one character that shows when
// printed: a letter, digit, punctuation mark or symbol that is not a blank
// filler.
func HasVisible(s string) bool {
	for _, r := range s {
		if unicode.IsGraphic(r) && !unicode.IsSpace(r) && !unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) &&
			!unicode.Is(unicode.Mn, r) && r != '\u2800' {
			return true
		}
	}
	return false
}

// TextProblem describes the fault CheckText found, for a course file or a
// staff form: "contains the control character U+0000; remove it". It is ""
// for TextOK.
func TextProblem(f TextFault, r rune) string {
	switch f {
	case TextNotUTF8:
		return "contains bytes that are not UTF-8 text"
	case TextLineBreak:
		return "must be on one line"
	case TextControl:
		return fmt.Sprintf("contains the control character %U; remove it (control characters such as NUL and escape cannot be stored)", r)
	case TextHidden:
		return fmt.Sprintf("contains the invisible character %U, which can disguise text (e.g. reverse its direction); remove it", r)
	}
	return ""
}

// textProblem checks one field of a course, returning "" when it is fine.
func textProblem(s string, multiLine bool) string {
	return TextProblem(CheckText(s, multiLine))
}
