package session_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/session/keys"
	"github.com/sessionguard/sessionguard/server/store/memory"
)

// fuzzEnv is one strategy behind a Manager, with every token the test
// itself was given: the only ones that may ever load.
type fuzzEnv struct {
	name  string
	mgr   *session.Manager
	strat session.Strategy
	now   time.Time

	mu      sync.Mutex
	signed  map[string]bool // session cookie values (ids, access tokens)
	refresh map[string]bool // refresh tokens
}

func newFuzzEnvs(tb testing.TB) []*fuzzEnv {
	tb.Helper()
	now := newClock().Now()
	clockFn := func() time.Time { return now }
	var envs []*fuzzEnv

	db, err := session.NewDatabase(memory.New(), session.DefaultLifetime)
	if err != nil {
		tb.Fatal(err)
	}
	envs = append(envs, &fuzzEnv{name: "database", strat: db})

	st := memory.New()
	ks, err := keys.Load(context.Background(), keys.Config{Dir: tb.TempDir(), Store: st, Retire: 10 * time.Minute, Now: clockFn})
	if err != nil {
		tb.Fatal(err)
	}
	j, err := session.NewJWT(session.JWTConfig{Keys: ks, Store: st, RefreshKey: []byte("0123456789abcdef0123456789abcdef"), Lifetime: session.DefaultLifetime})
	if err != nil {
		tb.Fatal(err)
	}
	envs = append(envs, &fuzzEnv{name: "jwt", strat: j})

	for _, e := range envs {
		e.now = now
		e.mgr = session.New(e.strat, session.WithClock(clockFn))
		e.signed, e.refresh = map[string]bool{}, map[string]bool{}
		issued, _, err := e.strat.Issue(context.Background(), ada, session.Device{}, "aal1", now)
		if err != nil {
			tb.Fatal(err)
		}
		e.signed[issued.Token] = true
		if issued.Refresh != "" {
			e.refresh[issued.Refresh] = true
		}
	}
	return envs
}

// genuine returns the tokens the test was given.
func (e *fuzzEnv) genuine() (tokens []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for t := range e.signed {
		tokens = append(tokens, t)
	}
	for t := range e.refresh {
		tokens = append(tokens, t)
	}
	return tokens
}

// mutations returns near misses of a genuine token: each changes, adds or
// drops a little, keeping the shape.
func mutations(tok string) []string {
	out := []string{
		tok + "=", tok + "A", tok[:len(tok)-1], " " + tok, tok + " ", strings.ToUpper(tok),
		strings.ReplaceAll(strings.ReplaceAll(tok, "-", "+"), "_", "/"),
		tok[:len(tok)-1] + string(tok[len(tok)-1]^1),
		tok + "." + tok, strings.Repeat(tok, 2),
		lowBit(tok),
	}
	if parts := strings.Split(tok, "."); len(parts) == 3 {
		hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
		none := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(hdr), `"EdDSA"`, `"none"`, 1)))
		out = append(out,
			none+"."+parts[1]+".",
			parts[0]+"."+parts[1]+".",
			parts[0]+"."+parts[1]+"."+parts[2]+"==",
			parts[0]+"=."+parts[1]+"."+parts[2],
			parts[1]+"."+parts[0]+"."+parts[2],
		)
	}
	return out
}

// lowBit changes the lowest bit of the last base64url digit: the same bytes
// to a lenient decoder when those bits are padding, a different token to
// anyone comparing strings.
func lowBit(tok string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, tok[len(tok)-1])
	if i < 0 {
		return tok + "A"
	}
	return tok[:len(tok)-1] + string(alphabet[i^1])
}

