package auth_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/auth"
	"github.com/sessionguard/sessionguard/server/session"
)

// hostileReader is a request body of unknown length (sent chunked), so
// only reading it finds out that it is too large.
type hostileReader struct{ n int }

func (h *hostileReader) Read(p []byte) (int, error) {
	if h.n <= 0 {
		return 0, io.EOF
	}
	n := min(len(p), h.n)
	for i := range n {
		p[i] = ' '
	}
	h.n -= n
	return n, nil
}

// TestHostileRequests sends requests an attacker or a broken client would
// to the real handler: each gets the 4xx (or 2xx/3xx) its row names, and
// none a 5xx.
func TestHostileRequests(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		user, admin := e.client(), e.client()
		require.Equal(t, http.StatusOK, user.signIn("user@example.com", "user-password").StatusCode)
		require.Equal(t, http.StatusOK, admin.signIn("admin@example.com", "admin-password").StatusCode)
		userCookie := session.CookieName + "=" + user.cookie().Value
		adminCookie := session.CookieName + "=" + admin.cookie().Value
		userID := otherUserID(t, e, "user@example.com")
		h := e.auth.Handler()

		huge := strings.Repeat("x", auth.MaxBodyBytes+1)
		hugeJSON := `{"email":"user@example.com","password":"` + huge + `"}`
		deep := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
		many := make([]string, 3000)
		for i := range many {
			many[i] = "c" + strings.Repeat("x", i%20) + "=v"
		}
		json := "Content-Type: application/json"
		form := "Content-Type: application/x-www-form-urlencoded"
		navigate := []string{"Accept: text/html", "Sec-Fetch-Mode: navigate"}

		tests := []struct {
			name, method, target string
			headers              []string // "Name: value"
			body                 string
			chunked              int // a chunked body of this many bytes instead
			code                 int
			allow                string // the Allow header a 405 must carry
			location             string // the Location a redirect must carry
		}{
			// Cookies: oversized, many, duplicated, malformed.
			{name: "100 KiB session cookie", method: "GET", target: "/api/get-session-status", headers: []string{"Cookie: " + session.CookieName + "=" + strings.Repeat("A", 100<<10)}, code: http.StatusOK},
			{name: "100 KiB cookie on a page", method: "GET", target: "/dashboard", headers: []string{"Cookie: " + session.CookieName + "=" + strings.Repeat("A", 100<<10)}, code: http.StatusSeeOther, location: "/?callbackUrl=%2Fdashboard"},
			{name: "3000 cookies", method: "GET", target: "/api/session", headers: []string{"Cookie: " + strings.Join(many, "; ")}, code: http.StatusOK},
			{name: "duplicate session cookies, forged first", method: "GET", target: "/admin", headers: []string{"Cookie: " + session.CookieName + "=forged; " + adminCookie}, code: http.StatusSeeOther, location: "/?callbackUrl=%2Fadmin"},
			{name: "duplicate session cookies, user's first", method: "GET", target: "/admin", headers: []string{"Cookie: " + userCookie + "; " + adminCookie}, code: http.StatusForbidden},
			{name: "duplicate Cookie headers", method: "GET", target: "/api/get-session-status", headers: []string{"Cookie: " + session.CookieName + "=forged", "Cookie: " + userCookie}, code: http.StatusOK},
			{name: "cookie with control bytes", method: "GET", target: "/dashboard", headers: []string{"Cookie: " + session.CookieName + "=a\x01b\x7f"}, code: http.StatusSeeOther, location: "/?callbackUrl=%2Fdashboard"},
			{name: "malformed device cookie", method: "POST", target: "/api/auth/signin", headers: []string{json, "Cookie: " + auth.DeviceCookieName + "=" + strings.Repeat(".", 300)}, body: `{"email":"user@example.com","password":"wrong"}`, code: http.StatusUnauthorized},

			// CRLF and other header injection through redirect targets.
			{name: "CRLF in redirectUrl, JSON", method: "POST", target: "/api/auth/signout", headers: []string{json}, body: `{"redirectUrl":"/\r\nSet-Cookie: x=1"}`, code: http.StatusOK},
			{name: "CRLF in redirectUrl, form navigation", method: "POST", target: "/api/auth/signout", headers: append([]string{form}, navigate...), body: "redirectUrl=%2F%0d%0aSet-Cookie:%20x=1", code: http.StatusSeeOther, location: "/"},
			{name: "encoded CRLF in redirectUrl", method: "POST", target: "/api/auth/signout", headers: append([]string{form}, navigate...), body: "redirectUrl=%2F%250d%250aSet-Cookie:x", code: http.StatusSeeOther, location: "/"},
			{name: "encoded CRLF in callbackUrl's path", method: "GET", target: "/dashboard%0d%0aSet-Cookie:%20x=1", headers: navigate, code: http.StatusBadRequest},
			{name: "encoded CRLF in callbackUrl's query", method: "GET", target: "/dashboard?next=%0d%0aSet-Cookie:%20x=1", headers: navigate, code: http.StatusSeeOther, location: "/?callbackUrl=%2Fdashboard%3Fnext%3D%250d%250aSet-Cookie%3A%2520x%3D1"},
			{name: "callbackUrl on the sign-in page", method: "GET", target: "/?callbackUrl=%0d%0a%2F%2Fevil.example", headers: navigate, code: http.StatusOK},
			{name: "redirectUrl to another origin", method: "POST", target: "/api/auth/signout", headers: append([]string{form}, navigate...), body: "redirectUrl=%2F%2Fevil.example", code: http.StatusSeeOther, location: "/"},

			// Odd methods: 405 with Allow.
			{name: "PUT on the session", method: "PUT", target: "/api/session", code: http.StatusMethodNotAllowed, allow: "GET, HEAD"},
			{name: "DELETE on sign-in", method: "DELETE", target: "/api/auth/signin", code: http.StatusMethodNotAllowed, allow: "POST"},
			{name: "TRACE on sign-in", method: "TRACE", target: "/api/auth/signin", code: http.StatusMethodNotAllowed, allow: "POST"},
			{name: "PROPFIND on a page", method: "PROPFIND", target: "/dashboard", code: http.StatusMethodNotAllowed, allow: "GET, HEAD"},
			{name: "POST on a page", method: "POST", target: "/admin", headers: []string{json}, body: "{}", code: http.StatusMethodNotAllowed, allow: "GET, HEAD"},
			{name: "POST on healthz", method: "POST", target: "/healthz", code: http.StatusMethodNotAllowed, allow: "GET, HEAD"},
			{name: "made-up method", method: "BREW", target: "/api/auth/config", code: http.StatusMethodNotAllowed, allow: "GET, HEAD"},
			{name: "GET on an admin write", method: "GET", target: "/api/admin/users/" + userID + "/sessions/x", code: http.StatusMethodNotAllowed, allow: "DELETE"},
			{name: "POST on a user's sessions", method: "POST", target: "/api/admin/users/" + userID + "/sessions", code: http.StatusMethodNotAllowed, allow: "GET, HEAD, DELETE"},
			{name: "POST on the events", method: "POST", target: "/api/auth/events", code: http.StatusMethodNotAllowed, allow: "GET"},

			// HEAD and OPTIONS on the API and on pages.
			{name: "HEAD the session", method: "HEAD", target: "/api/session", headers: []string{"Cookie: " + userCookie}, code: http.StatusOK},
			{name: "HEAD the status", method: "HEAD", target: "/api/get-session-status", code: http.StatusOK},
			{name: "HEAD the device list", method: "HEAD", target: "/api/auth/sessions", headers: []string{"Cookie: " + userCookie}, code: http.StatusOK},
			{name: "HEAD the events", method: "HEAD", target: "/api/auth/events", headers: []string{"Cookie: " + userCookie}, code: http.StatusMethodNotAllowed, allow: "GET"},
			{name: "HEAD a guarded page", method: "HEAD", target: "/dashboard", code: http.StatusSeeOther, location: "/?callbackUrl=%2Fdashboard"},
			{name: "HEAD an admin page as a user", method: "HEAD", target: "/admin", headers: []string{"Cookie: " + userCookie}, code: http.StatusForbidden},
			{name: "HEAD a public page", method: "HEAD", target: "/public", code: http.StatusOK},
			{name: "OPTIONS the session", method: "OPTIONS", target: "/api/session", headers: []string{"Origin: https://evil.example", "Access-Control-Request-Method: GET"}, code: http.StatusMethodNotAllowed, allow: "GET, HEAD"},
			{name: "OPTIONS sign-in", method: "OPTIONS", target: "/api/auth/signin", headers: []string{"Origin: https://evil.example", "Access-Control-Request-Method: POST"}, code: http.StatusMethodNotAllowed, allow: "POST"},
			{name: "OPTIONS a page", method: "OPTIONS", target: "/dashboard", code: http.StatusMethodNotAllowed, allow: "GET, HEAD"},
			{name: "OPTIONS an unknown API path", method: "OPTIONS", target: "/api/nope", code: http.StatusNotFound},

			// Content types.
			{name: "sign-in as text/plain", method: "POST", target: "/api/auth/signin", headers: []string{"Content-Type: text/plain"}, body: `{"email":"user@example.com","password":"user-password"}`, code: http.StatusUnsupportedMediaType},
			{name: "sign-in without a type", method: "POST", target: "/api/auth/signin", body: `{"email":"user@example.com","password":"user-password"}`, code: http.StatusUnsupportedMediaType},
			{name: "password as a form", method: "POST", target: "/api/auth/password", headers: []string{form, "Cookie: " + userCookie}, body: "currentPassword=user-password&newPassword=xxxxxxxxxx", code: http.StatusUnsupportedMediaType},
			{name: "admin patch as xml", method: "PATCH", target: "/api/admin/users/" + userID, headers: []string{"Content-Type: application/xml", "Cookie: " + adminCookie}, body: "<role>admin</role>", code: http.StatusUnsupportedMediaType},
			{name: "malformed Content-Type", method: "POST", target: "/api/auth/signin", headers: []string{"Content-Type: ;;;"}, body: "{}", code: http.StatusBadRequest},
			{name: "multipart without a boundary", method: "POST", target: "/api/auth/signin", headers: []string{"Content-Type: multipart/form-data"}, body: "--B--", code: http.StatusBadRequest},

			// Huge bodies: 413, by Content-Length or by reading.
			{name: "huge sign-in", method: "POST", target: "/api/auth/signin", headers: []string{json}, body: hugeJSON, code: http.StatusRequestEntityTooLarge},
			{name: "huge chunked sign-in", method: "POST", target: "/api/auth/signin", headers: []string{json}, chunked: 1 << 20, code: http.StatusRequestEntityTooLarge},
			{name: "huge chunked form", method: "POST", target: "/api/auth/signin", headers: []string{form}, chunked: 1 << 20, code: http.StatusRequestEntityTooLarge},
			{name: "huge password change", method: "POST", target: "/api/auth/password", headers: []string{json, "Cookie: " + userCookie}, body: hugeJSON, code: http.StatusRequestEntityTooLarge},
			{name: "huge chunked password change", method: "POST", target: "/api/auth/password", headers: []string{json, "Cookie: " + userCookie}, chunked: 1 << 20, code: http.StatusRequestEntityTooLarge},
			{name: "huge admin patch", method: "PATCH", target: "/api/admin/users/" + userID, headers: []string{json, "Cookie: " + adminCookie}, body: `{"role":"` + huge + `"}`, code: http.StatusRequestEntityTooLarge},
			{name: "huge body on revoke-others", method: "POST", target: "/api/auth/sessions/revoke-others", headers: []string{json, "Cookie: " + userCookie}, body: huge, code: http.StatusRequestEntityTooLarge},

			// Bad JSON: 400.
			{name: "truncated JSON", method: "POST", target: "/api/auth/signin", headers: []string{json}, body: `{"email":`, code: http.StatusBadRequest},
			{name: "deeply nested JSON", method: "POST", target: "/api/auth/signin", headers: []string{json}, body: deep, code: http.StatusRequestEntityTooLarge},
			{name: "nested JSON under the limit", method: "POST", target: "/api/auth/signin", headers: []string{json}, body: strings.Repeat("[", 20_000) + strings.Repeat("]", 20_000), code: http.StatusBadRequest},
			{name: "JSON string for an object", method: "POST", target: "/api/auth/signin", headers: []string{json}, body: `"user@example.com"`, code: http.StatusBadRequest},
			{name: "password as a number", method: "POST", target: "/api/auth/signin", headers: []string{json}, body: `{"email":"user@example.com","password":1}`, code: http.StatusBadRequest},
			{name: "NUL bytes in JSON", method: "POST", target: "/api/auth/signin", headers: []string{json}, body: "{\x00}", code: http.StatusBadRequest},
			{name: "invalid UTF-8 in a field", method: "POST", target: "/api/auth/signin", headers: []string{json}, body: "{\"email\":\"\xff@example.com\",\"password\":\"x\"}", code: http.StatusUnauthorized},
			{name: "bad JSON to the password change", method: "POST", target: "/api/auth/password", headers: []string{json, "Cookie: " + userCookie}, body: `[`, code: http.StatusBadRequest},
			{name: "wrong type in the admin patch", method: "PATCH", target: "/api/admin/users/" + userID, headers: []string{json, "Cookie: " + adminCookie}, body: `{"disabled":"yes"}`, code: http.StatusBadRequest},
			{name: "bad JSON to sign-out", method: "POST", target: "/api/auth/signout", headers: []string{json}, body: `{"redirectUrl":`, code: http.StatusBadRequest},
			{name: "bad form escape", method: "POST", target: "/api/auth/signin", headers: []string{form}, body: "email=%zz&password=x", code: http.StatusBadRequest},

			// Paths and other headers.
			{name: "60 KiB path", method: "GET", target: "/" + strings.Repeat("a/", 30<<10), headers: navigate, code: http.StatusSeeOther},
			{name: "NUL in an admin path", method: "GET", target: "/admin%00", headers: navigate, code: http.StatusBadRequest},
			{name: "backslash to the admin area", method: "GET", target: "/public/..%5cadmin", headers: navigate, code: http.StatusBadRequest},
			{name: "API path with dot segments", method: "GET", target: "/public/../api/session", code: http.StatusNotFound},
			{name: "cross-site sign-out", method: "POST", target: "/api/auth/signout", headers: []string{"Sec-Fetch-Site: cross-site", "Cookie: " + userCookie}, code: http.StatusForbidden},
			{name: "null Origin on sign-in", method: "POST", target: "/api/auth/signin", headers: []string{json, "Origin: null"}, body: `{}`, code: http.StatusForbidden},
			{name: "garbage Sec-Fetch-Site", method: "POST", target: "/api/auth/signin", headers: []string{json, "Sec-Fetch-Site: \x01\x02"}, body: `{}`, code: http.StatusForbidden},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var body io.Reader
				if tt.body != "" {
					body = strings.NewReader(tt.body)
				}
				req := httptest.NewRequest(tt.method, "/", body)
				u, err := url.ParseRequestURI(tt.target) // as the server reads the request line
				require.NoError(t, err)
				req.URL, req.RequestURI = u, tt.target
				if tt.chunked > 0 {
					req.Body, req.ContentLength = io.NopCloser(&hostileReader{n: tt.chunked}), -1
				}
				for _, hl := range tt.headers {
					name, value, _ := strings.Cut(hl, ": ")
					req.Header.Add(name, value)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				assert.Less(t, rec.Code, 500, "never a 5xx")
				assert.Equal(t, tt.code, rec.Code, rec.Body.String())
				if tt.allow != "" {
					assert.Equal(t, tt.allow, rec.Header().Get("Allow"))
				}
				if tt.location != "" {
					assert.Equal(t, tt.location, rec.Header().Get("Location"))
				}
				for name, values := range rec.Header() {
					for _, v := range values {
						assert.NotContains(t, v, "\n", "header %s", name)
						assert.NotContains(t, v, "\r", "header %s", name)
					}
				}
				for _, ck := range rec.Result().Cookies() {
					assert.NotEqual(t, "x", ck.Name, "no header injected")
				}
				if rec.Code >= 400 && tt.method != "HEAD" && strings.Contains(tt.target, "/api/") {
					assert.Contains(t, rec.Header().Get("Content-Type"), "application/json")
					assert.Contains(t, rec.Body.String(), `"error":`)
				}
			})
		}
	})
}

