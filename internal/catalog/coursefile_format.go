package catalog

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FormatCourseFile writes c in the course file format, in canonical form:
// keys in a fixed order, agenda items as quoted one-line strings, amounts
// in their currency's own decimals ("120.00" GBP, "1200" JPY), rules' conditions as one-line lists, and the long texts as
// "## " sections in a fixed order. Keys left at their meaning-free zero (an
// empty summary, no fees, no venue, no reminder, completion on all days, the default region) are
// left out; joining_lead_days, the booking settings, an event's time_zone,
// status and capacity are always written. IDs, versions and timestamps are
// not written.
//
// ParseCourseFile(FormatCourseFile(c)) gives back c on every field the file
// carries, and formatting that again gives the same bytes.
func FormatCourseFile(c Course) []byte {
	root := &yaml.Node{Kind: yaml.MappingNode}
	yamlPut(root, "slug", yamlStr(c.Slug))
	yamlPut(root, "title", yamlStr(c.Title))
	if c.Summary != "" {
		yamlPut(root, "summary", yamlStr(c.Summary))
	}
	yamlPut(root, "status", yamlStr(string(c.Status)))
	if len(c.Topics) > 0 {
		yamlPut(root, "topics", yamlSeq(len(c.Topics), func(i int) *yaml.Node { return yamlStr(c.Topics[i]) }))
	}
	yamlPut(root, "joining_lead_days", yamlPlain(strconv.Itoa(c.JoiningLeadDays)))
	if c.ReminderDaysBefore != 0 {
		yamlPut(root, "reminder_days_before", yamlPlain(strconv.Itoa(c.ReminderDaysBefore)))
	}
	if c.CompletionPercent != 0 {
		m := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		yamlPut(m, "minimum_percent", yamlPlain(strconv.Itoa(c.CompletionPercent)))
		yamlPut(root, "completion", m)
	}
	if c.FeedbackURL != "" {
		yamlPut(root, "feedback_url", yamlStr(c.FeedbackURL))
	}
	booking := &yaml.Node{Kind: yaml.MappingNode}
	yamlPut(booking, "waitlist", yamlPlain(strconv.FormatBool(c.Waitlist)))
	yamlPut(booking, "offer_hold_hours", yamlPlain(strconv.Itoa(c.OfferHoldHours)))
	yamlPut(booking, "closes_hours_before", yamlPlain(strconv.Itoa(c.BookingClosesHours)))
	yamlPut(root, "booking", booking)
	if len(c.Fees) > 0 {
		yamlPut(root, "fees", yamlSeq(len(c.Fees), func(i int) *yaml.Node {
			f := c.Fees[i]
			m := &yaml.Node{Kind: yaml.MappingNode}
			yamlPut(m, "name", yamlStr(f.Name))
			yamlPut(m, "amount", yamlStr(FormatAmount(f.Amount, f.Currency)))
			yamlPut(m, "currency", yamlStr(f.Currency))
			return m
		}))
	}
	if len(c.Questions) > 0 {
		yamlPut(root, "questions", yamlSeq(len(c.Questions), func(i int) *yaml.Node {
			q := c.Questions[i]
			m := &yaml.Node{Kind: yaml.MappingNode}
			yamlPut(m, "key", yamlStr(q.Key))
			yamlPut(m, "label", yamlStr(q.Label))
			yamlPut(m, "kind", yamlStr(string(q.Kind)))
			if q.Required {
				yamlPut(m, "required", yamlPlain("true"))
			}
			if q.Help != "" {
				yamlPut(m, "help", yamlStr(q.Help))
			}
			return m
		}))
	}
	if len(c.Rules) > 0 {
		yamlPut(root, "rules", yamlSeq(len(c.Rules), func(i int) *yaml.Node { return ruleYAML(c.Rules[i]) }))
	}
	if len(c.Events) > 0 {
		yamlPut(root, "events", yamlSeq(len(c.Events), func(i int) *yaml.Node { return eventYAML(c.Events[i]) }))
	}

	var b bytes.Buffer
	b.WriteString("---\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		// Encoding a tree of valid UTF-8 strings into a buffer cannot fail.
		panic(fmt.Sprintf("catalog: format course file: %v", err))
	}
	enc.Close()
	b.WriteString("---\n")
	for _, s := range bodySections {
		text := strings.TrimSpace(strings.ToValidUTF8(*s.field(&c), "\uFFFD"))
		if text == "" {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", s.Heading, safeSectionText(text))
	}
	return b.Bytes()
}

// maxFlowConditions is the longest list of conditions, joined with ", ",
// that ruleYAML writes on one line.
const maxFlowConditions = 90

// ruleYAML writes a rule with its conditions on one line,
// if: [training_completed is missing], or one per line when that line
// would be long.
func ruleYAML(r Rule) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	width := 0
	conds := yamlSeq(len(r.Conditions), func(i int) *yaml.Node {
		s := r.Conditions[i].String()
		width += len(s) + 2
		return yamlStr(s)
	})
	if width-2 <= maxFlowConditions {
		conds.Style = yaml.FlowStyle
	}
	yamlPut(m, "if", conds)
	yamlPut(m, "then", yamlStr(string(r.Outcome)))
	if r.Message != "" {
		key := "message"
		if r.Outcome == Accept {
			key = "note"
		}
		yamlPut(m, key, yamlStr(r.Message))
	}
	return m
}

