package service_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/users"
)

// fastParams keep sign-in quick; package users tests the real cost.
var fastParams = users.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const serviceToken = "service-credential-0123456789-abcdefghij"

// sgServer is a sessionguard server (jwt strategy, EdDSA) with the service
// API on, serving on loopback until the test ends.
type sgServer struct {
	URL  string
	srv  *app.Server
	stop func()
}

func startServer(t *testing.T) *sgServer {
	t.Helper()
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.txt")
	require.NoError(t, os.WriteFile(tokens, []byte("# services\n"+serviceToken+"\n"), 0o600))
	srv, err := app.New(t.Context(), app.Options{
		Strategy: "jwt", Store: memory.New(), DataDir: dir, PasswordParams: fastParams,
		ServiceTokenFile: tokens, Accounts: app.DemoAccounts,
	})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	s := &sgServer{URL: "http://" + ln.Addr().String(), srv: srv}
	s.stop = func() {
		cancel()
		<-done
		_ = srv.Close()
	}
	t.Cleanup(func() {
		if s.stop != nil {
			s.stop()
		}
	})
	return s
}

// signIn signs the account in and returns its access token (the session
// cookie's value) and the cookie header to sign out with.
func (s *sgServer) signIn(t *testing.T, email, password string) (token, cookie string) {
	t.Helper()
	body := `{"email":"` + email + `","password":"` + password + `"}`
	resp, err := http.Post(s.URL+"/api/auth/signin", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-sg_session" {
			return c.Value, c.Name + "=" + c.Value
		}
	}
	t.Fatal("no session cookie")
	return "", ""
}

func (s *sgServer) signOut(t *testing.T, cookie string) {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL+"/api/auth/signout", nil)
	require.NoError(t, err)
	req.Header.Set("Cookie", cookie)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// startService builds examples/service and runs it against server as a
// process of its own; it returns its base URL.
func startService(t *testing.T, server string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "service")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "build", "-o", bin, "../examples/service").CombinedOutput()
	require.NoError(t, err, "build examples/service:\n%s", out)
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-server", server)
	cmd.Env = append(os.Environ(), "SG_SERVICE_TOKEN="+serviceToken)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("service's log:\n%s", stderr.String())
		}
	})
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				line <- u
			}
		}
	}()
	select {
	case u := <-line:
		return u
	case <-time.After(60 * time.Second):
		t.Fatalf("the service did not start; its log:\n%s", stderr.String())
		return ""
	}
}

