package client_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wire"
)

func TestRenderVisibility(t *testing.T) {
	tests := []struct {
		name    string
		sess    *wire.Session
		url     string
		visible []string
	}{
		{"anonymous home", nil, "/", []string{"nav-home", "view-home", "signed-out"}},
		{"anonymous public", nil, "/public/", []string{"nav-home", "view-public", "signed-out"}},
		{"user dashboard", userSession, "/dashboard", []string{"nav-home", "nav-dashboard", "view-dashboard", "signed-in"}},
		{"admin admin", adminSession, "/admin", []string{"nav-home", "nav-dashboard", "nav-admin", "view-admin", "signed-in"}},
		{"user on admin path sees no admin view", userSession, "/admin/x", []string{"nav-home", "nav-dashboard", "signed-in"}},
		{"unknown path", userSession, "/nope", []string{"nav-home", "nav-dashboard", "view-missing", "signed-in"}},
		{"uncleanable path", userSession, "/%zz", []string{"nav-home", "nav-dashboard", "view-missing", "signed-in"}},
		{"encoded path", nil, "/%70ublic", []string{"nav-home", "view-public", "signed-out"}},
		{"case matters", userSession, "/Dashboard", []string{"nav-home", "nav-dashboard", "view-missing", "signed-in"}},
	}
	all := append([]string{"nav-home", "nav-dashboard", "nav-admin"}, append(views, "signed-in", "signed-out")...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newPage(t)
			client.Render(h.b, tt.sess, tt.url, clockTime(t0))
			assert.Equal(t, tt.visible, h.visible(all...))
		})
	}
}

func TestRenderAttributeEdgeCases(t *testing.T) {
	h, _ := newPage(t)
	odd := h.b.add(nil, "P", "id", "odd", "data-sg-show", "sometimes")
	both := h.b.add(nil, "P", "id", "both", "data-sg-show", "authenticated", "data-sg-role", "admin")
	roles := h.b.add(nil, "P", "id", "roles", "data-sg-role", "editor user")
	badRoute := h.b.add(nil, "P", "id", "bad-route", "data-sg-route", "dashboard")
	prefix := h.b.add(nil, "P", "id", "prefix", "data-sg-route", "/dash/*")
	other := h.b.add(nil, "SPAN", "id", "other", "data-sg-text", "user.password")
	other.text = "untouched"

	client.Render(h.b, userSession, "/dash/board", clockTime(t0))
	assert.True(t, odd.Hidden(), "unknown data-sg-show value hides")
	assert.True(t, both.Hidden(), "every attribute must allow")
	assert.False(t, roles.Hidden(), "a role list")
	assert.True(t, badRoute.Hidden(), "an invalid pattern never shows")
	assert.False(t, prefix.Hidden())
	assert.True(t, h.b.byID("view-missing").Hidden(), "a route matched")
	assert.Equal(t, "untouched", other.Text(), "unknown keys are left alone")

	client.Render(h.b, adminSession, "/dash", clockTime(t0))
	assert.False(t, both.Hidden())
	assert.True(t, roles.Hidden())
}

func TestRenderTextIsText(t *testing.T) {
	evil := *userSession
	evil.User.Name = `<img src=x onerror=alert(1)>`
	evil.User.Email = `"><script>alert(2)</script>`
	h, _ := newPage(t)
	client.Render(h.b, &evil, "/dashboard", clockTime(t0))
	assert.Equal(t, `<img src=x onerror=alert(1)>`, h.b.byID("name").Text())
	assert.Equal(t, `"><script>alert(2)</script>`, h.b.byID("email").Text())
	assert.Equal(t, "user", h.b.byID("role").Text())
	assert.Equal(t, "u1", h.b.byID("uid").Text())
	assert.Equal(t, "2026-11-23T16:41:44Z", h.b.byID("expires").Text())
	assert.Equal(t, "30:00", h.b.byID("countdown").Text())

	client.Render(h.b, nil, "/", clockTime(t0))
	for _, id := range []string{"name", "email", "role", "uid", "expires", "countdown"} {
		assert.Empty(t, h.b.byID(id).Text(), id)
	}
}

func TestElementsAddedLaterAreRendered(t *testing.T) {
	h := start(t)
	late := h.b.add(nil, "SPAN", "id", "late", "data-sg-text", "user.email")
	lateView := h.b.add(nil, "DIV", "id", "late-view", "data-sg-show", "authenticated")
	h.b.handle(wire.PathSession, answer(200, mustJSON(userSession)))
	_, err := h.c.Refresh()
	require.NoError(t, err)
	assert.Equal(t, "user@example.com", late.Text())
	assert.False(t, lateView.Hidden())
}

func TestFormatCountdown(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "00:00"},
		{0, "00:00"},
		{time.Millisecond, "00:01"},
		{time.Second, "00:01"},
		{59 * time.Second, "00:59"},
		{30 * time.Minute, "30:00"},
		{30*time.Minute - 400*time.Millisecond, "30:00"},
		{30*time.Minute - time.Second, "29:59"},
		{time.Hour - time.Second, "59:59"},
		{time.Hour, "1:00:00"},
		{12*time.Hour + 34*time.Minute + 56*time.Second, "12:34:56"},
		{100 * time.Hour, "100:00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.d.String(), func(t *testing.T) {
			assert.Equal(t, tt.want, client.FormatCountdown(ms(tt.d)))
		})
	}
}

func TestCountdownTicks(t *testing.T) {
	h := start(t, as(userSession), at("/dashboard"))
	cd := h.b.byID("countdown")
	assert.Equal(t, "30:00", cd.Text())
	h.clock.Advance(time.Second)
	assert.Equal(t, "29:59", cd.Text())
	h.clock.Advance(61 * time.Second)
	assert.Equal(t, "28:58", cd.Text())
	h.clock.Advance(28*time.Minute + 57*time.Second)
	assert.Equal(t, "00:01", cd.Text())
	assert.Equal(t, userSession, h.c.Session())
	h.clock.Advance(time.Second)
	assert.Equal(t, "", cd.Text())
	assert.Nil(t, h.c.Session())
	assert.Zero(t, h.clock.pending(), "no timer without a session")
}

func TestCountdownFollowsFractionalExpiry(t *testing.T) {
	s := *userSession
	s.Expires = wireTime(t0.Add(90*time.Second + 300*time.Millisecond))
	h := start(t, as(&s))
	cd := h.b.byID("countdown")
	assert.Equal(t, "01:31", cd.Text())
	h.clock.Advance(299 * time.Millisecond)
	assert.Equal(t, "01:31", cd.Text())
	h.clock.Advance(time.Millisecond)
	assert.Equal(t, "01:30", cd.Text(), "changes right on the second")
}
