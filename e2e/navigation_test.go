package e2e

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/policy/policytest"
)

// clickRecorderJS records, for every click, whether something (the module)
// prevented the browser's default action, and then prevents it itself so
// the test page stays where it is. It is added after the module started,
// so it runs after the module's listener on window.
const clickRecorderJS = `window.__clicks = [];
addEventListener('click', (e) => { window.__clicks.push(e.defaultPrevented); e.preventDefault(); });`

// TestLinkClicksNavigateInPage: plain clicks on same-origin links change
// the URL and the view without loading a page; modifier clicks and links
// that open elsewhere are left to the browser.
func TestLinkClicksNavigateInPage(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)
		tb.signInAt("/", demoUser)
		tb.waitPath("/dashboard")
		tb.run(`window.__marker = 1`)
		tb.clearEvents()

		for _, step := range []struct{ link, path, view string }{
			{"#nav-public", "/public", "/public"},
			{"#nav-dashboard", "/dashboard", "/dashboard"},
			{"#nav-home", "/", "/"},
			{"#nav-dashboard", "/dashboard", "/dashboard"},
		} {
			tb.click(step.link)
			tb.waitPath(step.path)
			tb.waitView(step.view)
		}
		assert.Equal(t, 1, evalJS[int](tb, `window.__marker`), "no page was loaded")
		assert.Len(t, tb.events("navigate"), 4, "the module carried out each click")

		t.Run("modifier clicks and other targets are not intercepted", func(t *testing.T) {
			tb.run(clickRecorderJS)
			tb.run(`document.querySelector('main').insertAdjacentHTML('beforeend',
				'<p><a id="blank-link" href="/public" target="_blank">new tab</a> <a id="download-link" href="/public" download>download</a></p>')`)
			for _, tt := range []struct {
				name string
				sel  string
				mods []chromedp.Modifier
				want bool // intercepted
			}{
				{"plain click", "#nav-public", nil, true},
				{"ctrl click", "#nav-public", []chromedp.Modifier{chromedp.ModifierCtrl}, false},
				{"shift click", "#nav-public", []chromedp.Modifier{chromedp.ModifierShift}, false},
				{"meta click", "#nav-public", []chromedp.Modifier{chromedp.ModifierMeta}, false},
				{"target=_blank", "#blank-link", nil, false},
				{"download", "#download-link", nil, false},
			} {
				tb.run(`window.__clicks.length = 0`)
				nodes, err := chromedp.Run(tb.ctx, chromedp.Nodes(chromedp.CSS(tt.sel)))
				require.NoError(t, err)
				require.NotEmpty(t, nodes)
				tb.do(chromedp.MouseClickNode(nodes[0], chromedp.ButtonModifiers(tt.mods...)))
				assert.Equal(t, []bool{tt.want}, evalJS[[]bool](tb, `window.__clicks`), tt.name)
			}
			assert.Equal(t, 1, evalJS[int](tb, `window.__marker`), "no page was loaded")
		})
	})
}

// TestBackForwardStayInPage: the browser's back and forward buttons move
// between the views without loading a page, showing the right view each
// time.
func TestBackForwardStayInPage(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)
		tb.signInAt("/", demoUser)
		tb.waitPath("/dashboard")
		tb.run(`window.__marker = 1`)
		tb.click("#nav-public")
		tb.waitPath("/public")
		tb.click("#nav-home")
		tb.waitPath("/")

		for _, step := range []struct{ move, path, view string }{
			{"history.back()", "/public", "/public"},
			{"history.back()", "/dashboard", "/dashboard"},
			{"history.forward()", "/public", "/public"},
			{"history.forward()", "/", "/"},
			{"history.go(-2)", "/dashboard", "/dashboard"},
		} {
			tb.run(step.move)
			tb.waitPath(step.path)
			tb.waitView(step.view)
		}
		assert.Equal(t, 1, evalJS[int](tb, `window.__marker`), "no page was loaded")
		assert.Empty(t, tb.blockedEvents())
	})
}

