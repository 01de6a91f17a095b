package auth_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wire"
)

// TestRequestBodiesMustBeJSON: a body of any type but application/json
// (parameters allowed) is refused with 415 before the handler runs; the
// endpoints that plain HTML forms post to also take form bodies, and a
// request without a body needs no type.
func TestRequestBodiesMustBeJSON(t *testing.T) {
	forStrategies(t, func(t *testing.T, strategy string) {
		e := newEnv(t, withStrategy(strategy))
		signIn := `{"email":"user@example.com","password":"user-password"}`
		userID := otherUserID(t, e, "user@example.com")
		tests := []struct {
			name, method, path, ctype, body string
			admin                           bool // sign in as the admin first (else as the user)
			code                            int
		}{
			{"sign-in json", "POST", "/api/auth/signin", "application/json", signIn, false, http.StatusOK},
			{"sign-in json with charset", "POST", "/api/auth/signin", "application/json; charset=utf-8", signIn, false, http.StatusOK},
			{"sign-in json upper case", "POST", "/api/auth/signin", "Application/JSON", signIn, false, http.StatusOK},
			{"sign-in form", "POST", "/api/auth/signin", "application/x-www-form-urlencoded", "email=user%40example.com&password=user-password", false, http.StatusOK},
			{"sign-in text/plain", "POST", "/api/auth/signin", "text/plain", signIn, false, http.StatusUnsupportedMediaType},
			{"sign-in text/plain with charset", "POST", "/api/auth/signin", "text/plain;charset=UTF-8", signIn, false, http.StatusUnsupportedMediaType},
			{"sign-in without a type", "POST", "/api/auth/signin", "", signIn, false, http.StatusUnsupportedMediaType},
			{"sign-in xml", "POST", "/api/auth/signin", "application/xml", "<a/>", false, http.StatusUnsupportedMediaType},
			{"sign-in json lookalike", "POST", "/api/auth/signin", "application/jsonp", signIn, false, http.StatusUnsupportedMediaType},
			{"sign-out form", "POST", "/api/auth/signout", "application/x-www-form-urlencoded", "redirectUrl=%2Fpublic", false, http.StatusOK},
			{"sign-out without a body", "POST", "/api/auth/signout", "", "", false, http.StatusOK},
			{"sign-out text/plain", "POST", "/api/auth/signout", "text/plain", `{}`, false, http.StatusUnsupportedMediaType},
			{"password form", "POST", "/api/auth/password", "application/x-www-form-urlencoded", "currentPassword=user-password&newPassword=another-one", false, http.StatusUnsupportedMediaType},
			{"password text/plain", "POST", "/api/auth/password", "text/plain", `{"currentPassword":"user-password","newPassword":"another-one"}`, false, http.StatusUnsupportedMediaType},
			{"password without a type", "POST", "/api/auth/password", "", `{"currentPassword":"user-password","newPassword":"another-one"}`, false, http.StatusUnsupportedMediaType},
			{"revoke others without a body", "POST", "/api/auth/sessions/revoke-others", "", "", false, http.StatusOK},
			{"revoke others text/plain", "POST", "/api/auth/sessions/revoke-others", "text/plain", "{}", false, http.StatusUnsupportedMediaType},
			{"admin patch multipart", "PATCH", "/api/admin/users/" + userID, "multipart/form-data; boundary=B", "--B--\r\n", true, http.StatusUnsupportedMediaType},
			{"admin patch text/plain", "PATCH", "/api/admin/users/" + userID, "text/plain", `{"disabled":true}`, true, http.StatusUnsupportedMediaType},
			{"status with a text body", "GET", "/api/get-session-status", "text/plain", "x", false, http.StatusUnsupportedMediaType},
		}
		if strategy == "jwt" {
			tests = append(tests, struct {
				name, method, path, ctype, body string
				admin                           bool
				code                            int
			}{"refresh text/plain", "POST", "/api/auth/refresh", "text/plain", "{}", false, http.StatusUnsupportedMediaType})
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := e.client()
				if tt.admin {
					require.Equal(t, http.StatusOK, c.signIn("admin@example.com", "admin-password").StatusCode)
				} else if tt.path != "/api/auth/signin" {
					require.Equal(t, http.StatusOK, c.signIn("user@example.com", "user-password").StatusCode)
				}
				var hdr []string
				if tt.ctype != "" {
					hdr = []string{"Content-Type", tt.ctype}
				}
				var r *http.Response
				if tt.body == "" {
					r = c.do(tt.method, tt.path, nil, hdr...)
				} else {
					r = c.do(tt.method, tt.path, strings.NewReader(tt.body), hdr...)
				}
				assert.Equal(t, tt.code, r.StatusCode)
				if tt.code == http.StatusUnsupportedMediaType {
					var out wire.Error
					decode(t, r, &out)
					assert.Contains(t, out.Error, "unsupported Content-Type")
					assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
				}
			})
		}
	})
}