// FuzzStrategyLoad feeds any string to both strategies as a session cookie
// value and as a refresh token: only a token the test was given ever loads
// a session or redeems, and nothing over MaxTokenLen is parsed at all.
func FuzzStrategyLoad(f *testing.F) {
	envs := newFuzzEnvs(f)
	f.Add("")
	f.Add("a.b.c")
	f.Add(strings.Repeat("A", 43))
	for _, e := range envs {
		for _, tok := range e.genuine() {
			f.Add(tok)
			for _, m := range mutations(tok) {
				f.Add(m)
			}
		}
	}
	f.Fuzz(func(t *testing.T, token string) {
		ctx := context.Background()
		for _, e := range envs {
			e.mu.Lock()
			genuine, genuineRefresh := e.signed[token], e.refresh[token]
			e.mu.Unlock()
			s, renewed, found, err := e.strat.Load(ctx, token, e.now)
			if err != nil {
				t.Fatalf("%s: Load(%q): %v", e.name, token, err)
			}
			if found && !genuine {
				t.Fatalf("%s: Load(%q) found a session (user %q) for a token the test was never given", e.name, token, s.User.ID)
			}
			if found && len(token) > session.MaxTokenLen {
				t.Fatalf("%s: a %d-byte token loads", e.name, len(token))
			}
			if renewed != "" {
				e.mu.Lock()
				e.signed[renewed] = true
				e.mu.Unlock()
			}
			if p, ok := e.strat.(session.Peeker); ok {
				if _, found, err := p.Peek(ctx, token, e.now); err != nil || found && !genuine {
					t.Fatalf("%s: Peek(%q) = %v, %v for a token the test was never given", e.name, token, found, err)
				}
			}
			if r, ok := e.strat.(session.Refresher); ok {
				issued, _, err := r.Refresh(ctx, token, e.now)
				if err == nil {
					if !genuineRefresh {
						t.Fatalf("%s: Refresh(%q) redeemed a refresh token the test was never given", e.name, token)
					}
					e.mu.Lock()
					e.signed[issued.Token], e.refresh[issued.Refresh] = true, true
					e.mu.Unlock()
				}
			}
		}
	})
}

// FuzzSessionCookie sends any Cookie header through the Manager, as the
// server reads it: a session loads, or a refresh succeeds, only when one of
// the header's cookies of the right name holds a token the test was given;
// a header that names no live session never yields an error.
func FuzzSessionCookie(f *testing.F) {
	envs := newFuzzEnvs(f)
	f.Add("")
	f.Add(session.CookieName + "=")
	f.Add(session.CookieName + "=x; " + session.CookieName + "=y")
	for _, e := range envs {
		for _, tok := range e.genuine() {
			f.Add(session.CookieName + "=" + tok)
			f.Add(session.RefreshCookieName + "=" + tok)
			f.Add(session.CookieName + "=" + tok + "; " + session.CookieName + "=" + tok + "x")
			f.Add(session.CookieName + "=\"" + tok + "\"")
			f.Add(strings.ToLower(session.CookieName) + "=" + tok)
			f.Add(session.CookieName + "=" + tok + strings.Repeat("A", 5000))
			for _, m := range mutations(tok) {
				f.Add(session.CookieName + "=" + m)
			}
		}
	}
	f.Fuzz(func(t *testing.T, header string) {
		for _, e := range envs {
			req := httptest.NewRequest(http.MethodGet, "/api/session", nil)
			req.Header.Set("Cookie", header)
			holds := func(name string, set map[string]bool) bool {
				e.mu.Lock()
				defer e.mu.Unlock()
				for _, ck := range req.Cookies() {
					if ck.Name == name && set[ck.Value] {
						return true
					}
				}
				return false
			}
			w := httptest.NewRecorder()
			s, err := e.mgr.Load(w, req)
			if err != nil {
				t.Fatalf("%s: Load with Cookie %q: %v", e.name, header, err)
			}
			if s != nil && !holds(session.CookieName, e.signed) {
				t.Fatalf("%s: Cookie %q loads a session (user %q) without a token the test was given", e.name, header, s.User.ID)
			}
			if !e.mgr.Refreshes() {
				continue
			}
			w = httptest.NewRecorder()
			if s, err := e.mgr.Refresh(w, req); err == nil {
				if !holds(session.RefreshCookieName, e.refresh) {
					t.Fatalf("%s: Cookie %q refreshes a session (user %q) without a refresh token the test was given", e.name, header, s.User.ID)
				}
				e.mu.Lock()
				for _, ck := range w.Result().Cookies() {
					switch ck.Name {
					case session.CookieName:
						e.signed[ck.Value] = true
					case session.RefreshCookieName:
						e.refresh[ck.Value] = true
					}
				}
				e.mu.Unlock()
			}
		}
	})
}
