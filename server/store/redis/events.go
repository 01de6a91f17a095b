package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/internal/relay"
)

var _ store.Events = (*Store)(nil)

// listenPing is how long the subscribed connection waits for a message
// before it sends a PING, whose answer it waits for for the query timeout:
// a connection that a network drop left silent is replaced within
// listenPing plus the query timeout.
const listenPing = 10 * time.Second

// channelName is the pub/sub channel of the store with prefix on database
// db: "<prefix>events:<db>". Pub/sub ignores the database number (every
// database of a server shares its channels), so the channel names it.
func channelName(prefix string, db int) string {
	return prefix + "events:" + strconv.Itoa(db)
}

// Channel returns the name of the pub/sub channel that carries the Store's
// events.
func (s *Store) Channel() string {
	return s.channel
}

// Publish implements store.Events: PUBLISH on the Store's channel (see
// Channel), with the event as JSON. Like every command of the Store, it is
// not repeated when the connection breaks (an event is delivered at most
// once).
func (s *Store) Publish(ctx context.Context, e store.Event) error {
	if err := ctx.Err(); err != nil {
		return wrap(ctx, "publish", err)
	}
	p, err := relay.Encode(e)
	if err != nil {
		return fmt.Errorf("redis: publish: %w", err)
	}
	return s.do(ctx, "publish", func(ctx context.Context) error {
		return s.client.Publish(ctx, s.channel, p).Err()
	})
}

// Subscribe implements store.Events. Every Store subscribes on one
// connection of its own (a go-redis PubSub) from its first Subscribe until
// Close, and hands the events to its subscribers; each holds 256 events
// (bus.Buffer) that its reader has not taken. Subscribe returns once
// Redis has confirmed that subscription, waiting at most the query timeout;
// when it cannot, the error wraps relay.ErrNotListening and the reason.
// When the connection drops, go-redis dials again and subscribes anew on
// the next read, which the Store makes at once, then after a back-off from
// 100 ms doubling to 2 s, while the subscribers' channels stay open: they
// miss the events published in between. Close ends every subscription.
func (s *Store) Subscribe(ctx context.Context) (<-chan store.Event, error) {
	ch, err := s.events.Subscribe(ctx)
	if err != nil {
		return nil, wrap(ctx, "subscribe", err)
	}
	return ch, nil
}

// errSilent says that the subscribed connection did not answer in time.
var errSilent = errors.New("subscribed connection silent")

// listen is the Store's relay.Listen: it reads the PubSub until its
// connection fails or ctx ends. The PubSub outlives a failed connection
// (go-redis replaces that on the next read) but not a silent one: that
// PubSub is closed, and the next call makes another.
func (s *Store) listen(ctx context.Context, live func(), deliver func([]byte)) error {
	if s.pubsub == nil {
		// Sends SUBSCRIBE; a failure shows in the first read, which
		// dials again.
		s.pubsub = s.client.Subscribe(ctx, s.channel)
	}
	ps := s.pubsub
	// Reads do not watch ctx: closing the PubSub ends the one in flight.
	stop := context.AfterFunc(ctx, func() { ps.Close() })
	defer stop()
	silent := func(what string) error {
		ps.Close()
		s.pubsub = nil
		return fmt.Errorf("redis: listen: %w: no %s within %v", errSilent, what, s.timeout)
	}
	subscribed, pinged := false, false
	for {
		wait := s.timeout // for the confirmation, or the answer to a PING
		if subscribed && !pinged {
			wait = listenPing
		}
		msg, err := ps.ReceiveTimeout(ctx, wait)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var netErr net.Error
		switch {
		case err == nil:
		case !errors.As(err, &netErr) || !netErr.Timeout():
			return fmt.Errorf("redis: listen: %w", err)
		case !subscribed:
			return silent("confirmation of SUBSCRIBE")
		case pinged:
			return silent("answer to PING")
		default:
			// Idle: make sure the server still answers.
			if err := ps.Ping(ctx); err != nil {
				return fmt.Errorf("redis: listen: ping: %w", err)
			}
			pinged = true
			continue
		}
		pinged = false
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" && m.Channel == s.channel {
				subscribed = true
				live()
			}
		case *goredis.Message:
			deliver([]byte(m.Payload))
		}
	}
}
