// Package session issues, reads, extends and ends sessions. A Manager speaks
// HTTP (the cookie) and delegates the representation to a Strategy: Database
// (opaque id, server-side record) or JWT (signed access tokens, whose keys
// package keys holds).
package session

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/sessionguard/sessionguard/server/clientip"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

// Manager is the one entry point handlers use. Build one with New; a Manager
// is safe for concurrent use.
type Manager struct {
	strategy Strategy
	cookie   CookieConfig
	now      func() time.Time
	log      *slog.Logger
	events   store.Events       // nil: no live events
	clientIP *clientip.Resolver // nil: the peer address
	bearer   bool               // bearer mode (bearer.go)
}

// New returns a Manager for the strategy.
func New(strategy Strategy, opts ...Option) *Manager {
	m := &Manager{strategy: strategy, now: time.Now, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(m)
	}
	return m
}

// InsecureCookies reports whether cookies go without Secure and the
// __Host- prefix (-insecure-cookies).
func (m *Manager) InsecureCookies() bool { return m.cookie.Insecure }

// CookieName returns the name of the session cookie.
func (m *Manager) CookieName() string { return m.cookie.Name() }

// Now returns the Manager's clock reading.
func (m *Manager) Now() time.Time { return m.now() }

// Load returns the request's session after a rolling read, or nil when there
// is none. A cookie that names no live session is cleared. On a store failure
// it returns nil and an error wrapping ErrUnavailable: callers fail closed.
func (m *Manager) Load(w http.ResponseWriter, r *http.Request) (*Session, error) {
	s, found, err := m.LoadValue(w, r)
	if !found {
		return nil, err
	}
	return &s, nil
}

// LoadValue is Load returning the session by value, and whether there is
// one: the status check keeps it on its stack, which saves the hot path an
// allocation.
func (m *Manager) LoadValue(w http.ResponseWriter, r *http.Request) (Session, bool, error) {
	token, bearer := m.credential(r)
	if token == "" {
		return Session{}, false, nil
	}
	now := m.now()
	if bearer {
		s, found, err := m.loadBearer(r.Context(), token, now)
		if err != nil {
			m.log.LogAttrs(r.Context(), slog.LevelError, "session load failed", slog.String("error", err.Error()))
		}
		return s, found, err
	}
	s, renewed, found, err := m.strategy.Load(r.Context(), token, now)
	if err != nil {
		m.log.LogAttrs(r.Context(), slog.LevelError, "session load failed", slog.String("error", err.Error()))
		return Session{}, false, err
	}
	if !found {
		// A jwt access token that has only expired stays: it is what a
		// sign-out (or a sign-in over it) ends the session's refresh
		// family by, as the refresh cookie goes to the refresh endpoint
		// only. Any other dead cookie is cleared.
		if e, ok := m.strategy.(expiredKeeper); !ok || !e.onlyExpired(r.Context(), token, now) {
			m.cookie.clear(w)
		}
		return Session{}, false, nil
	}
	if renewed != "" {
		m.cookie.set(w, renewed, s.AbsExpires, now)
	}
	return s, true, nil
}

// SignIn starts a brand-new session for u, proved at assurance level aal
// (store.AAL1 or store.AAL2), and sets its cookie. Any session the request
// carried is ended first (rotation: a client-supplied id is never kept
// across sign-in). In bearer mode the new session's tokens are on it
// (Session.Issued) instead of in cookies.
func (m *Manager) SignIn(w http.ResponseWriter, r *http.Request, u wire.User, aal string) (*Session, error) {
	now := m.now()
	if old, _ := m.credential(r); old != "" {
		prev, found, _ := m.peek(r.Context(), old, now)
		if err := m.strategy.Revoke(r.Context(), old, now); err != nil {
			return nil, err
		}
		// Its open pages, and services on the revocation feed, hear that
		// it ended (a password change's rotation, a sign-in over it).
		if found {
			m.publish(r.Context(), store.Event{Type: store.EventRevoked, UserID: prev.User.ID, SessionHash: prev.Key, At: now})
		}
	}
	dev := Device{Addr: m.ClientAddr(r), UserAgent: r.UserAgent()}
	issued, s, err := m.strategy.Issue(r.Context(), u, dev, aal, now)
	if err != nil {
		m.log.LogAttrs(r.Context(), slog.LevelError, "session issue failed", slog.String("error", err.Error()))
		return nil, err
	}
	m.deliver(w, r, issued, &s, now)
	m.publish(r.Context(), store.Event{Type: store.EventSessionStarted, UserID: s.User.ID, SessionHash: s.Key, At: now})
	return &s, nil
}

