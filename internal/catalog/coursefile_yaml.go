package catalog

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// frontLineOffset turns a line of the front matter into a line of the file:
// the front matter starts after the opening "---" on line 1.
const frontLineOffset = 1

// maxYAMLNodes bounds the front matter's size in nodes. Aliases are refused
// outright, so this only guards against pathological but alias-free input.
const maxYAMLNodes = 100000

var (
	yamlErrorRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	feeAmountRE = regexp.MustCompile(`^([0-9]{1,12})(?:\.([0-9]{2}))?$`)
	// agendaLineRE reads "09:30 registration: Registration" and
	// "10:00-11:30 teaching: Title"; the times are optional so that a
	// missing start gets a precise message rather than a parse failure.
	agendaLineRE = regexp.MustCompile(`^(?:(\S+?)(?:\s*[-–]\s*(\S+))?\s+)?([a-z_]+):\s*(.*)$`)
	dayHoursRE   = regexp.MustCompile(`^(\S+?)\s*[-–]\s*(\S+)$`)
)

// Keys accepted at each level of the front matter, in the order
// FormatCourseFile writes them.
var (
	fileCourseKeys   = []string{"slug", "title", "summary", "status", "topics", "joining_lead_days", "fees", "questions", "events"}
	fileFeeKeys      = []string{"name", "amount", "currency"}
	fileQuestionKeys = []string{"key", "label", "kind", "required", "help"}
	fileEventKeys    = []string{"ref", "time_zone", "format", "status", "capacity", "venue", "meeting", "days"}
	fileVenueKeys    = []string{"name", "address"}
	fileMeetingKeys  = []string{"provider", "join_url", "id", "passcode"}
	fileDayKeys      = []string{"date", "time", "agenda"}
)

// Defaults for keys a file leaves out.
const (
	defaultJoiningLeadDays = 1
	defaultCurrency        = "GBP"
)

// frontMatter decodes the YAML front matter into c. It reports false when
// the front matter is not YAML a course can be read from.
func (p *fileParser) frontMatter(front string, c *Course) bool {
	c.Status = Draft
	c.JoiningLeadDays = defaultJoiningLeadDays
	dec := yaml.NewDecoder(strings.NewReader(front))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		return true // empty front matter: Validate reports what is missing
	}
	if err != nil {
		p.yamlError(err)
		return false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			p.yamlError(err)
		} else {
			p.problem(extra.Line+frontLineOffset, "", "the front matter must be a single YAML document (remove the extra --- or ...)")
		}
		return false
	}
	if !p.checkNodes(&doc) {
		return false
	}
	if len(doc.Content) > 0 {
		p.course(doc.Content[0], c)
	}
	return true
}

