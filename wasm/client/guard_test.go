package client_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/policy/policytest"
	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wire"
)

// TestGuardSharedCases clicks a link to every path of the shared table, as
// an anonymous visitor, a user and an admin, under the default policy.
func TestGuardSharedCases(t *testing.T) {
	visitors := []struct {
		name string
		sess *wire.Session
	}{{"anonymous", nil}, {"user", userSession}, {"admin", adminSession}}
	for _, c := range policytest.Cases {
		for _, v := range visitors {
			t.Run(c.Need.String()+"/"+v.name+"/"+c.Path, func(t *testing.T) {
				h := start(t, as(v.sess))
				want := ""
				switch {
				case c.Need == policytest.Public:
				case c.Need == policytest.Invalid:
					want = client.ReasonError
				case v.sess == nil:
					want = client.ReasonUnauthenticated
				case c.Need == policytest.Admin && v.sess.User.Role != "admin":
					want = client.ReasonForbidden
				}
				ok := h.wait(h.click("href", origin+c.Path))
				assert.Equal(t, want == "", ok, "navigated")
				assert.Equal(t, h.c.IsPublic(c.Path), c.Need == policytest.Public, "IsPublic")
				wantChecks := 1
				if c.Need == policytest.Public || c.Need == policytest.Invalid {
					wantChecks = 0
				}
				assert.Equal(t, wantChecks, h.b.count(wire.PathStatus), "status checks")
				switch want {
				case "":
					assert.Equal(t, c.Path, h.b.url())
					assert.Empty(t, h.b.blocked())
				case client.ReasonUnauthenticated:
					assert.Equal(t, []client.Blocked{{To: c.Path, Reason: want}}, h.b.blocked())
					assert.Equal(t, "/?callbackUrl="+url.QueryEscape(c.Path), h.b.url())
				case client.ReasonForbidden, client.ReasonError:
					assert.Equal(t, []client.Blocked{{To: c.Path, Reason: want}}, h.b.blocked())
					assert.Equal(t, "/public?from=test", h.b.url(), "stays")
					assert.Equal(t, []string{"/public?from=test"}, h.b.history(), "no sign-in page")
				}
			})
		}
	}
}

// TestInvalidPathRefusedWithoutAsking: an in-page navigation to a path that
// cannot be cleaned is cancelled at once with reason "error" — by goto, a
// link or a move back or forward, whoever the visitor is — without a status
// request and without going to the sign-in page.
func TestInvalidPathRefusedWithoutAsking(t *testing.T) {
	const start0 = "/public?from=test"
	moves := []struct {
		name string
		// move starts the navigation to target; it returns the
		// outcome and the history and URL the page must be left with.
		move func(h *harness, target string) (<-chan bool, []string, string)
	}{
		{"goto", func(h *harness, target string) (<-chan bool, []string, string) {
			return h.c.Goto(target, false), []string{start0}, start0
		}},
		{"goto replace", func(h *harness, target string) (<-chan bool, []string, string) {
			return h.c.Goto(target, true), []string{start0}, start0
		}},
		{"link", func(h *harness, target string) (<-chan bool, []string, string) {
			return h.click("href", origin+target), []string{start0}, start0
		}},
		{"back to an entry without state", func(h *harness, target string) (<-chan bool, []string, string) {
			// Page code put the entry there with history.pushState.
			h.b.mu.Lock()
			h.b.entries = append([]entry{{url: origin + target}}, h.b.entries...)
			h.b.pos++
			h.b.mu.Unlock()
			h.b.Go(-1)
			return h.popstate(), []string{start0, start0}, start0
		}},
		{"back to a stamped entry", func(h *harness, target string) (<-chan bool, []string, string) {
			require.True(h.t, h.wait(h.c.Goto("/", false)))
			h.b.mu.Lock()
			h.b.entries[0].url = origin + target
			h.b.mu.Unlock()
			h.b.Go(-1)
			return h.popstate(), []string{target, "/"}, "/"
		}},
	}
	visitors := []struct {
		name string
		sess *wire.Session
	}{{"anonymous", nil}, {"user", userSession}, {"admin", adminSession}}
	for _, target := range []string{"/%ff", "/admin/%2e%2e%2f/..", "/admin//..", "/public%00?x=1#y", "/%zz"} {
		for _, v := range visitors {
			for _, m := range moves {
				t.Run(m.name+"/"+v.name+"/"+target, func(t *testing.T) {
					h := start(t, as(v.sess))
					h.b.handle(wire.PathStatus, func(r client.Request) (*client.Response, error) {
						t.Errorf("status check for %q", target)
						return networkError(r)
					})
					ch, history, url := m.move(h, target)
					require.NotNil(t, ch, "the guard took the navigation")
					assert.False(t, h.wait(ch), "refused")
					assert.Equal(t, []client.Blocked{{To: target, Reason: client.ReasonError}}, h.b.blocked())
					assert.Zero(t, h.b.count(wire.PathStatus), "no status request")
					assert.Equal(t, url, h.b.url())
					assert.Equal(t, history, h.b.history(), "no sign-in page")
					h.b.mu.Lock()
					pending := append([]pop(nil), h.b.popstates...)
					h.b.mu.Unlock()
					for range pending {
						assert.Nil(t, h.popstate(), "the move back leads nowhere")
					}
					assert.Equal(t, history, h.b.history(), "no sign-in page after the move back")
					assert.Equal(t, v.sess, h.c.Session(), "the session is untouched")
					wantView := map[string]string{start0: "view-public", "/": "view-home"}[url]
					assert.Equal(t, []string{wantView}, h.visible(views...), "the view shown stays")
				})
			}
		}
	}
}

