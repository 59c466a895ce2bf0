package person_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/certificates"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/lists"
	"plenary/internal/messaging"
	"plenary/internal/person"
)

var ctx = context.Background()

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// world is a course with one date, the real outbox and booking service,
// and the registry as cmd/plenary wires it.
type world struct {
	db     *database.DB
	clock  *clock
	svc    *booking.Service
	event  catalog.Event
	reg    *person.Registry
	outbox *messaging.Outbox
	// register takes the date's register: marks hold no name, and the
	// export shows them.
	register *certificates.Register
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db := dbtest.New(t)
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	mail, err := booking.NewMail()
	if err != nil {
		t.Fatal(err)
	}
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Training <noreply@training.example>",
		Renderer: mail, Now: clk.Now})
	store := catalog.NewStore(db, catalog.Hooks{})
	c := catalogtest.NewCourse(clk.Now())
	if _, err := store.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(clk.Now())); err != nil {
		t.Fatal(err)
	}
	svc := booking.NewService(booking.Options{DB: db, Catalog: store, Outbox: outbox, BaseURL: "https://training.example",
		Organizer: "Training <noreply@training.example>", Now: clk.Now, StaffEmail: []string{"office@training.example"}})
	reg := person.New(db, clk.Now)
	reg.Register("bookings", booking.People{})
	reg.Register("messages", messaging.People{})
	reg.Register("lists", lists.People{})
	reg.Register("register", certificates.RegisterMarks{})
	reg.Register("certificates", certificates.People{})
	reg.Register("audit", audit.People{})
	return &world{db: db, clock: clk, svc: svc, event: c.Events[0], reg: reg, outbox: outbox,
		register: certificates.New(certificates.Options{DB: db, Bookings: svc, Now: clk.Now})}
}

var staff = audit.StaffMember(7, "Sam Staff")

