package session

import (
	"context"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

// Database is the database strategy: the cookie holds a random 256-bit id,
// the store holds SHA-256(id) with the session record. Revocation is instant:
// a deleted record is gone for every instance. Build one with NewDatabase; a
// Database is safe for concurrent use.
type Database struct {
	store    DatabaseStore
	lifetime Lifetime

	// pending holds rolling expiries newer than the stored ones, written back
	// at most once per UpdateAge. Keyed by string(idHash).
	mu      sync.Mutex
	pending map[string]time.Time
}

// DatabaseStore is what the database strategy needs of a store: its session
// records, and the list of a user's sessions for their devices. Every
// store.Store is one.
type DatabaseStore interface {
	store.Sessions
	store.SessionLister
}

// NewDatabase returns the database strategy on s.
func NewDatabase(s DatabaseStore, l Lifetime) (*Database, error) {
	l, err := l.validate()
	if err != nil {
		return nil, err
	}
	return &Database{store: s, lifetime: l, pending: make(map[string]time.Time)}, nil
}

// Issue implements Strategy.
func (d *Database) Issue(ctx context.Context, u wire.User, dev Device, now time.Time) (Issued, Session, error) {
	token := newToken()
	rec := store.Session{
		IDHash:     hashToken(token),
		UserID:     u.ID,
		Email:      u.Email,
		Name:       u.Name,
		Role:       u.Role,
		CreatedAt:  now,
		AbsExpires: wholeSecond(now.Add(d.lifetime.AbsoluteMaxAge)),
		ClientAddr: dev.Addr,
		UserAgent:  truncateUA(dev.UserAgent),
	}
	rec.Expires = minTime(wholeSecond(now.Add(d.lifetime.MaxAge)), rec.AbsExpires)
	if err := d.store.CreateSession(ctx, rec); err != nil {
		return Issued{}, Session{}, fmt.Errorf("%w: create session: %w", ErrUnavailable, err)
	}
	return Issued{Token: token}, fromRecord(&rec, rec.Expires), nil
}

// Peek implements Peeker.
func (d *Database) Peek(ctx context.Context, token string, now time.Time) (Session, bool, error) {
	h := hashToken(token)
	if h == nil {
		return Session{}, false, nil
	}
	rec, _, found, err := d.lookup(ctx, h, now)
	if err != nil || !found {
		return Session{}, false, err
	}
	return fromRecord(&rec, rec.Expires), true, nil
}

// lookup returns the live record of h with its real idle expiry, and the
// expiry the store holds.
func (d *Database) lookup(ctx context.Context, h []byte, now time.Time) (rec store.Session, persisted time.Time, found bool, err error) {
	// The stored expiry may lag the real one by less than UpdateAge, so ask
	// the store for records live that long ago and judge below.
	rec, found, err = d.store.Session(ctx, h, now.Add(-d.lifetime.UpdateAge))
	if err != nil {
		return rec, persisted, false, fmt.Errorf("%w: read session: %w", ErrUnavailable, err)
	}
	key := string(h)
	if !found {
		d.forget(key, time.Time{})
		return rec, persisted, false, nil
	}
	persisted = rec.Expires
	d.mu.Lock()
	if p, ok := d.pending[key]; ok && p.After(rec.Expires) {
		rec.Expires = p
	}
	d.mu.Unlock()
	if !rec.Live(now) {
		d.forget(key, time.Time{})
		return rec, persisted, false, nil
	}
	return rec, persisted, true, nil
}

// Load implements Strategy.
func (d *Database) Load(ctx context.Context, token string, now time.Time) (Session, string, bool, error) {
	h := hashToken(token)
	if h == nil {
		return Session{}, "", false, nil
	}
	rec, persisted, found, err := d.lookup(ctx, h, now)
	if err != nil || !found {
		return Session{}, "", false, err
	}
	key := string(h)
	next := minTime(wholeSecond(now.Add(d.lifetime.MaxAge)), rec.AbsExpires)
	if next.Sub(persisted) >= d.lifetime.UpdateAge {
		touched, err := d.store.TouchSession(ctx, h, next)
		if err != nil {
			return Session{}, "", false, fmt.Errorf("%w: extend session: %w", ErrUnavailable, err)
		}
		if !touched { // deleted since the read: ended
			d.forget(key, time.Time{})
			return Session{}, "", false, nil
		}
		d.forget(key, next)
	} else {
		d.mu.Lock()
		if next.After(d.pending[key]) {
			d.pending[key] = next
		}
		d.mu.Unlock()
	}
	return fromRecord(&rec, next), "", true, nil
}

// Revoke implements Strategy.
func (d *Database) Revoke(ctx context.Context, token string, _ time.Time) error {
	h := hashToken(token)
	if h == nil {
		return nil
	}
	d.forget(string(h), time.Time{})
	if err := d.store.DeleteSession(ctx, h); err != nil {
		return fmt.Errorf("%w: delete session: %w", ErrUnavailable, err)
	}
	return nil
}

// RevokeUser implements Strategy.
func (d *Database) RevokeUser(ctx context.Context, userID string, _ time.Time) error {
	if _, err := d.store.DeleteUserSessions(ctx, userID); err != nil {
		return fmt.Errorf("%w: delete user sessions: %w", ErrUnavailable, err)
	}
	return nil
}

// Cleanup implements Cleaner: it deletes expired records and drops pending
// expiries that have passed.
func (d *Database) Cleanup(ctx context.Context, now time.Time) (int, error) {
	d.mu.Lock()
	for k, t := range d.pending {
		if !now.Before(t) {
			delete(d.pending, k)
		}
	}
	d.mu.Unlock()
	// Pending expiries may keep a record alive past its stored expiry by
	// less than UpdateAge; Load judges those itself.
	n, err := d.store.DeleteExpiredSessions(ctx, now.Add(-d.lifetime.UpdateAge))
	if err != nil {
		return 0, fmt.Errorf("%w: delete expired sessions: %w", ErrUnavailable, err)
	}
	return n, nil
}

// forget drops the pending expiry of key unless it is later than upTo (the
// zero upTo drops it in any case): a concurrent read may have moved it on.
func (d *Database) forget(key string, upTo time.Time) {
	d.mu.Lock()
	if p, ok := d.pending[key]; ok && (upTo.IsZero() || !p.After(upTo)) {
		delete(d.pending, key)
	}
	d.mu.Unlock()
}

func fromRecord(r *store.Session, expires time.Time) Session {
	return Session{
		User:       wire.User{ID: r.UserID, Email: r.Email, Name: r.Name, Role: r.Role},
		Expires:    expires,
		AbsExpires: r.AbsExpires,
		CreatedAt:  r.CreatedAt,
		Key:        append([]byte(nil), r.IDHash...),
		ClientAddr: r.ClientAddr,
	}
}

// truncateUA cuts a user agent to what a record keeps, on a rune boundary.
func truncateUA(ua string) string {
	if len(ua) <= store.MaxUserAgentLen {
		return ua
	}
	ua = ua[:store.MaxUserAgentLen]
	for len(ua) > 0 && !utf8.ValidString(ua) {
		ua = ua[:len(ua)-1]
	}
	return ua
}

// wholeSecond rounds t down to a whole second, the precision of the API: the
// expiry a client is told is exactly the one the server enforces.
func wholeSecond(t time.Time) time.Time { return t.Truncate(time.Second) }

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// UserSessions implements Lister.
func (d *Database) UserSessions(ctx context.Context, userID string, now time.Time) ([]Session, error) {
	return listSessions(ctx, d.store, d.lifetime, userID, now)
}

// RevokeKey implements Lister.
func (d *Database) RevokeKey(ctx context.Context, key []byte, _ time.Time) error {
	d.forget(string(key), time.Time{})
	if err := d.store.DeleteSession(ctx, key); err != nil {
		return fmt.Errorf("%w: delete session: %w", ErrUnavailable, err)
	}
	return nil
}

// listSessions reads the user's records for a Lister.
func listSessions(ctx context.Context, st store.SessionLister, l Lifetime, userID string, now time.Time) ([]Session, error) {
	recs, err := st.UserSessions(ctx, userID, now.Add(-l.UpdateAge))
	if err != nil {
		return nil, fmt.Errorf("%w: list sessions: %w", ErrUnavailable, err)
	}
	out := make([]Session, 0, len(recs))
	for i := range recs {
		r := &recs[i]
		s := fromRecord(r, r.Expires)
		s.UserAgent = r.UserAgent
		// The idle expiry is the last activity plus max-age (at least, once
		// the hard cap clips it), and activity never precedes sign-in.
		s.LastSeen = r.Expires.Add(-l.MaxAge)
		if s.LastSeen.Before(r.CreatedAt) {
			s.LastSeen = r.CreatedAt
		}
		out = append(out, s)
	}
	return out, nil
}
