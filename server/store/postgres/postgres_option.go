package postgres

import (
	"fmt"
	"time"
)

// DefaultSchema is the schema Open uses without WithSchema.
const DefaultSchema = "sessionguard"

// DefaultQueryTimeout bounds each call of a Store without WithQueryTimeout.
const DefaultQueryTimeout = 3 * time.Second

// An Option changes how Open sets a Store up.
type Option func(*options) error

type options struct {
	schema  string
	timeout time.Duration
}

func defaultOptions() options {
	return options{schema: DefaultSchema, timeout: DefaultQueryTimeout}
}

// WithSchema keeps the tables in the named schema (DefaultSchema without
// this option). Open creates the schema when it is missing, which needs the
// CREATE privilege on the database; an existing schema only needs CREATE on
// itself. Several deployments can share one database with a schema each.
func WithSchema(name string) Option {
	return func(o *options) error {
		if name == "" {
			return fmt.Errorf("empty schema name")
		}
		o.schema = name
		return nil
	}
}

// WithQueryTimeout bounds every call of the Store (each method, including the
// wait for a pooled connection) to d, on top of the deadline of the caller's
// context, so that a database that stops answering makes calls fail instead
// of hang. DefaultQueryTimeout without this option.
func WithQueryTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("query timeout %v: want a positive duration", d)
		}
		o.timeout = d
		return nil
	}
}