func TestGuardRendersDestinationView(t *testing.T) {
	tests := []struct {
		name    string
		sess    *wire.Session
		to      string
		visible []string
	}{
		{"public", nil, "/", []string{"view-home"}},
		{"dashboard", userSession, "/dashboard?tab=1", []string{"view-dashboard"}},
		{"admin below prefix", adminSession, "/admin/users", []string{"view-admin"}},
		{"not found", userSession, "/nowhere", []string{"view-missing"}},
		{"cleaned path", userSession, "/public/../dashboard/", []string{"view-dashboard"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, as(tt.sess))
			assert.Equal(t, []string{"view-public"}, h.visible(views...), "before")
			require.True(t, h.wait(h.c.Goto(tt.to, false)))
			assert.Equal(t, tt.visible, h.visible(views...))
			assert.Equal(t, tt.to, h.b.url())
			assert.Equal(t, []any{client.Navigated{URL: tt.to, Path: pathOnly(tt.to)}}, h.b.eventsNamed(client.EventNavigate))
		})
	}
}

func pathOnly(target string) string {
	for i, c := range target {
		if c == '?' || c == '#' {
			return target[:i]
		}
	}
	return target
}

func TestClickFiltering(t *testing.T) {
	tests := []struct {
		name  string
		ev    client.ClickEvent
		attrs []string
		take  bool
	}{
		{"plain", client.ClickEvent{}, []string{"href", "/public"}, true},
		{"target _self", client.ClickEvent{}, []string{"href", "/public", "target", "_SELF"}, true},
		{"empty target", client.ClickEvent{}, []string{"href", "/public", "target", ""}, true},
		{"same URL", client.ClickEvent{}, []string{"href", "/public?from=test"}, true},
		{"other search", client.ClickEvent{}, []string{"href", "/public?from=x#a"}, true},
		{"absolute same origin", client.ClickEvent{}, []string{"href", origin + "/dashboard"}, true},
		{"ctrl", client.ClickEvent{Ctrl: true}, []string{"href", "/public"}, false},
		{"meta", client.ClickEvent{Meta: true}, []string{"href", "/public"}, false},
		{"shift", client.ClickEvent{Shift: true}, []string{"href", "/public"}, false},
		{"alt", client.ClickEvent{Alt: true}, []string{"href", "/public"}, false},
		{"middle button", client.ClickEvent{Button: 1}, []string{"href", "/public"}, false},
		{"right button", client.ClickEvent{Button: 2}, []string{"href", "/public"}, false},
		{"default prevented", client.ClickEvent{DefaultPrevented: true}, []string{"href", "/public"}, false},
		{"target _blank", client.ClickEvent{}, []string{"href", "/public", "target", "_blank"}, false},
		{"named target", client.ClickEvent{}, []string{"href", "/public", "target", "frame"}, false},
		{"download", client.ClickEvent{}, []string{"href", "/public", "download", ""}, false},
		{"rel external", client.ClickEvent{}, []string{"href", "/public", "rel", "noopener External"}, false},
		{"data-sg-reload", client.ClickEvent{}, []string{"href", "/public", "data-sg-reload", ""}, false},
		{"other origin", client.ClickEvent{}, []string{"href", "https://evil.example/public"}, false},
		{"origin prefix trick", client.ClickEvent{}, []string{"href", origin + ".evil.example/public"}, false},
		{"protocol relative", client.ClickEvent{}, []string{"href", "//evil.example/public"}, false},
		{"mailto", client.ClickEvent{}, []string{"href", "mailto:a@example.com"}, false},
		{"hash only", client.ClickEvent{}, []string{"href", "#top"}, false},
		{"same URL plus hash", client.ClickEvent{}, []string{"href", "/public?from=test#top"}, false},
		{"no href", client.ClickEvent{}, []string{"name", "x"}, false},
		{"into the API", client.ClickEvent{}, []string{"href", "/api/session"}, false},
		{"API-like page", client.ClickEvent{}, []string{"href", "/apis"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, as(userSession))
			tt.ev.Target = h.b.add(nil, "A", tt.attrs...)
			ch := h.c.HandleClick(tt.ev)
			assert.Equal(t, tt.take, ch != nil)
			if ch != nil {
				assert.True(t, h.wait(ch))
			}
		})
	}
}

