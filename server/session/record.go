package session

import (
	"time"
	"unicode/utf8"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

// newRecord builds the store record of a session of u, signed in on dev at
// now, stored under id: idle expiry now+MaxAge and absolute expiry
// now+AbsoluteMaxAge, both in whole seconds. Both strategies keep one per
// session (the jwt strategy's is its refresh family).
func newRecord(id []byte, u wire.User, dev Device, now time.Time, l Lifetime) store.Session {
	abs := wholeSecond(now.Add(l.AbsoluteMaxAge))
	return store.Session{
		IDHash:     id,
		UserID:     u.ID,
		Email:      u.Email,
		Name:       u.Name,
		Role:       u.Role,
		CreatedAt:  now,
		Expires:    idleExpiry(now, l.MaxAge, abs),
		AbsExpires: abs,
		ClientAddr: dev.Addr,
		UserAgent:  truncateUA(dev.UserAgent),
	}
}

// fromRecord is the Session of the record r, with the idle expiry expires.
// Its Key is a copy of r.IDHash: use fromOwnRecord for a record nothing
// else holds.
func fromRecord(r *store.Session, expires time.Time) Session {
	s := fromOwnRecord(r, expires)
	s.Key = append([]byte(nil), r.IDHash...)
	return s
}

// fromOwnRecord is fromRecord for a record that is the caller's own (as a
// store read returns it): its Key shares r.IDHash.
func fromOwnRecord(r *store.Session, expires time.Time) Session {
	return Session{
		User:       wire.User{ID: r.UserID, Email: r.Email, Name: r.Name, Role: r.Role},
		Expires:    expires,
		AbsExpires: r.AbsExpires,
		CreatedAt:  r.CreatedAt,
		Key:        r.IDHash,
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
