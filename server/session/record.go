package session

import (
	"time"
	"unicode/utf8"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

// newRecord builds the store record of a session of u, signed in on dev at
// now with assurance level aal, stored under id: idle expiry now+MaxAge and
// absolute expiry now+AbsoluteMaxAge, both in whole seconds. Both
// strategies keep one per session (the jwt strategy's is its refresh
// family).
func newRecord(id []byte, u wire.User, dev Device, aal string, now time.Time, l Lifetime) store.Session {
	abs := wholeSecond(now.Add(l.AbsoluteMaxAge))
	return store.Session{
		IDHash:          id,
		UserID:          u.ID,
		Email:           u.Email,
		Name:            u.Name,
		Role:            u.Role,
		CreatedAt:       now,
		Expires:         idleExpiry(now, l.MaxAge, abs),
		AbsExpires:      abs,
		ClientAddr:      dev.Addr,
		UserAgent:       truncateUA(dev.UserAgent),
		AAL:             checkAAL(aal),
		AuthenticatedAt: now,
	}
}

// reauthRecord builds the record that replaces old, stored under id, when
// the user proves themselves again at now at level aal on dev: the same
// account snapshot, sign-in time and absolute expiry (re-authenticating
// never extends the hard cap), authenticated at now, idle expiry from now.
func reauthRecord(id []byte, old *store.Session, dev Device, aal string, now time.Time, l Lifetime) store.Session {
	rec := *old
	rec.IDHash = id
	rec.Expires = idleExpiry(now, l.MaxAge, old.AbsExpires)
	rec.ClientAddr = dev.Addr
	rec.UserAgent = truncateUA(dev.UserAgent)
	rec.AAL = checkAAL(aal)
	rec.AuthenticatedAt = now
	return rec
}

// checkAAL returns aal when it is a level, and AAL1 otherwise: a session
// is never recorded as proved more strongly than it was.
func checkAAL(aal string) string {
	if aal == store.AAL2 {
		return store.AAL2
	}
	return store.AAL1
}

// fromRecord is the Session of the record r, with the idle expiry expires.
func fromRecord(r *store.Session, expires time.Time) Session {
	authn := r.AuthenticatedAt
	if authn.IsZero() || authn.Before(r.CreatedAt) {
		authn = r.CreatedAt
	}
	return Session{
		User:            wire.User{ID: r.UserID, Email: r.Email, Name: r.Name, Role: r.Role},
		Expires:         expires,
		AbsExpires:      r.AbsExpires,
		CreatedAt:       r.CreatedAt,
		AAL:             checkAAL(r.AAL),
		AuthenticatedAt: authn,
		Key:             append([]byte(nil), r.IDHash...),
		ClientAddr:      r.ClientAddr,
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
