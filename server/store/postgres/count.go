package postgres

import (
	"context"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

var _ store.LiveSessionCounter = (*Store)(nil)

// CountSessions implements store.LiveSessionCounter with one count over the
// index of when a session dies: the sessions live at now are a range of it.
func (s *Store) CountSessions(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.do(ctx, "count sessions", true, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, s.q.countSessions, now).Scan(&n)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
