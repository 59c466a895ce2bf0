package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/web"
)

// The audit log, for staff allowed audit:read site-wide: who changed
// what and when, with the fields each change touched (before → after),
// filtered by who, what, object and time, and exported as CSV with the
// same filters.

// auditPageSize is how many entries a page of the audit log shows.
const auditPageSize = 50

// auditCSVMax bounds one CSV export; the filters narrow a larger one.
const auditCSVMax = 100000

// actorKinds are the kinds of actor the log filters by, in words.
var actorKinds = []option{
	{Value: string(audit.Staff), Label: "Staff"},
	{Value: string(audit.Participant), Label: "Participant"},
	{Value: string(audit.Operator), Label: "Command line"},
	{Value: string(audit.System), Label: "Background job"},
}

// auditPage is the audit log.
type auditPage struct {
	web.Base
	Actor, User, Action, Object, ObjectID, From, To string
	ActorKinds, Users, Actions                      []option
	Zone                                            string
	Errors                                          map[string]string
	Summary                                         []fieldError
	Filtered                                        bool
	Entries                                         []auditEntry
	Older, Newest, CSV                              string
}

type auditEntry struct {
	ID                  int64
	At, Actor, Action   string
	ActionCode          string
	Object, ObjectURL   string
	Reason              string
	Changes             []fieldChange
	RawBefore, RawAfter string // only when a side is not a JSON object
}

// fieldChange is one field a change touched.
type fieldChange struct{ Field, Old, New string }

// readAuditFilter reads the audit log's filters from the query, with a
// message beside each field it cannot use.
func readAuditFilter(q url.Values, p *auditPage) (audit.Filter, bool) {
	var f audit.Filter
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	p.Actor, p.User, p.Action, p.Object, p.ObjectID, p.From, p.To =
		get("actor"), get("user"), get("action"), get("object"), get("object_id"), get("from"), get("to")
	p.Errors = map[string]string{}
	bad := func(field, msg string) {
		p.Errors[field] = msg
		p.Summary = append(p.Summary, fieldError{Anchor: field, Message: msg})
	}
	p.Action = unsearchable(p.Action, "action", "The action", bad)
	p.Object = unsearchable(p.Object, "object", "The object", bad)
	if p.Actor != "" {
		if !slices.ContainsFunc(actorKinds, func(o option) bool { return o.Value == p.Actor }) {
			bad("actor", "Choose who from the list.")
		}
		f.ActorKind = audit.ActorKind(p.Actor)
	}
	if p.User != "" {
		id, ok := web.IDParam(p.User)
		if !ok {
			bad("user", "Choose a staff member from the list.")
		}
		f.ActorKind, f.ActorID = audit.Staff, id
		if p.Actor != "" && p.Actor != string(audit.Staff) {
			bad("user", "A staff member is a staff actor: choose “Staff” or no kind of actor.")
		}
	}
	if p.Action != "" {
		code, msg := actionCode(p.Action)
		if msg != "" {
			bad("action", msg)
		}
		f.Action = code
	}
	f.Object = strings.ToLower(p.Object)
	if p.ObjectID != "" {
		id, ok := web.IDParam(p.ObjectID)
		if !ok {
			bad("object_id", "Enter the object's number, for example 42.")
		}
		f.ObjectID = id
	}
	f.Since, f.Until = dayRange(p.From, p.To, bad)
	if b := q.Get("before"); b != "" {
		id, ok := web.IDParam(b)
		if !ok {
			bad("before", "That page of the log does not exist; start again from the newest.")
		}
		f.Before = id
	}
	p.Filtered = p.Actor != "" || p.User != "" || p.Action != "" || p.Object != "" || p.ObjectID != "" || p.From != "" || p.To != ""
	return f, len(p.Summary) == 0
}

// auditObjects are the kinds of object the log's actions are about, for
// the "What" list's "every … action" choices.
var auditObjects = []option{
	{Value: "booking", Label: "Every booking action"}, {Value: "course", Label: "Every course action"},
	{Value: "event", Label: "Every date action"}, {Value: "message", Label: "Every e-mail action"},
	{Value: "user", Label: "Every staff user action"}, {Value: "person", Label: "Every request about a person's data"},
}

// actionOptions is the "What" list: every object, then every known
// action in words, by its words.
func actionOptions() []option {
	out := slices.Clone(auditObjects)
	var known []option
	for code, w := range actionWords {
		known = append(known, option{Value: code, Label: w})
	}
	slices.SortFunc(known, func(a, b option) int { return strings.Compare(a.Label, b.Label) })
	return append(out, known...)
}