func TestClickWalksUpToTheLink(t *testing.T) {
	h := start(t, as(userSession))
	a := h.b.add(nil, "A", "href", "/dashboard")
	span := h.b.add(a, "SPAN")
	img := h.b.add(span, "IMG")
	require.True(t, h.wait(h.c.HandleClick(client.ClickEvent{Target: img})))
	assert.Equal(t, "/dashboard", h.b.url())

	outside := h.b.add(h.b.add(nil, "DIV"), "SPAN")
	assert.Nil(t, h.c.HandleClick(client.ClickEvent{Target: outside}), "not in a link")
	assert.Nil(t, h.c.HandleClick(client.ClickEvent{}), "no target")
	area := h.b.add(nil, "AREA", "href", "/public")
	assert.NotNil(t, h.c.HandleClick(client.ClickEvent{Target: area}), "<area href>")
}

// blockingStatus makes the status endpoint wait for release; arrived gets a
// value for each request.
func blockingStatus(h *harness, answerWith func(client.Request) (*client.Response, error)) (arrived chan struct{}, release chan struct{}) {
	arrived, release = make(chan struct{}, 10), make(chan struct{})
	h.b.handle(wire.PathStatus, func(r client.Request) (*client.Response, error) {
		arrived <- struct{}{}
		<-release
		return answerWith(r)
	})
	return arrived, release
}

func TestSingleFlightNewestWins(t *testing.T) {
	h := start(t, as(adminSession))
	arrived, release := blockingStatus(h, signedIn(adminSession.Expires))
	first := h.c.Goto("/dashboard", false)
	second := h.c.Goto("/admin", false)
	third := h.c.Goto("/admin/users", false)
	<-arrived
	close(release)
	assert.False(t, h.wait(first), "superseded")
	assert.False(t, h.wait(second), "superseded")
	assert.True(t, h.wait(third), "newest")
	assert.Equal(t, 1, h.b.count(wire.PathStatus), "one request for three navigations")
	assert.Equal(t, []string{"/public?from=test", "/admin/users"}, h.b.history())
	assert.Empty(t, h.b.blocked(), "superseded navigations are not blocked")

	// After the answer, a new navigation asks again.
	h.b.handle(wire.PathStatus, signedIn(adminSession.Expires))
	require.True(t, h.wait(h.c.Goto("/dashboard", false)))
	assert.Equal(t, 2, h.b.count(wire.PathStatus))
}

func TestPublicNavigationSupersedesPendingCheck(t *testing.T) {
	h := start(t, as(userSession))
	arrived, release := blockingStatus(h, signedOut)
	pending := h.c.Goto("/dashboard", false)
	<-arrived
	assert.True(t, h.wait(h.c.Goto("/", false)), "public goes at once")
	assert.Equal(t, "/", h.b.url())
	close(release)
	assert.False(t, h.wait(pending))
	assert.Equal(t, "/", h.b.url(), "the superseded refusal does not move the page")
	assert.Empty(t, h.b.blocked())
	assert.Nil(t, h.c.Session(), "the 401 still signs the client out")
}

