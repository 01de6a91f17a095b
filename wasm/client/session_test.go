package client_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wire"
)

func TestBootFromEmbeddedTags(t *testing.T) {
	h := start(t, as(userSession), at("/dashboard"))
	assert.True(t, h.c.Ready())
	assert.Equal(t, userSession, h.c.Session())
	assert.Empty(t, h.b.requests, "no request at boot")
	assert.Equal(t, []string{"view-dashboard"}, h.visible(views...))
	assert.Equal(t, "Demo User", h.b.byID("name").Text())
	idx, ok := h.b.HistoryIndex()
	assert.True(t, ok, "the entry got an index")
	assert.Zero(t, idx)
	assert.Empty(t, h.b.eventsNamed(client.EventChange), "boot is no change")
}

func TestBootKeepsHistoryIndex(t *testing.T) {
	h, _ := newPage(t, as(userSession))
	h.b.entries[0].index, h.b.entries[0].has = 7, true
	h.boot()
	require.True(t, h.wait(h.c.Goto("/", false)))
	idx, _ := h.b.HistoryIndex()
	assert.Equal(t, 8, idx)
}

func TestBootFallsBackToAPI(t *testing.T) {
	tests := []struct {
		name     string
		embedded map[string]string
		config   func(client.Request) (*client.Response, error)
		session  func(client.Request) (*client.Response, error)
		want     *wire.Session
		err      error
		requests int
	}{
		{"no tags", nil, answer(200, defaultConfig()), answer(200, mustJSON(userSession)), userSession, nil, 2},
		{"no tags, null session", nil, answer(200, defaultConfig()), answer(200, `null`), nil, nil, 2},
		{"broken tags", map[string]string{client.ElemConfigID: "{", client.ElemSessionID: `{"user":1}`}, answer(200, defaultConfig()), answer(200, `null`), nil, nil, 2},
		{"config only embedded", map[string]string{client.ElemConfigID: defaultConfig()}, nil, answer(200, `null`), nil, nil, 1},
		{"config fails", nil, networkError, nil, nil, client.ErrNetwork, 1},
		{"config 500", nil, answer(500, `{"error":"x"}`), nil, nil, client.ErrBadResponse, 1},
		{"config bad pattern", nil, answer(200, `{"publicPaths":["public"],"adminPaths":[]}`), nil, nil, client.ErrBadConfig, 1},
		{"config bad list", nil, answer(200, `{"publicPaths":"/","adminPaths":[]}`), nil, nil, client.ErrBadConfig, 1},
		{"session fails", nil, answer(200, defaultConfig()), networkError, nil, client.ErrNetwork, 2},
		{"session malformed", nil, answer(200, defaultConfig()), answer(200, `{"user":{"id":"x","role":"user"},"expires":"soon"}`), nil, client.ErrBadSession, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newPage(t, func(s *setup) { s.noEmbedded = true })
			for k, v := range tt.embedded {
				h.b.embedded[k] = v
			}
			if tt.config != nil {
				h.b.handle(wire.PathConfig, tt.config)
			}
			if tt.session != nil {
				h.b.handle(wire.PathSession, tt.session)
			}
			h.c = client.New(h.b, h.clock)
			err := h.c.Boot()
			assert.Len(t, h.b.requests, tt.requests)
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
				assert.False(t, h.c.Ready())
				assert.False(t, h.wait(h.c.Goto("/public", false)), "nothing works before boot")
				assert.False(t, h.c.IsPublic("/public"), "false before boot")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, h.c.Session())
			assert.True(t, h.c.IsPublic("/public"))
		})
	}
}

func TestBootDropsExpiredSession(t *testing.T) {
	s := *userSession
	s.Expires = wireTime(t0.Add(-time.Second))
	h := start(t, as(&s), at("/dashboard"))
	assert.Nil(t, h.c.Session())
	assert.Equal(t, "/?callbackUrl=%2Fdashboard", h.b.url())
}

func TestExpiryOnProtectedView(t *testing.T) {
	h := start(t, as(userSession), at("/dashboard?tab=2"))
	var got []*wire.Session
	h.c.OnChange(func(s *wire.Session) { got = append(got, s) })
	h.clock.Advance(30*time.Minute - time.Millisecond)
	assert.Equal(t, userSession, h.c.Session(), "not yet")
	assert.Equal(t, "/dashboard?tab=2", h.b.url())
	h.clock.Advance(time.Millisecond)
	assert.Nil(t, h.c.Session())
	assert.Equal(t, []*wire.Session{nil}, got)
	assert.Equal(t, []any{(*wire.Session)(nil)}, h.b.eventsNamed(client.EventChange))
	assert.Equal(t, "/?callbackUrl=%2Fdashboard%3Ftab%3D2", h.b.url())
	assert.Equal(t, []string{"/dashboard?tab=2", "/?callbackUrl=%2Fdashboard%3Ftab%3D2"}, h.b.history())
	assert.Equal(t, []string{"view-home"}, h.visible(views...))
	assert.Equal(t, []string{"signed-out"}, h.visible("signed-in", "signed-out"))
	assert.Empty(t, h.b.requests, "expiry needs no request")
	assert.Empty(t, h.b.broadcasts, "each tab follows its own clock")
}

func TestExpiryOnPublicView(t *testing.T) {
	h := start(t, as(userSession), at("/public"))
	h.clock.Advance(31 * time.Minute)
	assert.Nil(t, h.c.Session())
	assert.Equal(t, []string{"/public"}, h.b.history(), "stays")
	assert.Len(t, h.b.eventsNamed(client.EventChange), 1)
}

