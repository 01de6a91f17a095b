package session_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store/memory"
)

// bearerRequest is a request with an Authorization header of value auth.
func bearerRequest(auth string) *http.Request {
	r := httptest.NewRequest("GET", "/api/session", nil)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	return r
}

// A bearer-mode read of a jwt access token holds the rolling extension and
// writes nothing, however long after its issue: the client renews with its
// refresh token. (A cookie read past the update age re-issues and writes.)
func TestJWTBearerReadsDoNotReissue(t *testing.T) {
	cs := &countingStore{Store: memory.New()}
	e := newJWTOn(t, cs, session.DefaultLifetime)
	m := session.New(e.j, session.WithClock(e.clock.Now), session.WithBearer())

	signIn := httptest.NewRequest("POST", "/api/auth/token", nil)
	w := httptest.NewRecorder()
	s, err := m.SignIn(w, signIn.WithContext(session.ForBearer(signIn.Context())), ada, "aal1")
	require.NoError(t, err)
	assert.Empty(t, w.Result().Cookies(), "a bearer sign-in set cookies")
	require.NotNil(t, s.Issued)
	require.NotEmpty(t, s.Issued.Token)
	require.NotEmpty(t, s.Issued.Refresh)

	for range 2 { // within the token's five minutes
		e.clock.Add(2 * time.Minute) // past the one-minute update age each time
		w = httptest.NewRecorder()
		got, err := m.Load(w, bearerRequest("Bearer "+s.Issued.Token))
		require.NoError(t, err)
		require.NotNil(t, got)
		assert.Equal(t, e.clock.Now().Add(30*time.Minute), got.Expires, "the idle expiry moves on each read")
		assert.Empty(t, w.Result().Cookies())
	}
	assert.Zero(t, cs.touches.Load(), "a bearer read wrote the session record")

	// The same token as a cookie is renewed: the store is written.
	cookieMgr := session.New(e.j, session.WithClock(e.clock.Now))
	r := httptest.NewRequest("GET", "/api/session", nil)
	r.AddCookie(&http.Cookie{Name: session.CookieName, Value: s.Issued.Token})
	w = httptest.NewRecorder()
	got, err := cookieMgr.Load(w, r)
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Len(t, w.Result().Cookies(), 1, "a cookie read past the update age renews")
	assert.Equal(t, int64(1), cs.touches.Load())
}

// Which Authorization headers are bearer tokens, and what a mixed request
// reads.
func TestManagerBearerCredential(t *testing.T) {
	c := newClock()
	d, _ := newDB(t, session.DefaultLifetime)
	m := session.New(d, session.WithClock(c.Now), session.WithBearer())
	signIn := httptest.NewRequest("POST", "/api/auth/token", nil)
	s, err := m.SignIn(httptest.NewRecorder(), signIn.WithContext(session.ForBearer(signIn.Context())), ada, "aal1")
	require.NoError(t, err)
	require.NotNil(t, s.Issued)
	token := s.Issued.Token
	assert.Empty(t, s.Issued.Refresh, "the database strategy has no refresh token")

	for _, tc := range []struct {
		auth      string
		signedIn  bool
		bearerReq bool
	}{
		{"Bearer " + token, true, true},
		{"bearer " + token, true, true}, // the scheme in any case
		{"BEARER  " + token + " ", true, true},
		{"Basic " + token, false, false},
		{token, false, false},
		{"Bearer", false, false},
		{"Bearer ", false, false}, // no token: no bearer token
		{"Bearer " + token + "x", false, true},
		{"Bearer " + strings.Repeat("a", session.MaxTokenLen+1), false, true},
		{"", false, false},
	} {
		r := bearerRequest(tc.auth)
		got, err := m.Load(httptest.NewRecorder(), r)
		require.NoError(t, err, tc.auth)
		assert.Equal(t, tc.signedIn, got != nil, "%q", tc.auth)
		assert.Equal(t, tc.bearerReq, m.IsBearer(r), "%q", tc.auth)
		assert.False(t, m.Mixed(r))
	}

	// With the session cookie as well, neither is read.
	r := bearerRequest("Bearer " + token)
	r.AddCookie(&http.Cookie{Name: session.CookieName, Value: token})
	assert.True(t, m.Mixed(r))
	got, err := m.Load(httptest.NewRecorder(), r)
	require.NoError(t, err)
	assert.Nil(t, got, "a mixed request was read")
	// The cookie alone still works, and without bearer mode the header is
	// no credential at all.
	r = httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: session.CookieName, Value: token})
	got, err = m.Load(httptest.NewRecorder(), r)
	require.NoError(t, err)
	assert.NotNil(t, got)
	off := session.New(d, session.WithClock(c.Now))
	got, err = off.Load(httptest.NewRecorder(), bearerRequest("Bearer "+token))
	require.NoError(t, err)
	assert.Nil(t, got, "a bearer token read without bearer mode")
	assert.False(t, off.IsBearer(bearerRequest("Bearer "+token)))

	// Sign-out by bearer token ends the session and touches no cookie.
	w := httptest.NewRecorder()
	require.NoError(t, m.SignOut(w, bearerRequest("Bearer "+token)))
	assert.Empty(t, w.Result().Cookies())
	got, err = m.Load(httptest.NewRecorder(), bearerRequest("Bearer "+token))
	require.NoError(t, err)
	assert.Nil(t, got, "the session outlived its bearer sign-out")
}
