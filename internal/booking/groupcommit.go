package booking

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/messaging"
)

// Group commit: bookings into one date are taken in batches. A request
// joins its date's queue; if nobody is taking that date's queue, it
// becomes the leader: it takes everyone queued (in arrival order, at most
// maxBatch), opens one transaction under the date's lock, runs each
// request, writes what they added in a few statements of many rows
// (batchwrites.go), commits once and hands each request its own outcome.
// One person's error (a form error after a date change, a duplicate)
// leaves out only their rows; the others stay booked. A request that
// arrives while a batch runs waits for the next one, which the first of
// the waiters leads. So a rush onto one date pays for the lock, the
// counts of places, the statements and one commit per batch rather than
// per person, and the e-mails are still queued in the booking's
// transaction.
//
// Savepoints only when needed: almost every request either books (adding
// rows for the batch to write) or is refused (a form error, a duplicate,
// a full date) before it writes anything itself. So a batch first runs
// without savepoints. A request that fails after it wrote to the database
// itself (dateState.wrote: an outbox that cannot keep its e-mails), or
// with anything but a refusal (a database error on PostgreSQL aborts the
// transaction), or a batch whose rows the database refuses when they are
// written, makes the whole batch roll back and run again from its start
// with a savepoint per request, each request's rows written inside its
// own savepoint, so the one at fault fails alone. Each request's fn
// starts from scratch each time it runs, so running it twice changes
// nothing but time.

// maxBatch bounds one batch: the first person in it waits for all of it.
const maxBatch = 128

// dateState is what a batch knows of its date under the lock: read once,
// then kept up to date by the requests it runs.
type dateState struct {
	store   store   // the batch's transaction
	tx      *sql.Tx // the same
	ev      lockedEvent
	held    int // places held (confirmed, offered, pending review); read only on a date with a limit
	waiting int // people on the waiting list; ditto
	// booked holds the e-mail keys, among the batch's, with an active
	// booking on the date (read once at the batch's start, and added to
	// as the batch books): a request whose key is not in it need not look
	// for its booking. Nil: unknown, look.
	booked map[string]bool
	// wrote is set by a request before its first write to the database
	// itself (rather than to pending): its failure can then not be left
	// in the batch without a savepoint to roll back to.
	wrote bool
	// pendingWrites are the rows the batch's requests have added,
	// written by flush (batchwrites.go); sends, when the outbox can keep
	// them, the batch's e-mails.
	pendingWrites
	sends *messaging.JobBatch
	// left is how many requests of the batch, this one included, have
	// yet to run: how many booking IDs the batch may still want.
	left int
	// shared is what the batch's requests share whether they succeed
	// or fail (a request's other changes to its dateState are kept only
	// when it succeeds).
	shared *batchShared
}

// batchShared is a batch's state that outlives a request's failure.
type batchShared struct {
	// current is the date and its course as read in the batch's
	// transaction by its first request that held an older version.
	current *currentEvent
}

// currentEvent is a date and its course read under the date's lock.
// Requests share it and only read it.
type currentEvent struct {
	course catalog.Course
	event  catalog.Event
}

// mayHaveBooking says whether the person with e-mail key may already
// have an active booking on the date.
func (st *dateState) mayHaveBooking(key string) bool { return st.booked == nil || st.booked[key] }

// batchJob is one request in a date's queue.
type batchJob struct {
	ctx   context.Context
	email string // the person's e-mail key
	fn    func(ctx context.Context, tx *sql.Tx, st *dateState) error
	err   error
	lead  bool          // woken to lead the next batch, not with an outcome
	wake  chan struct{} // one send: an outcome or the lead
}

type dateQueue struct {
	pending []*batchJob
	leading bool // a leader is taking (or about to take) this queue
}

// batchLockWait bounds, on PostgreSQL, a batch's wait for its date's row
// lock (SQLite's wait is bounded by its busy timeout); Service.lockWait,
// when set, replaces it (tests).
const batchLockWait = 30 * time.Second

// dateQueues are this process's queues, one per date with requests.
type dateQueues struct {
	mu     sync.Mutex
	queues map[int64]*dateQueue
}

