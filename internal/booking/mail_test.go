package booking

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"plenary/internal/messaging"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/mail")

// TestMailGolden renders every booking e-mail with fixed data and compares
// it with its golden file; run `go test ./internal/booking -run
// TestMailGolden -update` after changing a template, and read the diff.
func TestMailGolden(t *testing.T) {
	d := mailData{
		Name: "Dr Zoë O'Brien", Status: "On the waiting list", CourseTitle: "DIT refresher <day>",
		CourseURL: "https://training.example/courses/dit-refresher", ManageURL: "https://training.example/bookings/TOKEN",
		SystemCheckURL: "https://training.example/system-check?event=7", Dates: "Friday 10 June 2022",
		Times: []string{"Fri 10 Jun: 10:00–17:00 UK time (BST)"}, Format: "Online", Duration: "1 day, 10:00–17:00",
		WaitPosition: 3, OfferExpires: "17:00 on Wednesday 8 June 2022 UK time (BST)",
		Notes: []string{"For you this refresher is required before supervised practice."}, Fee: "£120.00",
		FeeTier: "Standard", InvoiceNumber: "INV-000042", PONumber: "PO-77", JoiningLead: 1, Online: true,
		InPerson: true, Provider: "Zoom", JoinURL: "https://zoom.example/j/812", MeetingID: "812 0000 0022",
		Passcode: "demo-0622", VenueName: "Marlowe <Rooms>", VenueAddress: []string{"27 Quillon Street", "London"},
		Directions: []string{"Five minutes from Holborn.", "Ring the bell marked Training."},
		Agenda: []mailDay{{Heading: "Friday 10 June 2022, 10:00–17:00 UK time (BST)",
			Items: []string{"09:30 Registration", "10:00–11:30 Establishing the focus"}}},
		Replaces: true,
		Changes: []mailChange{{Label: "Day 1 (Fri 10 June)", Old: []string{"10:00–17:00 UK time (BST)"}, New: []string{"11:00–17:00 UK time (BST)"}},
			{Label: "Venue", Old: []string{"Marlowe Rooms", "27 Quillon Street", "London"}, New: []string{"Hall <B>", "1 Road"}}},
		JoiningChanged: true, JoiningAt: "Thursday 9 June 2022 at 09:00 UK time (BST)",
		Late: true, HadPlace: true,
		Refund:       "Invoice INV-000042 is cancelled: please do not pay it.",
		ReminderDays: 7, FeedbackURL: "https://training.example/feedback/TOKEN",
		Review: reviewMail{Reasons: []string{"Your training was more than <two> years ago."}, BookingID: 42, EventID: 7,
			EventRef: "2022-06", Email: "zoe@example.org", Organisation: "North Clinic", Role: "Psychotherapist",
			RegistrationNumber: "HCPC 123", Answers: []mailAnswer{{Label: "When did you complete the training?", Answer: "2019-05-01"},
				{Label: "Started supervised practice?", Answer: "(no answer)"}},
			Since: "14:05 on Monday 2 May 2022 UK time (BST)", ReplyBy: "Wednesday 4 May 2022",
			ApproveCommand: "plenary bookings -approve 42", DeclineCommand: "plenary bookings -decline 42",
			ListCommand: "plenary bookings -event 7"},
	}
	kinds := []mailKind{mailConfirmed, mailPendingReview, mailWaitlisted, mailOffered, mailMovedUp,
		mailOfferLapsed, mailCancelled, mailReviewDeclined, mailAlreadyBooked,
		mailJoining, mailEventChanged, mailEventCancelled, mailReminder, mailThanks, mailReviewWaiting}
	files, _ := filepath.Glob("mail/*.txt")
	if len(files) != len(kinds) {
		t.Fatalf("%d templates in mail/, %d kinds: every template needs a kind and a golden file", len(files), len(kinds))
	}
	for _, kind := range kinds {
		subject, text, html, err := messaging.Render(mailFiles, "mail/"+string(kind), d)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if strings.Contains(html, "<day>") || !strings.Contains(html, "&lt;day&gt;") {
			t.Errorf("%s: the course title is not escaped in the HTML", kind)
		}
		got := "Subject: " + subject + "\n\n" + text + "\n---- HTML ----\n" + html
		golden := filepath.Join("testdata", "mail", string(kind)+".golden")
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%s: %v (run with -update to create it)", kind, err)
		}
		if got != string(want) {
			t.Errorf("%s differs from %s (run with -update and read the diff):\n%s", kind, golden, got)
		}
	}
}
