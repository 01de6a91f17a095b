// Package redis is the Redis store, for several sessionguard instances that
// share their sessions and accounts: github.com/redis/go-redis/v9, Redis 6.2
// or later (or a server that speaks its commands: ZADD GT, Lua scripts).
//
// # Keys and encodings
//
// Every key starts with a prefix (DefaultPrefix, or WithPrefix). Records are
// hashes with one-letter fields; times are unix milliseconds, UTC, as
// decimal strings in fields and as the scores of sorted sets. After the
// prefix:
//
//	s:<hex id hash>      session: u user id, m e-mail, n name, r role,
//	                     c created, e idle expiry, a absolute expiry,
//	                     ip client address, ua user agent, l assurance
//	                     level, au when last authenticated (a record
//	                     without l and au is aal1 at c).
//	                     Expires (PEXPIREAT) at min(e + grace, a).
//	us:<user id>         sorted set: the user's sessions (hex id hash) by
//	                     when their keys expire; pruned of expired members
//	                     on every sign-in, and expires with the last one.
//	sx                   sorted set: every session by min(e, a), for
//	                     DeleteExpiredSessions.
//	u:<user id>          account: i id, m e-mail, n name, r role,
//	                     p password hash, c created, d disabled (1 or 0).
//	                     No expiry.
//	ue:<e-mail>          string: the user id of the e-mail.
//	users                sorted set: every user id by creation.
//	deny                 sorted set: denied id by until.
//	va                   sorted set: user id by valid-after time.
//	rt:<hex hash>        refresh token: f family (hex session hash),
//	                     u user id, c created, x expires, used (absent
//	                     while unused). Expires at x.
//	rf:<hex session hash> sorted set: the family's tokens by x, pruned and
//	                     expiring like us:.
//	rx                   sorted set: every refresh token by x.
//	pk, pkx              hash of public keys (JSON by key id), and their
//	                     ids by expiry; keys expired on the wall clock are
//	                     forgotten when another is published.
//	secret:<name>        string: a shared secret.
//	c:<counter key>      counter: n count, l last increment, x when it is
//	                     forgotten (l + ttl). Expires at x.
//	tf:<user id>         second factor: s secret (encrypted by the
//	                     server, binary), e enabled (1 or 0), t last
//	                     accepted time step. No expiry.
//	tfr:<user id>        set: the factor's unused recovery codes (hex
//	                     hashes). No expiry.
//
// Expiry is judged by the methods against the times they are given, never
// left to Redis alone: TTLs only make Redis delete what is dead anyway.
// Every read-modify-write is one Lua script, atomic on the server (see
// scripts.go). A user's sessions and a family's tokens are found through
// their sorted set, never by scanning keys. Open talks to one server (a
// primary, or a proxy in front of several); the scripts reach keys they
// find through an index, so Redis Cluster would need every key in one slot
// (a prefix with a hash tag, such as "{sg}:") and is not wired.
//
// Events between instances (store.Events) travel by pub/sub on the channel
// "<prefix>events:<database number>" (not a key), as JSON: Publish is a
// PUBLISH, and each Store subscribes on one connection of its own (see
// Subscribe).
//
// # Timeouts
//
// Every call is bounded by the query timeout (WithQueryTimeout) on top of the
// caller's context; go-redis honours context deadlines (ContextTimeoutEnabled)
// and, unless the URL says otherwise, its dial, read, write and pool timeouts
// are the query timeout too. go-redis does not retry a failed command here (a
// script that ran before the connection broke must not run twice): the call
// fails, and the next one gets a healthy connection, as go-redis checks a
// pooled connection before it hands it out. When the server returns, service
// resumes by itself.
package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/internal/relay"
)

// sweepBatch is how many records one run of the sweep script looks at.
const sweepBatch = 500

// Store is a store.Store in Redis. It is safe for concurrent use. The zero
// value is not usable; create one with Open.
type Store struct {
	client  *goredis.Client
	prefix  string
	timeout time.Duration
	grace   time.Duration
	k       keys
	sc      scripts
	channel string // of pub/sub, for Events
	events  *relay.Relay
	pubsub  *goredis.PubSub // used by listen alone
}

var _ store.Store = (*Store)(nil)

// Open connects to the server that url names (redis://, rediss:// or
// unix://, as go-redis's ParseURL reads it, with its query parameters such
// as pool_size or dial_timeout) and checks that it answers. ctx bounds the
// opening only.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("redis: open: %w", err)
		}
	}
	cfg, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis: open: %w", err)
	}
	cfg.ContextTimeoutEnabled = true
	for _, d := range []*time.Duration{&cfg.DialTimeout, &cfg.ReadTimeout, &cfg.WriteTimeout, &cfg.PoolTimeout} {
		if *d == 0 {
			*d = o.timeout
		}
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = -1
	}
	if cfg.MaintNotificationsConfig == nil {
		// Hand-offs announced by Redis Enterprise and Cloud; a plain
		// server answers the handshake with an error, and a log line.
		cfg.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	}
	s := &Store{
		client:  goredis.NewClient(cfg),
		prefix:  o.prefix,
		timeout: o.timeout,
		grace:   o.grace,
		k:       newKeys(o.prefix),
		sc:      newScripts(),
		channel: channelName(o.prefix, cfg.DB),
	}
	s.events = relay.New(s.listen, o.timeout)
	err = s.do(ctx, "open: ping", func(ctx context.Context) error {
		return s.client.Ping(ctx).Err()
	})
	if err != nil {
		s.client.Close()
		return nil, err
	}
	return s, nil
}

// Prefix returns the prefix of the Store's keys.
func (s *Store) Prefix() string {
	return s.prefix
}

// Ping reports an error when the server does not answer within the query
// timeout.
func (s *Store) Ping(ctx context.Context) error {
	return s.do(ctx, "ping", func(ctx context.Context) error {
		return s.client.Ping(ctx).Err()
	})
}

// Close ends the subscriptions to events and closes the client's
// connections. It returns the client's error.
func (s *Store) Close() error {
	s.events.Close()
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("redis: close: %w", err)
	}
	return nil
}

// do runs f with ctx bounded by the query timeout and returns its error,
// wrapped with op.
func (s *Store) do(ctx context.Context, op string, f func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return wrap(ctx, op, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := f(ctx); err != nil {
		return wrap(ctx, op, err)
	}
	return nil
}

// wrap names the operation that failed and, when ctx is done, makes sure the
// error wraps ctx.Err() as package store requires.
func wrap(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("redis: %s: %w: %w", op, cerr, err)
	}
	return fmt.Errorf("redis: %s: %w", op, err)
}

// count reads an integer reply of a script.
func count(v any) (int, error) {
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("unexpected reply %T", v)
	}
	return int(n), nil
}

// sweep deletes the records of an index by death that are dead at now, in
// batches, and returns how many it deleted.
func (s *Store) sweep(ctx context.Context, op, deaths, records, ownerField, owners string, now time.Time) (int, error) {
	total := 0
	err := s.do(ctx, op, func(ctx context.Context) error {
		for {
			v, err := s.sc.sweep.Run(ctx, s.client, []string{deaths},
				millis(now), sweepBatch, records, ownerField, owners).Slice()
			if err != nil {
				return err
			}
			if len(v) != 2 {
				return fmt.Errorf("unexpected reply of %d values", len(v))
			}
			n, err := count(v[0])
			if err != nil {
				return err
			}
			seen, err := count(v[1])
			if err != nil {
				return err
			}
			total += n
			if seen < sweepBatch {
				return nil
			}
		}
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}