// bookBatched runs fn for the request in its date's next batch, inside a
// transaction that holds the date's lock, and returns fn's error (or that
// of writing its rows, or the commit's).
func (s *Service) bookBatched(ctx context.Context, eventID int64, email string,
	fn func(ctx context.Context, tx *sql.Tx, st *dateState) error) error {
	j := &batchJob{ctx: ctx, email: emailKey(email), fn: fn, wake: make(chan struct{}, 1)}
	q := &s.batches
	q.mu.Lock()
	if q.queues == nil {
		q.queues = map[int64]*dateQueue{}
	}
	dq := q.queues[eventID]
	if dq == nil {
		dq = &dateQueue{}
		q.queues[eventID] = dq
	}
	dq.pending = append(dq.pending, j)
	lead := !dq.leading
	dq.leading = true
	q.mu.Unlock()
	if !lead {
		// Waiting here cannot be cut short by ctx: once queued, the job
		// may already be running in a leader's transaction. A request
		// cancelled before its turn is skipped (runBatch checks ctx).
		<-j.wake
		if !j.lead {
			return j.err
		}
	}
	// Lead batches until this job has its outcome, then pass the lead on
	// to the first of those still waiting.
	for {
		q.mu.Lock()
		n := min(len(dq.pending), maxBatch)
		batch := dq.pending[:n:n]
		dq.pending = dq.pending[n:]
		q.mu.Unlock()
		s.runBatch(eventID, batch)
		mine := false
		for _, b := range batch {
			if b == j {
				mine = true
			} else {
				b.wake <- struct{}{}
			}
		}
		if !mine {
			continue // this job was beyond maxBatch: lead the next batch
		}
		q.mu.Lock()
		if len(dq.pending) == 0 {
			dq.leading = false
			delete(q.queues, eventID)
		} else {
			next := dq.pending[0]
			next.lead = true
			next.wake <- struct{}{}
		}
		q.mu.Unlock()
		return j.err
	}
}

// runBatch runs the jobs in one transaction on the date and sets each
// job's err. The transaction's statements do not
// stop when one request's context is cancelled (on PostgreSQL that would
// end the connection, and with it everyone's transaction); a request
// already cancelled when its turn comes is skipped.
func (s *Service) runBatch(eventID int64, jobs []*batchJob) {
	// The transaction belongs to the batch, not to the leader's request.
	ctx := context.WithoutCancel(jobs[0].ctx)
	ran := make([]bool, len(jobs))
	var err error
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("booking: panic in a batch of bookings: %v", p)
		}
		if err == nil {
			return
		}
		// The transaction failed as a whole: nobody in it is booked.
		for i, j := range jobs {
			if ran[i] || j.err == nil {
				j.err = err
			}
		}
	}()
	// First without savepoints; again with one per request if a request
	// failed in a way only its savepoint could undo. The date's lock in
	// this process is held across both, so nothing else here (a move, a
	// desk change) takes the date between them.
	unlock := s.events.lock(eventID)
	defer unlock()
	for _, safe := range []bool{false, true} {
		err = database.InTx(ctx, s.db, func(tx *sql.Tx) error { return s.batchTx(ctx, tx, eventID, jobs, ran, safe) })
		if !errors.Is(err, errRedoSafely) {
			break
		}
		s.batchRedos.Add(1)
	}
}

// errRedoSafely rolls a batch run without savepoints back, to run it again
// with them.
var errRedoSafely = errors.New("booking: a request failed after it wrote, or the batch's rows were refused; the batch runs again with savepoints")

// refusal reports whether err is a request's refusal that fn returns
// before it writes and without a failed statement: a form error, a rule's
// refusal, a date full, closed, cancelled or unavailable.
func refusal(err error) bool {
	var fe FormError
	var re *RefusedError
	return errors.As(err, &fe) || errors.As(err, &re) || errors.Is(err, ErrEventFull) || errors.Is(err, ErrClosed) ||
		errors.Is(err, ErrEventCancelled) || errors.Is(err, ErrEventUnavailable)
}

