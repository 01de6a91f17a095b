package session

import (
	"log/slog"
	"net/http"
	"time"

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

// WithClientIP sets how the client address recorded with a session is
// found (behind a reverse proxy: from trusted X-Forwarded-For headers).
func WithClientIP(addr func(*http.Request) string) Option {
	return func(m *Manager) { m.clientIP = addr }
}
