package lists

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/messaging"
	"plenary/internal/secret"
)

// Options are what the Service needs.
type Options struct {
	DB     *database.DB
	Outbox *messaging.Outbox
	// BaseURL is the site's public address, for the links in e-mails.
	BaseURL string
	// Secret signs unsubscribe links (PLENARY_LIST_SECRET). Without it,
	// GenerateSecret (the demo) keeps a random key in the database;
	// with neither, lists are off (ErrNotConfigured).
	Secret         []byte
	GenerateSecret bool
	// UnsubscribeMailbox is the address of List-Unsubscribe's mailto:
	// (the course team's, who act on it); empty leaves it out.
	UnsubscribeMailbox string
	// PerAddressPerDay caps the confirmation e-mails one address is sent
	// in a day, whoever asks (default 3); requests beyond it answer the
	// same and send nothing.
	PerAddressPerDay int
	// ForgetAfter is how long a request never confirmed is kept
	// (PLENARY_LIST_UNCONFIRMED_DAYS; 0: the default, ForgetAfter).
	ForgetAfter time.Duration
	// Catalog is where Announce finds the dates on the public site, and
	// Places how many places each has left (booking's, through an
	// adapter in wire.go). Without Catalog, Announce does nothing;
	// without Places, no place-frees notice is sent.
	Catalog *catalog.Store
	Places  Places
	// Grace is how long a date must stay on the site before it is
	// announced (PLENARY_LIST_ANNOUNCE_GRACE; default 15 minutes).
	Grace time.Duration
	Now   func() time.Time
}

// Service is the only door to the lists.
type Service struct {
	opts      Options
	keyMu     sync.Mutex
	generated []byte
}