func TestActivityPostponesExpiry(t *testing.T) {
	h := start(t, as(userSession), at("/dashboard"))
	h.clock.Advance(20 * time.Minute)
	h.b.handle(wire.PathStatus, signedIn(wireTime(h.clock.Now().Add(30*time.Minute))))
	require.True(t, h.wait(h.c.Goto("/dashboard?x", false)))
	h.clock.Advance(20 * time.Minute)
	assert.NotNil(t, h.c.Session(), "the status check moved the expiry")
	assert.Equal(t, "10:00", h.b.byID("countdown").Text())
	h.clock.Advance(10 * time.Minute)
	assert.Nil(t, h.c.Session())
}

func TestOnChangeSubscribeUnsubscribe(t *testing.T) {
	h := start(t, as(userSession))
	var a, b []*wire.Session
	offA := h.c.OnChange(func(s *wire.Session) { a = append(a, s) })
	offB := h.c.OnChange(func(s *wire.Session) { b = append(b, s) })
	h.b.handle(wire.PathSignOut, answer(200, `{"redirectUrl":"/"}`))
	require.True(t, h.c.SignOut("").OK)
	offA()
	offA() // twice is fine
	h.b.handle(wire.PathSignIn, answer(200, `{"session":`+mustJSON(adminSession)+`,"redirectUrl":"/"}`))
	require.True(t, h.c.SignIn("admin@example.com", "admin-password", "/").OK)
	offB()
	h.clock.Advance(time.Hour)
	assert.Equal(t, []*wire.Session{nil}, a)
	assert.Equal(t, []*wire.Session{nil, adminSession}, b)
}

func TestBroadcastFromOtherTab(t *testing.T) {
	h := start(t, as(userSession), at("/dashboard"))
	later := *userSession
	later.Expires = wireTime(timeOf(later.Expires).Add(time.Minute))
	h.c.HandleBroadcast(mustValue(`{"session":` + mustJSON(&later) + `}`))
	assert.Equal(t, &later, h.c.Session())
	assert.Empty(t, h.b.broadcasts, "not echoed")

	h.c.HandleBroadcast(mustValue(`{"session":{"user":"bad"}}`))
	assert.Equal(t, &later, h.c.Session(), "malformed messages are ignored")
	h.c.HandleBroadcast(nil)
	assert.Equal(t, &later, h.c.Session())

	h.c.HandleBroadcast(mustValue(`{"session":null}`))
	assert.Nil(t, h.c.Session())
	assert.Equal(t, "/?callbackUrl=%2Fdashboard", h.b.url(), "signed out elsewhere: leave the protected view")
}

func TestRefresh(t *testing.T) {
	tests := []struct {
		name   string
		answer func(client.Request) (*client.Response, error)
		want   *wire.Session
		url    string
		err    error
	}{
		{"still signed in", answer(200, mustJSON(userSession)), userSession, "/dashboard", nil},
		{"signed out", answer(200, `null`), nil, "/?callbackUrl=%2Fdashboard", nil},
		{"other user", answer(200, mustJSON(adminSession)), adminSession, "/dashboard", nil},
		{"network error", networkError, userSession, "/dashboard", client.ErrNetwork},
		{"server error", answer(503, `{"error":"down"}`), userSession, "/dashboard", client.ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, as(userSession), at("/dashboard"))
			h.b.handle(wire.PathSession, tt.answer)
			s, err := h.c.Refresh()
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
			} else {
				assert.NoError(t, err)
			}
			assert.Equal(t, tt.want, s)
			assert.Equal(t, tt.want, h.c.Session())
			assert.Equal(t, tt.url, h.b.url())
		})
	}
}

func TestErrorsWrap(t *testing.T) {
	h, _ := newPage(t, func(s *setup) { s.noEmbedded = true })
	h.b.handle(wire.PathConfig, networkError)
	err := client.New(h.b, h.clock).Boot()
	require.Error(t, err)
	assert.True(t, errors.Is(err, client.ErrNetwork))
	assert.Equal(t, "network error: TypeError: Failed to fetch", err.Error())
}

func TestFetchTimeout(t *testing.T) {
	h, _ := newPage(t, as(userSession))
	h.b.handle(wire.PathStatus, signedIn(userSession.Expires))
	h.c = client.New(h.b, h.clock, client.WithFetchTimeout(ms(3*time.Second)))
	require.NoError(t, h.c.Boot())
	require.True(t, h.wait(h.c.Goto("/dashboard", false)))
	assert.Equal(t, ms(3*time.Second), h.b.lastRequest().Timeout)
}

func TestTickCatchesUpAfterHiddenTab(t *testing.T) {
	h := start(t, as(userSession), at("/dashboard"))
	h.clock.set(t0.Add(10 * time.Minute)) // timers held back
	assert.Equal(t, "30:00", h.b.byID("countdown").Text())
	h.c.Tick()
	assert.Equal(t, "20:00", h.b.byID("countdown").Text())
	h.clock.set(t0.Add(31 * time.Minute))
	h.c.Tick()
	assert.Nil(t, h.c.Session())
	assert.Equal(t, "/?callbackUrl=%2Fdashboard", h.b.url())
	h.c.Tick() // nothing left to do
	assert.Len(t, h.b.eventsNamed(client.EventChange), 1)
}
