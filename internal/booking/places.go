package booking

import (
	"context"
	"fmt"

	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/messaging"
)

// Read models: an event's bookings for coordinators, and how full events
// are for the catalogue pages.

// List returns an event's bookings in the order they were taken, with
// waiting-list positions and whether their mail is failing.
func (s *Service) List(ctx context.Context, eventID int64) ([]Booking, error) {
	list, err := s.store.onEvent(ctx, eventID)
	if err == nil {
		err = withMailFailing(ctx, s.db, list)
	}
	if err != nil {
		return nil, fmt.Errorf("booking: list event %d: %w", eventID, err)
	}
	return list, nil
}

// ListWithAnswers is List with each booking's answers to the course's
// questions, for the coordinator's listing and export.
func (s *Service) ListWithAnswers(ctx context.Context, eventID int64) ([]Booking, error) {
	list, err := s.List(ctx, eventID)
	if err != nil {
		return nil, err
	}
	answers, err := s.store.answersOnEvent(ctx, eventID)
	if err != nil {
		return nil, fmt.Errorf("booking: answers on event %d: %w", eventID, err)
	}
	for i := range list {
		list[i].Answers = answers[list[i].ID]
		if list[i].Answers == nil {
			list[i].Answers = map[string]string{}
		}
	}
	return list, nil
}

// withMailFailing sets MailFailing on each booking: messaging says whether
// mail about it failed for good with nothing delivered since.
func withMailFailing(ctx context.Context, q database.Querier, list []Booking) error {
	failing, err := messaging.FailingSubjects(ctx, q, subjectRefs(list))
	if err != nil {
		return err
	}
	for i := range list {
		list[i].MailFailing = failing[SubjectRef(list[i].ID)]
	}
	return nil
}

// Places says how an event stands.
type Places struct {
	Capacity int // 0 = no limit
	Taken    int
	Waiting  int
}

// Left is the number of free places; -1 when there is no limit.
func (p Places) Left() int {
	if p.Capacity == 0 {
		return -1
	}
	return max(p.Capacity-p.Taken, 0)
}

// PlacesFor returns the places taken and waiting on each of the events.
func (s *Service) PlacesFor(ctx context.Context, events []catalog.Event) (map[int64]Places, error) {
	counts, err := s.store.places(ctx, eventIDs(events))
	if err != nil {
		return nil, fmt.Errorf("booking: places: %w", err)
	}
	return withCapacity(counts, events), nil
}

// PlacesIfCurrent is PlacesFor for events of course courseID as read at
// version (a page kept from that version), in one round trip with the
// course's version: current is false, and places nil, when the course
// is no longer at version or is gone — the caller reads it again.
func (s *Service) PlacesIfCurrent(ctx context.Context, courseID int64, version int, events []catalog.Event) (places map[int64]Places, current bool, err error) {
	counts, current, err := s.store.placesIfCurrent(ctx, courseID, version, eventIDs(events))
	if err != nil {
		return nil, false, fmt.Errorf("booking: places: %w", err)
	}
	if !current {
		return nil, false, nil
	}
	return withCapacity(counts, events), true, nil
}

// eventIDs is the IDs of events, in order.
func eventIDs(events []catalog.Event) []int64 {
	ids := make([]int64, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}

// withCapacity is counts for each of events, with its capacity.
func withCapacity(counts map[int64]Places, events []catalog.Event) map[int64]Places {
	out := make(map[int64]Places, len(events))
	for _, e := range events {
		p := counts[e.ID]
		p.Capacity = e.Capacity
		out[e.ID] = p
	}
	return out
}

// EventZones returns the time zone (IANA name) of the event each of the
// bookings is on, for showing their messages' times as the pages do.
// Bookings that do not exist are left out.
func (s *Service) EventZones(ctx context.Context, bookingIDs []int64) (map[int64]string, error) {
	out, err := s.store.eventZones(ctx, bookingIDs)
	if err != nil {
		return nil, fmt.Errorf("booking: event zones: %w", err)
	}
	return out, nil
}
