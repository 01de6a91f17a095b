// Package storetest is the conformance suite that every store.Store backend
// passes. It uses the store.Store interface only, so a new backend gets the
// whole suite from one call in its own test:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return memory.New() })
//	}
//
// Every backend also implements the abilities of the jwt strategy,
// store.Revocations, store.RefreshTokens and store.Keys, the accounts'
// second factors, store.SecondFactors, those that several instances share,
// store.FailureCounters and store.Events, and those of the device list, the
// admin API and the metrics, store.SessionLister, store.UserAdmin and
// store.LiveSessionCounter, all parts of store.Store. Run checks them too:
// a wrapper around a store must forward them.
//
// Expiry is never tested by sleeping: every decision is made by passing an
// explicit now. The records the suite stores expire in the future of the wall
// clock, so a backend that hands expiry to its server (Redis TTLs) keeps them
// for the length of a test.
// Events are the one thing the suite waits for: every wait is bounded, so a
// backend that loses an event fails the test instead of hanging it.
package storetest

import (
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// Lifetimes of the sessions the suite creates, as the server's defaults.
const (
	idle     = 30 * time.Minute
	absolute = 12 * time.Hour
)

// Run runs the conformance suite against the backend that open creates.
//
// open is called once per subtest and must return a store that holds no
// records; Run closes it when the subtest ends and fails the test if Close
// reports an error. Subtests run one after the other, never in parallel, so a
// backend on a shared database server may empty its tables in open.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Sessions", func(t *testing.T) { runSessions(t, open) })
	t.Run("Users", func(t *testing.T) { runUsers(t, open) })
	t.Run("Invalid", func(t *testing.T) { testInvalid(t, open) })
	t.Run("Context", func(t *testing.T) { testContext(t, open) })
	t.Run("Concurrency", func(t *testing.T) { runConcurrency(t, open) })
	t.Run("Revocations", func(t *testing.T) { runRevocations(t, open) })
	t.Run("RefreshTokens", func(t *testing.T) { runRefreshTokens(t, open) })
	t.Run("Keys", func(t *testing.T) { runKeys(t, open) })
	t.Run("SecondFactors", func(t *testing.T) { runSecondFactors(t, open) })
	t.Run("Counters", func(t *testing.T) { runCounters(t, open) })
	t.Run("Events", func(t *testing.T) { runEvents(t, open) })
	t.Run("Devices", func(t *testing.T) { runDevices(t, open) })
	t.Run("SessionLister", func(t *testing.T) { runSessionLister(t, open) })
	t.Run("UserAdmin", func(t *testing.T) { runUserAdmin(t, open) })
	t.Run("SessionCounter", func(t *testing.T) { runSessionCounter(t, open) })
	t.Run("Ping", func(t *testing.T) {
		s := openStore(t, open)
		assert.NoError(t, s.Ping(t.Context()))
	})
}

// closeWait bounds Close, so that a store stuck in a call that went wrong
// (a Publish that waits for a subscriber) fails its test instead of hanging
// the suite.
const closeWait = 30 * time.Second

// openStore opens a store for one test and closes it when the test ends.
func openStore(t *testing.T, open func(t *testing.T) store.Store) store.Store {
	t.Helper()
	s := open(t)
	require.NotNil(t, s, "open returned a nil store")
	t.Cleanup(func() {
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		timer := time.NewTimer(closeWait)
		defer timer.Stop()
		select {
		case err := <-closed:
			assert.NoError(t, err, "Close")
		case <-timer.C:
			t.Errorf("Close has not returned after %v: it hangs", closeWait)
		}
	})
	return s
}

// epoch returns a sign-in time for a test: the wall clock, in UTC, truncated
// to the millisecond so that every backend stores it exactly and boundary
// cases one millisecond apart stay apart.
func epoch() time.Time {
	return time.Now().UTC().Truncate(time.Millisecond)
}

// newHash returns a random session id hash of the right length.
func newHash() []byte {
	h := make([]byte, store.HashLen)
	rand.Read(h) // never fails (crypto/rand)
	return h
}