// TestOversizedHeadersOverTheWire: headers over the server's limit are
// refused by net/http with 431 before any handler runs; the connection
// answers, and the next request is served.
func TestOversizedHeadersOverTheWire(t *testing.T) {
	e := newEnv(t)
	host := strings.TrimPrefix(e.srv.URL, "http://")
	send := func(t *testing.T, header string) int {
		t.Helper()
		conn, err := net.Dial("tcp", host)
		require.NoError(t, err)
		defer conn.Close()
		require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
		_, err = io.WriteString(conn, "GET /api/get-session-status HTTP/1.1\r\nHost: "+host+"\r\n"+header+"\r\nConnection: close\r\n\r\n")
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tt := range []struct {
		name, header string
		code         int
	}{
		{"2 MiB cookie", "Cookie: " + session.CookieName + "=" + strings.Repeat("A", 2<<20), http.StatusRequestHeaderFieldsTooLarge},
		{"2 MiB of small headers", strings.Repeat("X-Pad: "+strings.Repeat("p", 1000)+"\r\n", 2<<10) + "X-End: 1", http.StatusRequestHeaderFieldsTooLarge},
		{"header line without a colon", "not a header", http.StatusBadRequest},
		{"CR alone in a header", "X-Evil: a\rb", http.StatusBadRequest},
		{"NUL in a header name", "X-E\x00vil: a", http.StatusBadRequest},
		{"within the limit", "Cookie: " + session.CookieName + "=" + strings.Repeat("A", 8<<10), http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.code, send(t, tt.header))
		})
	}
	assert.Equal(t, http.StatusOK, e.client().get("/api/get-session-status").StatusCode, "still serving")
}
