// Package memory is a store.Store that keeps everything in the process's
// memory. It is the -store memory backend, whose records are lost on restart,
// and the store of choice for unit tests of other packages.
package memory

import (
	"context"
	"sync"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/internal/bus"
)

// Store is a store.Store, with the jwt strategy's store.Revocations,
// store.RefreshTokens and store.Keys and the shared store.FailureCounters, held in
// maps behind a read-write mutex, and a store.Events whose subscribers are
// those of this Store. It copies byte slices in and out, so callers may
// reuse theirs, and returns times in UTC with their full precision.
//
// Store is safe for concurrent use. The zero value is not usable; create one
// with New.
type Store struct {
	mu       sync.RWMutex
	sessions map[string]store.Session // by string(IDHash)
	users    map[string]store.User    // by ID
	emails   map[string]string        // user ID by Email

	denials    map[string]time.Time          // until, by id
	validAfter map[string]time.Time          // by user ID
	refresh    map[string]store.RefreshToken // by string(Hash)
	keys       map[string]store.PublicKey    // by ID
	secrets    map[string][]byte             // by name
	factors    map[string]*factor            // by user ID

	counters      map[string]counter // by key
	countersSwept int                // len(counters) after the last sweep

	events *bus.Bus
}

var _ store.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{
		sessions: make(map[string]store.Session),
		users:    make(map[string]store.User),
		emails:   make(map[string]string),

		denials:    make(map[string]time.Time),
		validAfter: make(map[string]time.Time),
		refresh:    make(map[string]store.RefreshToken),
		keys:       make(map[string]store.PublicKey),
		secrets:    make(map[string][]byte),
		factors:    make(map[string]*factor),

		counters: make(map[string]counter),
		events:   bus.New(),
	}
}

// Ping reports ctx's error, if any: memory always answers.
func (s *Store) Ping(ctx context.Context) error {
	return ctx.Err()
}

// Close ends every event subscription, closing its channel, and returns nil;
// the records go with the Store.
func (s *Store) Close() error {
	s.events.Close()
	return nil
}