// batchTx runs the batch's jobs in tx (see runBatch) and writes what
// they added (flush); with safe, each in a savepoint of its own, written
// as it succeeds. Without safe, a job that fails other than by a refusal
// before writing, or a failed flush, returns errRedoSafely.
func (s *Service) batchTx(ctx context.Context, tx *sql.Tx, eventID int64, jobs []*batchJob, ran []bool, safe bool) error {
	clear(ran)
	for _, j := range jobs { // an earlier run's answers do not stand
		j.err = nil
	}
	st := dateState{store: s.store.withTx(tx), tx: tx, shared: &batchShared{}} // SQLite's statements stay prepared per connection (internal/database)
	sq := st.store.q
	var err error
	if st.store.dialect == database.Postgres {
		// Waiting people cannot leave the queue once queued, so the
		// wait for the date's row (held by another process's save or
		// a stuck transaction) is bounded here: past it everyone in the
		// batch is told they are not booked, rather than hanging.
		wait := cmp.Or(s.lockWait, batchLockWait)
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = %d`, wait.Milliseconds())); err != nil {
			return err
		}
	}
	if st.ev, err = st.store.lockEvent(ctx, eventID); err != nil {
		return err
	}
	if st.ev.capacity != 0 {
		// Places are counted where they limit, once: the requests keep
		// the counts up to date as they book. A date with no limit
		// never counts its (maybe thousands of) bookings.
		if st.held, st.waiting, err = st.store.heldAndWaiting(ctx, eventID); err != nil {
			return err
		}
	}
	if len(jobs) > 1 {
		// One query for everyone's earlier booking, not one each.
		keys := make([]string, len(jobs))
		for i, j := range jobs {
			keys[i] = j.email
		}
		if st.booked, err = st.store.activeEmails(ctx, eventID, keys); err != nil {
			return err
		}
	}
	// The batch's e-mails go in with its other rows, at the end, when
	// the outbox can keep them (messaging.JobBatch).
	if ob, ok := s.outbox.(interface{ Batch() *messaging.JobBatch }); ok {
		st.sends = ob.Batch()
	}
	for i, j := range jobs {
		j.err = nil
		if err := j.ctx.Err(); err != nil {
			j.err = err
			continue
		}
		if safe {
			if _, err := sq.ExecContext(ctx, `SAVEPOINT booking`); err != nil {
				return err
			}
		}
		mine := st
		mine.wrote, mine.left = false, len(jobs)-i
		mark := 0
		if st.sends != nil {
			mark = st.sends.Len()
		}
		jctx := context.WithValue(context.WithoutCancel(j.ctx), dateStateKey{}, &mine)
		err := runJob(jctx, tx, j, &mine)
		if err == nil && safe {
			err = mine.flush(ctx)
		}
		if err != nil {
			if !safe && (mine.wrote || !refusal(err)) {
				return errRedoSafely
			}
			j.err = err
			if st.sends != nil {
				st.sends.Truncate(mark)
			}
			if safe {
				if _, rbErr := sq.ExecContext(ctx, `ROLLBACK TO SAVEPOINT booking`); rbErr != nil {
					return fmt.Errorf("roll back booking: %w", rbErr)
				}
			}
		} else {
			st = mine
			if st.booked != nil {
				st.booked[j.email] = true
			}
			ran[i] = true
		}
		if safe {
			if _, err := sq.ExecContext(ctx, `RELEASE SAVEPOINT booking`); err != nil {
				return err
			}
		}
	}
	if err := st.flush(ctx); err != nil {
		if !safe {
			return errRedoSafely
		}
		return err
	}
	return nil
}

// runJob runs one job's fn, turning a panic into that job's error: the
// others in the batch must still be answered.
func runJob(ctx context.Context, tx *sql.Tx, j *batchJob, st *dateState) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("booking: panic in a batched booking: %v", p)
			st.wrote = true // whatever it did, only a savepoint undoes it
		}
	}()
	return j.fn(ctx, tx, st)
}

// dateStateKey carries, in a batched booking's context, its dateState:
// queue adds its e-mails and tokens there.
type dateStateKey struct{}

func dateStateOf(ctx context.Context) *dateState {
	ds, _ := ctx.Value(dateStateKey{}).(*dateState)
	return ds
}
