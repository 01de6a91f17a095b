package postgres

import (
	"context"
	"errors"
	"fmt"
)

// ErrSchemaTooNew is returned by Open when the schema was written by a newer
// version of this package, whose steps this one does not know.
var ErrSchemaTooNew = errors.New("schema is newer than this program")

// wrap names the operation that failed and, when ctx is done, makes sure the
// error wraps ctx.Err() as package store requires: the driver reports some
// cancellations as network errors.
func wrap(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("postgres: %s: %w: %w", op, cerr, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}
