package config

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"
)

// Address is an e-mail address setting, checked with net/mail. Text is
// the value as written ("Courses <courses@training.example>"), which mail
// headers carry unchanged; Addr is the bare address. The zero Address
// means none.
type Address struct {
	Text string
	Addr string
}

// ParseAddress checks one address such as "Plenary <noreply@training.example>".
func ParseAddress(s string) (Address, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return Address{}, fmt.Errorf("%q is not an e-mail address", s)
	}
	return Address{Text: s, Addr: a.Address}, nil
}

// String returns the address as written.
func (a Address) String() string { return a.Text }

// IsZero reports whether no address is set.
func (a Address) IsZero() bool { return a.Text == "" }

// Strings returns the addresses as written.
func Strings(as []Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Text
	}
	return out
}

// Clock is a time of day to the minute, such as PLENARY_JOINING_TIME.
type Clock struct {
	Minutes int // since midnight, 0..1439
}

// parseClock reads HH:MM (24-hour), nothing looser.
func parseClock(s string) (Clock, error) {
	bad := fmt.Errorf("%q is not a time of day such as 09:00", s)
	if len(s) != 5 || s[2] != ':' || strings.Trim(s[:2]+s[3:], "0123456789") != "" {
		return Clock{}, bad
	}
	h, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[3:])
	if h > 23 || m > 59 {
		return Clock{}, bad
	}
	return Clock{Minutes: h*60 + m}, nil
}

// optionalClock reads HH:MM, or nothing (nil).
func optionalClock(s string) (*Clock, error) {
	if s == "" {
		return nil, nil
	}
	c, err := parseClock(s)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// String writes HH:MM.
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c.Minutes/60, c.Minutes%60) }
