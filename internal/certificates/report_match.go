package certificates

import (
	"context"
	"sort"
	"strings"
	"time"

	"plenary/internal/catalog"
)

// From a report to proposed marks. A person's joins are matched to a
// booking by e-mail address (any case); their join–leave intervals are
// merged (a rejoin overlapping a first connection counts once) and
// clipped to the day's teaching sessions (the day's times when it has
// none). The proposal, against the day's teaching time T and the minutes
// attended A, with ten minutes' grace:
//
//   - absent when A is 0;
//   - present when A is at least T less the grace;
//   - late when the first teaching minute attended is after the grace;
//   - left early when the last is before the end less the grace;
//   - present otherwise (gaps in the middle: the minutes tell).
//
// A person reviews the proposal and saves it (Register.Save, with the
// minutes). Rows no booking matches are listed for a person to assign to
// a booking or ignore.

// Grace is how far from the teaching time's start and end a join or
// leave may be and still count as on time.
const Grace = 10 * time.Minute

// Proposal is a report read against one day's register.
type Proposal struct {
	Sheet           Sheet
	TeachingMinutes int
	Rows            []Proposed // one per person on the register
	Unmatched       []Unmatched
}

// Proposed is one person's proposed mark.
type Proposed struct {
	Row     Row
	Mark    Mark
	Minutes int
	Joins   int    // rows of the report that were theirs
	First   string // first join, HH:MM in the event's zone; "" when none
	Last    string // last leave
}

// Unmatched is a participant of the report no booking matched: by
// e-mail, or by name when the row has no address.
type Unmatched struct {
	Key         string // what Propose's assign map is keyed by
	Name, Email string
	Lines       []int
	Minutes     int
	// Ignored: the assign map said to ignore the participant (-1).
	Ignored bool

	spans []span
}

// Propose reads rep against the register of day (the whole day). assign
// gives unmatched participants (by Unmatched.Key) a booking ID; those it
// names are no longer unmatched and their joins count for that booking;
// those it gives -1 stay listed, Ignored.
func (r *Register) Propose(ctx context.Context, eventID int64, day catalog.Date, rep Report, assign map[string]int64) (Proposal, error) {
	sh, err := r.Sheet(ctx, eventID, day, "")
	if err != nil {
		return Proposal{}, err
	}
	return propose(sh, rep, assign), nil
}

// propose is Propose's pure part.
func propose(sh Sheet, rep Report, assign map[string]int64) Proposal {
	loc := sh.Event.Location()
	teach := teachingSpans(sh.Day)
	p := Proposal{Sheet: sh, TeachingMinutes: total(teach) / 60}

	byEmail := map[string]int64{}
	onSheet := map[int64]bool{}
	for _, row := range sh.Rows {
		byEmail[strings.ToLower(strings.TrimSpace(row.Booking.Email))] = row.Booking.ID
		onSheet[row.Booking.ID] = true
	}
	joins := map[int64][]span{}
	count := map[int64]int{}
	unmatched := map[string]*Unmatched{}
	var order []string
	for _, rr := range rep.Rows {
		key := strings.ToLower(rr.Email)
		if key == "" {
			key = "name:" + strings.ToLower(rr.Name)
		}
		s := span{wallSeconds(rr.Join, loc, sh.Day.Date), wallSeconds(rr.Leave, loc, sh.Day.Date)}
		id, ok := byEmail[key]
		if !ok && assign[key] != 0 && onSheet[assign[key]] {
			id, ok = assign[key], true
		}
		if ok {
			joins[id] = append(joins[id], s)
			count[id]++
			continue
		}
		u := unmatched[key]
		if u == nil {
			u = &Unmatched{Key: key, Name: rr.Name, Email: rr.Email, Ignored: assign[key] < 0}
			unmatched[key] = u
			order = append(order, key)
		}
		u.Lines = append(u.Lines, rr.Line)
		u.Minutes = total(intersect(merge(append(spansOf(u), s)), teach)) / 60
		u.spans = append(u.spans, s)
	}
	for _, k := range order {
		u := *unmatched[k]
		u.spans = nil
		p.Unmatched = append(p.Unmatched, u)
	}
	sort.SliceStable(p.Unmatched, func(i, j int) bool { return p.Unmatched[i].Lines[0] < p.Unmatched[j].Lines[0] })

	for _, row := range sh.Rows {
		got := intersect(merge(joins[row.Booking.ID]), teach)
		a := total(got)
		pr := Proposed{Row: row, Minutes: a / 60, Joins: count[row.Booking.ID], Mark: proposeMark(got, teach)}
		if len(got) > 0 {
			pr.First, pr.Last = clockText(got[0].from/60), clockText(got[len(got)-1].to/60)
		}
		p.Rows = append(p.Rows, pr)
	}
	return p
}

func spansOf(u *Unmatched) []span { return u.spans }

// proposeMark applies the rule above to the attended spans got (merged,
// within teach), in seconds.
func proposeMark(got, teach []span) Mark {
	a, t := total(got), total(teach)
	grace := int(Grace / time.Second)
	switch {
	case a == 0 || len(teach) == 0:
		return Absent
	case a >= t-grace:
		return Present
	case got[0].from > teach[0].from+grace:
		return Late
	case got[len(got)-1].to < teach[len(teach)-1].to-grace:
		return LeftEarly
	}
	return Present
}

// teachingSpans are the day's teaching sessions merged, in seconds since
// midnight; the day's own times when it has none.
func teachingSpans(d catalog.Day) []span {
	var out []span
	for _, s := range Sessions(d) {
		out = append(out, span{s.Start * 60, s.End * 60})
	}
	if len(out) == 0 && d.Start.Valid && d.End.Valid {
		out = append(out, span{d.Start.Minutes * 60, d.End.Minutes * 60})
	}
	return merge(out)
}

// wallSeconds is t as seconds of the wall clock in loc on day, so that
// it compares with the agenda's times even on a day the clocks change;
// before the day is 0, after it the day's end.
func wallSeconds(t time.Time, loc *time.Location, day catalog.Date) int {
	t = t.In(loc)
	switch d := catalog.DateOf(t); {
	case d.Before(day):
		return 0
	case day.Before(d):
		return 24 * 3600
	}
	return t.Hour()*3600 + t.Minute()*60 + t.Second()
}
