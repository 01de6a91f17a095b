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

// verdict waits for Check's answer.
func verdict(t *testing.T, ch <-chan client.Verdict) client.Verdict {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("check did not finish")
		return client.Verdict{}
	}
}

// TestDecideAndCheckSharedCases: for every path of the shared table and
// every visitor, Decide answers at once what the known state tells, and
// Check gives the decision a navigation would get, with as many status
// requests, without moving the page or dispatching anything.
func TestDecideAndCheckSharedCases(t *testing.T) {
	visitors := []struct {
		name string
		sess *wire.Session
	}{{"anonymous", nil}, {"user", userSession}, {"admin", adminSession}}
	for _, c := range policytest.Cases {
		for _, v := range visitors {
			t.Run(c.Need.String()+"/"+v.name+"/"+c.Path, func(t *testing.T) {
				h := start(t, as(v.sess))
				want, decide := "", client.DecideCheck
				switch {
				case c.Need == policytest.Public:
					decide = client.DecideAllow
				case c.Need == policytest.Invalid:
					want, decide = client.ReasonError, client.DecideDeny
				case v.sess == nil:
					want, decide = client.ReasonUnauthenticated, client.DecideDeny
				case c.Need == policytest.Admin && v.sess.User.Role != "admin":
					want, decide = client.ReasonForbidden, client.DecideDeny
				}
				// As a router hands it over: an absolute URL of the
				// page's origin ("//admin" alone would name a host).
				target := origin + c.Path
				assert.Equal(t, decide, h.c.Decide(target), "Decide")
				assert.Zero(t, h.b.count(wire.PathStatus), "Decide asks nothing")

				got := verdict(t, h.c.Check(target))
				wantV := client.Verdict{Allow: want == "", Reason: want}
				if want == client.ReasonUnauthenticated {
					wantV.Redirect = "/?callbackUrl=" + url.QueryEscape(c.Path)
				}
				assert.Equal(t, wantV, got, "Check")
				wantChecks := 1
				if c.Need == policytest.Public || c.Need == policytest.Invalid {
					wantChecks = 0
				}
				assert.Equal(t, wantChecks, h.b.count(wire.PathStatus), "status checks")
				assert.Equal(t, "/public?from=test", h.b.url(), "the page stays")
				assert.Equal(t, []string{"/public?from=test"}, h.b.history())
				assert.Empty(t, h.b.blocked(), "Check dispatches nothing")
				assert.Empty(t, h.b.eventsNamed(client.EventNavigate))
			})
		}
	}
}

// TestCheckJoinsTheNavigationsStatusRequest: checks and navigations that
// race share one status request, and all of them decide by its answer.
func TestCheckJoinsTheNavigationsStatusRequest(t *testing.T) {
	h := start(t, as(userSession))
	arrived, release := blockingStatus(h, signedOut)
	first := h.c.Check("/dashboard")
	nav := h.c.Goto("/dashboard", false)
	second := h.c.Check("/dashboard?tab=2")
	<-arrived
	close(release)
	assert.Equal(t, client.Verdict{Reason: client.ReasonUnauthenticated, Redirect: "/?callbackUrl=%2Fdashboard"}, verdict(t, first))
	assert.Equal(t, client.Verdict{Reason: client.ReasonUnauthenticated, Redirect: "/?callbackUrl=%2Fdashboard%3Ftab%3D2"}, verdict(t, second))
	assert.False(t, h.wait(nav))
	assert.Equal(t, 1, h.b.count(wire.PathStatus), "one request for two checks and a navigation")
	assert.Nil(t, h.c.Session(), "the 401 signed the client out")
	assert.Equal(t, client.DecideDeny, h.c.Decide("/dashboard"), "and Decide knows it")
}

// TestCheckFailsClosed: a status check that fails gives "error", and the
// session stays.
func TestCheckFailsClosed(t *testing.T) {
	h := start(t, as(userSession))
	h.b.handle(wire.PathStatus, networkError)
	assert.Equal(t, client.Verdict{Reason: client.ReasonError}, verdict(t, h.c.Check("/dashboard")))
	assert.Equal(t, userSession, h.c.Session())
}

// TestCheckOfTheSignInPageHasNoRedirect: no loop to the sign-in page from
// the sign-in page.
func TestCheckOfTheSignInPageHasNoRedirect(t *testing.T) {
	h := start(t, as(nil), withConfig(mustJSON(wire.Config{PublicPaths: []string{"/public"}, AdminPaths: []string{"/admin/*"}, SignInPath: "/login", MaxAge: 1800})))
	got := verdict(t, h.c.Check("/login?x=1"))
	assert.Equal(t, client.Verdict{Reason: client.ReasonUnauthenticated}, got)
}

