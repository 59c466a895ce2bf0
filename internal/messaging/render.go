package messaging

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"
)

// Render executes the template pair NAME.txt (text/template) and NAME.html
// (html/template, optional: html is empty without it) from fsys with data.
// The text's first line is "Subject: …" and gives the subject; the rest,
// after one blank line, is the text body. Templates are parsed on each
// call; callers that render often can keep fsys in memory (embed.FS).
func Render(fsys fs.FS, name string, data any) (subject, text, html string, err error) {
	src, err := fs.ReadFile(fsys, name+".txt")
	if err != nil {
		return "", "", "", fmt.Errorf("messaging: render %s: %w", name, err)
	}
	tt, err := texttemplate.New(name + ".txt").Option("missingkey=error").Parse(string(src))
	if err != nil {
		return "", "", "", fmt.Errorf("messaging: render %s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := tt.Execute(&buf, data); err != nil {
		return "", "", "", fmt.Errorf("messaging: render %s: %w", name, err)
	}
	first, rest, _ := strings.Cut(strings.ReplaceAll(buf.String(), "\r\n", "\n"), "\n")
	subject, ok := strings.CutPrefix(first, "Subject:")
	subject = strings.TrimSpace(subject)
	if !ok || subject == "" {
		return "", "", "", fmt.Errorf("messaging: render %s: the first line must be \"Subject: …\"", name)
	}
	text = strings.TrimLeft(rest, "\n")

	src, err = fs.ReadFile(fsys, name+".html")
	if errors.Is(err, fs.ErrNotExist) {
		return subject, text, "", nil
	}
	if err != nil {
		return "", "", "", fmt.Errorf("messaging: render %s: %w", name, err)
	}
	ht, err := htmltemplate.New(name + ".html").Option("missingkey=error").Parse(string(src))
	if err != nil {
		return "", "", "", fmt.Errorf("messaging: render %s: %w", name, err)
	}
	buf.Reset()
	if err := ht.Execute(&buf, data); err != nil {
		return "", "", "", fmt.Errorf("messaging: render %s: %w", name, err)
	}
	return subject, text, buf.String(), nil
}
