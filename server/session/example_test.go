package session_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/wire"
)

// A Manager with the database strategy on the memory store: sign-in issues a
// session and sets its cookie, every request loads it and rolls its idle
// expiry forward, sign-out ends it.
func Example() {
	strategy, err := session.NewDatabase(memory.New(), session.DefaultLifetime) // 30 min idle, 12 h cap
	if err != nil {
		log.Fatal(err)
	}
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var elapsed atomic.Int64 // the example's clock, moved by hand below
	clock := func() time.Time { return start.Add(time.Duration(elapsed.Load())) }
	m := session.New(strategy,
		session.WithClock(clock),
		session.WithCookie(session.CookieConfig{Insecure: true}), // plain http in this example
	)

	mux := http.NewServeMux()
	mux.HandleFunc("POST /signin", func(w http.ResponseWriter, r *http.Request) {
		// The password has been checked here.
		ada := wire.User{ID: "u1", Email: "ada@example.com", Name: "Ada", Role: "user"}
		if _, err := m.SignIn(w, r, ada, "aal1"); err != nil {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("POST /signout", func(w http.ResponseWriter, r *http.Request) {
		if err := m.SignOut(w, r); err != nil {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		s, err := m.Load(w, r)
		switch {
		case err != nil: // the store failed: fail closed
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		case s == nil:
			http.Error(w, "signed out", http.StatusUnauthorized)
		default:
			fmt.Fprintf(w, "%s until %s", s.User.Name, s.Expires.Format(time.TimeOnly))
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	do := func(method, path string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		line := fmt.Sprintf("%s %s %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
		fmt.Println(strings.TrimSpace(line))
	}
	do("GET", "/me")
	do("POST", "/signin")
	do("GET", "/me")
	elapsed.Add(int64(10 * time.Minute))
	do("GET", "/me") // the read rolled the idle expiry forward
	do("POST", "/signout")
	do("GET", "/me")
	// Output:
	// GET /me 401 signed out
	// POST /signin 200
	// GET /me 200 Ada until 12:30:00
	// GET /me 200 Ada until 12:40:00
	// POST /signout 200
	// GET /me 401 signed out
}