// NewService returns the lists' Service.
func NewService(opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PerAddressPerDay <= 0 {
		opts.PerAddressPerDay = 3
	}
	if opts.ForgetAfter <= 0 {
		opts.ForgetAfter = ForgetAfter
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	return &Service{opts: opts}
}

// UseStoredKey makes a Service without a Secret keep a random key in the
// database (serve -demo). Call it before the Service is used.
func (s *Service) UseStoredKey() { s.opts.GenerateSecret = true }

// Enabled says whether lists can be used: a secret is set, or the demo
// keeps one.
func (s *Service) Enabled() bool { return len(s.opts.Secret) > 0 || s.opts.GenerateSecret }

func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

// Subscribe asks for a subscription. It answers the same — nil — whether
// the address was new, waiting, confirmed, withdrawn or suppressed, so the
// answer reveals nothing: a new or waiting request (or one withdrawn
// before) gets a fresh confirmation e-mail, unless the address has had
// PerAddressPerDay of them in the last day; a confirmed or suppressed
// subscription is left as it is. Bad input is a FormError.
func (s *Service) Subscribe(ctx context.Context, r Request) error {
	if !s.Enabled() {
		return ErrNotConfigured
	}
	r, err := r.clean()
	if err != nil {
		return err
	}
	if _, err := s.key(ctx); err != nil {
		return err
	}
	return database.InTx(ctx, s.opts.DB, func(tx *sql.Tx) error {
		_, err := s.askConfirmation(ctx, tx, ask{r: r, reopen: true}, s.now())
		return err
	})
}

// ask is a request for a confirmation e-mail, as Subscribe and an import
// make it: r is checked already; note and consentedOn are an import's
// evidence; reopen lets a withdrawn subscription be asked again (a
// person's own request; never an import).
type ask struct {
	r                 Request
	note, consentedOn string
	reopen            bool
}

// askOutcome is what askConfirmation did.
type askOutcome int

const (
	askSent      askOutcome = iota // a confirmation e-mail queued
	askCapped                      // the address had PerAddressPerDay today: nothing sent
	askRaced                       // made at the same moment by another request: nothing sent
	askUnchanged                   // confirmed, suppressed, or withdrawn without reopen: nothing
)

// capped says whether the address of key has had PerAddressPerDay
// confirmation requests in the day before now.
func (s *Service) capped(ctx context.Context, q querier, key string, now time.Time) (bool, error) {
	var recent int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM list_consent_evidence e
		JOIN list_subscriptions s ON s.id = e.subscription_id
		WHERE s.email_key = $1 AND e.step = $2 AND e.at > $3`,
		key, stepRequested, now.Add(-24*time.Hour)).Scan(&recent); err != nil {
		return false, fmt.Errorf("lists: subscribe: %w", err)
	}
	return recent >= s.opts.PerAddressPerDay, nil
}

// askConfirmation is the one path that sends a confirmation e-mail: at
// most PerAddressPerDay per address, a new subscription made (or a
// waiting one given a fresh link), the request's evidence with its
// wording, and the e-mail queued, all in tx.
func (s *Service) askConfirmation(ctx context.Context, tx *sql.Tx, a ask, now time.Time) (askOutcome, error) {
	r := a.r
	wording := Wordings[r.Wording]
	key, target := emailKey(r.Email), r.targetKey()
	if capped, err := s.capped(ctx, tx, key, now); err != nil || capped {
		return askCapped, err
	}
	token, hash := secret.New()
	expires := now.Add(TokenLifetime)
	var (
		id     int64
		status string
	)
	err := tx.QueryRowContext(ctx, `SELECT id, status FROM list_subscriptions WHERE email_key = $1 AND target_key = $2`,
		key, target).Scan(&id, &status)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		var course any
		if r.Scope == ScopeCourse || r.Scope == ScopePlaces {
			course = r.CourseID
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO list_subscriptions (email, email_key, name, scope, course_id, topic,
				target_key, status, token_hash, token_expires_at, requested_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (email_key, target_key) DO NOTHING RETURNING id`,
			r.Email, key, r.Name, string(r.Scope), course, r.Topic, target, string(Requested), hash, expires, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return askRaced, nil // asked at the same moment by another request
		}
	case err != nil:
	case Status(status) == Requested || (a.reopen && Status(status) == Withdrawn):
		_, err = tx.ExecContext(ctx, `UPDATE list_subscriptions SET status = $1, token_hash = $2, token_expires_at = $3,
			requested_at = $4, name = CASE WHEN $5 = '' THEN name ELSE $5 END WHERE id = $6`,
			string(Requested), hash, expires, now, r.Name, id)
	default:
		return askUnchanged, nil // confirmed or suppressed: nothing changes, nothing is sent
	}
	if err != nil {
		return 0, fmt.Errorf("lists: subscribe: %w", err)
	}
	if err := addEvidence(ctx, tx, Evidence{SubscriptionID: id, Email: r.Email, What: r.what(),
		WordingVersion: wording.Version, WordingSHA256: wording.SHA256(), Source: r.Source, Step: stepRequested, At: now,
		SourceNote: a.note, ConsentedOn: a.consentedOn}); err != nil {
		return 0, err
	}
	data, err := json.Marshal(confirmData{Name: r.Name, What: r.what(),
		ConfirmURL: s.opts.BaseURL + "/lists/confirm/" + token, Expires: expires, SiteURL: s.opts.BaseURL,
		ForgetDays: int(s.opts.ForgetAfter / (24 * time.Hour))})
	if err != nil {
		return 0, err
	}
	if _, _, err = s.opts.Outbox.Enqueue(ctx, tx, messaging.Message{
		Kind: kindConfirm, DedupeKey: fmt.Sprintf("%s/%d/%s", kindConfirm, id, hash[:16]),
		SubjectRef: subjectRef(id), ToName: r.Name, ToEmail: r.Email, Data: data,
	}); err != nil {
		return 0, err
	}
	return askSent, nil
}

// subjectRef names a subscription in the mail log.
func subjectRef(id int64) string { return fmt.Sprintf("subscription/%d", id) }

func addEvidence(ctx context.Context, tx *sql.Tx, e Evidence) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO list_consent_evidence (subscription_id, email, what, wording_version,
			wording_sha256, source, step, how, at, source_note, consented_on)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.SubscriptionID, e.Email, e.What, e.WordingVersion, e.WordingSHA256, string(e.Source), e.Step, e.How, e.At,
		e.SourceNote, e.ConsentedOn)
	if err != nil {
		return fmt.Errorf("lists: evidence: %w", err)
	}
	return nil
}

// repeatRequest records a later step of subscription id with what, the
// wording and the source of its latest request.
func repeatRequest(ctx context.Context, tx *sql.Tx, id int64, step, how string, at time.Time) error {
	e := Evidence{SubscriptionID: id, Step: step, How: how, At: at}
	var source string
	err := tx.QueryRowContext(ctx, `SELECT email, what, wording_version, wording_sha256, source, source_note, consented_on
		FROM list_consent_evidence WHERE subscription_id = $1 AND step = $2 ORDER BY id DESC LIMIT 1`,
		id, stepRequested).Scan(&e.Email, &e.What, &e.WordingVersion, &e.WordingSHA256, &source, &e.SourceNote, &e.ConsentedOn)
	if err != nil {
		return fmt.Errorf("lists: %s: evidence: %w", step, err)
	}
	e.Source = Source(source)
	return addEvidence(ctx, tx, e)
}

