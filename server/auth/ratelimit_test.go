package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/auth"
	"github.com/sessionguard/sessionguard/server/store/memory"
)

func TestAccountBackoff(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		c := e.client()
		for i := range 5 {
			assert.Equal(t, http.StatusUnauthorized, c.signIn("user@example.com", "wrong").StatusCode, "failure %d", i+1)
		}
		retryAfter := func(r *http.Response) int {
			t.Helper()
			require.Equal(t, http.StatusTooManyRequests, r.StatusCode)
			n, err := strconv.Atoi(r.Header.Get("Retry-After"))
			require.NoError(t, err)
			return n
		}
		r := c.signIn("user@example.com", "wrong")
		assert.Equal(t, 30, retryAfter(r), "five free failures, then 30 s")
		assert.Contains(t, body(t, r), "try again in 30 seconds")
		assert.Equal(t, http.StatusTooManyRequests, c.signIn("user@example.com", "user-password").StatusCode,
			"while limited, even the right password waits")
		assert.Equal(t, http.StatusOK, e.client().signIn("admin@example.com", "admin-password").StatusCode,
			"one account's limit never blocks another account")

		// Each further failure doubles the wait.
		for _, want := range []int{60, 120, 240, 480, 900, 900} {
			e.clock.Add(time.Duration(retryAfter(c.signIn("user@example.com", "wrong"))) * time.Second)
			assert.Equal(t, http.StatusUnauthorized, c.signIn("user@example.com", "wrong").StatusCode)
			assert.Equal(t, want, retryAfter(c.signIn("user@example.com", "wrong")), "capped at 15 minutes")
		}
		e.clock.Add(900 * time.Second)
		assert.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode, "allowed again after Retry-After")
	})
}

func TestCorrectSignInResetsTheAccount(t *testing.T) {
	e := newEnv(t)
	for range 4 {
		require.Equal(t, http.StatusUnauthorized, e.client().signIn("user@example.com", "wrong").StatusCode)
	}
	require.Equal(t, http.StatusOK, e.client().signIn("user@example.com", "user-password").StatusCode)
	for i := range 5 {
		assert.Equal(t, http.StatusUnauthorized, e.client().signIn("user@example.com", "wrong").StatusCode, "failure %d after the reset", i+1)
	}
}

func TestKnownDeviceIsNotLockedOut(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		owner := e.client()
		r := owner.signIn("user@example.com", "user-password")
		require.Equal(t, http.StatusOK, r.StatusCode)
		var dev *http.Cookie
		for _, ck := range r.Cookies() {
			if ck.Name == auth.DeviceCookieName {
				dev = ck
			}
		}
		require.NotNil(t, dev, "a device cookie after a correct sign-in")
		assert.True(t, dev.HttpOnly)
		assert.True(t, dev.Secure)
		assert.Equal(t, "/", dev.Path)
		assert.Equal(t, http.SameSiteLaxMode, dev.SameSite)
		require.Equal(t, http.StatusOK, owner.postJSON("/api/auth/signout", nil).StatusCode)

		attacker := e.client()
		for range 10 {
			attacker.signIn("user@example.com", "guess")
		}
		assert.Equal(t, http.StatusTooManyRequests, attacker.signIn("user@example.com", "guess").StatusCode)
		assert.Equal(t, http.StatusTooManyRequests, e.client().signIn("user@example.com", "user-password").StatusCode,
			"an unknown device waits")
		assert.Equal(t, http.StatusOK, owner.signIn("user@example.com", "user-password").StatusCode,
			"the owner's known device still signs in")

		forged := e.client()
		forged.cookies[dev.Name] = &http.Cookie{Name: dev.Name, Value: strings.Split(dev.Value, ".")[0] + ".AAAAAAAAAAAAAAAAAAAAAA"}
		assert.Equal(t, http.StatusTooManyRequests, forged.signIn("user@example.com", "user-password").StatusCode,
			"a forged device proof is no proof")
		stolen := e.client()
		stolen.cookies[dev.Name] = dev
		for range 5 {
			stolen.signIn("user@example.com", "guess")
		}
		assert.Equal(t, http.StatusTooManyRequests, stolen.signIn("user@example.com", "guess").StatusCode,
			"a known device has a limit of its own too")
	})
}

func TestLimitsSharedAcrossInstances(t *testing.T) {
	a := newEnv(t)
	b := newEnv(t, withSharedStore(a.store))
	for i := range 5 {
		c := a
		if i%2 == 1 {
			c = b
		}
		require.Equal(t, http.StatusUnauthorized, c.client().signIn("user@example.com", "wrong").StatusCode)
	}
	assert.Equal(t, http.StatusTooManyRequests, b.client().signIn("user@example.com", "wrong").StatusCode,
		"alternating instances does not reset the count")
}

func TestLimitStoreFailureFailsClosed(t *testing.T) {
	e := newEnv(t)
	e.store.countersDown.Store(true)
	assert.Equal(t, http.StatusServiceUnavailable, e.client().signIn("user@example.com", "user-password").StatusCode)
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
		assert.Equal(t, "60", r.Header.Get("Retry-After"), "then a minute, doubling")
		e.clock.Add(60 * time.Second)
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

func TestBackoffWaits(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	l := auth.NewLimiter(auth.Backoff{Free: 2, Base: time.Second, Max: 5 * time.Second, Window: time.Minute}, memory.New(), "k:", c.Now)
	ctx := context.Background()
	check := func() time.Duration {
		d, err := l.Check(ctx, "x")
		require.NoError(t, err)
		return d
	}
	assert.Zero(t, check())
	for _, want := range []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second} {
		require.NoError(t, l.Fail(ctx, "x"))
		assert.Equal(t, want, check())
	}
	c.Add(3 * time.Second)
	assert.Equal(t, 2*time.Second, check(), "the wait runs from the last failure")
	c.Add(time.Minute)
	assert.Zero(t, check(), "forgotten after the window")
	require.NoError(t, l.Fail(ctx, "x"))
	assert.Zero(t, check(), "and counted from one again")
	require.NoError(t, l.Fail(ctx, "x"))
	require.NoError(t, l.Reset(ctx, "x"))
	assert.Zero(t, check())
}

