package messaging

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"plenary/internal/database"
)

// JobInserter inserts River jobs in a caller's transaction; a
// *river.Client[*sql.Tx] is one, running or insert-only.
type JobInserter interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// SendArgs is the send job of one message.
type SendArgs struct {
	MessageID int64 `json:"message_id"`
}

// Kind names the job in River's tables.
func (SendArgs) Kind() string { return "send_message" }

// sendMaxAttempts bounds the retries of one message: with River's backoff
// (attempt⁴ seconds) the twelfth attempt comes about 17 hours after the
// first, so a mail server that is down overnight does not lose the mail,
// and a message that cannot be sent is marked Failed within a day.
const sendMaxAttempts = 12

// InsertOpts makes a message's send job unique: there is never more than
// one job for one message, whatever inserts it.
func (SendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: sendMaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// JobsOptions configures the River client.
type JobsOptions struct {
	Logger *slog.Logger // default: discard
	// Run makes a client that works jobs once started; false makes an
	// insert-only client (PLENARY_JOBS=off, web-only instances).
	Run bool
	// MaxWorkers is how many jobs run at once in this process; default 30.
	// Most jobs are sends that wait on a mail server, so more workers than
	// cores pay: 30 sent 1.4–1.8 times as many as 10 in bench/mail.
	MaxWorkers int
	// PollInterval is how often the queue is checked for jobs inserted by
	// other clients or that became due; default 1s. The runner listens for
	// no notifications on either engine (see NewJobs), so this is the
	// longest a job inserted by another client — the outbox's insert-only
	// one in the same process, or another process — waits to be taken.
	PollInterval time.Duration
	// RescueAfter is PLENARY_MAIL_RESCUE_AFTER: a job running longer than
	// this is taken to have died with its process (a crash) and is run
	// again, by River's rescuer and by RescueSends. Default
	// DefaultRescueAfter (River's own default is an hour). The send
	// worker's timeouts are cut from it (see SendOptions.RescueAfter).
	RescueAfter time.Duration
	// RetryPolicy decides when a failed job runs again; default River's
	// (attempt⁴ seconds). Tests pass a quick one.
	RetryPolicy river.ClientRetryPolicy
}

// NewJobs returns the River client for db: working the jobs of workers (and
// the periodic jobs) in the default queue when opts.Run is set, insert-only
// otherwise. The caller starts it with Start and stops it with Stop. Other
// packages add their workers to the same workers before calling NewJobs.
func NewJobs(db *database.DB, workers *river.Workers, periodic []*river.PeriodicJob, opts JobsOptions) (*river.Client[*sql.Tx], error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg := &river.Config{
		Logger:      logger,
		RetryPolicy: opts.RetryPolicy,
		Workers:     workers,
	}
	if opts.Run {
		rescueAfter := cmp.Or(opts.RescueAfter, DefaultRescueAfter)
		cfg.RescueStuckJobsAfter = rescueAfter
		// River insists that no job's default timeout is longer than the
		// rescue time; other jobs keep River's default of a minute when
		// that fits. The send worker has its own, shorter one.
		cfg.JobTimeout = min(rescueAfter, time.Minute)
		if opts.MaxWorkers <= 0 {
			opts.MaxWorkers = 30
		}
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.MaxWorkers}}
		cfg.PeriodicJobs = periodic
		cfg.FetchPollInterval = opts.PollInterval
		// River's SQLite driver has no LISTEN/NOTIFY: its listener reads a
		// notification table every 50 ms, 20 queries a second with nothing
		// to find when the site is quiet (about 45 KB/s allocated at idle,
		// three quarters of an idle server's allocations). Poll-only, the
		// runner finds new jobs by the fetch poll above, as on PostgreSQL,
		// whose database/sql driver has no listener either: a job inserted
		// by the insert-only client waits up to PollInterval instead of
		// about 50–100 ms. A burst is not slowed: a fetch that filled every
		// free worker fetches again as soon as one finishes (at most once
		// per FetchCooldown, below).
		cfg.PollOnly = db.Dialect == database.SQLite
		// Without LISTEN/NOTIFY a runner fetches new jobs at most once per
		// cooldown, which caps a burst at MaxWorkers ÷ cooldown; River's
		// 100 ms default held 1,000 joining e-mails to under 100 a second.
		// A fetch only runs when workers are free and jobs wait, so a
		// shorter cooldown costs nothing when the queue is quiet.
		cfg.FetchCooldown = 20 * time.Millisecond
		if cfg.FetchPollInterval > 0 && cfg.FetchPollInterval < cfg.FetchCooldown {
			cfg.FetchCooldown = cfg.FetchPollInterval
		}
	}
	c, err := river.NewClient(db.RiverDriver(), cfg)
	if err != nil {
		return nil, fmt.Errorf("messaging: job client: %w", err)
	}
	return c, nil
}

// AddWorkers registers messaging's workers: the one that sends a message,
// with the default SendOptions or the ones given.
func AddWorkers(w *river.Workers, outbox *Outbox, mailer Mailer, opts ...SendOptions) {
	var o SendOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	river.AddWorker(w, &SendWorker{
		outbox: outbox, mailer: mailer,
		rescueAfter: cmp.Or(o.RescueAfter, DefaultRescueAfter),
		observe:     o.Observe,
	})
}
