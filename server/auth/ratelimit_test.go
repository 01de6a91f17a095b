package auth_test

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/auth"
)

func TestAccountLimit(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		c := e.client()
		for i := range 5 {
			assert.Equal(t, http.StatusUnauthorized, c.signIn("user@example.com", "wrong").StatusCode, "failure %d", i+1)
		}
		r := c.signIn("user@example.com", "wrong")
		require.Equal(t, http.StatusTooManyRequests, r.StatusCode)
		retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
		require.NoError(t, err)
		assert.Equal(t, 180, retry, "one more try every three minutes")
		assert.Contains(t, body(t, r), "try again in 180 seconds")
		assert.Equal(t, http.StatusTooManyRequests, c.signIn("user@example.com", "user-password").StatusCode,
			"while limited, even the right password waits")

		assert.Equal(t, http.StatusOK, c.signIn("admin@example.com", "admin-password").StatusCode,
			"one account's limit never blocks another account")

		e.clock.Add(180 * time.Second)
		assert.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode, "allowed again after Retry-After")
		assert.Equal(t, http.StatusUnauthorized, c.signIn("user@example.com", "wrong").StatusCode,
			"a correct sign-in resets the account's count")
	})
}

func TestAddressLimit(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		c := e.client()
		for i := range 100 {
			r := c.signIn(fmt.Sprintf("nobody%d@example.com", i), "wrong")
			require.Equal(t, http.StatusUnauthorized, r.StatusCode, "failure %d of 100 is allowed", i+1)
		}
		r := c.signIn("user@example.com", "user-password")
		assert.Equal(t, http.StatusTooManyRequests, r.StatusCode, "the 101st attempt within the hour waits")
		assert.NotEmpty(t, r.Header.Get("Retry-After"))
		e.clock.Add(36 * time.Second) // the bucket refills 100 per hour
		assert.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
	})
}

func TestBurstOfCorrectSignInsIsNotRefused(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		var wg sync.WaitGroup
		codes := make([]int, 100)
		for i := range codes {
			wg.Go(func() {
				codes[i] = e.client().signIn("user@example.com", "user-password").StatusCode
			})
		}
		wg.Wait()
		for i, code := range codes {
			assert.Equal(t, http.StatusOK, code, "sign-in %d", i)
		}
	})
}

func TestParallelGuessesAreCappedByTheGate(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		var wg sync.WaitGroup
		var mu sync.Mutex
		counts := map[int]int{}
		for range 40 {
			wg.Go(func() {
				code := e.client().signIn("user@example.com", "wrong").StatusCode
				mu.Lock()
				counts[code]++
				mu.Unlock()
			})
		}
		wg.Wait()
		// 5 failures are allowed; the gate after the hashing queue admits at
		// most the hasher's two slots beyond that.
		assert.LessOrEqual(t, counts[http.StatusUnauthorized], 5+2)
		assert.Equal(t, 40, counts[http.StatusUnauthorized]+counts[http.StatusTooManyRequests])
	})
}

func TestLimiter(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	l := auth.NewLimiter(auth.Limit{Burst: 2, Per: 10 * time.Second}, c.Now)
	assert.Zero(t, l.Check("k"))
	l.Fail("k")
	assert.Zero(t, l.Check("k"))
	l.Fail("k")
	assert.Equal(t, 5*time.Second, l.Check("k"))
	assert.Zero(t, l.Check("other"))
	c.Add(5 * time.Second)
	assert.Zero(t, l.Check("k"))
	l.Fail("k")
	l.Reset("k")
	assert.Zero(t, l.Check("k"))
}
