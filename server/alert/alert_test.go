package alert_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/server/alert"
)

type sink struct {
	mu     sync.Mutex
	alerts []alert.Alert
	got    chan struct{}
}

func newSink() *sink { return &sink{got: make(chan struct{}, 100)} }

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var a alert.Alert
	if err := json.NewDecoder(r.Body).Decode(&a); err != nil || r.Header.Get("Content-Type") != "application/json" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.alerts = append(s.alerts, a)
	s.mu.Unlock()
	s.got <- struct{}{}
}

func (s *sink) wait(t *testing.T) {
	t.Helper()
	select {
	case <-s.got:
	case <-time.After(10 * time.Second):
		t.Fatal("no alert within 10 s")
	}
}

func TestChosenEventsReachTheWebhook(t *testing.T) {
	sk := newSink()
	srv := httptest.NewServer(sk)
	defer srv.Close()
	sender, err := alert.New(alert.Config{URL: srv.URL})
	require.NoError(t, err)
	var logs bytes.Buffer
	log := slog.New(sender.Handler(slog.NewTextHandler(&logs, nil))).With("service", "sg")
	log.Warn("refresh token reused; session ended", "event", "refresh_token_reuse", "user_id", "u1", "age", 3*time.Second)
	log.Info("signed in", "event", "signin_success", "user_id", "u1") // not an alert
	log.Info("request", "path", "/")                                  // no event at all
	sk.wait(t)
	sender.Close(context.Background())

	sk.mu.Lock()
	defer sk.mu.Unlock()
	require.Len(t, sk.alerts, 1)
	a := sk.alerts[0]
	assert.Equal(t, "refresh_token_reuse", a.Event)
	assert.Equal(t, "WARN", a.Level)
	assert.Equal(t, "u1", a.Attrs["user_id"])
	assert.Equal(t, "sg", a.Attrs["service"])
	assert.Equal(t, "3s", a.Attrs["age"])
	assert.Contains(t, logs.String(), "event=signin_success", "every record is still logged")
	assert.Contains(t, logs.String(), "event=refresh_token_reuse")
	sent, failed, dropped := sender.Stats()
	assert.Equal(t, [3]int64{1, 0, 0}, [3]int64{sent, failed, dropped})
}

func TestRetriesThenGivesUp(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	var errs []error
	var mu sync.Mutex
	sender, err := alert.New(alert.Config{URL: srv.URL, Attempts: 3, Errors: func(e error) { mu.Lock(); errs = append(errs, e); mu.Unlock() }})
	require.NoError(t, err)
	log := slog.New(sender.Handler(slog.DiscardHandler))
	log.Warn("x", "event", "new_device")
	sender.Close(context.Background()) // waits for the queued alert
	assert.Equal(t, int64(3), calls.Load(), "two failures, then success")
	sent, failed, _ := sender.Stats()
	assert.Equal(t, int64(1), sent)
	assert.Equal(t, int64(0), failed)

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	defer down.Close()
	sender, err = alert.New(alert.Config{URL: down.URL, Attempts: 2, Errors: func(e error) { mu.Lock(); errs = append(errs, e); mu.Unlock() }})
	require.NoError(t, err)
	slog.New(sender.Handler(slog.DiscardHandler)).Warn("x", "event", "new_device")
	sender.Close(context.Background())
	_, failed, _ = sender.Stats()
	assert.Equal(t, int64(1), failed, "bounded retries, then counted as failed")
	mu.Lock()
	assert.Len(t, errs, 1)
	mu.Unlock()
}

func TestASlowWebhookNeverBlocksLogging(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	sender, err := alert.New(alert.Config{URL: srv.URL, Queue: 4, Timeout: time.Minute})
	require.NoError(t, err)
	log := slog.New(sender.Handler(slog.DiscardHandler))
	done := make(chan struct{})
	go func() {
		for range 100 {
			log.Warn("x", "event", "signin_rate_limited")
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("logging waited for the webhook")
	}
	_, _, dropped := sender.Stats()
	assert.GreaterOrEqual(t, dropped, int64(100-4-1), "a full queue drops alerts")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	sender.Close(ctx) // gives up on the stuck webhook when ctx ends
}

func TestBadURL(t *testing.T) {
	_, err := alert.New(alert.Config{URL: "ftp://example.com"})
	assert.Error(t, err)
}
