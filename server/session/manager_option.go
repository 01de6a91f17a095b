package session

import (
	"log/slog"
	"time"

	"github.com/sessionguard/sessionguard/server/clientip"
	"github.com/sessionguard/sessionguard/server/store"
)

// Option configures a Manager.
type Option func(*Manager)

// WithClock sets the clock, so tests can move time without sleeping.
func WithClock(now func() time.Time) Option { return func(m *Manager) { m.now = now } }

// WithCookie sets how the cookie is written.
func WithCookie(c CookieConfig) Option { return func(m *Manager) { m.cookie = c } }

// WithLogger sets where store failures are logged.
func WithLogger(l *slog.Logger) Option { return func(m *Manager) { m.log = l } }

// WithEvents sets the bus on which sign-out, revocations and refreshes are
// published for the live event streams of every instance.
func WithEvents(e store.Events) Option { return func(m *Manager) { m.events = e } }

// WithClientIP sets how client addresses are found (behind a reverse proxy:
// from trusted X-Forwarded-For headers): the one recorded with a session,
// and the one ClientAddr gives the HTTP layer for limits and events. Without
// it the peer address is used.
func WithClientIP(r *clientip.Resolver) Option {
	return func(m *Manager) { m.clientIP = r }
}
