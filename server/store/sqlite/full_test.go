package sqlite_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/store/sqlite"
	"github.com/sessionguard/sessionguard/server/users"
)

// TestFullDatabase: when the database cannot grow, as on a full disk, a
// sign-in answers 503 (never 500) and the log says why; sessions already
// signed in keep reading; the file stays intact; and sign-ins work again
// once there is room. The database is made full with PRAGMA
// max_page_count on the server's writer, which fails every write needing a
// new page with SQLITE_FULL, the error a full disk gives, on any machine
// and without privileges. (TestFullDisk in package main fills a real small
// tmpfs where the machine lets a test mount one.)
func TestFullDatabase(t *testing.T) {
	for _, strategy := range []string{"database", "jwt"} {
		t.Run(strategy, func(t *testing.T) {
			ctx := t.Context()
			s := open(t)
			defer s.Close()
			var logs lockedBuffer
			srv, err := app.New(ctx, app.Options{
				Store: s, Strategy: strategy,
				Logger:         slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
				PasswordParams: users.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
				Accounts:       []users.NewAccount{{Email: "ada@example.com", Name: "Ada", Role: users.RoleUser, Password: "analytical-1843"}},
			})
			require.NoError(t, err)
			defer srv.Close()
			hs := httptest.NewServer(srv.Handler())
			defer hs.Close()

			code, cookie := fullSignIn(t, hs.URL)
			require.Equal(t, http.StatusOK, code)

			took, restore, err := sqlite.LimitPages(ctx, s, 1) // as many as it has
			require.NoError(t, err)
			t.Logf("the database may have no more than its %d pages", took)
			// Filled until a write fails; a sign-in may still find room in
			// a page, as on a nearly full disk, so fill again after each
			// one that does, until one is refused.
			refused := 0
			for attempt := 0; attempt < 50 && refused == 0; attempt++ {
				fill(t, s)
				switch code, _ := fullSignIn(t, hs.URL); code {
				case http.StatusOK:
				case http.StatusServiceUnavailable:
					refused++
				default:
					t.Fatalf("sign-in on a full database answered %d, want 503 (or 200 while a page has room)", code)
				}
			}
			require.Equal(t, 1, refused, "no sign-in was refused on a full database")
			assert.Regexp(t, `level=ERROR .*database or disk is full`, logs.String(), "the log says why")
			assert.Contains(t, logs.String(), "path=/api/auth/signin status=503")
			assert.JSONEq(t, `{"status":200}`, fullStatus(t, hs.URL, cookie), "a signed-in session still reads")
			assertIntegrity(t, s.Path())

			require.NoError(t, restore(), "room again")
			code, _ = fullSignIn(t, hs.URL)
			assert.Equal(t, http.StatusOK, code, "sign-in works again")
			assertIntegrity(t, s.Path())
		})
	}
}

// fill writes sessions until the database is full.
func fill(t *testing.T, s *sqlite.Store) {
	t.Helper()
	t0 := time.Now()
	for i := range 10_000 {
		err := s.CreateSession(t.Context(), session("filler", t0))
		if err == nil {
			continue
		}
		require.ErrorContains(t, err, "database or disk is full", "after %d sessions", i)
		return
	}
	t.Fatal("the database never filled")
}

// fullSignIn signs in as the test's account: the status code, and the
// session cookie on success.
func fullSignIn(t *testing.T, base string) (int, *http.Cookie) {
	t.Helper()
	resp, err := http.Post(base+"/api/auth/signin", "application/json",
		strings.NewReader(`{"email":"ada@example.com","password":"analytical-1843"}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		require.NoError(t, json.Unmarshal(b, &e), "%s", b)
		assert.NotEmpty(t, e.Error, "an error answer says what happened")
		return resp.StatusCode, nil
	}
	return resp.StatusCode, resp.Cookies()[0]
}

// fullStatus is the session status answer for cookie.
func fullStatus(t *testing.T, base string, cookie *http.Cookie) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), "GET", base+"/api/get-session-status", nil)
	req.AddCookie(cookie)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// lockedBuffer is a bytes.Buffer for the log, written by the server's
// goroutines and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
