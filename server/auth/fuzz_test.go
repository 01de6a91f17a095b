package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/auth"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/users"
	"github.com/sessionguard/sessionguard/wire"
)

// bodyServer is the real handler with a signed-in user and a signed-in
// admin, for feeding request bodies to every handler that reads one.
type bodyServer struct {
	h      http.Handler
	cookie map[string]string // Cookie header by account: "user", "admin"
	userID string
	uses   int
	stale  bool   // a request ended or rotated a session: build anew
	close  func() // stops the server and removes its directory
}

func newBodyServer(tb testing.TB, strategy string) *bodyServer {
	tb.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	fs := &flakyStore{Store: memory.New()}
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	// The server outlives the fuzz input that built it (later inputs reuse
	// it), so its directory and its end are not tied to that input's t.
	dir, err := os.MkdirTemp("", "sg-fuzz-")
	must(err)
	must(os.WriteFile(filepath.Join(dir, "index.html"), []byte(shellHTML), 0o600))
	a, err := app.New(ctx, app.Options{
		Strategy: strategy, Store: fs, Now: c.Now, StaticDir: dir, PasswordParams: fastParams, Bearer: true,
		Accounts: []users.NewAccount{
			{Email: "user@example.com", Name: "Demo User", Role: "user", Password: "user-password"},
			{Email: "admin@example.com", Name: "Demo Admin", Role: "admin", Password: "admin-password"},
		},
	})
	must(err)
	u, _, err := fs.UserByEmail(ctx, "user@example.com")
	must(err)
	s := &bodyServer{h: a.Handler(), cookie: map[string]string{}, userID: u.ID,
		close: func() { a.Close(); os.RemoveAll(dir) }}
	for who, pw := range map[string]string{"user": "user-password", "admin": "admin-password"} {
		w := s.serve(http.MethodPost, "/api/auth/signin", "application/json", `{"email":"`+who+`@example.com","password":"`+pw+`"}`, "")
		if w.Code != http.StatusOK {
			tb.Fatalf("sign-in of %s: %d %s", who, w.Code, w.Body)
		}
		var parts []string
		for _, ck := range w.Result().Cookies() {
			parts = append(parts, ck.Name+"="+ck.Value)
		}
		s.cookie[who] = strings.Join(parts, "; ")
	}
	return s
}

func (s *bodyServer) serve(method, path, contentType, body, cookie string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, req)
	return w
}

// bodyRoute is one endpoint that reads a request body, and whose session
// sends it ("" for none).
type bodyRoute struct {
	method, path, as string
}

func bodyRoutes(userID string) []bodyRoute {
	return []bodyRoute{
		{http.MethodPost, "/api/auth/signin", ""},
		{http.MethodPost, "/api/auth/signin", "user"},
		{http.MethodPost, "/api/auth/signout", "user"},
		{http.MethodPost, "/api/auth/signout", ""},
		{http.MethodPost, "/api/auth/password", "user"},
		{http.MethodPatch, "/api/admin/users/" + userID, "admin"},
		{http.MethodPost, "/api/auth/sessions/revoke-others", "user"},
		{http.MethodDelete, "/api/admin/users/" + userID + "/sessions", "admin"},
		{http.MethodDelete, "/api/auth/sessions/x", "user"},
		{http.MethodPost, wire.PathRefresh, "user"},
		{http.MethodPost, wire.PathTOTPSetup, "user"},
		{http.MethodPost, wire.PathTOTPConfirm, "user"},
		{http.MethodPost, wire.PathTOTPDisable, "user"},
		{http.MethodPost, wire.PathTwoFactorCheck, ""},
		{http.MethodPost, wire.PathReauth, "user"},
		{http.MethodPost, wire.PathToken, ""},
		{http.MethodPost, wire.PathTokenTwoFactor, ""},
		{http.MethodPost, wire.PathTokenRefresh, ""}, // jwt; 404 under the database strategy
	}
}

