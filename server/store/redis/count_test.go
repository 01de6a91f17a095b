package redis_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/store/redis"
)

// TestCountSessionsWithGrace checks that CountSessions counts by when a
// session dies, not by when Redis deletes its key: with an expiry grace the
// key outlives the session, and the conformance suite (no grace) cannot tell
// the two apart.
func TestCountSessionsWithGrace(t *testing.T) {
	url := testenv.Redis(t)
	s := open(t, url, redis.WithExpiryGrace(10*time.Minute))
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	created, touched := session("alice", t0), session("bob", t0) // idle expiry in an hour
	require.NoError(t, s.CreateSession(t.Context(), created))
	require.NoError(t, s.CreateSession(t.Context(), touched))
	if found, err := s.TouchSession(t.Context(), touched.IDHash, t0.Add(2*time.Hour)); assert.NoError(t, err) {
		assert.True(t, found, "TouchSession found")
	}

	tests := []struct {
		name string
		now  time.Duration // after t0
		want int64
	}{
		{"one ms before the first idle expiry", time.Hour - time.Millisecond, 2},
		{"at the first idle expiry, within the grace", time.Hour, 1},
		{"one ms before the touched idle expiry", 2*time.Hour - time.Millisecond, 1},
		{"at the touched idle expiry, within the grace", 2 * time.Hour, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := s.CountSessions(t.Context(), t0.Add(tt.now))
			require.NoError(t, err)
			assert.Equal(t, tt.want, n)
		})
	}
}
