package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/store"
)

// runKeys covers store.Keys one rule per subtest.
func runKeys(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("NoKeys", func(t *testing.T) {
		k := openStore(t, open)
		got, err := k.PublicKeys(t.Context(), epoch())
		assert.NoError(t, err)
		assert.Empty(t, got)
	})

	t.Run("NewestFirst", func(t *testing.T) {
		k := openStore(t, open)
		t0 := epoch()
		// Published in an order that is neither newest nor oldest first;
		// "b" and "c" made at the same time come in order of ID.
		oldest := newPublicKey("a", t0, t0.Add(absolute))
		middleC := newPublicKey("c", t0.Add(time.Hour), t0.Add(absolute))
		middleB := newPublicKey("b", t0.Add(time.Hour), t0.Add(absolute))
		newest := newPublicKey("d", t0.Add(2*time.Hour), t0.Add(absolute))
		publish(t, k, middleC, oldest, newest, middleB)

		assertPublicKeys(t, []store.PublicKey{newest, middleB, middleC, oldest}, publicKeys(t, k, t0.Add(2*time.Hour)))
	})

	t.Run("ExpiredLeftOut", func(t *testing.T) {
		k := openStore(t, open)
		t0 := epoch()
		expires := t0.Add(time.Hour)
		lasting := newPublicKey("lasting", t0, t0.Add(absolute))
		ending := newPublicKey("ending", t0.Add(time.Minute), expires)
		publish(t, k, lasting, ending)

		const ms = time.Millisecond
		tests := []struct {
			name string
			now  time.Time
			want []store.PublicKey
		}{
			{"one ms before expiry", expires.Add(-ms), []store.PublicKey{ending, lasting}},
			{"at expiry", expires, []store.PublicKey{lasting}},
			{"after expiry", expires.Add(time.Hour), []store.PublicKey{lasting}},
			{"after both expired", t0.Add(absolute), nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				assertPublicKeys(t, tt.want, publicKeys(t, k, tt.now))
			})
		}
	})

	t.Run("PublishReplacesByID", func(t *testing.T) {
		tests := []struct {
			name    string
			expires time.Duration // of the replacement, after t0
		}{
			{"later expiry", 2 * time.Hour},
			{"earlier expiry", 30 * time.Minute},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				k := openStore(t, open)
				t0 := epoch()
				other := newPublicKey("other", t0, t0.Add(absolute))
				first := newPublicKey("k1", t0.Add(time.Minute), t0.Add(time.Hour))
				publish(t, k, other, first)

				// Every field changes but the ID.
				second := newPublicKey("k1", t0.Add(2*time.Minute), t0.Add(tt.expires))
				second.Algorithm = "ES256"
				publish(t, k, second)

				assertPublicKeys(t, []store.PublicKey{second, other}, publicKeys(t, k, t0.Add(2*time.Minute)))
				// Past the replacement's expiry, whether the first one's
				// is before or after it, the key is gone.
				assertPublicKeys(t, []store.PublicKey{other}, publicKeys(t, k, t0.Add(tt.expires)))
			})
		}
	})

	t.Run("KeyCopiesInAndOut", func(t *testing.T) {
		k := openStore(t, open)
		t0 := epoch()
		key := newPublicKey("k1", t0, t0.Add(absolute))
		want := key
		want.Key = bytes.Clone(key.Key)
		publish(t, k, key)

		key.Key[0] ^= 0xff // the caller reuses its buffer
		got := publicKeys(t, k, t0)
		require.Len(t, got, 1)
		assertPublicKeys(t, []store.PublicKey{want}, got)
		got[0].Key[0] ^= 0xff
		assertPublicKeys(t, []store.PublicKey{want}, publicKeys(t, k, t0))
	})

	t.Run("TimesRoundTripInUTC", func(t *testing.T) {
		k := openStore(t, open)
		east := time.FixedZone("UTC+5", 5*60*60)
		t0 := epoch().Add(123_456_789 * time.Nanosecond)
		key := newPublicKey("k1", t0, t0.Add(absolute))
		stored := key
		stored.CreatedAt = key.CreatedAt.In(east)
		stored.ExpiresAt = key.ExpiresAt.In(east)
		publish(t, k, stored)

		assertPublicKeys(t, []store.PublicKey{key}, publicKeys(t, k, t0.In(east)))
	})

	t.Run("SecretGetOrCreate", func(t *testing.T) {
		k := openStore(t, open)
		first, second, other := newSecret(), newSecret(), newSecret()

		assert.Equal(t, first, secret(t, k, "hmac", first), "first call stores the candidate")
		assert.Equal(t, first, secret(t, k, "hmac", second), "later call returns the stored secret")
		assert.Equal(t, other, secret(t, k, "other", other), "another name is another secret")
		assert.Equal(t, first, secret(t, k, "hmac", other), "the first name keeps its secret")
		assert.Equal(t, second, secret(t, k, "HMAC", second), "names are compared exactly")
	})

	t.Run("SecretCopiesInAndOut", func(t *testing.T) {
		k := openStore(t, open)
		candidate := newSecret()
		want := bytes.Clone(candidate)

		got := secret(t, k, "hmac", candidate)
		candidate[0] ^= 0xff
		got[0] ^= 0xff
		assert.Equal(t, want, secret(t, k, "hmac", newSecret()))
	})

	t.Run("ConcurrentSecret", func(t *testing.T) { testConcurrentSecret(t, open) })

	t.Run("Invalid", func(t *testing.T) {
		k := openStore(t, open)
		t0 := epoch()
		with := func(change func(*store.PublicKey)) store.PublicKey {
			key := newPublicKey("k1", t0, t0.Add(absolute))
			change(&key)
			return key
		}
		tests := []struct {
			name string
			call func(ctx context.Context) error
		}{
			{"PublishKey with empty ID", func(ctx context.Context) error {
				return k.PublishKey(ctx, with(func(key *store.PublicKey) { key.ID = "" }))
			}},
			{"PublishKey with empty Algorithm", func(ctx context.Context) error {
				return k.PublishKey(ctx, with(func(key *store.PublicKey) { key.Algorithm = "" }))
			}},
			{"PublishKey with nil Key", func(ctx context.Context) error {
				return k.PublishKey(ctx, with(func(key *store.PublicKey) { key.Key = nil }))
			}},
			{"PublishKey with empty Key", func(ctx context.Context) error {
				return k.PublishKey(ctx, with(func(key *store.PublicKey) { key.Key = []byte{} }))
			}},
			{"Secret with empty name", func(ctx context.Context) error { _, err := k.Secret(ctx, "", newSecret()); return err }},
			{"Secret with nil candidate", func(ctx context.Context) error { _, err := k.Secret(ctx, "hmac", nil); return err }},
			{"Secret with empty candidate", func(ctx context.Context) error { _, err := k.Secret(ctx, "hmac", []byte{}); return err }},
			{"Secret stored, with empty candidate", func(ctx context.Context) error {
				_, err := k.Secret(ctx, "stored", []byte{})
				return err
			}},
		}
		stored := secret(t, k, "stored", newSecret())
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				assert.ErrorIs(t, tt.call(t.Context()), store.ErrInvalid)
			})
		}

		t.Run("nothing was stored", func(t *testing.T) {
			assert.Empty(t, publicKeys(t, k, t0), "keys stored")
			want := newSecret()
			assert.Equal(t, want, secret(t, k, "hmac", want), "secret stored")
			assert.Equal(t, stored, secret(t, k, "stored", newSecret()), "stored secret changed")
		})
	})
}