// yamlParserProblems are the messages of the YAML parser (as opposed to its
// scanner). The parser reports the line where the construct in trouble
// starts counting from 0; the scanner counts from 1.
var yamlParserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// yamlError records a YAML syntax error at its line. The line is where
// the YAML library places it: where the mapping, list or value in trouble
// starts, which may be a line or two above the mistake.
func (p *fileParser) yamlError(err error) {
	msg := err.Error()
	if m := yamlErrorRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		if slices.Contains(yamlParserProblems, m[2]) {
			n++
		}
		p.problem(n+frontLineOffset, "", "front matter is not valid YAML: %s", m[2])
		return
	}
	p.problem(0, "", "front matter is not valid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// checkNodes refuses anchors and aliases (which could expand a small file
// into a huge one) and trees with too many nodes.
func (p *fileParser) checkNodes(root *yaml.Node) bool {
	count, ok := 0, true
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		count++
		if count > maxYAMLNodes {
			return
		}
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			if ok {
				p.problem(n.Line+frontLineOffset, "", "YAML anchors and aliases (& and *) are not allowed in a course file; write each value out")
			}
			ok = false
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	if count > maxYAMLNodes {
		p.problem(0, "", "front matter has more than %d values", maxYAMLNodes)
		return false
	}
	return ok
}

// at returns the file line of a node and remembers it for path.
func (p *fileParser) at(n *yaml.Node, path string) int {
	l := n.Line + frontLineOffset
	if _, seen := p.lines[path]; !seen {
		p.lines[path] = l
	}
	return l
}

// fail records a problem with the value of node n at path.
func (p *fileParser) fail(n *yaml.Node, path, format string, args ...any) {
	p.problem(n.Line+frontLineOffset, path, format, args...)
}

// mapping calls fn for each key of the mapping n, refusing keys not in
// known and repeated keys. A null value (an empty "venue:") is an empty
// mapping.
func (p *fileParser) mapping(n *yaml.Node, path string, known []string, fn func(key string, v *yaml.Node, path string)) {
	if yamlNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.fail(n, path, "must be a set of keys, each on its own line as key: value")
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.fail(k, path, "has a key that is not a plain word")
			continue
		}
		kp := k.Value
		if path != "" {
			kp = path + "." + k.Value
		}
		if first, dup := seen[k.Value]; dup {
			p.fail(k, kp, "appears twice (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line + frontLineOffset
		if !slices.Contains(known, k.Value) {
			p.fail(k, kp, "is not a known key; the keys here are %s", strings.Join(known, ", "))
			continue
		}
		p.at(k, kp)
		fn(k.Value, v, kp)
	}
}

// list calls fn for each item of the sequence n. A null value is an empty
// list.
func (p *fileParser) list(n *yaml.Node, path string, fn func(i int, item *yaml.Node, path string)) {
	if yamlNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.fail(n, path, "must be a list, one item per line starting with -")
		return
	}
	for i, item := range n.Content {
		ip := fmt.Sprintf("%s[%d]", path, i)
		p.at(item, ip)
		fn(i, item, ip)
	}
}

// text returns a scalar's text as written; a null is "".
func (p *fileParser) text(n *yaml.Node, path string) string {
	if yamlNull(n) {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		p.fail(n, path, "must be text, not a list or a set of keys")
		return ""
	}
	return n.Value
}

// integer reads a whole number.
func (p *fileParser) integer(n *yaml.Node, path string) int {
	var v int
	if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil {
		p.fail(n, path, "must be a whole number")
	}
	return v
}

// boolean reads true or false.
func (p *fileParser) boolean(n *yaml.Node, path string) bool {
	var v bool
	if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil {
		p.fail(n, path, "must be true or false")
	}
	return v
}

func yamlNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

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
		case "events":
			p.list(v, path, func(_ int, item *yaml.Node, ip string) {
				c.Events = append(c.Events, p.event(item, ip))
			})
		}
	})
}

func (p *fileParser) fee(n *yaml.Node, path string) FeeTier {
	f := FeeTier{Currency: defaultCurrency}
	hasAmount := false
	p.mapping(n, path, fileFeeKeys, func(key string, v *yaml.Node, kp string) {
		switch key {
		case "name":
			f.Name = p.text(v, kp)
		case "amount":
			hasAmount = true
			f.Amount = p.amount(v, kp)
		case "currency":
			f.Currency = p.text(v, kp)
		}
	})
	if !hasAmount && n.Kind == yaml.MappingNode {
		p.fail(n, path+".amount", `is required, e.g. amount: "120.00" (use "0.00" for a free place)`)
	}
	return f
}

// amount reads "120.00" or "120" as 12000 minor units. The text is read as
// written, never through a float.
func (p *fileParser) amount(n *yaml.Node, path string) int64 {
	s := p.text(n, path)
	m := feeAmountRE.FindStringSubmatch(s)
	if m == nil {
		p.fail(n, path, `must be an amount with two decimals, such as "120.00"`)
		return 0
	}
	whole, _ := strconv.ParseInt(m[1], 10, 64)
	var minor int64
	if m[2] != "" {
		minor, _ = strconv.ParseInt(m[2], 10, 64)
	}
	return whole*100 + minor
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