// whoami asks the service with the token and returns the status and body.
func whoami(t *testing.T, base, token string) (int, map[string]string) {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/whoami", nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]string
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// refusedWithin polls the service until it refuses token, and returns how
// long that took from start.
func refusedWithin(t *testing.T, base, token string, start time.Time) time.Duration {
	t.Helper()
	for time.Since(start) < 10*time.Second {
		if code, _ := whoami(t, base, token); code == http.StatusUnauthorized {
			return time.Since(start)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the revoked token was still accepted after 10 s")
	return 0
}

// TestServiceTrustsSessionsAndRevocations is the two-process test: a
// sessionguard server and examples/service, a process of its own. The
// service accepts a signed-in user's access token, refuses a missing,
// forged or other-algorithm token, and refuses a token within a second of
// its sign-out and of an administrator ending the user's sessions.
func TestServiceTrustsSessionsAndRevocations(t *testing.T) {
	sg := startServer(t)
	svc := startService(t, sg.URL)

	token, cookie := sg.signIn(t, "user@example.com", "user-password")
	code, body := whoami(t, svc, token)
	require.Equal(t, http.StatusOK, code, "%v", body)
	assert.Equal(t, "user@example.com", body["email"])
	assert.Equal(t, "user", body["role"])
	assert.NotEmpty(t, body["sid"])

	code, _ = whoami(t, svc, "")
	assert.Equal(t, http.StatusUnauthorized, code, "no token")
	code, _ = whoami(t, svc, forged(t, token))
	assert.Equal(t, http.StatusUnauthorized, code, "signed with another key under the same kid")
	code, _ = whoami(t, svc, token[:len(token)-2]+"xx")
	assert.Equal(t, http.StatusUnauthorized, code, "a changed signature")

	start := time.Now()
	sg.signOut(t, cookie)
	d := refusedWithin(t, svc, token, start)
	t.Logf("sign-out reached the service in %v", d)
	assert.Less(t, d, time.Second, "a revoked token dies within a second")

	// An administrator ends every session of the user.
	token2, _ := sg.signIn(t, "user@example.com", "user-password")
	code, _ = whoami(t, svc, token2)
	require.Equal(t, http.StatusOK, code)
	u, found, err := sg.srv.Store().UserByEmail(t.Context(), "user@example.com")
	require.NoError(t, err)
	require.True(t, found)
	start = time.Now()
	require.NoError(t, sg.srv.Sessions().RevokeUser(t.Context(), u.ID))
	d = refusedWithin(t, svc, token2, start)
	t.Logf("ending every session reached the service in %v", d)
	assert.Less(t, d, time.Second)

	// A password change rotates the session: the old id's tokens die at
	// the service too (the server announces the rotated-out session).
	token4, cookie4 := sg.signIn(t, "user@example.com", "user-password")
	code, _ = whoami(t, svc, token4)
	require.Equal(t, http.StatusOK, code)
	req, err := http.NewRequest("POST", sg.URL+"/api/auth/password", strings.NewReader(`{"currentPassword":"user-password","newPassword":"another-password"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", cookie4)
	start = time.Now()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	d = refusedWithin(t, svc, token4, start)
	t.Logf("a password change's rotation reached the service in %v", d)
	assert.Less(t, d, time.Second)

	// The server goes away: the service fails closed.
	token3, _ := sg.signIn(t, "admin@example.com", "admin-password")
	code, _ = whoami(t, svc, token3)
	require.Equal(t, http.StatusOK, code)
	sg.stop()
	sg.stop = nil
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, _ = whoami(t, svc, token3)
		if code == http.StatusServiceUnavailable || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	assert.Equal(t, http.StatusServiceUnavailable, code, "without its feed the service trusts no token")
}

// forged re-signs token's claims with a key of its own under the same key
// id: the header and claims are right, the signature is not the server's.
func forged(t *testing.T, token string) string {
	t.Helper()
	var claims jwt.MapClaims
	parsed, _, err := jwt.NewParser().ParseUnverified(token, &claims)
	require.NoError(t, err)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	f := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	f.Header["kid"] = parsed.Header["kid"]
	f.Header["typ"] = parsed.Header["typ"]
	s, err := f.SignedString(priv)
	require.NoError(t, err)
	return s
}

// TestServiceAPINeedsTheCredential: the service API answers only requests
// with one of the server's service credentials (401 otherwise, never a
// hint of which part was wrong), and introspection says inactive for a
// token that names no live session.
func TestServiceAPINeedsTheCredential(t *testing.T) {
	sg := startServer(t)
	introspect := func(auth, body string) (int, string) {
		req, err := http.NewRequest("POST", sg.URL+"/api/service/introspect", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, auth := range []string{"", "Bearer ", "Bearer " + serviceToken + "x", "Basic " + serviceToken, serviceToken} {
		code, body := introspect(auth, `{"token":"x"}`)
		assert.Equal(t, http.StatusUnauthorized, code, "Authorization %q", auth)
		assert.JSONEq(t, `{"error":"a service credential is required (Authorization: Bearer)"}`, body)
	}
	code, body := introspect("Bearer "+serviceToken, `{"token":"not-a-token"}`)
	assert.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"active":false}`, body)

	token, cookie := sg.signIn(t, "user@example.com", "user-password")
	code, body = introspect("Bearer "+serviceToken, `{"token":"`+token+`"}`)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"active":true`)
	assert.Contains(t, body, `"email":"user@example.com"`)
	sg.signOut(t, cookie)
	_, body = introspect("Bearer "+serviceToken, `{"token":"`+token+`"}`)
	assert.JSONEq(t, `{"active":false}`, body, "after sign-out")

	req, err := http.NewRequest("GET", sg.URL+"/api/service/revocations", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the feed too")
}
