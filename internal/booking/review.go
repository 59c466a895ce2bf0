package booking

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"plenary/internal/account"
	"plenary/internal/catalog"
	"plenary/internal/messaging"
	"plenary/internal/workdays"
)

// ReviewWorkingDays is how many working days after a booking starts to wait
// for review the participant is told to expect a reply.
const ReviewWorkingDays = 2

// mailReviewWaiting tells the course team that a booking waits for their
// review. Dedupe key: review-waiting/<booking>/<staff address>.
const mailReviewWaiting mailKind = "review_waiting"

// ReviewReasons are the messages of the review rules that sent the booking
// to a coordinator, as written for the person booking; empty when the
// rules gave none.
func (b Booking) ReviewReasons() []string {
	if !b.NeedsReview || strings.TrimSpace(b.ReviewReason) == "" {
		return nil
	}
	return strings.Split(b.ReviewReason, "\n")
}

// reviewMail is what the pending-review e-mails show: the participant's
// sees the reasons; the course team's all of it.
type reviewMail struct {
	Reasons []string

	BookingID          int64
	EventID            int64
	EventRef           string
	Email              string
	Organisation       string
	Role               string
	RegistrationNumber string
	Answers            []mailAnswer
	Since              string // when the review started, in the event's zone
	ReplyBy            string // the day the participant was promised a reply by
	ApproveCommand     string
	DeclineCommand     string
	ListCommand        string
	AdminURL           string // the booking's page in the staff area
}

// mailAnswer is one eligibility question and the person's answer.
type mailAnswer struct {
	Label  string
	Answer string
}

// ReviewDue is the day by which a review that started at since (UTC) was
// promised: the second working day after the day it started, in the event's
// zone and region.
func (s *Service) ReviewDue(e catalog.Event, since time.Time) catalog.Date {
	day := catalog.DateOf(since.In(e.Location()))
	return s.workdays.WorkingDaysBefore(workdays.Region(e.Region), day, -ReviewWorkingDays)
}

// tellStaffReview queues, in tx, one e-mail to each staff address
// (PLENARY_STAFF_EMAIL) and to each enabled staff user who may approve
// bookings on c (Options.Staff: account.BookingsApprove, course limits
// respected), saying that booking b waits for review, with everything
// needed to judge it, a link to the booking's page and the commands that
// settle it. One e-mail per address, whatever its case, deduplicated by
// booking and address. Nothing is sent to nobody.
func (s *Service) tellStaffReview(ctx context.Context, tx *sql.Tx, c catalog.Course, e catalog.Event, b Booking) error {
	if s.outbox == nil {
		return nil
	}
	to, err := s.reviewers(ctx, tx, c.ID)
	if err != nil || len(to) == 0 {
		return err
	}
	now := s.now().UTC()
	loc := e.Location()
	t := now.In(loc)
	r := reviewMail{
		Reasons: b.ReviewReasons(), BookingID: b.ID, EventID: e.ID, EventRef: e.Ref,
		Email: b.Email, Organisation: b.Organisation, Role: b.Role, RegistrationNumber: b.RegistrationNumber,
		Since:          t.Format("15:04 on Monday 2 January 2006") + " " + catalog.ZoneLabel(t),
		ReplyBy:        s.ReviewDue(e, now).In(time.UTC).Format("Monday 2 January 2006"),
		ApproveCommand: fmt.Sprintf("plenary bookings -approve %d", b.ID),
		DeclineCommand: fmt.Sprintf("plenary bookings -decline %d", b.ID),
		ListCommand:    fmt.Sprintf("plenary bookings -event %d", e.ID),
		AdminURL:       fmt.Sprintf("%s/admin/bookings/%d", s.baseURL, b.ID),
	}
	for _, q := range c.Questions {
		a := b.Answers[q.Key]
		if a == "" {
			a = "(no answer)"
		}
		r.Answers = append(r.Answers, mailAnswer{Label: q.Label, Answer: a})
	}
	d := s.mailAbout(c, e, b)
	d.FeeTier, d.PONumber, d.Review = b.FeeTier, b.PONumber, r
	data, err := mailMessageData(d, nil)
	if err != nil {
		return err
	}
	for _, addr := range to {
		// No SubjectRef: this is not mail to the participant, and a staff
		// address that fails must not mark their booking's mail as
		// failing.
		m := messaging.Message{
			Kind: string(mailReviewWaiting), DedupeKey: mailKey(string(mailReviewWaiting), b.ID, strings.ToLower(addr)),
			ToEmail: addr, Data: data,
		}
		if err := s.enqueue(ctx, tx, m); err != nil {
			return fmt.Errorf("review notice to %s: %w", addr, err)
		}
	}
	return nil
}

// reviewers are the addresses told that a booking on the course with ID
// courseID waits for review: the staff addresses, then the staff users
// who may approve it, each address once whatever its case.
func (s *Service) reviewers(ctx context.Context, tx *sql.Tx, courseID int64) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(addr string) {
		if k := strings.ToLower(strings.TrimSpace(addr)); k != "" && !seen[k] {
			seen[k] = true
			out = append(out, addr)
		}
	}
	for _, addr := range s.staff {
		add(addr)
	}
	if s.staffDir != nil {
		users, err := s.staffDir.StaffWith(ctx, tx, account.BookingsApprove, courseID)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			add(u.Email)
		}
	}
	return out, nil
}
