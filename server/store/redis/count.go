package redis

import (
	"context"
	"strconv"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

var _ store.LiveSessionCounter = (*Store)(nil)

// CountSessions implements store.LiveSessionCounter with one ZCOUNT, in time
// logarithmic in the number of sessions, on the index of every session by
// when it dies (min(e, a); the key sx). Every script that changes a session
// keeps that index: create adds the session, touch moves it, and the deletes
// of one session, of a user's and of expired ones remove it; so the members
// scored after now are exactly the sessions live at now.
//
// The one thing the index does not follow is Redis expiring a key by its
// TTL, which leaves the member behind until a sweep. Such a member is never
// counted at a now at or after the server's clock, as the metric passes it:
// a key expires at min(e + grace, a), never before its score.
func (s *Store) CountSessions(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.do(ctx, "count sessions", func(ctx context.Context) error {
		var err error
		n, err = s.client.ZCount(ctx, s.k.sessionDeaths, "("+strconv.FormatInt(millis(now), 10), "+inf").Result()
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
