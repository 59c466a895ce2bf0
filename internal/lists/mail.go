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

// kindNews is list mail (see Service.Announce): new dates and places
// free again, at most one a day per address, with List-Unsubscribe and a
// visible link per subscription that brought something.
const kindNews = "list_news"

// MailKinds are the kinds Mail renders, for messaging.Renderers.
var MailKinds = []string{kindConfirm, kindNews}

// newsData is what a list e-mail is queued with: everything as it stood
// when it was queued.
type newsData struct {
	Subject, Name, SiteURL string
	Dates                  []dateLine // new dates
	Freed                  []dateLine // dates with places again
	Stops                  []stopLine
}

// dateLine is one date in a list e-mail, its times in its own zone.
type dateLine struct {
	Course, CourseURL string
	When, Times, Zone string
	Format, Fee       string
	Places, BookURL   string
}

// stopLine is the visible unsubscribe link of one subscription.
type stopLine struct{ What, URL string }

// confirmData is what a confirmation e-mail is queued with.
type confirmData struct {
	Name, What, ConfirmURL, SiteURL string
	Expires                         time.Time
	// ForgetDays is how many days an unconfirmed request is kept
	// (PLENARY_LIST_UNCONFIRMED_DAYS); 0 in e-mails queued before it was
	// recorded, which were queued under the default.
	ForgetDays int
}

// ForgetText is how long an unconfirmed request is kept, in words.
func (d confirmData) ForgetText() string {
	n := d.ForgetDays
	if n <= 0 {
		n = int(ForgetAfter / (24 * time.Hour))
	}
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
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
	t, err := messaging.ParseTemplates(dir, map[string]func() any{
		kindConfirm: func() any { return confirmData{} },
		kindNews: func() any {
			return newsData{Subject: "New dates", Dates: []dateLine{{}}, Freed: []dateLine{{}}, Stops: []stopLine{{}}}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("lists: %w", err)
	}
	return &Mail{templates: t}, nil
}

// RenderMessage implements messaging.Renderer.
func (m *Mail) RenderMessage(kind string, data []byte) (messaging.Content, error) {
	var d any
	switch kind {
	case kindConfirm:
		d = &confirmData{}
	case kindNews:
		d = &newsData{}
	default:
		return messaging.Content{}, fmt.Errorf("lists: no e-mail of kind %q", kind)
	}
	if err := json.Unmarshal(data, d); err != nil {
		return messaging.Content{}, fmt.Errorf("lists: mail %s: %w", kind, err)
	}
	c, err := m.templates.Render(kind, d)
	if err != nil {
		return c, fmt.Errorf("lists: %w", err)
	}
	return c, nil
}
