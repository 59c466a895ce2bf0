package catalog

import (
	"errors"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	// agendaLineRE reads "09:30 registration: Registration" and
	// "10:00-11:30 teaching: Title"; the times are optional so that a
	// missing start gets a precise message rather than a parse failure.
	agendaLineRE = regexp.MustCompile(`^(?:(\S+?)(?:\s*[-–]\s*(\S+))?\s+)?([a-z_]+):\s*(.*)$`)
	dayHoursRE   = regexp.MustCompile(`^(\S+?)\s*[-–]\s*(\S+)$`)
)

// Keys accepted at each level of the front matter, in the order
// FormatCourseFile writes them.
var (
	fileCourseKeys     = []string{"slug", "title", "summary", "status", "topics", "joining_lead_days", "reminder_days_before", "completion", "feedback_url", "booking", "fees", "questions", "rules", "events"}
	fileCompletionKeys = []string{"minimum_percent"}
	fileBookingKeys    = []string{"waitlist", "offer_hold_hours", "closes_hours_before"}
	fileRuleKeys       = []string{"if", "then", "message", "note"}
	fileFeeKeys        = []string{"name", "amount", "currency"}
	fileQuestionKeys   = []string{"key", "label", "kind", "required", "help"}
	fileEventKeys      = []string{"ref", "time_zone", "region", "format", "status", "capacity", "venue", "meeting", "days"}
	fileVenueKeys      = []string{"name", "address", "directions"}
	fileMeetingKeys    = []string{"provider", "join_url", "id", "passcode"}
	fileDayKeys        = []string{"date", "time", "agenda"}
)

// Defaults for keys a file leaves out.
const (
	defaultJoiningLeadDays = 1
	defaultCurrency        = "GBP"
	// completionAllDays is the completion: value for every day present.
	completionAllDays = "all-days"
)

// course reads the top-level mapping.
func (p *fileParser) course(n *yaml.Node, c *Course) {
	p.mapping(n, "", fileCourseKeys, func(key string, v *yaml.Node, path string) {
		switch key {
		case "slug":
			c.Slug = p.text(v, path)
		case "title":
			c.Title = p.text(v, path)
		case "summary":
			c.Summary = strings.TrimSpace(p.text(v, path))
		case "status":
			c.Status = Status(p.text(v, path))
		case "joining_lead_days":
			if !yamlNull(v) {
				c.JoiningLeadDays = p.integer(v, path)
			}
		case "reminder_days_before":
			if !yamlNull(v) {
				c.ReminderDaysBefore = p.integer(v, path)
			}
		case "completion":
			p.completion(v, path, c)
		case "feedback_url":
			if !yamlNull(v) {
				c.FeedbackURL = strings.TrimSpace(p.text(v, path))
			}
		case "booking":
			p.booking(v, path, c)
		case "topics":
			p.list(v, path, func(_ int, item *yaml.Node, ip string) {
				c.Topics = append(c.Topics, p.text(item, ip))
			})
		case "fees":
			p.list(v, path, func(_ int, item *yaml.Node, ip string) {
				c.Fees = append(c.Fees, p.fee(item, ip))
			})
		case "questions":
			p.list(v, path, func(_ int, item *yaml.Node, ip string) {
				c.Questions = append(c.Questions, p.question(item, ip))
			})
		case "rules":
			p.list(v, path, func(_ int, item *yaml.Node, ip string) {
				c.Rules = append(c.Rules, p.rule(item, ip))
			})
		case "events":
			p.list(v, path, func(_ int, item *yaml.Node, ip string) {
				c.Events = append(c.Events, p.event(item, ip))
			})
		}
	})
}

// completion reads what counts as completing a date: all-days, or a
// mapping {minimum_percent: N}. Left out or empty, it is all-days.
func (p *fileParser) completion(n *yaml.Node, path string, c *Course) {
	switch {
	case yamlNull(n):
	case n.Kind == yaml.ScalarNode:
		if v := p.text(n, path); v != completionAllDays {
			p.fail(n, path, "must be %s or a mapping with minimum_percent (e.g. {minimum_percent: 80})", completionAllDays)
		}
	default:
		p.mapping(n, path, fileCompletionKeys, func(key string, v *yaml.Node, kp string) {
			if key == "minimum_percent" {
				c.CompletionPercent = p.integer(v, kp)
				if c.CompletionPercent == 0 {
					p.fail(v, kp, "must be between 1 and 100 (for every day present, write completion: %s)", completionAllDays)
				}
			}
		})
	}
}