// Reauthenticate replaces the request's session cur, which the user has
// just proved again at level aal, by a new session under a new id,
// authenticated now (store.AAL2 after a second factor; store.AAL1 keeps a
// password-only proof): the sign-in time and the absolute cap stay those
// of the first sign-in. It sets the new cookies; the old session ends, with
// a revoked event for it. It
// returns nil, with a nil error, when cur ended meanwhile.
func (m *Manager) Reauthenticate(w http.ResponseWriter, r *http.Request, cur *Session, aal string) (*Session, error) {
	now := m.now()
	dev := Device{Addr: m.ClientAddr(r), UserAgent: r.UserAgent()}
	issued, s, found, err := m.strategy.Reauthenticate(r.Context(), cur.Key, aal, dev, now)
	if err != nil {
		m.log.LogAttrs(r.Context(), slog.LevelError, "session re-authentication failed", slog.String("error", err.Error()))
		return nil, err
	}
	if !found {
		return nil, nil
	}
	m.deliver(w, r, issued, &s, now)
	// The old id has ended: services that trust sessions through the
	// revocation feed drop it, and its open pages confirm the session
	// (they find the new one).
	m.publish(r.Context(), store.Event{Type: store.EventRevoked, UserID: cur.User.ID, SessionHash: cur.Key, At: now})
	return &s, nil
}

// Abandon ends the session s that SignIn has just issued on this response
// and takes back its cookies: the response clears them instead. It is for
// a sign-in found not to be allowed after its session was created (the
// account was disabled or its role changed meanwhile).
func (m *Manager) Abandon(ctx context.Context, w http.ResponseWriter, s *Session) error {
	if s.Issued != nil { // bearer mode: no cookie was set
		s.Issued = nil
	} else {
		dropCookies(w.Header(), m.cookie.Name(), m.cookie.RefreshName())
		m.cookie.clear(w)
		if m.Refreshes() {
			m.cookie.clearRefresh(w)
		}
	}
	if _, ok := m.strategy.(Lister); !ok {
		return fmt.Errorf("%w: sessions cannot be ended one by one", ErrUnavailable)
	}
	return m.revokeKey(ctx, s)
}

// ClientAddr returns the address of the request's client, as WithClientIP
// says to find it: the address a session records at sign-in, and the one
// the HTTP layer applies its limits to and logs, so the two always agree.
func (m *Manager) ClientAddr(r *http.Request) string { return m.clientIP.Addr(r) }

func (m *Manager) setCookies(w http.ResponseWriter, issued Issued, s *Session, now time.Time) {
	m.cookie.set(w, issued.Token, s.AbsExpires, now)
	if issued.Refresh != "" {
		m.cookie.setRefresh(w, issued.Refresh, s.AbsExpires, now)
	}
}

// Refreshes reports whether the strategy has refresh tokens.
func (m *Manager) Refreshes() bool {
	_, ok := m.strategy.(Refresher)
	return ok
}

// Refresh redeems the request's refresh cookie for a new access token and a
// new refresh token, set as cookies. Without a refresh cookie, or with one
// the strategy refuses, both cookies are cleared and the error says why
// (ErrRefreshInvalid, ErrRefreshReused; ErrUnavailable on store failure,
// which clears nothing).
func (m *Manager) Refresh(w http.ResponseWriter, r *http.Request) (*Session, error) {
	return m.refresh(w, r, m.cookie.readRefresh(r))
}

// refresh redeems the refresh token for r, a cookie request (w takes the
// cookies) or a bearer-mode one (w is not used).
func (m *Manager) refresh(w http.ResponseWriter, r *http.Request, token string) (*Session, error) {
	bearer := m.IsBearer(r)
	rf, ok := m.strategy.(Refresher)
	if !ok || token == "" {
		if !bearer {
			m.cookie.clearRefresh(w)
		}
		return nil, ErrRefreshInvalid
	}
	now := m.now()
	issued, s, err := rf.Refresh(r.Context(), token, now)
	if err != nil {
		if !bearer && !errors.Is(err, ErrUnavailable) {
			m.cookie.clear(w)
			m.cookie.clearRefresh(w)
		}
		return nil, err
	}
	m.deliver(w, r, issued, &s, now)
	m.publish(r.Context(), store.Event{Type: store.EventRefreshed, UserID: s.User.ID, SessionHash: s.Key, At: now})
	return &s, nil
}

// SignOut ends the request's session, if any, and clears the cookie. The
// cookie is cleared even when the store fails, and the error is returned.
// Open pages of the session learn it through the live events.
func (m *Manager) SignOut(w http.ResponseWriter, r *http.Request) error {
	token, bearer := m.credential(r)
	if !bearer {
		m.cookie.clear(w)
		if m.Refreshes() {
			m.cookie.clearRefresh(w)
		}
	}
	if token == "" {
		return nil
	}
	now := m.now()
	s, found, _ := m.peek(r.Context(), token, now)
	if err := m.strategy.Revoke(r.Context(), token, now); err != nil {
		return err
	}
	if found {
		m.publish(r.Context(), store.Event{Type: store.EventRevoked, UserID: s.User.ID, SessionHash: s.Key, At: now})
	}
	return nil
}

// RevokeUser ends every session of the user, and tells their open pages.
func (m *Manager) RevokeUser(ctx context.Context, userID string) error {
	now := m.now()
	if err := m.strategy.RevokeUser(ctx, userID, now); err != nil {
		return err
	}
	m.publish(ctx, store.Event{Type: store.EventRevoked, UserID: userID, At: now})
	return nil
}