// Pending is what the confirmation page shows before its button is
// pressed.
type Pending struct {
	Email, What string
}

// CheckConfirmation reads the subscription a confirmation link is for,
// without confirming it (the GET a link scanner makes changes nothing):
// ErrLinkInvalid for a link unknown or used, ErrLinkExpired for one older
// than TokenLifetime.
func (s *Service) CheckConfirmation(ctx context.Context, token string) (Pending, error) {
	var p Pending
	err := s.byToken(ctx, s.opts.DB, token, func(_ int64, email, what string) { p = Pending{Email: email, What: what} })
	return p, err
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// byToken finds a waiting subscription by its confirmation token and
// calls found with it and what its latest request was for.
func (s *Service) byToken(ctx context.Context, q querier, token string, found func(id int64, email, what string)) error {
	if !secret.Plausible(token) {
		return ErrLinkInvalid
	}
	var (
		id          int64
		email, what string
		expires     time.Time
	)
	err := q.QueryRowContext(ctx, `SELECT s.id, s.email, s.token_expires_at,
			(SELECT e.what FROM list_consent_evidence e WHERE e.subscription_id = s.id AND e.step = $2 ORDER BY e.id DESC LIMIT 1)
		FROM list_subscriptions s WHERE s.token_hash = $1 AND s.status = $3`,
		secret.Hash(token), stepRequested, string(Requested)).Scan(&id, &email, &expires, &what)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrLinkInvalid
	}
	if err != nil {
		return fmt.Errorf("lists: confirmation link: %w", err)
	}
	if !s.now().Before(expires) {
		return ErrLinkExpired
	}
	found(id, email, what)
	return nil
}

// Confirm confirms the subscription a confirmation link is for, once:
// the link then stops working. The evidence records the confirmation with
// the wording and source of the request it confirms.
func (s *Service) Confirm(ctx context.Context, token string) (Pending, error) {
	var p Pending
	err := database.InTx(ctx, s.opts.DB, func(tx *sql.Tx) error {
		var id int64
		if err := s.byToken(ctx, tx, token, func(i int64, email, what string) { id, p = i, Pending{Email: email, What: what} }); err != nil {
			return err
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE list_subscriptions SET status = $1, confirmed_at = $2, withdrawn_at = NULL,
				token_hash = NULL, token_expires_at = NULL
			WHERE id = $3 AND status = $4`, string(Confirmed), now, id, string(Requested))
		if err != nil {
			return fmt.Errorf("lists: confirm: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return ErrLinkInvalid
		}
		return repeatRequest(ctx, tx, id, stepConfirmed, "", now)
	})
	return p, err
}

// Unsubscribe withdraws the subscriptions a signed unsubscribe token
// names (one, or every one that brought a list e-mail), at once, each
// with its evidence recording how (HowOneClick, HowLink…). It is
// idempotent: a subscription already withdrawn, suppressed or forgotten
// is left as it is and answers nil. A token whose signature fails is
// ErrLinkInvalid.
func (s *Service) Unsubscribe(ctx context.Context, token, how string) error {
	ids, err := s.verify(ctx, token)
	if err != nil {
		return err
	}
	return database.InTx(ctx, s.opts.DB, func(tx *sql.Tx) error {
		now := s.now()
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `UPDATE list_subscriptions SET status = $1, withdrawn_at = $2,
					token_hash = NULL, token_expires_at = NULL
				WHERE id = $3 AND status IN ($4, $5)`, string(Withdrawn), now, id, string(Requested), string(Confirmed))
			if err != nil {
				return fmt.Errorf("lists: unsubscribe: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				continue
			}
			if err := repeatRequest(ctx, tx, id, stepWithdrawn, how, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// UnsubscribeLinks are a list e-mail's ways out for the subscriptions
// ids (one for a visible link; every one that brought the e-mail for its
// header): the page and one-click address (https) and the mailto:
// address (empty without UnsubscribeMailbox). Put them on a message with
// ListMessage.
func (s *Service) UnsubscribeLinks(ctx context.Context, ids ...int64) (page, mailto string, err error) {
	token, err := s.UnsubscribeToken(ctx, ids...)
	if err != nil {
		return "", "", err
	}
	page = s.opts.BaseURL + "/lists/unsubscribe/" + token
	if s.opts.UnsubscribeMailbox != "" {
		mailto = "mailto:" + s.opts.UnsubscribeMailbox + "?subject=" + url.PathEscape("unsubscribe "+token)
	}
	return page, mailto, nil
}

// ListMessage marks m as list mail of subscription id (ListMessageFor
// with one).
func (s *Service) ListMessage(ctx context.Context, id int64, m messaging.Message) (messaging.Message, error) {
	return s.ListMessageFor(ctx, []int64{id}, m)
}

// ListMessageFor marks m as list mail made from the subscriptions ids
// (the first names it in the mail log): it will carry List-Unsubscribe
// (https and mailto) naming them all, so the one click of RFC 8058 —
// List-Unsubscribe-Post: List-Unsubscribe=One-Click, where the site is on
// https — stops every one that brought the e-mail.
func (s *Service) ListMessageFor(ctx context.Context, ids []int64, m messaging.Message) (messaging.Message, error) {
	page, mailto, err := s.UnsubscribeLinks(ctx, ids...)
	if err != nil {
		return m, err
	}
	m.Marketing = true
	if strings.HasPrefix(page, "https://") {
		m.ListUnsubscribe = page
	}
	m.ListUnsubscribeMailto = mailto
	if m.SubjectRef == "" && len(ids) > 0 {
		m.SubjectRef = subjectRef(ids[0])
	}
	return m, nil
}

// ForgetUnconfirmed deletes requests never confirmed whose last request
// is older than Options.ForgetAfter, with their evidence; a subscription withdrawn
// and asked for again but not confirmed goes back to withdrawn, keeping
// the evidence of its earlier consent. It returns how many it forgot.
func (s *Service) ForgetUnconfirmed(ctx context.Context) (int64, error) {
	cutoff := s.now().Add(-s.opts.ForgetAfter)
	var n int64
	err := database.InTx(ctx, s.opts.DB, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM list_consent_evidence WHERE subscription_id IN
			(SELECT id FROM list_subscriptions WHERE status = $1 AND confirmed_at IS NULL AND requested_at < $2)`,
			string(Requested), cutoff)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM list_subscriptions WHERE status = $1 AND confirmed_at IS NULL AND requested_at < $2`,
			string(Requested), cutoff)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE list_subscriptions SET status = $1, token_hash = NULL, token_expires_at = NULL
			WHERE status = $2 AND requested_at < $3`, string(Withdrawn), string(Requested), cutoff)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("lists: forget unconfirmed: %w", err)
	}
	return n, nil
}

