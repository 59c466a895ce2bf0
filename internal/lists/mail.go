package lists

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"time"

	"plenary/internal/messaging"
)

//go:embed mail
var mailFiles embed.FS

// kindConfirm is the e-mail that asks a person to confirm a subscription:
// the one e-mail a request sends. It is not list mail (it carries no
// List-Unsubscribe: nothing is subscribed yet) and says that ignoring it
// is enough.
const kindConfirm = "list_confirm"

// MailKinds are the kinds Mail renders, for messaging.Renderers.
var MailKinds = []string{kindConfirm}

// confirmData is what a confirmation e-mail is queued with.
type confirmData struct {
	Name, What, ConfirmURL, SiteURL string
	Expires                         time.Time
}

// ExpiresText is the link's last day, in words (UTC: the e-mail goes to
// people anywhere).
func (d confirmData) ExpiresText() string { return d.Expires.UTC().Format("Monday 2 January 2006") }

// Mail renders the lists' e-mails from their templates, parsed once; it
// is the outbox's messaging.Renderer for MailKinds.
type Mail struct {
	templates *messaging.Templates
}

// NewMail parses the lists' e-mails; a broken template stops the start.
func NewMail() (*Mail, error) {
	dir, err := fs.Sub(mailFiles, "mail")
	if err != nil {
		return nil, fmt.Errorf("lists: mail: %w", err)
	}
	t, err := messaging.ParseTemplates(dir, map[string]func() any{kindConfirm: func() any { return confirmData{} }})
	if err != nil {
		return nil, fmt.Errorf("lists: %w", err)
	}
	return &Mail{templates: t}, nil
}

// RenderMessage implements messaging.Renderer.
func (m *Mail) RenderMessage(kind string, data []byte) (messaging.Content, error) {
	if kind != kindConfirm {
		return messaging.Content{}, fmt.Errorf("lists: no e-mail of kind %q", kind)
	}
	var d confirmData
	if err := json.Unmarshal(data, &d); err != nil {
		return messaging.Content{}, fmt.Errorf("lists: mail %s: %w", kind, err)
	}
	c, err := m.templates.Render(kind, d)
	if err != nil {
		return c, fmt.Errorf("lists: %w", err)
	}
	return c, nil
}