func TestFailClosed(t *testing.T) {
	tests := []struct {
		name   string
		answer func(client.Request) (*client.Response, error)
	}{
		{"network error", networkError},
		{"server error", answer(500, `{"error":"boom"}`)},
		{"not JSON", answer(200, `<html>`)},
		{"no status", answer(200, `{}`)},
		{"unknown status", answer(200, `{"status":302}`)},
		{"status as string", answer(200, `{"status":"200"}`)},
		{"null", answer(200, `null`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, as(userSession))
			h.b.handle(wire.PathStatus, tt.answer)
			assert.False(t, h.wait(h.c.Goto("/dashboard", false)))
			assert.Equal(t, []client.Blocked{{To: "/dashboard", Reason: client.ReasonError}}, h.b.blocked())
			assert.Equal(t, "/public?from=test", h.b.url())
			assert.Equal(t, userSession, h.c.Session(), "an error does not sign out")
			assert.Equal(t, []string{"view-public"}, h.visible(views...))
		})
	}
}

func TestUnauthenticatedGoesToSignIn(t *testing.T) {
	h := start(t, as(userSession))
	h.b.handle(wire.PathStatus, signedOut)
	assert.False(t, h.wait(h.c.Goto("/dashboard?tab=a%20b&x=é#top", false)))
	assert.Equal(t, "/?callbackUrl=%2Fdashboard%3Ftab%3Da%2520b%26x%3D%C3%A9%23top", h.b.url())
	assert.Nil(t, h.c.Session(), "401 signs out")
	assert.Equal(t, []any{(*wire.Session)(nil)}, h.b.eventsNamed(client.EventChange))
	assert.Equal(t, []string{"view-home"}, h.visible(views...))
	assert.Equal(t, []string{"signed-out"}, h.visible("signed-in", "signed-out"))
	nav := h.b.eventsNamed(client.EventNavigate)
	require.Len(t, nav, 1)
	assert.True(t, nav[0].(client.Navigated).SignIn)
}

func TestNoRedirectLoop(t *testing.T) {
	// A sign-in path that is itself protected (a misconfiguration).
	cfg := `{"publicPaths":["/public"],"adminPaths":["/admin/*"],"signInPath":"/login","maxAge":1800}`
	h := start(t, withConfig(cfg))
	assert.False(t, h.wait(h.c.Goto("/dashboard", false)))
	assert.Equal(t, "/login?callbackUrl=%2Fdashboard", h.b.url())
	assert.Equal(t, 1, h.b.count(wire.PathStatus), "the sign-in page is not checked again")

	assert.False(t, h.wait(h.c.Goto("/login/", false)))
	assert.Equal(t, "/login?callbackUrl=%2Fdashboard", h.b.url(), "no bounce to sign-in from sign-in")
	assert.Len(t, h.b.blocked(), 2)

	// Booting on the protected sign-in page does not bounce either.
	h2 := start(t, withConfig(cfg), at("/login?callbackUrl=%2Fx"))
	assert.Equal(t, "/login?callbackUrl=%2Fx", h2.b.url())
	assert.Equal(t, []string{"/login?callbackUrl=%2Fx"}, h2.b.history())
}

func TestSignInPathWithQuery(t *testing.T) {
	h := start(t, withConfig(`{"publicPaths":["/login"],"adminPaths":[],"signInPath":"/login?next=1"}`), at("/login"))
	assert.False(t, h.wait(h.c.Goto("/x", false)))
	assert.Equal(t, "/login?next=1&callbackUrl=%2Fx", h.b.url())
}

func TestBootOnProtectedPageWithoutSession(t *testing.T) {
	h := start(t, at("/dashboard?a=1"))
	assert.Equal(t, []string{"/?callbackUrl=%2Fdashboard%3Fa%3D1"}, h.b.history(), "replaced, not pushed")
	assert.Equal(t, []string{"view-home"}, h.visible(views...))
	assert.Zero(t, h.b.count(wire.PathStatus))
}

func TestGotoRefusesForeignTargets(t *testing.T) {
	for _, target := range []string{"", "dashboard", "//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "/a b", "/\n/evil"} {
		t.Run(target, func(t *testing.T) {
			h := start(t, as(userSession))
			assert.False(t, h.wait(h.c.Goto(target, false)))
			assert.Equal(t, []string{"/public?from=test"}, h.b.history())
			assert.Empty(t, h.b.blocked())
		})
	}
}

func TestGotoReplace(t *testing.T) {
	h := start(t, as(userSession))
	require.True(t, h.wait(h.c.Goto("/dashboard", true)))
	assert.Equal(t, []string{"/dashboard"}, h.b.history())
}

