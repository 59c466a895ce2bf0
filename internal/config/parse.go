package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"plenary/internal/account"
	"plenary/internal/messaging"
	"plenary/internal/workdays"
)

// The parsers below read one setting's text (already trimmed, or its
// default) into its type. Their errors say what is wrong without the
// variable's name, which Load puts in front, and never quote a secret.

func same(s string) string { return s }

func text(max int) func(string) (string, error) {
	return func(s string) (string, error) {
		if len(s) > max {
			return "", fmt.Errorf("longer than %d characters", max)
		}
		return s, nil
	}
}

func databaseURL(s string) (string, error) {
	if !strings.HasPrefix(s, "sqlite:") && !strings.HasPrefix(s, "postgres://") && !strings.HasPrefix(s, "postgresql://") {
		return "", errors.New("must start with sqlite: or postgres://")
	}
	return s, nil
}

func baseURL(s string) (string, error) {
	s = strings.TrimRight(s, "/")
	if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http:// or https:// address", s)
	}
	return s, nil
}

func zone(s string) (*time.Location, error) {
	loc, err := time.LoadLocation(s)
	if err != nil || s == "Local" || s == "" {
		return nil, fmt.Errorf("%q is not an IANA time zone such as Europe/London", s)
	}
	return loc, nil
}

func boolean(s string) (bool, error) {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%q is not true or false", s)
	}
	return b, nil
}

func onOff(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "on", "true":
		return true, nil
	case "off", "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not on or off", s)
}

func oneOf(words ...string) func(string) (string, error) {
	return func(s string) (string, error) {
		for _, w := range words {
			if strings.EqualFold(s, w) {
				return w, nil
			}
		}
		return "", fmt.Errorf("%q is not %s", s, strings.Join(words, " or "))
	}
}

func logLevel(s string) (slog.Level, error) {
	w, err := oneOf("debug", "info", "warn", "error")(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
	}
	var l slog.Level
	return l, l.UnmarshalText([]byte(w))
}

// smtpURL checks the URL with messaging's own parser, the one the mailer
// is built with.
func smtpURL(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if _, err := messaging.ParseSMTPURL(s); err != nil {
		return "", err
	}
	return s, nil
}

func address(required bool) func(string) (Address, error) {
	return func(s string) (Address, error) {
		if s == "" && !required {
			return Address{}, nil
		}
		a, err := ParseAddress(s)
		if err != nil {
			return Address{}, fmt.Errorf(`%w such as "Plenary <noreply@training.example>"`, err)
		}
		return a, nil
	}
}

func addresses(s string) ([]Address, error) {
	var out []Address
	var errs []error
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		a, err := ParseAddress(v)
		if err != nil {
			errs = append(errs, err)
		}
		out = append(out, a)
	}
	return out, errors.Join(errs...)
}

func wholeNumber(min, max int, unit string) func(string) (int, error) {
	return func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < min || n > max {
			return 0, fmt.Errorf("%q is not a whole number of %s from %d to %d", s, unit, min, max)
		}
		return n, nil
	}
}

// unconfirmedDays reads PLENARY_LIST_UNCONFIRMED_DAYS: from 7, the days a
// confirmation link works (lists.TokenLifetime), so a request is never
// forgotten while its link still works.
func unconfirmedDays(s string) (int, error) {
	n, err := wholeNumber(7, 3650, "days")(s)
	if err != nil {
		return 0, fmt.Errorf("%w: a request must be kept at least as long as its confirmation link works (7 days)", err)
	}
	return n, nil
}

func duration(min, max time.Duration, example string) func(string) (time.Duration, error) {
	return func(s string) (time.Duration, error) {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration such as %s", s, example)
		}
		if d < min || d > max {
			return 0, fmt.Errorf("%v is not between %v and %v", d, shortDuration(min), shortDuration(max))
		}
		return d, nil
	}
}

// shortDuration writes 1h rather than 1h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	s = strings.TrimSuffix(s, "0m")
	if s == "" {
		return "0"
	}
	return s
}

func prefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var errs []error
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				errs = append(errs, fmt.Errorf("%q is not an address or a range such as 10.0.0.0/8", v))
				continue
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, errors.Join(errs...)
}

func joinPrefixes(ps []netip.Prefix) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, ",")
}

func region(s string) (workdays.Region, error) {
	r, err := workdays.ParseRegion(s)
	if err != nil {
		return "", fmt.Errorf("%q is not england-and-wales, scotland or northern-ireland", s)
	}
	return r, nil
}

// holidaysFile reads and checks the install's holidays, so a mistake in
// the file stops the start with the other problems.
func holidaysFile(c *Config, path string) error {
	c.HolidaysFile = path
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	c.Holidays, err = workdays.ParseOverrides(path, f)
	return err
}

func token(min int) func(string) (string, error) {
	return func(s string) (string, error) {
		if s != "" && len(s) < min {
			return "", fmt.Errorf("shorter than %d characters", min)
		}
		return s, nil
	}
}

// mask hides a secret that is set.
func mask(s string) string {
	if s == "" {
		return ""
	}
	return "xxxxx"
}

// maskURL hides the password in a URL.
func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return mask(raw)
	}
	if u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// roles reads a comma-separated list of staff roles.
func roles(s string) ([]account.Role, error) {
	var out []account.Role
	var errs []error
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		r, err := account.ParseRole(part)
		if err != nil {
			errs = append(errs, fmt.Errorf("%q is not a role: the roles are admin, coordinator, finance and trainer", part))
			continue
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, errors.Join(errs...)
}

func joinRoles(rs []account.Role) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = string(r)
	}
	return strings.Join(parts, ",")
}

// providerScripts are the analytics providers Plenary knows, with their
// script's address (web.Options.AnalyticsProvider says how each takes its
// site ID).
var providerScripts = map[string]string{
	"":          "",
	"plausible": "https://plausible.io/js/script.js",
	"umami":     "https://cloud.umami.is/script.js",
	"fathom":    "https://cdn.usefathom.com/script.js",
}

func analyticsProvider(s string) (string, error) {
	w, err := oneOf("none", "plausible", "umami", "fathom")(s)
	if err != nil {
		return "", err
	}
	if w == "none" {
		return "", nil
	}
	return w, nil
}

func providerWord(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func analyticsID(s string) (string, error) {
	if len(s) > 200 || strings.ContainsAny(s, "\"<>'` \t\r\n") {
		return "", fmt.Errorf("%q is not a site ID (letters, digits, dots and dashes)", s)
	}
	return s, nil
}

func httpsURL(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("%q is not an https:// address", s)
	}
	return s, nil
}

// cookieNames reads comma-separated cookie names (RFC 6265 tokens).
func cookieNames(s string) ([]string, error) {
	var out []string
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if strings.ContainsFunc(n, func(r rune) bool {
			return r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r)
		}) {
			return nil, fmt.Errorf("%q is not a cookie name", n)
		}
		out = append(out, n)
	}
	return out, nil
}

func joinNames(ns []string) string { return strings.Join(ns, ",") }
