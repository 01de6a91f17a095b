package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
)

var _ store.LiveSessionCounter = (*Store)(nil)

// sqlCountSessions counts the live sessions on the index of when a session
// dies, which holds every column it reads: a range of the index, not the
// table.
const sqlCountSessions = `SELECT count(*) FROM sessions WHERE min(expires, abs_expires) > ?`

// CountSessions implements store.LiveSessionCounter with a prepared statement on
// the readers.
func (s *Store) CountSessions(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	if err := s.countSessions.QueryRowContext(ctx, millis(now)).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count sessions: %w", err)
	}
	return n, nil
}