func TestPopStateAllowedAndRefused(t *testing.T) {
	h := start(t, as(userSession))
	require.True(t, h.wait(h.c.Goto("/dashboard", false)))
	require.True(t, h.wait(h.c.Goto("/", false)))
	assert.Equal(t, []string{"/public?from=test", "/dashboard", "/"}, h.b.history())

	// Back to the dashboard: the guard checks and lets it show.
	h.b.Go(-1)
	assert.True(t, h.wait(h.popstate()))
	assert.Equal(t, []string{"view-dashboard"}, h.visible(views...))
	assert.Equal(t, 2, h.b.count(wire.PathStatus))

	// Forward to "/" is public.
	h.b.Go(1)
	assert.True(t, h.wait(h.popstate()))
	assert.Equal(t, []string{"view-home"}, h.visible(views...))

	// The session ends on the server; back to the dashboard is refused:
	// the browser is moved forward again, then to the sign-in page.
	h.b.handle(wire.PathStatus, signedOut)
	h.b.Go(-1)
	assert.False(t, h.wait(h.popstate()))
	assert.Equal(t, "/", h.b.url(), "restored")
	assert.Equal(t, []string{"view-home"}, h.visible(views...), "the view never changed")
	assert.Equal(t, []client.Blocked{{To: "/dashboard", Reason: client.ReasonUnauthenticated}}, h.b.blocked())
	assert.True(t, h.wait(h.popstate()), "the echo of the restore leads to sign-in")
	assert.Equal(t, []string{"/public?from=test", "/dashboard", "/", "/?callbackUrl=%2Fdashboard"}, h.b.history())
	assert.Equal(t, 1, len(h.b.eventsNamed(client.EventChange)))
}

func TestPopStateForbiddenRestoresOnly(t *testing.T) {
	h := start(t, as(adminSession), at("/admin"))
	require.True(t, h.wait(h.c.Goto("/public", false)))
	h.b.Go(-1) // back to /admin …
	h.b.handle(wire.PathStatus, signedIn(adminSession.Expires))
	// … while the role is gone: the session now says user.
	h.b.handle(wire.PathStatus, signedIn(userSession.Expires))
	h.c.HandleBroadcast(mustValue(`{"session":` + mustJSON(userSession) + `}`))
	assert.False(t, h.wait(h.popstate()))
	assert.Equal(t, "/public", h.b.url())
	assert.Equal(t, []client.Blocked{{To: "/admin", Reason: client.ReasonForbidden}}, h.b.blocked())
	assert.Nil(t, h.popstate(), "the echo is ignored")
	assert.Equal(t, "/public", h.b.url())
	assert.Equal(t, []string{"view-public"}, h.visible(views...))
}

func TestPopStateTwoStepsBackRefused(t *testing.T) {
	h := start(t, as(userSession))
	for _, p := range []string{"/dashboard", "/", "/public"} {
		require.True(t, h.wait(h.c.Goto(p, false)))
	}
	h.b.handle(wire.PathStatus, networkError)
	h.b.Go(-2)
	assert.False(t, h.wait(h.popstate()))
	assert.Equal(t, "/public", h.b.url(), "history.go(2) restored the view's entry")
	assert.Nil(t, h.popstate())
	assert.Equal(t, []client.Blocked{{To: "/dashboard", Reason: client.ReasonError}}, h.b.blocked())
}

func TestPopStateHashOnly(t *testing.T) {
	h := start(t, as(userSession), at("/dashboard"))
	// A fragment link made a new entry without state.
	h.b.mu.Lock()
	h.b.entries = append(h.b.entries, entry{url: origin + "/dashboard#part"})
	h.b.pos++
	h.b.mu.Unlock()
	assert.Nil(t, h.c.HandlePopState(0, false), "nothing to guard")
	idx, ok := h.b.HistoryIndex()
	assert.True(t, ok, "the entry got an index")
	assert.Equal(t, 1, idx)
	h.b.Go(-1)
	assert.Nil(t, h.popstate())
	assert.Zero(t, h.b.count(wire.PathStatus))
}

func TestPopStateWithoutIndexRefused(t *testing.T) {
	h := start(t, as(userSession))
	h.b.handle(wire.PathStatus, signedOut)
	// Page code pushed an entry without our state, then the user went there.
	h.b.mu.Lock()
	h.b.entries = append(h.b.entries, entry{url: origin + "/dashboard"})
	h.b.pos++
	h.b.mu.Unlock()
	assert.False(t, h.wait(h.c.HandlePopState(0, false)))
	assert.Equal(t, []string{"/public?from=test", "/?callbackUrl=%2Fdashboard"}, h.b.history(), "entry rewritten, then sign-in")
}

