package admin

import (
	"fmt"
	"strings"

	"plenary/internal/audit"
)

// How the staff area writes the audit log's actors and actions for
// people: the audit log page and a booking's timeline say them alike.

// actionWords names the actions for people; others are written from
// their code by actionLabel ("booking.decline_offer" → "Booking: decline
// offer").
var actionWords = map[string]string{
	"booking.create":             "Booking made",
	"booking.cancel":             "Booking cancelled",
	"booking.approve":            "Review approved",
	"booking.decline_review":     "Review declined",
	"booking.move":               "Booking moved to another date",
	"booking.correct":            "Details corrected",
	"booking.accept_offer":       "Offered place taken up",
	"booking.decline_offer":      "Offered place turned down",
	"booking.lapse":              "Offer of a place lapsed",
	"booking.move_up":            "Moved up from the waiting list",
	"booking.erase_access_needs": "Access needs erased (retention)",
	"booking.offer_place":        "Offered a place out of turn",
	"booking.withdraw_offer":     "Offer withdrawn (passed to someone else)",
	"booking.mark_paid":          "Invoice marked paid",
	"booking.note":               "Internal note added",
	"booking.message":            "Message written to the person",
	"course.create":              "Course created",
	"course.update":              "Course changed",
	"event.create":               "Date added",
	"event.update":               "Date changed",
	"event.late_change":          "Late change to a date confirmed",
	"message.retry":              "E-mail retried",
	"message.resend":             "E-mail sent again",
	"message.erase_bodies":       "E-mail texts erased (retention)",
	"person.export":              "A person's data exported",
	"person.erase":               "A person's data erased",
	"user.create":                "Staff user added",
	"user.update":                "Staff user changed",
	"user.sign_in":               "Signed in",
	"user.sign_out":              "Signed out",
	"user.sign_out_everywhere":   "Signed out everywhere",
	"user.totp_on":               "One-time codes turned on",
	"user.totp_off":              "One-time codes turned off",
	"attention.digest":           "Daily digest sent",
	"register.mark":              "Marked on the register",
	"booking.attendance":         "Attendance recorded (register closed)",
	"event.trainers":             "Trainers of a date changed",
}

// actionLabel writes an audit action for people.
func actionLabel(action string) string {
	if w, ok := actionWords[action]; ok {
		return w
	}
	obj, verb, ok := strings.Cut(action, ".")
	if !ok || obj == "" {
		return action
	}
	return strings.ToUpper(obj[:1]) + obj[1:] + ": " + strings.ReplaceAll(verb, "_", " ")
}

// actorWords writes who acted for people: "Ann Smith (staff, user 3)",
// "The participant (booking 42)", "alice (command line)", "Background
// job expire-offers".
func actorWords(a audit.Actor) string {
	switch a.Kind {
	case audit.Staff:
		return fmt.Sprintf("%s (staff, user %d)", a.Name, a.ID)
	case audit.Participant:
		if a.ID > 0 {
			return fmt.Sprintf("The participant (booking %d)", a.ID)
		}
		return "The participant"
	case audit.Operator:
		if a.Name != "" {
			return a.Name + " (command line)"
		}
		return "Command line"
	case audit.System:
		return "Background job " + a.Name
	}
	return a.String()
}
