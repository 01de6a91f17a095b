package redis

import (
	"fmt"
	"time"
)

// DefaultPrefix starts every key of a Store without WithPrefix.
const DefaultPrefix = "sg:"

// DefaultQueryTimeout bounds each call of a Store without WithQueryTimeout.
const DefaultQueryTimeout = 3 * time.Second

// An Option changes how Open sets a Store up.
type Option func(*options) error

type options struct {
	prefix  string
	timeout time.Duration
	grace   time.Duration
}

func defaultOptions() options {
	return options{prefix: DefaultPrefix, timeout: DefaultQueryTimeout}
}

// WithPrefix starts every key of the Store with prefix (DefaultPrefix
// without this option), so that several deployments, or other programs, can
// share one Redis database.
func WithPrefix(prefix string) Option {
	return func(o *options) error {
		if prefix == "" {
			return fmt.Errorf("empty key prefix")
		}
		o.prefix = prefix
		return nil
	}
}

// WithQueryTimeout bounds every call of the Store (each method, including the
// wait for a pooled connection and the dial of a new one) to d, on top of the
// deadline of the caller's context, so that a server that stops answering
// makes calls fail instead of hang. DefaultQueryTimeout without this option.
func WithQueryTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("query timeout %v: want a positive duration", d)
		}
		o.timeout = d
		return nil
	}
}

// WithExpiryGrace keeps a session's key for d after its idle expiry (never
// after its absolute expiry) before Redis deletes it; 0 without this option.
// Expiry itself is judged by Session against the time it is given, so the
// grace only delays the deletion of dead sessions. The database strategy of
// package session needs it to be at least its UpdateAge: it extends
// sessions in memory between writes, and asks for records that the store
// holds as expired up to UpdateAge ago.
func WithExpiryGrace(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("expiry grace %v: want zero or a positive duration", d)
		}
		o.grace = d
		return nil
	}
}
