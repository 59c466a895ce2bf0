package certificates

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/sfnt"
)

// DejaVu Sans Bold (Debian's fonts-dejavu-core; the Bitstream Vera
// licence, DejaVu's changes in the public domain: fonts/LICENSE-DejaVu.txt)
// is the fallback for a name, course title or provider the Go fonts
// cannot draw: it adds Vietnamese (ễ, ị), the rest of Latin Extended,
// Armenian and Georgian. Scripts it lacks (Chinese, Japanese, Korean,
// Devanagari and the other Indic scripts) and scripts written right to
// left or joined letter to letter, which the PDF writer does not shape
// (Arabic, Hebrew), cannot be printed: issuing or reissuing such a name
// is refused with a message rather than printing blanks; staff then issue
// it with the name typed as it should print (IssueAs).
//
//go:embed fonts/DejaVuSans-Bold.ttf
var dejavuBold []byte

var (
	fontsOnce          sync.Once
	goBoldFont, dvFont *sfnt.Font
	fontsErr           error
)

func parsedFonts() (*sfnt.Font, *sfnt.Font, error) {
	fontsOnce.Do(func() {
		if goBoldFont, fontsErr = sfnt.Parse(gobold.TTF); fontsErr != nil {
			return
		}
		dvFont, fontsErr = sfnt.Parse(dejavuBold)
	})
	return goBoldFont, dvFont, fontsErr
}

// unshaped are the scripts the PDF writer would print wrongly even with
// their glyphs: right to left, or letters that join and change shape.
var unshaped = []*unicode.RangeTable{unicode.Arabic, unicode.Hebrew, unicode.Syriac, unicode.Thaana, unicode.Nko,
	unicode.Devanagari, unicode.Bengali, unicode.Gurmukhi, unicode.Gujarati, unicode.Oriya, unicode.Tamil, unicode.Telugu,
	unicode.Kannada, unicode.Malayalam, unicode.Sinhala, unicode.Thai, unicode.Lao, unicode.Tibetan, unicode.Myanmar,
	unicode.Khmer}

// covers reports the letters of text f has no glyph for.
func missing(f *sfnt.Font, text string) []rune {
	var b sfnt.Buffer
	var out []rune
	for _, r := range text {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			continue
		}
		if g, err := f.GlyphIndex(&b, r); err != nil || g == 0 {
			out = append(out, r)
		}
	}
	return out
}

// boldFontFor is the bold font to print text in: "go-bold" when the Go
// font has every letter, else "dejavu-bold"; an error names the letters
// neither can print.
func boldFontFor(text string) (string, error) {
	font, letters, err := fontFor(text)
	if err != nil {
		return "", err
	}
	if letters != "" {
		return "", unprintable(letters)
	}
	return font, nil
}

// UnprintableLetters are the letters of name the certificate cannot print
// (at most eight, each once, space-separated): "" when it prints.
func UnprintableLetters(name string) string {
	_, letters, err := fontFor(name)
	if err != nil {
		return ""
	}
	return letters
}

// fontFor is boldFontFor's answer: the font, or the letters neither
// font prints.
func fontFor(text string) (font, cannot string, err error) {
	goF, dv, err := parsedFonts()
	if err != nil {
		return "", "", fmt.Errorf("certificates: fonts: %w", err)
	}
	var bad []rune
	for _, r := range text {
		if unicode.In(r, unshaped...) {
			bad = append(bad, r)
		}
	}
	if len(bad) == 0 {
		if len(missing(goF, text)) == 0 {
			return "go-bold", "", nil
		}
		bad = missing(dv, text)
	}
	if len(bad) == 0 {
		return "dejavu-bold", "", nil
	}
	seen := map[rune]bool{}
	var letters []string
	for _, r := range bad {
		if !seen[r] && len(letters) < 8 {
			seen[r] = true
			letters = append(letters, string(r))
		}
	}
	return "", strings.Join(letters, " "), nil
}

// unprintable is the message beside a name the certificate cannot print.
func unprintable(letters string) FormError {
	return FormError{"name": "This name has letters the certificate font cannot print: " + letters +
		". Type the name as it should be printed, in letters the certificate has — such as Latin letters " +
		"(a romanised form the person gave)."}
}

// Printable checks that a certificate can print name: nil, or a
// FormError on "name" naming the letters it cannot.
func Printable(name string) error {
	_, err := boldFontFor(name)
	return err
}