// Peek returns the request's session without extending it, for background
// traffic such as the live event stream; nil when there is none.
func (m *Manager) Peek(r *http.Request) (*Session, error) {
	token, _ := m.credential(r)
	if token == "" {
		return nil, nil
	}
	s, found, err := m.peek(r.Context(), token, m.now())
	if err != nil || !found {
		return nil, err
	}
	return &s, nil
}

// PeekToken is Peek for a token that came another way than the cookie (a
// service asking about one); nil when it names no live session.
func (m *Manager) PeekToken(ctx context.Context, token string) (*Session, error) {
	if token == "" || len(token) > MaxTokenLen {
		return nil, nil
	}
	s, found, err := m.peek(ctx, token, m.now())
	if err != nil || !found {
		return nil, err
	}
	return &s, nil
}

func (m *Manager) peek(ctx context.Context, token string, now time.Time) (Session, bool, error) {
	if p, ok := m.strategy.(Peeker); ok {
		return p.Peek(ctx, token, now)
	}
	return Session{}, false, nil
}

// Events returns the event bus the Manager publishes on, or nil.
func (m *Manager) Events() store.Events { return m.events }

// publish sends e to the live event streams; a failure is logged, never
// returned: the change itself has happened.
func (m *Manager) publish(ctx context.Context, e store.Event) {
	if m.events == nil {
		return
	}
	if err := m.events.Publish(ctx, e); err != nil {
		m.log.LogAttrs(ctx, slog.LevelWarn, "event publish failed", slog.String("event", e.Type), slog.String("error", err.Error()))
	}
}

// RunCleanup prunes expired state every interval until ctx is done, when the
// strategy keeps any. It logs failures and keeps going.
func (m *Manager) RunCleanup(ctx context.Context, interval time.Duration) {
	c, ok := m.strategy.(Cleaner)
	if !ok {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := c.Cleanup(ctx, m.now())
			switch {
			case err != nil && !errors.Is(err, context.Canceled):
				m.log.LogAttrs(ctx, slog.LevelWarn, "session cleanup failed", slog.String("error", err.Error()))
			case n > 0:
				m.log.LogAttrs(ctx, slog.LevelDebug, "expired sessions removed", slog.Int("count", n))
			}
		}
	}
}

// JWKS returns the JSON Web Key Set (RFC 7517) of the strategy's public
// keys; ok is false for a strategy that signs nothing.
func (m *Manager) JWKS() (jwks []byte, ok bool) {
	p, ok := m.strategy.(KeyPublisher)
	if !ok {
		return nil, false
	}
	return p.JWKS(), true
}

// AccessMaxAge returns an access token's lifetime; ok is false for a
// strategy without refreshable access tokens.
func (m *Manager) AccessMaxAge() (d time.Duration, ok bool) {
	a, ok := m.strategy.(AccessTokens)
	if !ok {
		return 0, false
	}
	return a.AccessMaxAge(), true
}

// Handle returns the public handle of a session: it names the session in
// the device list and the API without revealing its id or store key.
func Handle(key []byte) string {
	sum := sha256.Sum256(append([]byte("sessionguard handle:"), key...))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// UserSessions returns the user's live sessions, newest first, each with
// its device fields and LastSeen. ErrUnavailable when the strategy or the
// store cannot list them.
func (m *Manager) UserSessions(ctx context.Context, userID string) ([]Session, error) {
	l, ok := m.strategy.(Lister)
	if !ok {
		return nil, fmt.Errorf("%w: sessions cannot be listed", ErrUnavailable)
	}
	return l.UserSessions(ctx, userID, m.now())
}

// RevokeHandle ends the user's session with that handle; found is false
// when the user has no such session (another user's handle included).
func (m *Manager) RevokeHandle(ctx context.Context, userID, handle string) (found bool, err error) {
	list, err := m.UserSessions(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, s := range list {
		if Handle(s.Key) == handle {
			return true, m.revokeKey(ctx, &s)
		}
	}
	return false, nil
}

// RevokeOthers ends every session of the user but the one whose key is
// keep, and returns how many it ended.
func (m *Manager) RevokeOthers(ctx context.Context, userID string, keep []byte) (int, error) {
	list, err := m.UserSessions(ctx, userID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range list {
		if bytes.Equal(s.Key, keep) {
			continue
		}
		if err := m.revokeKey(ctx, &s); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (m *Manager) revokeKey(ctx context.Context, s *Session) error {
	now := m.now()
	if err := m.strategy.(Lister).RevokeKey(ctx, s.Key, now); err != nil {
		return err
	}
	m.publish(ctx, store.Event{Type: store.EventRevoked, UserID: s.User.ID, SessionHash: s.Key, At: now})
	return nil
}

// RoleChanged ends every session of the user after a change of role (or
// other account change that the session snapshot must follow) and tells
// their open pages with a role-changed event, so they sign in again and get
// a session that carries the new role.
func (m *Manager) RoleChanged(ctx context.Context, userID string) error {
	now := m.now()
	if err := m.strategy.RevokeUser(ctx, userID, now); err != nil {
		return err
	}
	m.publish(ctx, store.Event{Type: store.EventRoleChanged, UserID: userID, At: now})
	return nil
}
