package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"plenary/internal/catalog"
	"plenary/internal/messaging"
	"plenary/internal/messaging/mailtest"
)

// bare is the reference: a fresh server of the same kind, fed the same n
// messages rendered beforehand (as bytes, ready for DATA) by conns
// goroutines, each over one connection opened (EHLO, STARTTLS, AUTH)
// before the clock starts and kept for all its messages. No database, no
// job queue, no composing: what the server and go-mail's SMTP client
// cost on this machine. It returns messages per second, from the start
// until the server has accepted the last, and the process's CPU time
// per message over that time (client and server sides).
func bare(o options, conns int) (rate float64, cpuPerMsg time.Duration, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	srv, err := mailtest.New(mailtest.Options{Plain: !o.starttls})
	if err != nil {
		return 0, 0, err
	}
	defer srv.Close()
	const from = "noreply@training.example"
	course, event := joiningCourse()
	invite := catalog.Calendar(course, event, catalog.CalendarOptions{
		BaseURL: "https://training.example", Method: "REQUEST",
		Organizer: "mailto:courses@training.example", Joining: true, Now: time.Now(),
	})
	type raw struct {
		to   string
		data []byte
	}
	msgs := make(chan raw, o.n)
	for i := range o.n {
		m := joiningMessage(i, course, event, invite)
		m.MessageID = fmt.Sprintf("<bare.%d@training.example>", i)
		var b bytes.Buffer
		if err := messaging.WriteEML(&b, m, "Plenary Training <"+from+">", "", time.Now()); err != nil {
			return 0, 0, err
		}
		msgs <- raw{to: m.ToEmail, data: b.Bytes()}
	}
	close(msgs)

	host, portText, _ := net.SplitHostPort(srv.Addr)
	port, _ := strconv.Atoi(portText)
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(30 * time.Second)}
	if o.starttls {
		tlsConfig := srv.TLSConfig()
		tlsConfig.ServerName = host
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithTLSConfig(tlsConfig),
			gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(mailtest.User), gomail.WithPassword(mailtest.Password))
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	c, err := gomail.NewClient(host, opts...)
	if err != nil {
		return 0, 0, err
	}
	// Open every connection before the clock starts.
	var open []*smtp.Client
	defer func() {
		for _, sc := range open {
			_ = sc.Quit()
		}
	}()
	for range conns {
		sc, err := c.DialToSMTPClientWithContext(ctx)
		if err != nil {
			return 0, 0, err
		}
		open = append(open, sc)
	}
	send := func(sc *smtp.Client, m raw) error {
		if err := sc.Mail(from); err != nil {
			return err
		}
		if err := sc.Rcpt(m.to); err != nil {
			return err
		}
		w, err := sc.Data()
		if err != nil {
			return err
		}
		if _, err := w.Write(m.data); err != nil {
			return err
		}
		return w.Close()
	}
	cpuBegan := cpuTime()
	began := time.Now()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for _, sc := range open {
		wg.Go(func() {
			for m := range msgs {
				if err := send(sc, m); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	cpu := cpuTime() - cpuBegan
	if firstErr != nil {
		return 0, 0, firstErr
	}
	if srv.Len() != o.n {
		return 0, 0, fmt.Errorf("the server has %d of %d messages", srv.Len(), o.n)
	}
	var last time.Time
	for _, m := range srv.Messages() {
		if m.At.After(last) {
			last = m.At
		}
	}
	return float64(o.n) / last.Sub(began).Seconds(), cpu / time.Duration(o.n), nil
}