// TestDecideBeforeReadyAndForeignTargets: before the Client knows the
// session it answers "check"; a target that is no same-origin path is
// "deny", and Check refuses it with "error" without asking.
func TestDecideBeforeReadyAndForeignTargets(t *testing.T) {
	h := start(t, as(userSession))
	assert.Equal(t, client.DecideCheck, h.c.Decide(origin+"/dashboard"), "a URL of the page's origin")
	for _, target := range []string{"https://evil.example/", "//evil.example/x", "dashboard", "", origin + ".evil.test/"} {
		assert.Equal(t, client.DecideDeny, h.c.Decide(target), "%q", target)
		assert.Equal(t, client.Verdict{Reason: client.ReasonError}, verdict(t, h.c.Check(target)), "%q", target)
	}
	assert.Zero(t, h.b.count(wire.PathStatus))

	page, _ := newPage(t)
	unready := client.New(page.b, &fakeClock{now: t0}) // not booted
	assert.Equal(t, client.DecideCheck, unready.Decide("/dashboard"))
	assert.Equal(t, client.Verdict{Reason: client.ReasonError}, verdict(t, unready.Check("/dashboard")))
}

// TestDecideUnderTheKnownStateRule: with the rule on and the stream live,
// a destination the role allows is "allow" at once, and Check allows it
// before the server answers (the check runs afterwards, as for a
// navigation); without a stream that spoke lately it is "check" again.
func TestDecideUnderTheKnownStateRule(t *testing.T) {
	h, l := liveStart(t, "/public", userSession, instantGuard())
	l.next().send(t, readyEvent)
	gate := make(chan func(client.Request) (*client.Response, error), 1)
	h.b.handle(wire.PathStatus, func(r client.Request) (*client.Response, error) { return (<-gate)(r) })
	assert.Equal(t, client.DecideAllow, h.c.Decide("/dashboard"))
	assert.Equal(t, client.DecideDeny, h.c.Decide("/admin"), "the role still decides")
	assert.Equal(t, client.Verdict{Allow: true}, verdict(t, h.c.Check("/dashboard")), "before the server answered")
	gate <- signedIn(wireTime(t0.Add(45 * time.Minute)))
	eventually(t, func() bool { return !h.c.Checking() }, "the check ran afterwards")
	assert.Equal(t, 1, h.b.count(wire.PathStatus))

	h.clock.Advance(31 * time.Second)
	require.Equal(t, client.DecideCheck, h.c.Decide("/dashboard"), "the stream has not spoken for 31 s")
}

// TestStepUpForAAL2Paths: with -aal2-paths, a session proved with a
// password only is refused an aal2 path with reason step-up (never sent to
// sign-in: it is signed in), by a navigation, Decide and Check alike; an
// aal2 session goes there; the rule joins the role rule.
func TestStepUpForAAL2Paths(t *testing.T) {
	cfg := mustJSON(wire.Config{PublicPaths: []string{"/", "/public"}, AdminPaths: []string{"/admin/*"}, AAL2Paths: []string{"/billing/*", "/admin/keys"}, SignInPath: "/", MaxAge: 1800})
	aal1 := *userSession
	aal1.AAL = wire.AAL1
	aal2 := *userSession
	aal2.AAL = wire.AAL2

	h := start(t, as(&aal1), withConfig(cfg))
	assert.Equal(t, client.DecideDeny, h.c.Decide("/billing/x"))
	assert.Equal(t, client.Verdict{Reason: client.ReasonStepUp}, verdict(t, h.c.Check("/billing/x")))
	assert.False(t, h.wait(h.c.Goto("/billing/x", false)))
	assert.Equal(t, []client.Blocked{{To: "/billing/x", Reason: client.ReasonStepUp}}, h.b.blocked())
	assert.Equal(t, "/public?from=test", h.b.url(), "no sign-in page: the session is there, it needs proving")
	assert.True(t, h.wait(h.c.Goto("/dashboard", false)), "other paths as before")

	h = start(t, as(&aal2), withConfig(cfg))
	assert.Equal(t, client.DecideCheck, h.c.Decide("/billing/x"))
	assert.True(t, h.wait(h.c.Goto("/billing/x", false)))
	assert.Equal(t, client.DecideDeny, h.c.Decide("/admin/keys"), "aal2 does not give a role")

	admin := *adminSession
	admin.AAL = wire.AAL1
	h = start(t, as(&admin), withConfig(cfg))
	assert.Equal(t, client.Verdict{Reason: client.ReasonStepUp}, verdict(t, h.c.Check("/admin/keys")))
	assert.Equal(t, client.Verdict{Allow: true}, verdict(t, h.c.Check("/admin/users")))
}