// TestExportThenEraseLeavesNoTrace books a person twice (one cancelled,
// one invoiced and paid, with access needs, a PO and a staff note) beside
// someone else, exports them, is refused while the date is to come, erases
// them once it has passed, and then reads every text of every table the
// database's catalogue lists: neither the name nor the address (in any
// case) is left, the other person is untouched, and the places, the
// totals and the invoice still add up.
func TestExportThenEraseLeavesNoTrace(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	req := func(name, email string) booking.Request {
		return booking.Request{EventID: w.event.ID, Name: name, Email: email, Organisation: "North Clinic",
			Role: "Psychotherapist", RegistrationNumber: "HCPC-" + name, SystemChecked: true,
			AccessNeeds: "Step-free access for " + name, PONumber: "PO-7781"}
	}
	first, err := w.svc.Book(ctx, req("Zoë Quillfeather", "zoe.quillfeather@example.org"), audit.ParticipantOf(0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.CancelByID(ctx, first.Booking.ID, staff, booking.CancelOptions{WaiveTerms: true,
		Reason: "Zoë Quillfeather rang to rebook"}); err != nil {
		t.Fatal(err)
	}
	second, err := w.svc.Book(ctx, req("Zoë Quillfeather", "ZOE.Quillfeather@Example.ORG"), audit.ParticipantOf(0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.AddNote(ctx, second.Booking.ID, staff, "Quillfeather prefers mornings"); err != nil {
		t.Fatal(err)
	}
	other, err := w.svc.Book(ctx, req("Alan Otherbury", "alan.otherbury@example.org"), audit.ParticipantOf(0))
	if err != nil {
		t.Fatal(err)
	}
	paid, err := w.svc.MarkPaid(ctx, second.Booking.ID, staff, booking.Receipt{Amount: second.Booking.Amount,
		On: catalog.DateOf(w.clock.Now()), Reference: "BACS 1234"})
	if err != nil {
		t.Fatalf("mark paid: %v", err)
	}
	if paid.InvoiceNumber == 0 {
		t.Fatal("the booking has no invoice to keep")
	}
	// A staff e-mail about something else that names her, as the daily
	// digest does, and one that names someone else.
	for i, who := range []string{"Zoë Quillfeather", "Alan Otherbury"} {
		err := database.InTx(ctx, w.db, func(tx *sql.Tx) error {
			_, _, err := w.outbox.Enqueue(ctx, tx, messaging.Message{Kind: "digest", DedupeKey: fmt.Sprintf("digest/%d", i),
				ToEmail: "office@training.example", Subject: "Waiting for review", Text: "Waiting: " + who + "\n"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Both subscribed to hear of new dates, with consent evidence.
	for _, sub := range []struct{ email, name string }{{"Zoe.Quillfeather@example.org", "Zoë Quillfeather"},
		{"alan.otherbury@example.org", "Alan Otherbury"}} {
		var id int64
		err := w.db.QueryRowContext(ctx, `INSERT INTO list_subscriptions (email, email_key, name, scope, target_key, status, requested_at, confirmed_at)
			VALUES ($1, $2, $3, 'all', 'all', 'confirmed', $4, $4) RETURNING id`, sub.email, strings.ToLower(sub.email), sub.name, w.clock.Now()).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.db.ExecContext(ctx, `INSERT INTO list_consent_evidence (subscription_id, email, what, wording_version, wording_sha256, source, step, at)
			VALUES ($1, $2, 'all new courses', 'v1', 'sha-of-wording', 'course_page', 'confirmed', $3)`, id, sub.email, w.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	// Zoë was told of the date in a list e-mail.
	if _, err := w.db.ExecContext(ctx, `INSERT INTO list_sent (email_key, kind, event_id, round, sent_at) VALUES ($1, 'date', $2, 0, $3)`,
		"zoe.quillfeather@example.org", w.event.ID, w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.ExecContext(ctx, `INSERT INTO list_mail_last (email_key, last_at, message_id) VALUES ($1, $2, 0)`,
		"zoe.quillfeather@example.org", w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	// The register: she was late on the day, he was present.
	day := w.event.Days[0].Date
	if _, err := w.register.Save(ctx, w.event.ID, day, "", []certificates.Entry{{BookingID: second.Booking.ID, Mark: certificates.Late},
		{BookingID: other.Booking.ID, Mark: certificates.Present}}, staff); err != nil {
		t.Fatal(err)
	}
	before := totals(t, w)

	// Export: every booking, in any case of the address, with what they gave.
	exp, err := w.reg.Export(ctx, " zoe.QUILLFEATHER@example.org ", staff)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(exp)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "sha-of-wording") {
		t.Errorf("the export lacks the subscription's consent evidence: %.300s", raw)
	}
	if !strings.Contains(string(raw), fmt.Sprintf(`"announced":[{"kind":"date","event_id":%d,`, w.event.ID)) ||
		!strings.Contains(string(raw), `"last_list_email":{"at":`) {
		t.Errorf("the export lacks the list mail sent: %s", raw)
	}
	var got struct {
		Data struct {
			Bookings []booking.PersonBooking   `json:"bookings"`
			Messages []messaging.PersonMessage `json:"messages"`
			Audit    []json.RawMessage         `json:"audit"`
			Register []certificates.PersonMark `json:"register"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if n := len(got.Data.Bookings); n != 2 {
		t.Fatalf("export has %d bookings, want 2", n)
	}
	b := got.Data.Bookings[1]
	if b.AccessNeeds == "" || b.Invoice == "" || len(b.Notes) != 1 || len(b.History) == 0 {
		t.Errorf("export of the second booking lacks something: %+v", b)
	}
	if m := got.Data.Register; len(m) != 1 || m[0].BookingID != second.Booking.ID || m[0].Day != day.String() || m[0].Mark != "Late" {
		t.Errorf("export's register marks: %+v, want her one mark, late on %s", m, day)
	}
	if len(got.Data.Messages) < 2 {
		t.Errorf("export has %d messages, want the two confirmations at least", len(got.Data.Messages))
	}
	if strings.Contains(string(raw), "Otherbury") {
		t.Error("the export holds someone else's data")
	}

	// Refused while a place is held on a date to come: nothing changes.
	if _, err := w.reg.Erase(ctx, "zoe.quillfeather@example.org", staff); !errors.Is(err, booking.ErrUpcomingBooking) {
		t.Fatalf("erase before the date: got %v, want ErrUpcomingBooking", err)
	}
	if hits := scan(t, w.db, "quillfeather"); len(hits) == 0 {
		t.Fatal("a refused erasure erased something (or the scan finds nothing)")
	}

	w.clock.Add(60 * 24 * time.Hour)
	counts, err := w.reg.Erase(ctx, "Zoe.Quillfeather@example.org", staff)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"bookings": true, "messages": true, "audit": true}
	for _, c := range counts {
		if want[c.Name] && c.Count == 0 {
			t.Errorf("erase counted nothing for %s: %+v", c.Name, counts)
		}
		delete(want, c.Name)
	}
	if len(want) > 0 {
		t.Errorf("erase did not report %v", want)
	}
	if hits := scan(t, w.db, "quillfeather"); len(hits) > 0 {
		t.Errorf("traces left after the erasure:\n%s", strings.Join(hits, "\n"))
	}
	var others int
	if err := w.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM list_subscriptions s JOIN list_consent_evidence e ON e.subscription_id = s.id
		WHERE s.email_key = 'alan.otherbury@example.org'`).Scan(&others); err != nil || others != 1 {
		t.Errorf("the other person's subscription and evidence: %d rows (%v), want 1", others, err)
	}
	if hits := scan(t, w.db, "otherbury"); len(hits) == 0 {
		t.Error("the other person's booking was erased too")
	}
	if after := totals(t, w); after != before {
		t.Errorf("totals changed:\n before %+v\n after  %+v", before, after)
	}
	desk, err := w.svc.ForDesk(ctx, second.Booking.ID)
	if err != nil {
		t.Fatal(err)
	}
	kept := desk.Booking
	if kept.InvoiceNumber != paid.InvoiceNumber || kept.Amount != paid.Amount || kept.Currency != paid.Currency ||
		kept.PaidAmount != paid.PaidAmount || kept.Organisation != "North Clinic" || kept.PONumber != "PO-7781" ||
		kept.Name != booking.ErasedName || kept.Email != "" {
		t.Errorf("invoice after erasure: %+v", kept)
	}
	if o, err := w.svc.ForDesk(ctx, other.Booking.ID); err != nil || o.Booking.Name != "Alan Otherbury" {
		t.Errorf("other booking: %+v, %v", o.Booking, err)
	}
	entries, err := audit.List(ctx, w.db, audit.Filter{Object: "person"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Action != "person.erase" || entries[1].Action != "person.export" {
		t.Errorf("the export and the erasure are not both recorded: %+v", entries)
	}
	// A second erasure finds nothing and says so.
	again, err := w.reg.Erase(ctx, "zoe.quillfeather@example.org", staff)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range again {
		if c.Count != 0 {
			t.Errorf("a second erasure changed %d %s", c.Count, c.Name)
		}
	}
}

type total struct {
	Taken, Waiting, Bookings, Cancelled, AuditEntries, Messages int
	Invoiced                                                    int64
}

func totals(t *testing.T, w *world) total {
	t.Helper()
	places, err := w.svc.PlacesFor(ctx, []catalog.Event{w.event})
	if err != nil {
		t.Fatal(err)
	}
	var tt total
	tt.Taken, tt.Waiting = places[w.event.ID].Taken, places[w.event.ID].Waiting
	q := func(query string, dst any) {
		if err := w.db.QueryRowContext(ctx, query).Scan(dst); err != nil {
			t.Fatal(err)
		}
	}
	q(`SELECT COUNT(*) FROM bookings`, &tt.Bookings)
	q(`SELECT COUNT(*) FROM bookings WHERE status = 'cancelled'`, &tt.Cancelled)
	q(`SELECT COUNT(*) FROM audit_log WHERE object <> 'person'`, &tt.AuditEntries)
	q(`SELECT COUNT(*) FROM messages`, &tt.Messages)
	q(`SELECT COALESCE(SUM(amount_minor), 0) FROM bookings WHERE invoice_number IS NOT NULL`, &tt.Invoiced)
	return tt
}

// scan reads every column of every row of every table the database's own
// catalogue lists and returns where term appears, whatever its case.
func scan(t *testing.T, db *database.DB, term string) []string {
	t.Helper()
	list := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
	if db.Dialect == database.Postgres {
		list = `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	var tables []string
	rows, err := db.QueryContext(ctx, list)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 20 {
		t.Fatalf("the catalogue lists only %d tables: %v", len(tables), tables)
	}
	var hits []string
	for _, table := range tables {
		hits = append(hits, scanTable(t, db, table, term)...)
	}
	return hits
}

func scanTable(t *testing.T, db *database.DB, table, term string) []string {
	t.Helper()
	rows, err := db.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
	if err != nil {
		t.Fatalf("scan %s: %v", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var hits []string
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		for i, v := range vals {
			if strings.Contains(strings.ToLower(string(v)), term) {
				hits = append(hits, fmt.Sprintf("%s.%s: %.200s", table, cols[i], v))
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return hits
}
