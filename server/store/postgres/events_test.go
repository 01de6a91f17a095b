package postgres_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/postgres"
	"github.com/sessionguard/sessionguard/server/store/storetest"
)

// TestEventsOutage cuts the listening connection away through a proxy and
// brings it back: the subscription stays open and hears events again.
func TestEventsOutage(t *testing.T) {
	url := testenv.Postgres(t)
	const timeout = 500 * time.Millisecond
	schema := testenv.PostgresSchema(t, url)
	p := testenv.NewProxy(t, testenv.HostPort(t, url))
	sub, err := postgres.Open(t.Context(), p.URL(t, url), postgres.WithSchema(schema), postgres.WithQueryTimeout(timeout))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, sub.Close()) })
	pub, err := postgres.Open(t.Context(), url, postgres.WithSchema(schema))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, pub.Close()) })

	storetest.RunEventsOutage(t, sub, pub, p, 3*timeout, 20*timeout)
}

// TestEventsBetween runs two stores on one schema, as two instances, and a
// third on another.
func TestEventsBetween(t *testing.T) {
	url := testenv.Postgres(t)
	schema := testenv.PostgresSchema(t, url)
	var stores []store.Events
	for _, o := range []postgres.Option{postgres.WithSchema(schema), postgres.WithSchema(schema), postgres.WithSchema(testenv.PostgresSchema(t, url))} {
		s, err := postgres.Open(t.Context(), url, o)
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		stores = append(stores, s)
	}
	storetest.RunEventsBetween(t, stores[0], stores[1], stores[2])
}

// TestEventsPayloadLimit checks that an event too large for NOTIFY is
// refused as invalid, and one just under the limit goes through.
func TestEventsPayloadLimit(t *testing.T) {
	url := testenv.Postgres(t)
	s := open(t, url)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	ch, err := s.Subscribe(t.Context())
	require.NoError(t, err)

	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// The JSON around the user id of an event without a session hash.
	const frame = len(`{"type":"revoked","user":"","at":"2026-01-02T03:04:05Z"}`)
	big := store.Event{Type: store.EventRevoked, UserID: strings.Repeat("u", 8000-frame), At: at}
	assert.ErrorIs(t, s.Publish(t.Context(), big), store.ErrInvalid, "a payload of 8000 bytes")

	fits := big
	fits.UserID = fits.UserID[1:]
	require.NoError(t, s.Publish(t.Context(), fits), "a payload of 7999 bytes")
	select {
	case got := <-ch:
		assert.Equal(t, fits.UserID, got.UserID)
	case <-time.After(5 * time.Second):
		t.Fatal("the event of 7999 bytes did not arrive")
	}
}

// TestEventsLongSchema checks the channel of a schema whose name with
// ".events" is longer than PostgreSQL keeps: events still flow, and two
// such schemas that differ only at the end do not share a channel.
func TestEventsLongSchema(t *testing.T) {
	url := testenv.Postgres(t)
	base := testenv.PostgresSchema(t, url) // sgtest_ and 16 hex digits
	long := base + strings.Repeat("x", 63-len(base)-1)
	a, b := long+"a", long+"b"
	for _, schema := range []string{a, b} {
		t.Cleanup(func() { testenv.DropSchema(t, url, schema) })
	}
	sa, err := postgres.Open(t.Context(), url, postgres.WithSchema(a))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, sa.Close()) })
	sb, err := postgres.Open(t.Context(), url, postgres.WithSchema(b))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, sb.Close()) })

	assert.LessOrEqual(t, len(sa.Channel()), 63, "channel %q", sa.Channel())
	assert.NotEqual(t, sa.Channel(), sb.Channel())
	storetest.RunEventsBetween(t, sa, sa, sb)
}