// TestGotoTargets: goto keeps a same-origin target's query and fragment,
// shows the fallback view for a path no view claims, and refuses targets
// that are not same-origin paths without moving.
func TestGotoTargets(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)
		tb.signInAt("/", demoUser)
		tb.waitPath("/dashboard")

		assert.True(t, tb.gotoPath("/public?tab=2#part"))
		assert.Equal(t, "/public?tab=2", tb.path())
		assert.Equal(t, "#part", evalJS[string](tb, `location.hash`))
		assert.Equal(t, []string{"/public"}, tb.views())

		assert.True(t, tb.gotoPath("/no-such-page"))
		assert.Equal(t, "/no-such-page", tb.path())
		assert.Equal(t, []string{"*"}, tb.views(), "the not-found view")

		for _, target := range []string{"https://evil.example/", "//evil.example/x", "javascript:alert(1)", "dashboard", ""} {
			assert.False(t, tb.gotoPath(target), "goto(%q)", target)
			assert.Equal(t, "/no-such-page", tb.path(), "goto(%q) does not move", target)
		}
		assert.Equal(t, srv.URL, evalJS[string](tb, `location.origin`))
	})
}

// TestRoleGuard: a user's guarded navigation to the admin area is
// cancelled with reason forbidden, and the server refuses the full load
// with 403; an admin gets there.
func TestRoleGuard(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)

		t.Run("user", func(t *testing.T) {
			tb := newTab(t, srv)
			tb.signInAt("/", demoUser)
			tb.waitPath("/dashboard")
			tb.clearEvents()
			tb.watchView("/admin/*")
			assert.False(t, tb.gotoPath("/admin"))
			assert.Equal(t, []blocked{{To: "/admin", Reason: "forbidden"}}, tb.blockedEvents())
			assert.Equal(t, "/dashboard", tb.path(), "the URL is unchanged")
			assert.Equal(t, []string{"/dashboard"}, tb.views())
			assert.NotNil(t, tb.session(), "still signed in")

			// The link is hidden for a user, but a link to the area
			// in the page's own content is guarded the same way.
			tb.clearEvents()
			tb.click("#try-admin")
			tb.waitFor(`window.__sgEvents.some(e => e.type === 'blocked')`, "the click is refused")
			assert.Equal(t, []blocked{{To: "/admin", Reason: "forbidden"}}, tb.blockedEvents())
			assert.Equal(t, "/dashboard", tb.path())
			assert.True(t, tb.visible("#blocked-message"), "the page tells why")
			assert.False(t, tb.wasShown("/admin/*"), "the admin view was never shown")

			code, _ := srv.get("/admin", tb.cookie())
			assert.Equal(t, http.StatusForbidden, code, "the server refuses a full load")
			code, _ = srv.get("/admin/users", tb.cookie())
			assert.Equal(t, http.StatusForbidden, code)
		})

		t.Run("admin", func(t *testing.T) {
			tb := newTab(t, srv)
			tb.signInAt("/", demoAdmin)
			tb.waitPath("/dashboard")
			tb.clearEvents()
			tb.watchView("/admin/*")
			assert.True(t, tb.gotoPath("/admin"))
			assert.Equal(t, "/admin", tb.path())
			tb.waitView("/admin/*")
			assert.True(t, tb.wasShown("/admin/*"), "the watch sees a view shown")
			assert.True(t, tb.visible("#view-admin [data-sg-role=admin]"))
			assert.Empty(t, tb.blockedEvents())

			code, _ := srv.get("/admin", tb.cookie())
			assert.Equal(t, http.StatusOK, code)
		})

		// The history still holds the admin view from an admin's
		// session; after switching to a user in the same tab, going back
		// to it is refused and the browser returns to the view shown.
		t.Run("back to an admin view as user", func(t *testing.T) {
			tb := newTab(t, srv)
			tb.signInAt("/", demoAdmin)
			tb.waitPath("/dashboard")
			require.True(t, tb.gotoPath("/admin"))
			require.True(t, tb.gotoPath("/public"))
			tb.run(`sessionguard.signOut()`)
			tb.run(`sessionguard.signIn({email: ` + jsString(demoUser.Email) + `, password: ` + jsString(demoUser.Password) + `, redirectUrl: '/dashboard'})`)
			require.Equal(t, "/dashboard", tb.path())
			require.Equal(t, demoUser.Email, tb.session().User.Email)

			tb.clearEvents()
			tb.watchView("/admin/*")
			tb.run(`history.go(-3)`) // /dashboard ← / ← /public ← /admin
			tb.waitFor(`window.__sgEvents.some(e => e.type === 'blocked')`, "the move back is refused")
			assert.Equal(t, []blocked{{To: "/admin", Reason: "forbidden"}}, tb.blockedEvents())
			tb.waitPath("/dashboard")
			tb.waitView("/dashboard")
			assert.False(t, tb.wasShown("/admin/*"), "the admin view was never shown")
		})
	})
}