func eventYAML(e Event) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	yamlPut(m, "ref", yamlStr(e.Ref))
	tz := e.TimeZone
	if tz == "" {
		tz = DefaultTimeZone
	}
	yamlPut(m, "time_zone", yamlStr(tz))
	if e.Region != "" {
		yamlPut(m, "region", yamlStr(e.Region))
	}
	yamlPut(m, "format", yamlStr(string(e.Format)))
	status := e.Status
	if status == "" {
		status = Scheduled
	}
	yamlPut(m, "status", yamlStr(string(status)))
	yamlPut(m, "capacity", yamlPlain(strconv.Itoa(e.Capacity)))
	if e.Venue != (Venue{}) {
		v := &yaml.Node{Kind: yaml.MappingNode}
		if e.Venue.Name != "" {
			yamlPut(v, "name", yamlStr(e.Venue.Name))
		}
		if e.Venue.Address != "" {
			yamlPut(v, "address", yamlStr(e.Venue.Address))
		}
		if e.Venue.Directions != "" {
			yamlPut(v, "directions", yamlStr(e.Venue.Directions))
		}
		yamlPut(m, "venue", v)
	}
	if e.Meeting != (Meeting{}) {
		v := &yaml.Node{Kind: yaml.MappingNode}
		for _, kv := range [][2]string{
			{"provider", e.Meeting.Provider},
			{"join_url", e.Meeting.JoinURL},
			{"id", e.Meeting.ID},
			{"passcode", e.Meeting.Passcode},
		} {
			if kv[1] != "" {
				yamlPut(v, kv[0], yamlStr(kv[1]))
			}
		}
		yamlPut(m, "meeting", v)
	}
	if len(e.Days) > 0 {
		yamlPut(m, "days", yamlSeq(len(e.Days), func(i int) *yaml.Node {
			d := e.Days[i]
			dm := &yaml.Node{Kind: yaml.MappingNode}
			yamlPut(dm, "date", yamlPlain(d.Date.String()))
			yamlPut(dm, "time", yamlStr(d.Start.String()+"-"+d.End.String()))
			if len(d.Agenda) > 0 {
				yamlPut(dm, "agenda", yamlSeq(len(d.Agenda), func(j int) *yaml.Node {
					n := yamlStr(FormatAgendaItem(d.Agenda[j]))
					n.Style = yaml.DoubleQuotedStyle
					return n
				}))
			}
			return dm
		}))
	}
	return m
}

// FormatAgendaItem writes an agenda item as a course file does:
// "09:30 registration: Registration" or
// "10:00-11:30 teaching: Establishing the focus".
func FormatAgendaItem(a AgendaItem) string {
	var b strings.Builder
	b.WriteString(a.Start.String())
	if a.End.Valid {
		b.WriteString("-")
		b.WriteString(a.End.String())
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	b.WriteString(string(a.Kind))
	b.WriteString(": ")
	b.WriteString(a.Title)
	return b.String()
}

// yamlPut appends key: v to the mapping m.
func yamlPut(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// yamlStr is a string scalar; the encoder quotes it when it would otherwise
// read back as a number, a date or a boolean.
func yamlStr(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.ToValidUTF8(s, "\uFFFD")}
}

// yamlPlain is a scalar written as is: a number, a date or true.
func yamlPlain(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

// yamlSeq builds a sequence of n items.
func yamlSeq(n int, item func(i int) *yaml.Node) *yaml.Node {
	s := &yaml.Node{Kind: yaml.SequenceNode}
	for i := range n {
		s.Content = append(s.Content, item(i))
	}
	return s
}
