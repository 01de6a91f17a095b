package auth

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sessionguard/sessionguard/server/users"
)

// TestStatusOf: every refusal maps to its status code, and what the client
// reads: the error's own message for a 4xx, the sentinel's alone for a 5xx.
func TestStatusOf(t *testing.T) {
	cause := errors.New("dial tcp 10.0.0.5:5432: connection refused")
	tests := []struct {
		name string
		err  error
		code int
		msg  string
	}{
		{"malformed JSON with detail", fmt.Errorf("%w: email must be a string", errMalformedJSON), 400, "malformed JSON body: email must be a string"},
		{"invalid account from users", fmt.Errorf("%w: role must be user or admin", users.ErrInvalidAccount), 400, "invalid account: role must be user or admin"},
		{"not signed in", errNotSignedIn, 401, "not signed in"},
		{"mixed credentials", errMixedCredentials, 400, "a request carries a bearer token or session cookies, never both"},
		{"role", roleRequired("admin"), 403, "this needs the admin role"},
		{"no such session", errNoSuchSession, 404, "no such session"},
		{"last admin from users", users.ErrLastAdmin, 409, "that would leave no administrator"},
		{"unsupported type", jsonOrForm.unsupported(), 415, "unsupported Content-Type; send application/json or a form"},
		{"sign-in limits", signInLimited(29500 * time.Millisecond), 429, "too many failed sign-in attempts; try again in 30 seconds"},
		{"store failure hides its cause", storeFailed("list sessions", cause), 503, "session store unavailable; try again shortly"},
		{"wrapped 503 hides its cause", fmt.Errorf("%w: %w", errSignInUnavailable, cause), 503, "sign-in is unavailable; try again shortly"},
		{"a 503 wins over what it wraps", failed(errStoreUnavailable, "x", errNotSignedIn), 503, "session store unavailable; try again shortly"},
		{"access changed, joined", errors.Join(errAccessChanged, cause), 503, "the account's access changed while signing in; try again"},
		{"unknown error", cause, 500, "internal error"},
	}
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			code, msg := s.explain(rec, httptest.NewRequest("GET", "/", nil), tt.err)
			assert.Equal(t, tt.code, code)
			assert.Equal(t, tt.msg, msg)
			if code == http.StatusTooManyRequests {
				assert.Equal(t, "30", rec.Header().Get("Retry-After"))
			}
		})
	}
}