// booking reads the booking settings. A key left out or left empty keeps
// its default.
func (p *fileParser) booking(n *yaml.Node, path string, c *Course) {
	p.mapping(n, path, fileBookingKeys, func(key string, v *yaml.Node, kp string) {
		if yamlNull(v) {
			return
		}
		switch key {
		case "waitlist":
			c.Waitlist = p.boolean(v, kp)
		case "offer_hold_hours":
			c.OfferHoldHours = p.integer(v, kp)
		case "closes_hours_before":
			c.BookingClosesHours = p.integer(v, kp)
		}
	})
}

// rule reads one eligibility rule: if (a list of conditions, or a single
// one), then, and message (refuse, review) or note (accept).
func (p *fileParser) rule(n *yaml.Node, path string) Rule {
	var r Rule
	var textKey string
	var textNode *yaml.Node
	p.mapping(n, path, fileRuleKeys, func(key string, v *yaml.Node, kp string) {
		switch key {
		case "if":
			if v.Kind == yaml.ScalarNode && !yamlNull(v) {
				ip := kp + "[0]"
				p.at(v, ip)
				r.Conditions = append(r.Conditions, p.condition(v, ip))
				return
			}
			p.list(v, kp, func(_ int, item *yaml.Node, ip string) {
				r.Conditions = append(r.Conditions, p.condition(item, ip))
			})
		case "then":
			r.Outcome = Outcome(p.text(v, kp))
		case "message", "note":
			if textKey != "" {
				p.fail(v, kp, "a rule has either message: (refuse, review) or note: (accept), not both")
				return
			}
			textKey, textNode = key, v
			r.Message = strings.TrimSpace(p.text(v, kp))
		}
	})
	// The text is kept either way, so that Validate does not also call it
	// missing.
	switch {
	case textKey == "message" && r.Outcome == Accept:
		p.fail(textNode, path+".message", "an accept rule has a note: (attached to the confirmation), not a message:")
	case textKey == "note" && (r.Outcome == Refuse || r.Outcome == Review):
		p.fail(textNode, path+".note", "a %s rule has a message: (the reason shown to the person), not a note:", r.Outcome)
	}
	return r
}

// condition reads one condition line such as
// "training_completed before event - 6 months".
func (p *fileParser) condition(n *yaml.Node, path string) Condition {
	if n.Kind != yaml.ScalarNode || yamlNull(n) {
		p.fail(n, path, `must be one condition such as "training_completed is missing"`)
		return Condition{}
	}
	c, err := ParseCondition(n.Value)
	if err != nil {
		p.fail(n, path, "%v", err)
	}
	return c
}

func (p *fileParser) fee(n *yaml.Node, path string) FeeTier {
	f := FeeTier{Currency: defaultCurrency}
	var amount *yaml.Node
	p.mapping(n, path, fileFeeKeys, func(key string, v *yaml.Node, kp string) {
		switch key {
		case "name":
			f.Name = p.text(v, kp)
		case "amount":
			amount = v
		case "currency":
			f.Currency = p.text(v, kp)
		}
	})
	// The amount is read after the currency, whose decimals it must have.
	if _, err := CurrencyDecimals(f.Currency); err != nil {
		return f // Validate refuses the currency, on its line
	}
	switch {
	case amount != nil:
		f.Amount = p.amount(amount, path+".amount", f.Currency)
	case n.Kind == yaml.MappingNode:
		p.fail(n, path+".amount", `is required, e.g. amount: %q (use %q for a free place)`,
			FormatAmount(12000, f.Currency), FormatAmount(0, f.Currency))
	}
	return f
}

// amount reads an amount in the currency's own decimals: "120.00" (or
// "120") for GBP, "1200" for JPY, "120.000" for BHD, as minor units. The
// text is read as written, never through a float.
func (p *fileParser) amount(n *yaml.Node, path, code string) int64 {
	minor, err := ParseAmount(p.text(n, path), code)
	if err != nil {
		p.fail(n, path, "%v", err)
		return 0
	}
	return minor
}

func (p *fileParser) question(n *yaml.Node, path string) Question {
	var q Question
	p.mapping(n, path, fileQuestionKeys, func(key string, v *yaml.Node, kp string) {
		switch key {
		case "key":
			q.Key = p.text(v, kp)
		case "label":
			q.Label = p.text(v, kp)
		case "kind":
			q.Kind = QuestionKind(p.text(v, kp))
		case "required":
			q.Required = p.boolean(v, kp)
		case "help":
			q.Help = strings.TrimSpace(p.text(v, kp))
		}
	})
	return q
}

