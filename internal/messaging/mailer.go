package messaging

import (
	"context"
	"fmt"
	"sync"
)

// Mailer delivers one message.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// deliverer is implemented by mailers that can say when the server has
// accepted a message, before they close the connection (SMTPMailer): the
// send worker records the message as sent in accepted, with the text of
// the server's reply.
type deliverer interface {
	Deliver(ctx context.Context, m Message, accepted func(reply string) error) error
}

// keeper is implemented by mailers that keep messages instead of sending
// them; the send worker then marks a message Kept rather than Sent.
type keeper interface{ keeps() bool }

// DevMailbox is the Mailer used when no SMTP server is configured. Send does
// nothing: the message is already stored in the database, and the send job
// marks it Kept, so it can be read in the admin area.
type DevMailbox struct{}

// Send keeps the message where it is.
func (DevMailbox) Send(context.Context, Message) error { return nil }

func (DevMailbox) keeps() bool { return true }

// Recorder is a Mailer for tests: it records what it is asked to send and
// can be told to fail.
type Recorder struct {
	mu       sync.Mutex
	sent     []Message
	failures int
	err      error
}

// FailNext makes the next n calls to Send fail with err.
func (r *Recorder) FailNext(n int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures, r.err = n, err
}

// Send records m, or fails if told to.
func (r *Recorder) Send(_ context.Context, m Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures > 0 {
		r.failures--
		if r.err == nil {
			return fmt.Errorf("recorder: failing as told")
		}
		return r.err
	}
	r.sent = append(r.sent, m)
	return nil
}

// Messages returns a copy of the messages recorded so far, in order.
func (r *Recorder) Messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.sent...)
}
