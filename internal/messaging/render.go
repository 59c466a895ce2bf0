package messaging

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"plenary/internal/database"
)

// Content is what a message says: its subject, text and HTML bodies and
// attachments.
type Content struct {
	Subject, Text, HTML string
	Attachments         []Attachment
}

// Renderer makes the content of a message that was queued with its data
// (Message.Data) instead of its content. The package that queues such
// messages provides it (booking.Mail renders the booking e-mails); main
// gives it to the outbox in OutboxOptions. Rendering must depend on kind
// and data alone, so that a message reads the same in the dev mailbox
// before it is sent as what is then sent.
type Renderer interface {
	RenderMessage(kind string, data []byte) (Content, error)
}

// Why messages may be queued with their data: a booking queues its
// e-mails inside the transaction that holds the date's lock (the
// database's write lock on SQLite). Storing the kind and the data there
// keeps the outbox's promise — the message and its send job commit with
// the booking, or not at all — while the templates and calendar files are
// rendered outside the lock: by the send job, which saves the result on
// the message before the SMTP conversation (so the mail log shows exactly
// what went), or on reading a message not yet sent (the dev mailbox,
// `plenary messages`).

// Preview renders m, a message built but not necessarily queued, as its
// reader would get it: a save's dry run shows a coordinator one of the
// notices it would send.
func (o *Outbox) Preview(m Message) (Message, error) {
	err := o.render(&m)
	return m, err
}

// render fills m's content from its data. It does nothing for a message
// stored with its content, or one already rendered.
func (o *Outbox) render(m *Message) error {
	if len(m.Data) == 0 {
		return nil
	}
	if o.opts.Renderer == nil {
		return fmt.Errorf("messaging: render message %d (%s): the outbox has no renderer", m.ID, m.Kind)
	}
	c, err := o.opts.Renderer.RenderMessage(m.Kind, m.Data)
	if err != nil {
		return fmt.Errorf("messaging: render message %d (%s): %w", m.ID, m.Kind, err)
	}
	m.Subject, m.Text, m.HTML, m.Attachments = c.Subject, c.Text, c.HTML, c.Attachments
	return nil
}

// saveRendered renders m if it was queued with its data and stores the
// content on the message (clearing the data), in one transaction, before
// it is sent. Two attempts racing (a rescued send) store it once; the
// loser reads back what the winner stored.
func (o *Outbox) saveRendered(ctx context.Context, m *Message) error {
	if len(m.Data) == 0 {
		return nil
	}
	if err := o.render(m); err != nil {
		return err
	}
	check := *m
	check.Data = nil
	if err := check.validate(); err != nil {
		return fmt.Errorf("messaging: render message %d (%s): %w", m.ID, m.Kind, err)
	}
	stored := false
	err := database.InTx(ctx, o.db, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE messages SET subject = $1, text_body = $2, html_body = $3, render_data = ''
			WHERE id = $4 AND render_data <> ''`, m.Subject, m.Text, m.HTML, m.ID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		stored = true
		return insertAttachments(ctx, tx, m.ID, m.Attachments)
	})
	if err != nil {
		return fmt.Errorf("messaging: save rendered message %d: %w", m.ID, err)
	}
	if !stored {
		again, err := o.load(ctx, m.ID)
		if err != nil {
			return err
		}
		if len(again.Data) > 0 {
			return errors.New("messaging: save rendered message: lost")
		}
		*m = again
	}
	m.Data = nil
	return nil
}

// insertAttachments stores a message's attachments in tx.
func insertAttachments(ctx context.Context, tx *sql.Tx, id int64, list []Attachment) error {
	for i, a := range list {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO message_attachments (message_id, position, filename, content_type, data)
			VALUES ($1, $2, $3, $4, $5)`, id, i, a.Filename, a.ContentType, a.Data); err != nil {
			return fmt.Errorf("attachment %s: %w", a.Filename, err)
		}
	}
	return nil
}

// Renderers gives each kind of message to the renderer of the package that
// queues it (lists' e-mails beside booking's): ByKind first, Default for
// every other kind.
type Renderers struct {
	ByKind  map[string]Renderer
	Default Renderer
}

// RenderMessage renders with the kind's renderer.
func (r Renderers) RenderMessage(kind string, data []byte) (Content, error) {
	if k, ok := r.ByKind[kind]; ok {
		return k.RenderMessage(kind, data)
	}
	if r.Default == nil {
		return Content{}, fmt.Errorf("no renderer for messages of kind %q", kind)
	}
	return r.Default.RenderMessage(kind, data)
}
