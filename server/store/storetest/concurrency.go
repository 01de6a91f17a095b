package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// runConcurrency checks that the store is safe for concurrent use: run the
// suite with -race. Every call must succeed; a backend that answers "database
// is locked" or similar under contention fails here.
func runConcurrency(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("TouchAndReadOneSession", func(t *testing.T) {
		const goroutines, rounds = 50, 5
		s := openStore(t, open)
		t0 := epoch()
		sess := newSession("alice", t0)
		create(t, s, sess)

		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range goroutines {
			wg.Go(func() {
				<-start
				for range rounds {
					expires := t0.Add(idle + time.Duration(i+1)*time.Minute)
					touched, err := s.TouchSession(t.Context(), sess.IDHash, expires)
					assert.NoError(t, err, "TouchSession")
					assert.True(t, touched, "TouchSession: found")
					got, found, err := s.Session(t.Context(), sess.IDHash, t0)
					assert.NoError(t, err, "Session")
					assert.True(t, found, "Session: found")
					assert.Equal(t, sess.UserID, got.UserID, "Session: UserID")
				}
			})
		}
		close(start)
		wg.Wait()

		// The last touch wins: Expires is one of the values written.
		got := mustFind(t, s, sess.IDHash, t0)
		assert.False(t, got.Expires.Before(t0.Add(idle+time.Minute)), "Expires %v before every touch", got.Expires)
		assert.False(t, got.Expires.After(t0.Add(idle+goroutines*time.Minute)), "Expires %v after every touch", got.Expires)
	})

	t.Run("ParallelCreates", func(t *testing.T) {
		const goroutines = 100
		s := openStore(t, open)
		t0 := epoch()
		users := make([]store.User, goroutines)
		sessions := make([]store.Session, goroutines)
		for i := range goroutines {
			users[i] = newUser(fmt.Sprintf("user-%03d", i), t0)
			sessions[i] = newSession(users[i].ID, t0)
		}

		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range goroutines {
			wg.Go(func() {
				<-start
				assert.NoError(t, s.CreateUser(t.Context(), users[i]), "CreateUser")
				assert.NoError(t, s.CreateSession(t.Context(), sessions[i]), "CreateSession")
			})
		}
		close(start)
		wg.Wait()

		for i := range goroutines {
			got, found, err := s.UserByEmail(t.Context(), users[i].Email)
			require.NoError(t, err)
			require.True(t, found, "user %d", i)
			assertUser(t, users[i], got)
			assertSession(t, sessions[i], mustFind(t, s, sessions[i].IDHash, t0))
		}
	})
}
