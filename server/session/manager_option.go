package session

import (
	"log/slog"
	"time"
)

// Option configures a Manager.
type Option func(*Manager)

// WithClock sets the clock, so tests can move time without sleeping.
func WithClock(now func() time.Time) Option { return func(m *Manager) { m.now = now } }

// WithCookie sets how the cookie is written.
func WithCookie(c CookieConfig) Option { return func(m *Manager) { m.cookie = c } }

// WithLogger sets where store failures are logged.
func WithLogger(l *slog.Logger) Option { return func(m *Manager) { m.log = l } }
