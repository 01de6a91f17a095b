package e2e

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSignInFromGuardedPage: an anonymous full load of /dashboard is
// redirected by the server to the sign-in page with the callback, which
// shows the form and a notice; signing in through the form lands on
// /dashboard client-side, with the user's details and a countdown.
func TestSignInFromGuardedPage(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := startServer(t, c)
		code, loc := srv.rawGet("/dashboard", nil)
		require.Equal(t, http.StatusSeeOther, code)
		assert.Equal(t, "/?callbackUrl="+url.QueryEscape("/dashboard"), loc)

		tb := newTab(t, srv)
		tb.load("/dashboard")
		assert.Equal(t, "/?callbackUrl=%2Fdashboard", tb.path())
		tb.waitView("/")
		assert.True(t, tb.visible("#signin-email"), "the sign-in form is shown")
		assert.True(t, tb.visible("#signin-notice"), "a notice says why")
		assert.Contains(t, tb.text("#signin-notice"), "/dashboard")
		assert.Nil(t, tb.session())

		tb.run(`window.__marker = 1`)
		tb.signIn(demoUser)
		tb.waitPath("/dashboard")
		tb.waitView("/dashboard")
		assert.Equal(t, 1, evalJS[int](tb, `window.__marker`), "no page load: the module navigated in the page")
		assert.Equal(t, demoUser.Name, tb.text("#dash-name"))
		assert.Equal(t, demoUser.Email, tb.text("#dash-email"))
		assert.Equal(t, demoUser.Role, tb.text("#dash-role"))
		assert.Regexp(t, `^\d{2}:\d{2}$|^\d+:\d{2}:\d{2}$`, tb.text("#dash-countdown"))
		s := tb.session()
		require.NotNil(t, s)
		assert.Equal(t, demoUser.Email, s.User.Email)
		assert.Equal(t, demoUser.Name, s.User.Name)
		assert.Equal(t, demoUser.Role, s.User.Role)
		assert.NotEmpty(t, s.User.ID)
		assert.NotNil(t, tb.cookie(), "the browser holds the session cookie")
	})
}