func TestAddressLimitBehindATrustedProxy(t *testing.T) {
	e := newEnv(t, withTrustedProxies("127.0.0.1"))
	from := func(addr string) []string { return []string{"X-Forwarded-For", addr} }
	c := e.client()
	for i := range 100 {
		r := c.postJSON("/api/auth/signin", map[string]string{"email": fmt.Sprintf("n%d@example.com", i), "password": "x"}, from("198.51.100.1")...)
		require.Equal(t, http.StatusUnauthorized, r.StatusCode)
	}
	assert.Equal(t, http.StatusTooManyRequests,
		c.postJSON("/api/auth/signin", map[string]string{"email": "user@example.com", "password": "user-password"}, from("198.51.100.1")...).StatusCode,
		"the client behind the proxy is limited")
	assert.Equal(t, http.StatusOK,
		c.postJSON("/api/auth/signin", map[string]string{"email": "user@example.com", "password": "user-password"}, from("198.51.100.2")...).StatusCode,
		"another client behind the same proxy is not")
	assert.Equal(t, http.StatusTooManyRequests,
		c.postJSON("/api/auth/signin", map[string]string{"email": "user@example.com", "password": "user-password"}, from("198.51.100.2, 198.51.100.1")...).StatusCode,
		"a client cannot pick its address by sending the header")
}

// TestDeviceCookieIsPerAccount: a device cookie earned by signing in to
// account A proves nothing for account B. While B is throttled for unknown
// devices, A's device waits like any other, and its failures on B count
// against B's limit, not against a device limit of its own.
func TestDeviceCookieIsPerAccount(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		attacker := e.client()
		require.Equal(t, http.StatusOK, attacker.signIn("admin@example.com", "admin-password").StatusCode)
		require.NotNil(t, attacker.cookies[auth.DeviceCookieName], "a device cookie for account A")
		require.Equal(t, http.StatusOK, attacker.postJSON("/api/auth/signout", nil).StatusCode)

		// Account B is throttled for unknown devices.
		for range 5 {
			require.Equal(t, http.StatusUnauthorized, e.client().signIn("user@example.com", "guess").StatusCode)
		}
		require.Equal(t, http.StatusTooManyRequests, e.client().signIn("user@example.com", "guess").StatusCode)
		assert.Equal(t, http.StatusTooManyRequests, attacker.signIn("user@example.com", "guess").StatusCode,
			"A's device cookie is no pass for B")

		// Once B's wait is over, the failures A's device makes on B count
		// against B: one more and B is throttled again for everybody.
		e.clock.Add(30 * time.Second)
		assert.Equal(t, http.StatusUnauthorized, attacker.signIn("user@example.com", "guess").StatusCode)
		assert.Equal(t, http.StatusTooManyRequests, e.client().signIn("user@example.com", "guess").StatusCode,
			"the failure from A's device counted against B")

		// The cookie still works for A, whose own limit is untouched.
		assert.Equal(t, http.StatusOK, attacker.signIn("admin@example.com", "admin-password").StatusCode)
	})
}

// TestIPv6AddressLimitCoversThe64: a subscriber usually holds a whole IPv6
// /64, so the per-address limit counts the prefix: failures from one
// address of it limit every other, and a neighbouring /64 is free.
func TestIPv6AddressLimitCoversThe64(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy), withTrustedProxies("127.0.0.1"))
		from := func(addr string) []string { return []string{"X-Forwarded-For", addr} }
		signIn := func(addr, email, password string) int {
			t.Helper()
			return e.client().postJSON("/api/auth/signin", map[string]string{"email": email, "password": password}, from(addr)...).StatusCode
		}
		for i := range 100 {
			// Spread over the /64: a different interface id for every guess.
			addr := fmt.Sprintf("2001:db8:1:2:%x::%x", i, i+1)
			require.Equal(t, http.StatusUnauthorized, signIn(addr, fmt.Sprintf("n%d@example.com", i), "x"), "failure %d", i+1)
		}
		for _, addr := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2:abcd::99"} {
			assert.Equal(t, http.StatusTooManyRequests, signIn(addr, "user@example.com", "user-password"), "%s is in the limited /64", addr)
		}
		assert.Equal(t, http.StatusOK, signIn("2001:db8:1:3::1", "user@example.com", "user-password"), "the next /64 is not limited")
		assert.Equal(t, http.StatusOK, signIn("192.0.2.1", "user@example.com", "user-password"), "nor is an IPv4 client")
	})
}

// TestTourRateLimitStep is the README tour's rate-limit step: six wrong
// tries for an address that is no account — five refused as wrong, the
// 6th limited for 30 seconds — and the administrator still signs in at
// once from the same address.
func TestTourRateLimitStep(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for i := range 5 {
		assert.Equal(t, http.StatusUnauthorized, c.signIn("guess@example.com", "any").StatusCode, "try %d", i+1)
	}
	r := c.signIn("guess@example.com", "any")
	assert.Equal(t, http.StatusTooManyRequests, r.StatusCode, "the 6th try")
	assert.Equal(t, "30", r.Header.Get("Retry-After"))
	assert.JSONEq(t, `{"error":"too many failed sign-in attempts; try again in 30 seconds"}`, body(t, r))
	assert.Equal(t, http.StatusOK, c.signIn("admin@example.com", "admin-password").StatusCode, "another account signs in at once")
}