// newSession returns a session of userID signed in at t0 with the default
// lifetimes, a random id hash, and a client address and user agent of its
// own (derived from the hash), so that a backend that mixes up records
// shows it.
func newSession(userID string, t0 time.Time) store.Session {
	h := newHash()
	return store.Session{
		IDHash:     h,
		UserID:     userID,
		Email:      userID + "@example.com",
		Name:       "Name of " + userID,
		Role:       "user",
		CreatedAt:  t0,
		Expires:    t0.Add(idle),
		AbsExpires: t0.Add(absolute),
		ClientAddr: fmt.Sprintf("198.51.100.%d", h[0]),
		UserAgent:  fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64) storetest/%x", h[:4]),
		AAL:        []string{store.AAL1, store.AAL2}[h[1]%2],
		// Re-authenticated some seconds and milliseconds after sign-in.
		AuthenticatedAt: t0.Add(time.Duration(h[2])*time.Second + time.Duration(h[3])*time.Millisecond),
	}
}

// newUser returns an account with every field set.
func newUser(id string, t0 time.Time) store.User {
	return store.User{
		ID:           id,
		Email:        id + "@example.com",
		Name:         "Name of " + id,
		Role:         "admin",
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo-" + id,
		CreatedAt:    t0,
	}
}

// create stores sessions, failing the test on the first error.
func create(t *testing.T, s store.Store, sessions ...store.Session) {
	t.Helper()
	for _, sess := range sessions {
		require.NoError(t, s.CreateSession(t.Context(), sess), "CreateSession")
	}
}

// touch moves the idle expiry of a session that must exist.
func touch(t *testing.T, s store.Store, idHash []byte, expires time.Time) {
	t.Helper()
	found, err := s.TouchSession(t.Context(), idHash, expires)
	require.NoError(t, err, "TouchSession")
	require.True(t, found, "TouchSession: found")
}

// mustFind reads a session that must be live at now and returns it.
func mustFind(t *testing.T, s store.Store, idHash []byte, now time.Time) store.Session {
	t.Helper()
	got, found, err := s.Session(t.Context(), idHash, now)
	require.NoError(t, err, "Session")
	require.True(t, found, "Session: found")
	return got
}

// assertGone checks that the session is not found at now.
func assertGone(t *testing.T, s store.Store, idHash []byte, now time.Time) {
	t.Helper()
	got, found, err := s.Session(t.Context(), idHash, now)
	assert.NoError(t, err, "Session")
	assert.False(t, found, "Session: found")
	assert.Zero(t, got, "Session: record returned with found=false")
}

// assertSession checks that got holds the fields of want, times to the
// millisecond and in UTC, the device fields byte for byte.
func assertSession(t *testing.T, want, got store.Session) {
	t.Helper()
	assert.Equal(t, want.IDHash, got.IDHash, "IDHash")
	assert.Equal(t, want.UserID, got.UserID, "UserID")
	assert.Equal(t, want.Email, got.Email, "Email")
	assert.Equal(t, want.Name, got.Name, "Name")
	assert.Equal(t, want.Role, got.Role, "Role")
	assertTime(t, want.CreatedAt, got.CreatedAt, "CreatedAt")
	assertTime(t, want.Expires, got.Expires, "Expires")
	assertTime(t, want.AbsExpires, got.AbsExpires, "AbsExpires")
	assert.Equal(t, want.ClientAddr, got.ClientAddr, "ClientAddr")
	assert.Equal(t, want.UserAgent, got.UserAgent, "UserAgent")
	assert.Equal(t, want.AAL, got.AAL, "AAL")
	assertTime(t, want.AuthenticatedAt, got.AuthenticatedAt, "AuthenticatedAt")
}

// assertUser checks that got holds the fields of want, CreatedAt to the
// millisecond and in UTC.
func assertUser(t *testing.T, want, got store.User) {
	t.Helper()
	assert.Equal(t, want.ID, got.ID, "ID")
	assert.Equal(t, want.Email, got.Email, "Email")
	assert.Equal(t, want.Name, got.Name, "Name")
	assert.Equal(t, want.Role, got.Role, "Role")
	assert.Equal(t, want.PasswordHash, got.PasswordHash, "PasswordHash")
	assertTime(t, want.CreatedAt, got.CreatedAt, "CreatedAt")
	assert.Equal(t, want.Disabled, got.Disabled, "Disabled")
}

// assertTime checks that got is want to the millisecond and in UTC.
func assertTime(t *testing.T, want, got time.Time, field string) {
	t.Helper()
	assert.WithinDuration(t, want, got, time.Millisecond, field)
	assert.Equal(t, time.UTC, got.Location(), field+": location")
}
