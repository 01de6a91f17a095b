package sqlite

import (
	"context"
	"fmt"
)

// LimitPages sets PRAGMA max_page_count on the writer's connection (the
// pool's only one) and returns the limit SQLite took: never less than the
// pages the file has. A database at its limit fails every write that needs
// a new page with SQLITE_FULL, as on a full disk. restore puts the limit
// back as it was.
func LimitPages(ctx context.Context, s *Store, n int64) (took int64, restore func() error, err error) {
	var was int64
	if err := s.write.QueryRowContext(ctx, "PRAGMA max_page_count").Scan(&was); err != nil {
		return 0, nil, err
	}
	// PRAGMA takes no parameters; the numbers are ours.
	if err := s.write.QueryRowContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", n)).Scan(&took); err != nil {
		return 0, nil, err
	}
	return took, func() error {
		_, err := s.write.ExecContext(context.Background(), fmt.Sprintf("PRAGMA max_page_count = %d", was))
		return err
	}, nil
}