// actionCode reads the "What" filter: an action's code ("booking.move"),
// an object for all its actions ("booking"), or words people type
// ("moved", "cancel") matched against the actions' words — one action,
// or all of one object's when every match is that object's. msg says why
// the words cannot be used.
func actionCode(v string) (code, msg string) {
	v = strings.ToLower(strings.TrimSpace(v))
	if _, ok := actionWords[v]; ok {
		return v, ""
	}
	if strings.Contains(v, ".") && !strings.Contains(v, " ") {
		return v, "" // a code the list does not name (yet): searched as typed
	}
	for _, o := range auditObjects {
		if v == o.Value {
			return v + ".", "" // "booking" means every booking action
		}
	}
	var matches []string
	for c, w := range actionWords {
		if strings.Contains(strings.ToLower(w), v) || strings.Contains(c, strings.ReplaceAll(v, " ", "_")) {
			matches = append(matches, c)
		}
	}
	slices.Sort(matches)
	switch len(matches) {
	case 0:
		return v, "No action is called “" + v + "”: choose one from the list."
	case 1:
		return matches[0], ""
	}
	var words []string
	for _, c := range matches {
		words = append(words, "“"+actionWords[c]+"”")
	}
	return v, "“" + v + "” fits several actions (" + strings.Join(words, ", ") + "): choose one from the list."
}

// auditList serves GET /admin/audit.
func (s *Server) auditList(w http.ResponseWriter, r *http.Request) {
	p := auditPage{Base: s.web.Base(r), ActorKinds: actorKinds, Actions: actionOptions(), Zone: catalog.ZoneLabel(s.web.Now().In(ukTime))}
	users, err := s.accounts.Users(r.Context())
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	for _, u := range users {
		p.Users = append(p.Users, option{Value: strconv.FormatInt(u.ID, 10), Label: u.DisplayName() + " (" + u.Email + ")"})
	}
	q := r.URL.Query()
	f, ok := readAuditFilter(q, &p)
	if !ok {
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_audit", p)
		return
	}
	csvQuery := url.Values{}
	for k, v := range q {
		if k != "before" {
			csvQuery[k] = v
		}
	}
	p.CSV = "/admin/audit.csv"
	if len(csvQuery) > 0 {
		p.CSV += "?" + csvQuery.Encode()
	}
	f.Limit = auditPageSize + 1
	entries, err := audit.List(r.Context(), s.db, f)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	if len(entries) > auditPageSize {
		entries = entries[:auditPageSize]
		next := url.Values{}
		for k, v := range csvQuery {
			next[k] = v
		}
		next.Set("before", strconv.FormatInt(entries[len(entries)-1].ID, 10))
		p.Older = "/admin/audit?" + next.Encode()
	}
	if f.Before != 0 {
		p.Newest = "/admin/audit?" + csvQuery.Encode()
	}
	sess, _ := sessionOf(r)
	money := sess.Can(account.InvoicesRead, 0)
	for _, e := range entries {
		p.Entries = append(p.Entries, newAuditEntry(e, money))
	}
	s.web.Render(w, r, http.StatusOK, "admin_audit", p)
}

// newAuditEntry is e as the log shows it; without money (the viewer may
// not read invoices) its money fields are hidden (redactMoney).
func newAuditEntry(e audit.Entry, money bool) auditEntry {
	if !money {
		e.Before, e.After = redactMoney(e.Before), redactMoney(e.After)
	}
	at := e.At.In(ukTime)
	v := auditEntry{ID: e.ID, At: at.Format("2 Jan 2006 15:04:05") + " " + catalog.ZoneLabel(at), Actor: actorWords(e.Actor),
		Action: actionLabel(e.Action), ActionCode: e.Action, Object: fmt.Sprintf("%s %d", e.Object, e.ObjectID), Reason: e.Reason}
	if e.ObjectID == 0 {
		v.Object = e.Object
	}
	switch e.Object {
	case "booking":
		v.ObjectURL = fmt.Sprintf("/admin/bookings/%d", e.ObjectID)
	case "message":
		v.ObjectURL = fmt.Sprintf("/admin/messages/%d", e.ObjectID)
	}
	if e.ObjectID == 0 {
		v.ObjectURL = ""
	}
	changes, ok := diffJSON(e.Before, e.After)
	if ok {
		v.Changes = changes
	} else {
		v.RawBefore, v.RawAfter = string(e.Before), string(e.After)
	}
	return v
}

// diffJSON lists the fields whose value differs between before and
// after, both JSON objects (null counts as an object with no fields),
// sorted by name. ok is false when either side is not an object: the
// caller then shows both as they are.
func diffJSON(before, after json.RawMessage) (changes []fieldChange, ok bool) {
	b, okB := jsonObject(before)
	a, okA := jsonObject(after)
	if !okB || !okA {
		return nil, false
	}
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	for _, k := range sorted {
		old, hadOld := b[k]
		nw, hasNew := a[k]
		if hadOld && hasNew && jsonEqual(old, nw) {
			continue
		}
		changes = append(changes, fieldChange{Field: strings.ReplaceAll(k, "_", " "), Old: fieldWords(k, old, hadOld), New: fieldWords(k, nw, hasNew)})
	}
	return changes, true
}

