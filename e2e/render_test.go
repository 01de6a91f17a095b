package e2e

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wire"
)

// subscribersJS subscribes three onChange listeners: always stays
// subscribed, never is unsubscribed before anything changes, and once is
// unsubscribed by the test after the first change.
const subscribersJS = `window.__subs = { always: [], never: [], once: [] };
sessionguard.onChange((s) => __subs.always.push(s));
sessionguard.onChange((s) => __subs.never.push(s))();
window.__offOnce = sessionguard.onChange((s) => __subs.once.push(s));`

type subscribers struct {
	Always []*wire.Session `json:"always"`
	Never  []*wire.Session `json:"never"`
	Once   []*wire.Session `json:"once"`
}

// TestPerUserElements: data-sg-show, data-sg-role and data-sg-text follow
// the session through sign-in and sign-out; sessionguard:change carries
// the session, then null; onChange listeners get the same until they
// unsubscribe.
func TestPerUserElements(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)
		tb.load("/")

		anonymous := func() {
			t.Helper()
			assert.True(t, tb.visible("#nav-signin"), "anonymous: sign-in link shown")
			assert.True(t, tb.visible("#signin-email"), "anonymous: sign-in form shown")
			assert.False(t, tb.visible("#nav-dashboard"), "anonymous: dashboard link hidden")
			assert.False(t, tb.visible("#nav-admin"), "anonymous: admin link hidden")
			assert.False(t, tb.visible("#signout"), "anonymous: sign-out hidden")
			assert.Equal(t, "", tb.text("#who-name"))
		}
		anonymous()

		tb.run(subscribersJS)
		tb.signIn(demoUser)
		tb.waitPath("/dashboard")
		tb.waitFor(`__subs.always.length > 0`, "onChange listeners are called")

		assert.True(t, tb.visible("#nav-dashboard"), "user: dashboard link shown")
		assert.True(t, tb.visible("#signout"), "user: sign-out shown")
		assert.False(t, tb.visible("#nav-signin"), "user: sign-in link hidden")
		assert.False(t, tb.visible("#nav-admin"), "user: admin link hidden for role user")
		assert.Equal(t, demoUser.Name, tb.text("#who-name"))
		assert.Equal(t, demoUser.Role, tb.text(`.who [data-sg-text="user.role"]`))
		s := tb.session()
		require.NotNil(t, s)
		assert.Equal(t, s.User.ID, tb.text("#dash-id"))
		// The module writes RFC 3339; the demo shows it in the reader's
		// locale and keeps it in datetime.
		tb.waitFor(`document.getElementById('dash-expires').getAttribute('datetime') === `+jsString(s.Expires.String()), "the expiry is shown")
		assert.Equal(t, evalJS[string](tb, `new Intl.DateTimeFormat(undefined, {dateStyle: 'medium', timeStyle: 'short'}).format(new Date(`+jsString(s.Expires.String())+`))`),
			tb.text("#dash-expires"), "in the reader's locale")
		assert.Equal(t, "page", evalJS[string](tb, `document.getElementById('nav-dashboard').getAttribute('aria-current') || ''`), "the nav marks the page shown")
		assert.Equal(t, "", evalJS[string](tb, `document.getElementById('nav-home').getAttribute('aria-current') || ''`))

		changes := tb.events("change")
		require.NotEmpty(t, changes)
		var first *wire.Session
		require.NoError(t, json.Unmarshal(changes[0].Detail, &first))
		require.NotNil(t, first, "sessionguard:change carries the session on sign-in")
		assert.Equal(t, demoUser.Email, first.User.Email)

		tb.run(`__offOnce(); __offOnce()`) // a second call is harmless
		subs := evalJS[subscribers](tb, `__subs`)
		require.NotEmpty(t, subs.Always)
		assert.Equal(t, demoUser.Email, subs.Always[0].User.Email)
		assert.Empty(t, subs.Never, "unsubscribed before any change")
		nOnce := len(subs.Once)
		assert.Positive(t, nOnce)

		tb.clearEvents()
		tb.click("#signout")
		tb.waitPath("/")
		tb.waitFor(`sessionguard.session() === null`, "the session is gone")
		tb.waitView("/")
		anonymous()
		tb.waitFor(`!document.getElementById('signout-message').hidden`, "the sign-out is confirmed")
		assert.Equal(t, "You are signed out on this device.", tb.text("#signout-message"))

		changes = tb.events("change")
		require.Len(t, changes, 1)
		assert.JSONEq(t, "null", string(changes[0].Detail), "sessionguard:change carries null on sign-out")
		subs = evalJS[subscribers](tb, `__subs`)
		assert.Nil(t, subs.Always[len(subs.Always)-1], "onChange gets null on sign-out")
		assert.Len(t, subs.Once, nOnce, "no call after unsubscribe")
		assert.Empty(t, subs.Never)

		tb.signIn(demoAdmin)
		tb.waitPath("/dashboard")
		tb.waitFor(`document.querySelector('#who-name').textContent === `+jsString(demoAdmin.Name), "the admin's name is shown")
		assert.True(t, tb.visible("#nav-admin"), "admin: admin link shown")
		assert.Equal(t, demoAdmin.Role, tb.text("#dash-role"))
		assert.False(t, tb.visible("#signout-message"), "the sign-out notice goes with the next sign-in")
	})
}

// TestNameIsTextNotHTML: a name that is markup is shown as text, from the
// module's sign-in and from the session the server embeds in a full load.
func TestNameIsTextNotHTML(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)
		tb.signInAt("/", htmlUser)
		tb.waitPath("/dashboard")

		check := func(when string) {
			t.Helper()
			names := evalJS[[]string](tb, `[...document.querySelectorAll('[data-sg-text="user.name"]')].map(el => el.textContent)`)
			require.NotEmpty(t, names)
			for _, n := range names {
				assert.Equal(t, htmlUser.Name, n, when)
			}
			assert.Equal(t, 0, evalJS[int](tb, `document.querySelectorAll('[data-sg-text] *').length`), "%s: no element inside a data-sg-text element", when)
			assert.Equal(t, 0, evalJS[int](tb, `document.querySelectorAll('img').length`), "%s: no img in the page", when)
			assert.True(t, evalJS[bool](tb, `window.__xss === undefined`), "%s: the markup did not run", when)
		}
		check("after sign-in")

		tb.load("/dashboard")
		tb.waitView("/dashboard")
		assert.Equal(t, htmlUser.Name, tb.session().User.Name)
		check("after a full load")
	})
}