// Subscriptions returns an address's subscriptions (any case), oldest
// first.
func (s *Service) Subscriptions(ctx context.Context, email string) ([]Subscription, error) {
	rows, err := s.opts.DB.QueryContext(ctx, `SELECT id, email, name, scope, course_id, topic, status,
			requested_at, confirmed_at, withdrawn_at
		FROM list_subscriptions WHERE email_key = $1 ORDER BY id`, emailKey(strings.TrimSpace(email)))
	if err != nil {
		return nil, fmt.Errorf("lists: subscriptions: %w", err)
	}
	defer rows.Close()
	var out []Subscription
	for rows.Next() {
		var (
			sub                 Subscription
			scope, status       string
			course              sql.NullInt64
			confirmed, withdrew sql.NullTime
		)
		if err := rows.Scan(&sub.ID, &sub.Email, &sub.Name, &scope, &course, &sub.Topic, &status,
			&sub.RequestedAt, &confirmed, &withdrew); err != nil {
			return nil, fmt.Errorf("lists: subscriptions: %w", err)
		}
		sub.Scope, sub.Status, sub.CourseID = Scope(scope), Status(status), course.Int64
		sub.RequestedAt = sub.RequestedAt.UTC()
		if confirmed.Valid {
			sub.ConfirmedAt = confirmed.Time.UTC()
		}
		if withdrew.Valid {
			sub.WithdrawnAt = withdrew.Time.UTC()
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}

// Evidence returns a subscription's consent evidence, oldest first.
func (s *Service) Evidence(ctx context.Context, subscriptionID int64) ([]Evidence, error) {
	rows, err := s.opts.DB.QueryContext(ctx, `SELECT id, subscription_id, email, what, wording_version, wording_sha256,
			source, step, how, at, source_note, consented_on
		FROM list_consent_evidence WHERE subscription_id = $1 ORDER BY id`, subscriptionID)
	if err != nil {
		return nil, fmt.Errorf("lists: evidence: %w", err)
	}
	defer rows.Close()
	var out []Evidence
	for rows.Next() {
		var (
			e      Evidence
			source string
		)
		if err := rows.Scan(&e.ID, &e.SubscriptionID, &e.Email, &e.What, &e.WordingVersion, &e.WordingSHA256,
			&source, &e.Step, &e.How, &e.At, &e.SourceNote, &e.ConsentedOn); err != nil {
			return nil, fmt.Errorf("lists: evidence: %w", err)
		}
		e.Source, e.At = Source(source), e.At.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
