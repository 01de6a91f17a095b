// Package alert forwards the security events that matter to a webhook. It
// is a slog.Handler in front of the real one: every record is logged as
// before, and records whose event (package audit) is in the chosen set are
// also POSTed as JSON to the webhook by a background worker, with a timeout
// and bounded retries. Logging never waits for the webhook: when the queue is
// full, alerts are dropped (and counted).
package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionguard/sessionguard/server/audit"
)

// DefaultEvents are the events worth waking someone for.
var DefaultEvents = []string{
	audit.SignInRateLimited, audit.RefreshTokenReuse, audit.NewDevice, audit.NewAddress,
	audit.PasswordChanged, audit.RoleChanged, audit.AccountDisabled, audit.SessionsRevoked,
	audit.TwoFactorEnabled, audit.TwoFactorDisabled, audit.RecoveryCodeUsed,
}

// Config says where and how alerts go.
type Config struct {
	// URL receives a POST with a JSON body per alert.
	URL string
	// Events are the event names (package audit) forwarded; nil is
	// DefaultEvents.
	Events []string
	// Timeout bounds one POST (default 5 s); Attempts bounds tries per alert
	// (default 3, with 1 s, 2 s … between them); Queue is how many alerts may
	// wait (default 256).
	Timeout  time.Duration
	Attempts int
	Queue    int
	// Client sends the requests; nil is a client with Timeout.
	Client *http.Client
	// Errors, when set, hears of alerts that could not be delivered.
	Errors func(error)
}

// Alert is the JSON body of one webhook request.
type Alert struct {
	Event   string         `json:"event"`
	Time    time.Time      `json:"time"`
	Level   string         `json:"level"`
	Message string         `json:"message"`
	Attrs   map[string]any `json:"attrs"`
}

// Sender owns the queue and the worker. Build one with New; stop it with
// Close. It is safe for concurrent use.
type Sender struct {
	cfg     Config
	events  map[string]bool
	queue   chan Alert
	dropped atomic.Int64
	sent    atomic.Int64
	failed  atomic.Int64
	done    chan struct{}
	stop    context.CancelFunc
	ctx     context.Context
	once    sync.Once
}

// New starts the worker.
func New(cfg Config) (*Sender, error) {
	if !strings.HasPrefix(cfg.URL, "http://") && !strings.HasPrefix(cfg.URL, "https://") {
		return nil, fmt.Errorf("alert: webhook URL %q: want http:// or https://", cfg.URL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 256
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	if cfg.Events == nil {
		cfg.Events = DefaultEvents
	}
	s := &Sender{cfg: cfg, events: map[string]bool{}, queue: make(chan Alert, cfg.Queue), done: make(chan struct{})}
	for _, e := range cfg.Events {
		s.events[e] = true
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	go s.run()
	return s, nil
}

// Handler wraps next: records log as before, and chosen events are queued.
func (s *Sender) Handler(next slog.Handler) slog.Handler {
	return &handler{next: next, s: s}
}

// Stats returns how many alerts were sent, failed after every attempt, and
// dropped because the queue was full.
func (s *Sender) Stats() (sent, failed, dropped int64) {
	return s.sent.Load(), s.failed.Load(), s.dropped.Load()
}

// Close stops taking alerts, tries to deliver the queued ones until ctx
// ends, and stops the worker.
func (s *Sender) Close(ctx context.Context) {
	s.once.Do(func() { close(s.queue) })
	select {
	case <-s.done:
	case <-ctx.Done():
		s.stop()
		<-s.done
	}
}

func (s *Sender) enqueue(a Alert) {
	defer func() { _ = recover() }() // a send on the closed queue after Close: drop it
	select {
	case s.queue <- a:
	default:
		s.dropped.Add(1)
	}
}

func (s *Sender) run() {
	defer close(s.done)
	for a := range s.queue {
		if err := s.deliver(a); err != nil {
			s.failed.Add(1)
			if s.cfg.Errors != nil {
				s.cfg.Errors(err)
			}
			continue
		}
		s.sent.Add(1)
	}
}

// deliver POSTs one alert, retrying on errors and 5xx answers.
func (s *Sender) deliver(a Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	wait := time.Second
	var last error
	for attempt := 1; attempt <= s.cfg.Attempts; attempt++ {
		if attempt > 1 {
			select {
			case <-time.After(wait):
				wait *= 2
			case <-s.ctx.Done():
				return errors.Join(last, s.ctx.Err())
			}
		}
		last = s.post(body)
		if last == nil {
			return nil
		}
	}
	return fmt.Errorf("alert %s: %w", a.Event, last)
}

func (s *Sender) post(body []byte) error {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sessionguard-alert/1")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// handler is the slog.Handler in front of the real one.
type handler struct {
	next  slog.Handler
	s     *Sender
	attrs []slog.Attr
}

// Enabled lets every record of level Info and above through, whatever the
// log level, so the security events (Info and Warn) alert even when the
// log itself is quieter.
func (h *handler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.next.Enabled(ctx, l)
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	// Most records (the access log) carry no event: find that out without
	// allocating, and collect attributes only for an alert.
	event := ""
	find := func(a slog.Attr) bool {
		if a.Key == audit.Key {
			event = a.Value.String()
			return false
		}
		return true
	}
	for _, a := range h.attrs {
		find(a)
	}
	if event == "" {
		r.Attrs(find)
	}
	if h.s.events[event] {
		attrs := map[string]any{}
		collect := func(a slog.Attr) bool {
			if a.Key != audit.Key {
				v := a.Value.Resolve().Any()
				if d, ok := v.(time.Duration); ok {
					v = d.String()
				}
				attrs[a.Key] = v
			}
			return true
		}
		for _, a := range h.attrs {
			collect(a)
		}
		r.Attrs(collect)
		h.s.enqueue(Alert{Event: event, Time: r.Time.UTC(), Level: r.Level.String(), Message: r.Message, Attrs: attrs})
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &handler{next: h.next.WithAttrs(as), s: h.s, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name), s: h.s, attrs: h.attrs}
}