// moneyHidden stands in the audit log for a money field the viewer may
// not see.
const moneyHidden = "(hidden: only finance and admins see payments)"

// moneyField says whether an audit field (a JSON key) is about money:
// a payment, an amount, a fee, an invoice, a refund.
func moneyField(k string) bool {
	k = strings.ToLower(k)
	if k == "payment" || k == "currency" || strings.HasPrefix(k, "paid_") {
		return true
	}
	for _, w := range []string{"amount", "fee", "invoice", "refund", "price"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// redactMoney is raw with the value of every money field (moneyField),
// at any depth, replaced by moneyHidden, for a viewer without
// invoices:read (audit:read alone is not money). raw that is not JSON is
// returned as it is.
func redactMoney(raw json.RawMessage) json.RawMessage {
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if len(bytes.TrimSpace(raw)) == 0 || d.Decode(&v) != nil {
		return raw
	}
	changed := false
	var walk func(any) any
	walk = func(x any) any {
		switch t := x.(type) {
		case map[string]any:
			for k, val := range t {
				if moneyField(k) {
					t[k], changed = moneyHidden, true
				} else {
					t[k] = walk(val)
				}
			}
		case []any:
			for i := range t {
				t[i] = walk(t[i])
			}
		}
		return x
	}
	v = walk(v)
	if !changed {
		return raw
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return raw
	}
	return bytes.TrimSpace(buf.Bytes())
}

func jsonObject(raw json.RawMessage) (map[string]json.RawMessage, bool) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return map[string]json.RawMessage{}, true
	}
	var m map[string]json.RawMessage
	if t[0] != '{' || json.Unmarshal(t, &m) != nil {
		return nil, false
	}
	return m, true
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	xa, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xa, yb)
}

// paymentWords are the payment states in words.
var paymentWords = map[booking.Payment]string{
	booking.NoPayment: "nothing due", booking.Invoice: "invoiced, unpaid", booking.Paid: "paid",
	booking.RefundDue: "refund due", booking.Refunded: "refunded", booking.Waived: "fee waived, invoice void",
}

// fieldWords writes the value of audit field k for people: a status by
// its label, a payment state in words, a time in UK time with the zone
// named; anything else as jsonWords does.
func fieldWords(k string, v json.RawMessage, present bool) string {
	w := jsonWords(v, present)
	var s string
	if !present || json.Unmarshal(v, &s) != nil || s == "" || s == moneyHidden {
		return w
	}
	switch {
	case k == "status" || strings.HasSuffix(k, "_status"):
		return booking.Status(s).Label()
	case k == "payment":
		if pw, ok := paymentWords[booking.Payment(s)]; ok {
			return pw
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		t = t.In(ukTime)
		return t.Format("2 Jan 2006 15:04") + " " + catalog.ZoneLabel(t)
	}
	return w
}

// jsonWords writes a value for people: a string as itself, nothing as
// "—", anything else as compact JSON.
func jsonWords(v json.RawMessage, present bool) string {
	if !present || string(bytes.TrimSpace(v)) == "null" {
		return "—"
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		if s == "" {
			return "(empty)"
		}
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) == nil {
		return buf.String()
	}
	return string(v)
}

// auditCSV serves GET /admin/audit.csv: every entry the filters match,
// newest first, as CSV guarded against formulas (booking.WriteCSV).
func (s *Server) auditCSV(w http.ResponseWriter, r *http.Request) {
	var p auditPage
	f, ok := readAuditFilter(r.URL.Query(), &p)
	if !ok {
		msgs := make([]string, len(p.Summary))
		for i, e := range p.Summary {
			msgs[i] = e.Message
		}
		http.Error(w, "The filters cannot be used: "+strings.Join(msgs, " "), http.StatusUnprocessableEntity)
		return
	}
	sess, _ := sessionOf(r)
	money := sess.Can(account.InvoicesRead, 0)
	var records [][]string
	for len(records) < auditCSVMax {
		f.Limit = 1000
		entries, err := audit.List(r.Context(), s.db, f)
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		for _, e := range entries {
			if !money {
				e.Before, e.After = redactMoney(e.Before), redactMoney(e.After)
			}
			records = append(records, []string{e.At.UTC().Format(time.RFC3339), e.Actor.String(), e.Action, e.Object,
				strconv.FormatInt(e.ObjectID, 10), e.Reason, string(e.Before), string(e.After)})
		}
		if len(entries) < f.Limit {
			break
		}
		f.Before = entries[len(entries)-1].ID
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="audit-`+s.web.Now().UTC().Format("2006-01-02")+`.csv"`)
	if err := booking.WriteCSV(w, []string{"at", "actor", "action", "object", "object id", "reason", "before", "after"}, records); err != nil {
		s.web.Error(w, r, err)
	}
}
