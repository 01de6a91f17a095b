package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/internal/relay"
)

var _ store.Events = (*Store)(nil)

// maxPayload is NOTIFY's limit: a payload must be shorter, in bytes (in the
// default configuration of the server).
const maxPayload = 8000

// maxIdentLen is the longest identifier PostgreSQL keeps (NAMEDATALEN - 1);
// pg_notify refuses a longer channel name rather than cut it as LISTEN would.
const maxIdentLen = 63

// listenPing is how long the listening connection waits for a notification
// before it checks, with a query bounded by the query timeout, that the
// server still answers: a connection that a network drop left silent is
// replaced within listenPing plus the query timeout.
const listenPing = 10 * time.Second

// notifyQuery publishes a payload. pg_notify takes the channel as a value,
// so the statement is the same for every schema.
const notifyQuery = `SELECT pg_notify($1, $2)`

// channelName is the LISTEN/NOTIFY channel of the store in schema:
// "<schema>.events". Channels are per database, like schemas, so each
// deployment in its own schema hears only its own events. A name longer
// than PostgreSQL keeps ends in a hash of the schema instead of its end.
func channelName(schema string) string {
	const suffix = ".events"
	if len(schema)+len(suffix) <= maxIdentLen {
		return schema + suffix
	}
	sum := sha256.Sum256([]byte(schema))
	tag := "~" + hex.EncodeToString(sum[:8])
	head := schema[:maxIdentLen-len(tag)-len(suffix)]
	for !utf8.ValidString(head) {
		head = head[:len(head)-1]
	}
	return head + tag + suffix
}

// Channel returns the name of the LISTEN/NOTIFY channel that carries the
// Store's events.
func (s *Store) Channel() string {
	return s.channel
}

// Publish implements store.Events: NOTIFY on the Store's channel (see
// Channel), through the pool, with the event as JSON. The payload must stay
// under NOTIFY's 8000 bytes: an event whose user id takes it past that gets
// an error wrapping store.ErrInvalid. A publish that fails on a broken
// connection is not repeated (an event is delivered at most once).
func (s *Store) Publish(ctx context.Context, e store.Event) error {
	if err := ctx.Err(); err != nil {
		return wrap(ctx, "publish", err)
	}
	p, err := relay.Encode(e)
	if err != nil {
		return fmt.Errorf("postgres: publish: %w", err)
	}
	if len(p) >= maxPayload {
		return fmt.Errorf("postgres: publish: %w: event of %d bytes, NOTIFY takes fewer than %d", store.ErrInvalid, len(p), maxPayload)
	}
	return s.do(ctx, "publish", false, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, notifyQuery, s.channel, string(p))
		return err
	})
}

// Subscribe implements store.Events. Every Store listens on one connection
// of its own, outside the pool, from its first Subscribe until Close, and
// hands the events to its subscribers; each holds 256 events (bus.Buffer)
// that its reader has not taken. Subscribe returns once that connection
// listens, waiting at most the query timeout; when it cannot, the error
// wraps relay.ErrNotListening and the reason. When the connection drops,
// the Store connects again (at once, then after a back-off from 100 ms
// doubling to 2 s) while the subscribers' channels stay open: they miss the
// events published in between. Close ends every subscription.
func (s *Store) Subscribe(ctx context.Context) (<-chan store.Event, error) {
	ch, err := s.events.Subscribe(ctx)
	if err != nil {
		return nil, wrap(ctx, "subscribe", err)
	}
	return ch, nil
}

// listen is the Store's relay.Listen: a connection of its own, LISTEN on
// the channel, then every notification until the connection fails or ctx
// ends.
func (s *Store) listen(ctx context.Context, live func(), deliver func([]byte)) error {
	cfg := s.pool.Config().ConnConfig // a copy
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "sessionguard events"
	}
	octx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(octx, cfg)
	if err != nil {
		return wrap(octx, "listen: connect", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(octx, `LISTEN `+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return wrap(octx, "listen", err)
	}
	live()
	for {
		wctx, cancel := context.WithTimeout(ctx, listenPing)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			deliver([]byte(n.Payload))
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !errors.Is(err, context.DeadlineExceeded) || conn.IsClosed():
			return wrap(ctx, "listen: wait for notification", err)
		}
		// Idle: make sure the server still answers.
		pctx, cancel := context.WithTimeout(ctx, s.timeout)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return wrap(ctx, "listen: ping", err)
		}
	}
}