// TestIsPublicAgreesWithServer: for every path of the shared table,
// sessionguard.isPublic in the page gives the answer the server gives to
// an anonymous GET of that raw path (public ⇔ 200).
func TestIsPublicAgreesWithServer(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)
		tb.load("/")
		paths := []string{"/public/../dashboard", "/public/%2e%2e/dashboard", "/public?next=/dashboard", "/dashboard?from=/public", "/?callbackUrl=%2Fdashboard"}
		for _, tc := range policytest.Cases {
			paths = append(paths, tc.Path)
		}
		for _, p := range paths {
			code, _ := srv.rawGet(p, nil)
			inPage := evalJS[bool](tb, `sessionguard.isPublic(`+jsString(p)+`)`)
			assert.Equal(t, code == http.StatusOK, inPage, "%s: server answered %d, isPublic says %v", p, code, inPage)
		}
		for _, tc := range policytest.Cases {
			assert.Equal(t, tc.Need == policytest.Public, evalJS[bool](tb, `sessionguard.isPublic(`+jsString(tc.Path)+`)`), "%s needs %s", tc.Path, tc.Need)
			if tc.Need == policytest.Invalid {
				code, _ := srv.rawGet(tc.Path, nil)
				assert.Equal(t, http.StatusBadRequest, code, "%s cannot be cleaned", tc.Path)
			}
		}
	})
}

// TestInvalidPathsRefusedInPage: an in-page navigation to a path of the
// shared table that cannot be cleaned — by goto, a link or page code's own
// history.pushState — is cancelled with reason "error" for every visitor,
// without a status request and without going to sign-in. (A move back or
// forward to such an entry is the fake browser's case in wasm/client: in
// Chromium, page code cannot put one there any more.) Links and pushState
// are tried with the paths a browser keeps as written (it reads
// "/admin//.." as "/admin/", which the guard judges as that).
func TestInvalidPathsRefusedInPage(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		var invalid []string
		for _, tc := range policytest.Cases {
			if tc.Need == policytest.Invalid {
				invalid = append(invalid, tc.Path)
			}
		}
		require.NotEmpty(t, invalid)
		for _, who := range []struct {
			name string
			acct *account
		}{{"anonymous", nil}, {"user", &demoUser}, {"admin", &demoAdmin}} {
			t.Run(who.name, func(t *testing.T) {
				tb := newTab(t, srv)
				at := "/public"
				if who.acct != nil {
					tb.signInAt("/", *who.acct)
					tb.waitPath("/dashboard")
					at = "/dashboard"
				} else {
					tb.load(at)
				}
				statusRequests := func() int {
					return evalJS[int](tb, `performance.getEntriesByType('resource').filter(e => new URL(e.name).pathname === '/api/get-session-status').length`)
				}
				refused := func(p, how string) {
					t.Helper()
					assert.Equal(t, []blocked{{To: p, Reason: "error"}}, tb.blockedEvents(), "%s %s", how, p)
					assert.Equal(t, at, tb.path(), "%s %s: the page stays", how, p)
					assert.Equal(t, []string{at}, tb.views(), "%s %s: the view stays", how, p)
					assert.Zero(t, statusRequests(), "%s %s: no status request", how, p)
				}
				for _, p := range invalid {
					tb.clearEvents()
					tb.run(`performance.clearResourceTimings()`)
					assert.False(t, tb.gotoPath(p), "goto(%q)", p)
					refused(p, "goto")

					if !evalJS[bool](tb, `(u => u.pathname + u.search === `+jsString(p)+`)(new URL(`+jsString(p)+`, location.origin))`) {
						continue // a browser reads it as another path
					}
					tb.clearEvents()
					tb.run(`(() => { const a = document.createElement('a'); a.href = ` + jsString(p) + `; document.body.append(a); a.click(); a.remove() })()`)
					tb.waitFor(`window.__sgEvents.some(e => e.type === 'blocked')`, "the click on "+p+" is refused")
					refused(p, "link")

					// Page code's own pushState (a router's) is seen through
					// the Navigation API and refused before it commits.
					tb.clearEvents()
					tb.run(`history.pushState(null, '', ` + jsString(p) + `)`)
					tb.waitFor(`window.__sgEvents.some(e => e.type === 'blocked')`, "the pushState of "+p+" is refused")
					refused(p, "pushState")
					assert.Equal(t, 1, evalJS[int](tb, `navigation.entries().length - navigation.currentEntry.index`), "pushState %s: no entry was added", p)
				}
				if who.acct != nil {
					assert.Equal(t, who.acct.Email, tb.session().User.Email, "still signed in")
				}
			})
		}
	})
}
