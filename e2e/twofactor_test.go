package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wire"
)

// codeAt is the authenticator app's code for secret at t.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	require.NoError(t, err)
	return code
}

// typeInto types value into the visible input sel, after emptying it.
func (tb *tab) typeInto(sel, value string) {
	tb.t.Helper()
	tb.do(chromedp.WaitVisible(chromedp.CSS(sel)))
	tb.run(`document.querySelector(` + jsString(sel) + `).value = ''`)
	tb.do(chromedp.SendKeys(chromedp.CSS(sel), value))
}

// TestTwoFactorInTheDemo: a user enrols an authenticator app on /account
// (the test reads the key the page shows and computes the app's codes),
// gets the recovery codes, is stopped at an -aal2-paths page with a
// step-up prompt that a code passes, and signs in again with the second
// step of the sign-in form.
func TestTwoFactorInTheDemo(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	for _, c := range serverConfigs {
		t.Run(c.name, func(t *testing.T) {
			c.options.AAL2Paths = []string{"/dashboard"}
			srv := startServer(t, c)
			a := srv.newAccount("user")
			tb := newTab(t, srv)
			tb.signInAt("/", a)
			// Password only: the dashboard after sign-in is stepped up
			// with a prompt, not a loop back to sign-in.
			tb.waitFor(`document.getElementById('reauth-dialog').open`, "the step-up prompt")
			assert.Equal(t, "/", tb.path())
			tb.click("#reauth-cancel")

			// Enrol.
			tb.click("#nav-account")
			tb.waitView("/account")
			tb.click("#twofa-setup")
			tb.waitFor(`!document.getElementById('twofa-enrol').hidden`, "the key and its QR code are shown")
			assert.Regexp(t, `^data:image/png;base64,`, evalJS[string](tb, `document.getElementById('twofa-qr').src`))
			secret := tb.text("#twofa-secret")
			require.NotEmpty(t, secret)
			now := time.Now()
			tb.typeInto("#twofa-confirm-code", codeAt(t, secret, now))
			tb.click("#twofa-confirm-submit")
			tb.waitFor(`!document.getElementById('twofa-recovery').hidden`, "the recovery codes are shown")
			codes := evalJS[[]string](tb, `[...document.querySelectorAll('#twofa-codes li')].map(li => li.textContent)`)
			require.Len(t, codes, 10)
			assert.Contains(t, tb.text("#twofa-status"), "On")

			// Step up: the dashboard needs the second factor; the prompt
			// takes the password and the next code (the one just used
			// is spent), and the page goes there.
			tb.click("#nav-dashboard")
			tb.waitFor(`document.getElementById('reauth-dialog').open`, "the step-up prompt")
			tb.typeInto("#reauth-password", a.Password)
			tb.typeInto("#reauth-code", codeAt(t, secret, now.Add(30*time.Second)))
			tb.click("#reauth-submit")
			tb.waitView("/dashboard")
			assert.Equal(t, wire.AAL2, tb.session().AAL)

			// Sign in again: the password, then the second step (a
			// recovery code: the app's codes of this minute are spent).
			tb.click("#signout")
			tb.waitFor(`sessionguard.session() === null`, "signed out")
			tb.load("/")
			tb.fillSignIn(a.Email, a.Password)
			tb.click("#signin-submit")
			tb.waitFor(`!document.getElementById('signin-2fa-form').hidden`, "the second step is asked")
			assert.Nil(t, tb.session(), "no session before the second step")
			tb.click("#signin-2fa-use-recovery")
			tb.typeInto("#signin-2fa-code", codes[0])
			tb.click("#signin-2fa-submit")
			tb.waitView("/dashboard")
			s := tb.session()
			require.NotNil(t, s)
			assert.Equal(t, wire.AAL2, s.AAL)
			assert.Empty(t, tb.consoleMessages())
		})
	}
}

// TestStepUpPageLoad: a full page load of an -aal2-paths path with a
// password-only session lands on the sign-in page with stepUp=1 and the
// callback; the demo asks there, and goes on after the prompt. Without a
// second factor the prompt cannot be passed, so this checks the landing.
func TestStepUpPageLoad(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	c := serverConfigs[0]
	c.options.AAL2Paths = []string{"/dashboard"}
	srv := startServer(t, c)
	tb := newTab(t, srv)
	tb.signInAt("/", demoUser)
	tb.waitFor(`document.getElementById('reauth-dialog').open`, "stepped up after sign-in")
	tb.click("#reauth-cancel")
	tb.do(chromedp.Navigate(srv.URL + "/dashboard"))
	tb.waitPath("/?callbackUrl=%2Fdashboard&stepUp=1")
	tb.waitFor(`document.getElementById('reauth-dialog').open`, "the page load asks too")
	assert.Contains(t, tb.text("#reauth-why"), "authenticator app")
}