// newPublicKey returns an EdDSA key with random bytes of the length of an
// Ed25519 key in PKIX DER.
func newPublicKey(id string, created, expires time.Time) store.PublicKey {
	der := make([]byte, 44)
	rand.Read(der) // never fails (crypto/rand)
	return store.PublicKey{ID: id, Algorithm: "EdDSA", Key: der, CreatedAt: created, ExpiresAt: expires}
}

// newSecret returns a random 32-byte secret.
func newSecret() []byte {
	s := make([]byte, 32)
	rand.Read(s) // never fails (crypto/rand)
	return s
}

// publish publishes keys, failing the test on the first error.
func publish(t *testing.T, k store.Keys, keys ...store.PublicKey) {
	t.Helper()
	for _, key := range keys {
		require.NoError(t, k.PublishKey(t.Context(), key), "PublishKey %q", key.ID)
	}
}

// publicKeys returns the keys at now, failing the test on an error.
func publicKeys(t *testing.T, k store.Keys, now time.Time) []store.PublicKey {
	t.Helper()
	got, err := k.PublicKeys(t.Context(), now)
	require.NoError(t, err, "PublicKeys")
	return got
}

// secret calls Secret, failing the test on an error.
func secret(t *testing.T, k store.Keys, name string, candidate []byte) []byte {
	t.Helper()
	got, err := k.Secret(t.Context(), name, candidate)
	require.NoError(t, err, "Secret %q", name)
	return got
}

// assertPublicKeys checks that got holds the keys of want in order, times to
// the millisecond and in UTC.
func assertPublicKeys(t *testing.T, want, got []store.PublicKey) {
	t.Helper()
	ids := func(keys []store.PublicKey) []string {
		s := make([]string, len(keys))
		for i, k := range keys {
			s[i] = k.ID
		}
		return s
	}
	if !assert.Equal(t, ids(want), ids(got), "key ids in order") {
		return
	}
	for i := range want {
		field := fmt.Sprintf("key %q: ", want[i].ID)
		assert.Equal(t, want[i].Algorithm, got[i].Algorithm, field+"Algorithm")
		assert.Equal(t, want[i].Key, got[i].Key, field+"Key")
		assertTime(t, want[i].CreatedAt, got[i].CreatedAt, field+"CreatedAt")
		assertTime(t, want[i].ExpiresAt, got[i].ExpiresAt, field+"ExpiresAt")
	}
}

// testConcurrentSecret checks that concurrent first callers of Secret with
// different candidates all get the same one of them. A race loses only some
// rounds, so it runs many, a fresh name each.
func testConcurrentSecret(t *testing.T, open func(t *testing.T) store.Store) {
	const goroutines, rounds = 20, 30
	k := openStore(t, open)
	for round := range rounds {
		name := fmt.Sprintf("secret-%d", round)
		candidates := make([][]byte, goroutines)
		for i := range candidates {
			candidates[i] = newSecret()
		}

		got := make([][]byte, goroutines)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range goroutines {
			wg.Go(func() {
				<-start
				s, err := k.Secret(t.Context(), name, candidates[i])
				assert.NoError(t, err, "Secret %d", i)
				got[i] = s
			})
		}
		close(start)
		wg.Wait()

		require.NotEmpty(t, got[0], "round %d", round)
		require.Contains(t, candidates, got[0], "round %d: the secret is none of the candidates", round)
		for i := range got {
			require.Equal(t, got[0], got[i], "round %d: caller %d got another secret", round, i)
		}
		require.Equal(t, got[0], secret(t, k, name, newSecret()), "round %d: a later caller", round)
	}
}
