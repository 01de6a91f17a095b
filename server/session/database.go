package session

import (
	"context"
	"fmt"
	"time"

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
	// rolling holds the idle expiries newer than the stored ones, keyed by
	// string(idHash).
	rolling *rolling
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
	return &Database{store: s, lifetime: l, rolling: newRolling(l)}, nil
}

// Issue implements Strategy.
func (d *Database) Issue(ctx context.Context, u wire.User, dev Device, aal string, now time.Time) (Issued, Session, error) {
	token := newToken()
	rec := newRecord(hashToken(token), u, dev, aal, now, d.lifetime)
	if err := d.store.CreateSession(ctx, rec); err != nil {
		return Issued{}, Session{}, fmt.Errorf("%w: create session: %w", ErrUnavailable, err)
	}
	return Issued{Token: token}, fromRecord(&rec, rec.Expires), nil
}

// Reauthenticate implements Strategy. The new record is created before the
// old one is read again: a revocation that ended the old session before
// that read makes this one take the new record back; one after it finds
// the new record (RevokeUser) or never concerned it.
func (d *Database) Reauthenticate(ctx context.Context, key []byte, aal string, dev Device, now time.Time) (Issued, Session, bool, error) {
	if len(key) != store.HashLen {
		return Issued{}, Session{}, false, nil
	}
	old, _, found, err := d.lookup(ctx, key, now)
	if err != nil || !found {
		return Issued{}, Session{}, false, err
	}
	token := newToken()
	rec := reauthRecord(hashToken(token), &old, dev, aal, now, d.lifetime)
	if err := d.store.CreateSession(ctx, rec); err != nil {
		return Issued{}, Session{}, false, fmt.Errorf("%w: create session: %w", ErrUnavailable, err)
	}
	_, still, err := d.store.Session(ctx, key, d.rolling.storeNow(now))
	if err != nil || !still {
		if derr := d.store.DeleteSession(ctx, rec.IDHash); derr != nil && err == nil {
			err = derr
		}
		if err != nil {
			return Issued{}, Session{}, false, fmt.Errorf("%w: re-read session: %w", ErrUnavailable, err)
		}
		return Issued{}, Session{}, false, nil
	}
	if err := d.RevokeKey(ctx, key, now); err != nil {
		return Issued{}, Session{}, false, err
	}
	return Issued{Token: token}, fromRecord(&rec, rec.Expires), true, nil
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
	rec, found, err = d.store.Session(ctx, h, d.rolling.storeNow(now))
	if err != nil {
		return rec, persisted, false, fmt.Errorf("%w: read session: %w", ErrUnavailable, err)
	}
	key := string(h)
	if !found {
		d.rolling.forget(key)
		return rec, persisted, false, nil
	}
	persisted = rec.Expires
	rec.Expires = d.rolling.expiry(key, rec.Expires)
	if !rec.Live(now) {
		d.rolling.forget(key)
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
	next := d.rolling.next(now, rec.AbsExpires)
	// due first: claim, which checks it too, needs string(h), and most
	// reads are not due.
	if d.rolling.due(persisted, next) && d.rolling.claim(string(h), persisted, next) {
		touched, err := d.touch(ctx, h, next)
		if err != nil {
			return Session{}, "", false, fmt.Errorf("%w: extend session: %w", ErrUnavailable, err)
		}
		if !touched { // deleted since the read: ended
			d.rolling.forget(string(h))
			return Session{}, "", false, nil
		}
		d.rolling.written(string(h), next)
	} else {
		d.rolling.holdBytes(h, next)
	}
	// rec is this read's own (a store returns a copy; h is hashToken's).
	return fromOwnRecord(&rec, next), "", true, nil
}

// touch writes the rolling extension next of the session h, whose write
// this read has claimed, and gives the claim up however the write ends:
// the record then says when the next write is due.
func (d *Database) touch(ctx context.Context, h []byte, next time.Time) (bool, error) {
	defer d.rolling.unclaim(string(h), next)
	return d.store.TouchSession(ctx, h, next)
}

// Revoke implements Strategy.
func (d *Database) Revoke(ctx context.Context, token string, _ time.Time) error {
	h := hashToken(token)
	if h == nil {
		return nil
	}
	d.rolling.forget(string(h))
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

// Cleanup implements Cleaner: it deletes expired records and drops held
// expiries that have passed.
func (d *Database) Cleanup(ctx context.Context, now time.Time) (int, error) {
	d.rolling.prune(now)
	// Held expiries may keep a record alive past its stored expiry by less
	// than UpdateAge; Load judges those itself.
	n, err := d.store.DeleteExpiredSessions(ctx, d.rolling.storeNow(now))
	if err != nil {
		return 0, fmt.Errorf("%w: delete expired sessions: %w", ErrUnavailable, err)
	}
	return n, nil
}

// UserSessions implements Lister.
func (d *Database) UserSessions(ctx context.Context, userID string, now time.Time) ([]Session, error) {
	return listSessions(ctx, d.store, d.lifetime, userID, now)
}

// RevokeKey implements Lister.
func (d *Database) RevokeKey(ctx context.Context, key []byte, _ time.Time) error {
	d.rolling.forget(string(key))
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