// FuzzRequestBodies sends any body with any Content-Type to every handler
// that reads one, under both strategies, through the real handler: the
// answer is 200 or a 4xx, never a 5xx or a panic, and a 4xx carries a JSON
// {"error":"..."} with a message.
func FuzzRequestBodies(f *testing.F) {
	seeds := []struct{ ct, body string }{
		{"application/json", `{"email":"user@example.com","password":"user-password","redirectUrl":"/dashboard"}`},
		{"application/json", `{"email":"user@example.com","password":"wrong"}`},
		{"application/json; charset=utf-8", `{"redirectUrl":"//evil.example"}`},
		{"application/json", `{"currentPassword":"user-password","newPassword":"a-new-password-1"}`},
		{"application/json", `{"role":"admin"}`},
		{"application/json", `{"disabled":true}`},
		{"application/json", `{"code":"123456"}`},
		{"application/json", `{"recoveryCode":"abcd-efgh-ijkl"}`},
		{"application/json", `{"code":123456}`},
		{"application/json", `{"password":"user-password","code":"000000"}`},
		{"application/json", `{"challenge":"e30.x","code":"123456"}`},
		{"application/json", `{"refreshToken":"x"}`},
		{"application/json", `{"refreshToken":7}`},
		{"application/x-www-form-urlencoded", "code=123456&recoveryCode="},
		{"application/json", `{"role":42,"disabled":"yes"}`},
		{"application/json", `{"email":["a"],"password":{}}`},
		{"application/json", `null`},
		{"application/json", `[]`},
		{"application/json", `{"a":` + strings.Repeat("[", 10000)},
		{"application/json", "\xef\xbb\xbf{}"},
		{"text/plain", `{"email":"x"}`},
		{"application/x-www-form-urlencoded", "email=user%40example.com&password=user-password&redirectUrl=%2Fdashboard"},
		{"application/x-www-form-urlencoded", "email=%zz&password=;"},
		{"multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nuser@example.com\r\n--b--\r\n"},
		{"multipart/form-data", "--b\r\n"},
		{"application/xml", "<a/>"},
		{"application/json; charset=\"", "{}"},
		{"", ""},
		{"", "{}"},
	}
	for _, s := range seeds {
		for route := range len(bodyRoutes("")) {
			f.Add(uint8(route), s.ct, []byte(s.body))
		}
	}
	f.Add(uint8(0x80), "application/json", bytes.Repeat([]byte("a"), auth.MaxBodyBytes+1))
	servers := map[string]*bodyServer{}
	f.Cleanup(func() {
		for _, s := range servers {
			s.close()
		}
	})
	f.Fuzz(func(t *testing.T, route uint8, contentType string, body []byte) {
		strategy := "database"
		if route&0x80 != 0 {
			strategy = "jwt"
		}
		s := servers[strategy]
		if s == nil || s.stale || s.uses > 200 {
			if s != nil {
				s.close()
			}
			s = newBodyServer(t, strategy)
			servers[strategy] = s
		}
		s.uses++
		routes := bodyRoutes(s.userID)
		rt := routes[int(route&0x7f)%len(routes)]
		w := s.serve(rt.method, rt.path, contentType, string(body), s.cookie[rt.as])
		if w.Code >= 500 || w.Code < 200 || w.Code >= 300 && w.Code < 400 {
			t.Fatalf("%s %s %s (Content-Type %q, %d-byte body %q): %d %s", strategy, rt.method, rt.path, contentType, len(body), clip(body), w.Code, w.Body)
		}
		if w.Code >= 400 {
			var e struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("%s %s %s (Content-Type %q, body %q): %d without a JSON error: %q", strategy, rt.method, rt.path, contentType, clip(body), w.Code, w.Body)
			}
		} else if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %s %s: 200 with a body that is not JSON: %q", strategy, rt.method, rt.path, w.Body)
		}
		// A request that changed a session or an account leaves the next
		// inputs a server whose state they do not expect: start afresh.
		if w.Code == http.StatusOK && rt.as != "" || len(w.Result().Cookies()) > 0 {
			s.stale = true
		}
	})
}

func clip(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}