func TestSignedInElsewhereLearnsSession(t *testing.T) {
	h := start(t)
	h.b.handle(wire.PathStatus, signedIn(userSession.Expires))
	h.b.handle(wire.PathSession, answer(200, mustJSON(userSession)))
	assert.True(t, h.wait(h.c.Goto("/dashboard", false)))
	assert.Equal(t, userSession, h.c.Session())
	assert.Equal(t, "Demo User", h.b.byID("name").Text())

	h2 := start(t)
	h2.b.handle(wire.PathStatus, signedIn(userSession.Expires))
	h2.b.handle(wire.PathSession, answer(200, `null`))
	assert.False(t, h2.wait(h2.c.Goto("/dashboard", false)))
	assert.Equal(t, []client.Blocked{{To: "/dashboard", Reason: client.ReasonError}}, h2.b.blocked())
}

func TestStatusHeaderMovesExpiry(t *testing.T) {
	h := start(t, as(userSession))
	later := wireTime(timeOf(userSession.Expires).Add(10 * time.Minute))
	h.b.handle(wire.PathStatus, signedIn(later))
	require.True(t, h.wait(h.c.Goto("/dashboard", false)))
	assert.Equal(t, later, h.c.Session().Expires)
	assert.Equal(t, timeOf(later).Format(wire.TimeFormat), h.b.byID("expires").Text())
	assert.Equal(t, []any{h.c.Session()}, h.b.eventsNamed(client.EventChange))
	assert.Equal(t, []*wire.Session{h.c.Session()}, h.b.broadcasts, "other tabs learn the new expiry")

	h.b.handle(wire.PathStatus, answer(200, `{"status":200}`, wire.ExpiresHeader, "garbage"))
	require.True(t, h.wait(h.c.Goto("/", false)))
	require.True(t, h.wait(h.c.Goto("/dashboard", false)))
	assert.Equal(t, later, h.c.Session().Expires, "a bad header changes nothing")
	assert.Len(t, h.b.eventsNamed(client.EventChange), 1, "no change, no event")
}

func TestNoViewsLoadsPages(t *testing.T) {
	h, _ := newPage(t, as(userSession))
	h.b.mu.Lock()
	h.b.elems = nil
	h.b.mu.Unlock()
	h.b.handle(wire.PathStatus, signedIn(userSession.Expires))
	h.boot()
	require.True(t, h.wait(h.c.Goto("/dashboard", false)))
	assert.Equal(t, []string{origin + "/dashboard"}, h.b.loads)
	assert.Equal(t, []string{"/public?from=test"}, h.b.history())
}

func mustValue(text string) client.Value {
	v, ok := parseJSON(text)
	if !ok {
		panic("bad JSON " + text)
	}
	return v
}

func TestGotoSameURLReplaces(t *testing.T) {
	h := start(t, as(userSession))
	require.True(t, h.wait(h.c.Goto("/dashboard", false)))
	require.True(t, h.wait(h.c.Goto("/dashboard", false)))
	assert.Equal(t, []string{"/public?from=test", "/dashboard"}, h.b.history())
}

func TestScrollOnNavigation(t *testing.T) {
	h := start(t, as(userSession))
	require.True(t, h.wait(h.c.Goto("/dashboard#facts", false)))
	require.True(t, h.wait(h.c.Goto("/", false)))
	h.b.Go(-1)
	require.True(t, h.wait(h.popstate()))
	assert.Equal(t, []string{"#facts", ""}, h.b.scrolls, "back/forward leaves scrolling to the browser")
}

func TestStaleStatusAnswerIsIgnored(t *testing.T) {
	h := start(t)
	arrived, release := blockingStatus(h, signedOut)
	pending := h.c.Goto("/dashboard", false)
	<-arrived
	// The visitor signs in while the check (sent without the new cookie)
	// is under way.
	h.b.handle(wire.PathSignIn, signInOK(userSession, "/public"))
	require.True(t, h.c.SignIn("user@example.com", "user-password", "/public").OK)
	close(release)
	assert.False(t, h.wait(pending), "superseded by the sign-in's navigation")
	assert.Equal(t, userSession, h.c.Session(), "the old 401 does not sign out")
	assert.Equal(t, "/public", h.b.url())
	assert.Equal(t, []*wire.Session{userSession}, h.b.broadcasts)
}
