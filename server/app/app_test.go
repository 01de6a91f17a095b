package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store/memory"
	"github.com/sessionguard/sessionguard/server/store/sqlite"
	"github.com/sessionguard/sessionguard/server/users"
)

// fastParams keep account creation quick; package users tests the real cost.
var fastParams = users.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestNewRefusesBadOptions(t *testing.T) {
	tests := []struct {
		name string
		o    app.Options
		want string
	}{
		{"strategy", app.Options{Strategy: "cookie"}, `-strategy "cookie": want database or jwt`},
		{"store", app.Options{StoreKind: "mongo"}, `-store "mongo": want sqlite, memory, postgres or redis`},
		{"postgres without url", app.Options{StoreKind: "postgres"}, "-store postgres needs -store-url"},
		{"redis without url", app.Options{StoreKind: "redis"}, "-store redis needs -store-url"},
		{"tls half", app.Options{StoreKind: "memory", TLSCertFile: "cert.pem"}, "-tls-cert and -tls-key go together"},
		{"pattern", app.Options{StoreKind: "memory", Public: []string{"no-slash"}}, "-public/-admin-paths"},
		{"proxy", app.Options{StoreKind: "memory", TrustedProxies: []string{"not-an-address"}}, "-trusted-proxies"},
		{"webhook", app.Options{StoreKind: "memory", AlertWebhook: "ftp://example.com"}, "want http:// or https://"},
		{"lifetime", app.Options{StoreKind: "memory", Lifetime: session.Lifetime{MaxAge: time.Hour, AbsoluteMaxAge: time.Minute}}, "absolute max age"},
		{"key file", app.Options{StoreKind: "memory", Strategy: "jwt", JWTKeyFile: "/nonexistent/key.pem"}, "key.pem"},
		{"service tokens missing", app.Options{StoreKind: "memory", ServiceTokenFile: "/nonexistent/tokens.txt"}, "-service-token-file"},
		{"bearer access age", app.Options{StoreKind: "memory", Strategy: "jwt", Bearer: true, AccessMaxAge: 30 * time.Minute}, "-bearer with -strategy jwt: -access-max-age 30m0s must be below -max-age 30m0s"},
		{"hash concurrency", app.Options{StoreKind: "memory", HashConcurrency: -1}, "-hash-concurrency -1: want 0 (half the CPUs) or more"},
		{"service token short", app.Options{StoreKind: "memory", ServiceTokenFile: "short"}, "needs 32 bytes or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.DataDir, tt.o.PasswordParams = t.TempDir(), fastParams
			if tt.o.ServiceTokenFile == "short" {
				tt.o.ServiceTokenFile = filepath.Join(tt.o.DataDir, "tokens.txt")
				require.NoError(t, os.WriteFile(tt.o.ServiceTokenFile, []byte("too-short\n"), 0o600))
			}
			_, err := app.New(t.Context(), tt.o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestNewFailsWithoutLeavingTheStoreOpen: an error after the store was
// opened releases it, so the next attempt on the same data directory is not
// refused as a second server.
func TestNewFailsWithoutLeavingTheStoreOpen(t *testing.T) {
	dir := t.TempDir()
	_, err := app.New(t.Context(), app.Options{DataDir: dir, PasswordParams: fastParams, Strategy: "jwt", JWTKeyFile: filepath.Join(dir, "missing.pem")})
	require.Error(t, err)
	s, err := app.New(t.Context(), app.Options{DataDir: dir, PasswordParams: fastParams})
	require.NoError(t, err, "the data directory is free again")
	require.NoError(t, s.Close())
}

// TestDefaultStoreIsTheLockedSQLiteFile: by default the server keeps its
// records in DataDir/sessionguard.db and holds the directory until Close;
// useradd (app.OpenStore) works beside it.
func TestDefaultStoreIsTheLockedSQLiteFile(t *testing.T) {
	dir := t.TempDir()
	s, err := app.New(t.Context(), app.Options{DataDir: dir, PasswordParams: fastParams,
		Accounts: []users.NewAccount{{Email: "ada@example.com", Name: "Ada", Role: users.RoleUser, Password: "analytical-engine"}}})
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(dir, sqlite.FileName))
	_, err = sqlite.OpenExclusive(t.Context(), dir)
	assert.ErrorContains(t, err, "another sessionguard server is using")

	side, err := app.OpenStore(t.Context(), app.Options{DataDir: dir})
	require.NoError(t, err, "a command opens the store beside the server")
	u, found, err := side.UserByEmail(t.Context(), "ada@example.com")
	require.NoError(t, err)
	assert.True(t, found, "the account New created is in the file")
	assert.Equal(t, "Ada", u.Name)
	require.NoError(t, side.Close())

	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "a second Close does nothing")
	again, err := sqlite.OpenExclusive(t.Context(), dir)
	require.NoError(t, err, "Close releases the data directory")
	require.NoError(t, again.Close())
}

// TestNewSaysHowToMakeTheFirstAccount: a server whose store has no account
// says so at start, with the command that makes one; with an account it is
// quiet about it.
func TestNewSaysHowToMakeTheFirstAccount(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	st := memory.New()
	s, err := app.New(t.Context(), app.Options{Store: st, PasswordParams: fastParams, Logger: logger})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.Contains(t, logs.String(), "level=WARN msg=\"no accounts yet")
	assert.Contains(t, logs.String(), "sessionguard useradd -email")

	logs.Reset()
	s, err = app.New(t.Context(), app.Options{Store: st, PasswordParams: fastParams, Logger: logger,
		Accounts: []users.NewAccount{{Email: "ada@example.com", Name: "Ada", Role: users.RoleAdmin, Password: "analytical-engine"}}})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.NotContains(t, logs.String(), "no accounts yet")
}

// TestCloseLeavesTheCallersStoreOpen: a store given in Options belongs to
// the caller.
func TestCloseLeavesTheCallersStoreOpen(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "own.db"))
	require.NoError(t, err)
	defer st.Close()
	s, err := app.New(t.Context(), app.Options{Store: st, PasswordParams: fastParams})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.NoError(t, st.Ping(t.Context()), "still open")
	assert.Same(t, st, s.Store())
}

// TestServe serves the handler until the context ends, then shuts down
// cleanly.
func TestServe(t *testing.T) {
	s, err := app.New(t.Context(), app.Options{Store: memory.New(), PasswordParams: fastParams})
	require.NoError(t, err)
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Get("http://" + ln.Addr().String() + "/metrics")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "metrics on the main listener for loopback clients")
	cancel()
	assert.NoError(t, <-done)
	_, err = http.Get("http://" + ln.Addr().String() + "/healthz")
	assert.Error(t, err, "no longer listening")
}