func (p *fileParser) event(n *yaml.Node, path string) Event {
	e := Event{TimeZone: DefaultTimeZone, Status: Scheduled}
	p.mapping(n, path, fileEventKeys, func(key string, v *yaml.Node, kp string) {
		switch key {
		case "ref":
			e.Ref = p.text(v, kp)
		case "time_zone":
			e.TimeZone = p.text(v, kp)
		case "region":
			e.Region = p.text(v, kp)
		case "format":
			e.Format = Format(p.text(v, kp))
		case "status":
			e.Status = EventStatus(p.text(v, kp))
		case "capacity":
			e.Capacity = p.integer(v, kp)
		case "venue":
			p.mapping(v, kp, fileVenueKeys, func(key string, v *yaml.Node, vp string) {
				switch key {
				case "name":
					e.Venue.Name = p.text(v, vp)
				case "address":
					e.Venue.Address = strings.TrimSpace(p.text(v, vp))
				case "directions":
					e.Venue.Directions = strings.TrimSpace(p.text(v, vp))
				}
			})
		case "meeting":
			p.mapping(v, kp, fileMeetingKeys, func(key string, v *yaml.Node, mp string) {
				switch key {
				case "provider":
					e.Meeting.Provider = p.text(v, mp)
				case "join_url":
					e.Meeting.JoinURL = p.text(v, mp)
				case "id":
					e.Meeting.ID = p.text(v, mp)
				case "passcode":
					e.Meeting.Passcode = p.text(v, mp)
				}
			})
		case "days":
			p.list(v, kp, func(_ int, item *yaml.Node, dp string) {
				e.Days = append(e.Days, p.day(item, dp))
			})
		}
	})
	return e
}

func (p *fileParser) day(n *yaml.Node, path string) Day {
	var d Day
	p.mapping(n, path, fileDayKeys, func(key string, v *yaml.Node, kp string) {
		switch key {
		case "date":
			s := p.text(v, kp)
			date, err := ParseDate(s)
			if err != nil {
				p.fail(v, kp, "%v", err)
			}
			d.Date = date
		case "time":
			s := p.text(v, kp)
			m := dayHoursRE.FindStringSubmatch(s)
			start, err1 := clockFromMatch(m, 1)
			end, err2 := clockFromMatch(m, 2)
			if m == nil || err1 != nil || err2 != nil {
				p.fail(v, kp, "%q is not a time range in the form HH:MM-HH:MM, e.g. 10:00-17:00", s)
			}
			d.Start, d.End = start, end
		case "agenda":
			p.list(v, kp, func(_ int, item *yaml.Node, ap string) {
				d.Agenda = append(d.Agenda, p.agendaItem(item, ap))
			})
		}
	})
	return d
}

func clockFromMatch(m []string, i int) (Clock, error) {
	if m == nil {
		return Clock{}, errors.New("no match")
	}
	return ParseClock(m[i])
}

// agendaItem reads "HH:MM[-HH:MM] kind: Title". An unquoted line such as
// `- 09:30 registration: Registration` is a one-key mapping in YAML; it is
// accepted as the line it looks like.
func (p *fileParser) agendaItem(n *yaml.Node, path string) AgendaItem {
	var s string
	switch {
	case n.Kind == yaml.MappingNode && len(n.Content) == 2 &&
		n.Content[0].Kind == yaml.ScalarNode && n.Content[1].Kind == yaml.ScalarNode:
		s = n.Content[0].Value + ": " + p.text(n.Content[1], path)
	case n.Kind == yaml.ScalarNode:
		s = n.Value
	default:
		p.fail(n, path, `must be one line such as "10:00-11:30 teaching: Title"`)
		return AgendaItem{}
	}
	if strings.ContainsAny(s, "\r\n") {
		p.fail(n, path, "must be on one line")
		return AgendaItem{}
	}
	m := agendaLineRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		p.fail(n, path, `must read "START kind: Title" or "START-END kind: Title", e.g. "10:00-11:30 teaching: Title"`)
		return AgendaItem{}
	}
	a := AgendaItem{Kind: AgendaKind(m[3]), Title: strings.TrimSpace(m[4])}
	var err error
	if m[1] != "" {
		if a.Start, err = ParseClock(m[1]); err != nil {
			p.fail(n, path, "start: %v", err)
		}
	}
	if m[2] != "" {
		if a.End, err = ParseClock(m[2]); err != nil {
			p.fail(n, path, "end: %v", err)
		}
	}
	return a
}
