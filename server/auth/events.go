package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

// Stream timing: a comment line keeps proxies from closing an idle stream,
// and every heartbeat re-reads the session, so a change whose event was lost
// still arrives within one heartbeat. (When a shared store's connection
// comes back, its resync makes every stream re-read at once.)
const (
	heartbeat   = 25 * time.Second
	retryMillis = 2000
)

// writeTimeout bounds each write to a stream (a variable for the tests).
var writeTimeout = 10 * time.Second

// Limits on open event streams, per server process: a page needs one, a
// browser with a few tabs a few, so anything more is a leak or an attack
// holding connections and memory. A stream over a limit is refused with 429
// and Retry-After; a stream that ends gives its slot back at once.
const (
	// MaxStreamsPerSession is how many streams one session may hold open.
	MaxStreamsPerSession = 8
	// MaxStreamsPerUser is how many streams all of one user's sessions may
	// hold open together.
	MaxStreamsPerUser = 32
	// streamRetryAfter is the Retry-After of a refused stream.
	streamRetryAfter = 30 * time.Second
)

// hub fans the store's events out to this process's open streams over one
// store subscription. It is safe for concurrent use.
type hub struct {
	events store.Events
	log    *slog.Logger

	mu        sync.Mutex
	streams   map[*stream]struct{}
	bySession map[string]int     // open streams per session key
	byUser    map[string]int     // open streams per user id
	cancel    context.CancelFunc // of the running subscription; nil when none
	closed    bool
	opened    uint64 // streams ever added
	released  func() // called after remove; a test hook, nil otherwise
}

// stream is one open event stream: one page of one session.
type stream struct {
	userID string
	key    []byte
	ch     chan store.Event
	done   chan struct{} // closed when the hub closes
}

func newHub(e store.Events, log *slog.Logger) *hub {
	return &hub{events: e, log: log, streams: make(map[*stream]struct{}),
		bySession: make(map[string]int), byUser: make(map[string]int)}
}

// add registers st, subscribing to the store first if nothing is
// subscribed yet. It refuses with errTooManyStreams when st's session or
// user holds as many streams as allowed.
func (h *hub) add(st *stream) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errHubClosed
	}
	if h.bySession[string(st.key)] >= MaxStreamsPerSession {
		return fmt.Errorf("%w: %d for one session", errTooManyStreams, MaxStreamsPerSession)
	}
	if h.byUser[st.userID] >= MaxStreamsPerUser {
		return fmt.Errorf("%w: %d for one user", errTooManyStreams, MaxStreamsPerUser)
	}
	if h.cancel == nil {
		ctx, cancel := context.WithCancel(context.Background())
		ch, err := h.events.Subscribe(ctx)
		if err != nil {
			cancel()
			return fmt.Errorf("subscribe to events: %w", err)
		}
		h.cancel = cancel
		go h.run(ch)
	}
	h.streams[st] = struct{}{}
	h.opened++
	h.bySession[string(st.key)]++
	h.byUser[st.userID]++
	return nil
}

var errHubClosed = errors.New("server shutting down")

// StreamCounts returns how many event streams this process holds open now
// and how many it has opened since it started (both 0 when the Manager
// publishes no events). A browser keeps one stream, however many tabs it
// has open.
func (s *Server) StreamCounts() (open int, opened uint64) {
	h := s.hub
	if h == nil {
		return 0, 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.streams), h.opened
}

// remove unregisters st (if the hub has not already dropped it) and gives
// its slots back.
func (h *hub) remove(st *stream) {
	h.mu.Lock()
	h.drop(st)
	released := h.released
	h.mu.Unlock()
	if released != nil {
		released()
	}
}

// drop forgets st and its slots; h.mu is held.
func (h *hub) drop(st *stream) {
	if _, ok := h.streams[st]; !ok {
		return
	}
	delete(h.streams, st)
	if n := h.bySession[string(st.key)] - 1; n > 0 {
		h.bySession[string(st.key)] = n
	} else {
		delete(h.bySession, string(st.key))
	}
	if n := h.byUser[st.userID] - 1; n > 0 {
		h.byUser[st.userID] = n
	} else {
		delete(h.byUser, st.userID)
	}
}

// sessionsChanged is the stream event that tells a page its user's list of
// sessions changed elsewhere: a session began or one ended.
const sessionsChanged = "sessions-changed"

// routeEvent returns what stream st hears of e, if anything:
//   - a resync (the store's connection is back; events may have been lost)
//     concerns every stream: each reads its session again;
//   - an event about every session of the user (no SessionHash), or about
//     st's own session, is st's as it is — except the start of st's own
//     session, which its page knows;
//   - a session of the user that began or ended is "sessions-changed" for
//     the user's other sessions, whose device lists are out of date;
//   - nothing else of other users or sessions.
func routeEvent(e store.Event, st *stream) (string, bool) {
	switch {
	case e.Type == store.EventResync:
		return e.Type, true
	case st.userID != e.UserID:
		return "", false
	case len(e.SessionHash) == 0 || bytes.Equal(e.SessionHash, st.key):
		return e.Type, e.Type != store.EventSessionStarted
	case e.Type == store.EventSessionStarted || e.Type == store.EventRevoked:
		return sessionsChanged, true
	}
	return "", false
}

// run delivers events to the streams they concern. A stream that does not
// keep up loses events (its heartbeat re-reads the session anyway).
func (h *hub) run(ch <-chan store.Event) {
	for e := range ch {
		if store.CacheEvent(e.Type) {
			continue // the instances' caches talking to each other
		}
		h.mu.Lock()
		for st := range h.streams {
			typ, ok := routeEvent(e, st)
			if !ok {
				continue
			}
			ev := e
			ev.Type = typ
			select {
			case st.ch <- ev:
			default:
			}
		}
		h.mu.Unlock()
	}
	// The subscription ended (shutdown, or the backend gave up): the next
	// stream subscribes again; the open ones end so their pages reconnect.
	h.mu.Lock()
	h.cancel = nil
	for st := range h.streams {
		close(st.done)
		h.drop(st)
	}
	h.mu.Unlock()
}

// close ends every stream and the subscription; later streams are refused.
func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	cancel := h.cancel
	h.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// events answers GET /api/auth/events: a Server-Sent Events stream that
// tells the page of its session's changes — "revoked" (signed out here or
// elsewhere, or every session of the user ended), "expired", "role-changed",
// "refreshed" (new tokens elsewhere), "sessions-changed" (another session of
// the user began or ended: device lists are out of date) and "stale" (jwt:
// this stream's access token expired; reconnect after refreshing). The stream reads the session
// without extending it: background traffic never keeps a session alive.
// 401 without a session, 429 over MaxStreamsPerSession or MaxStreamsPerUser,
// 503 when the store cannot be read or subscribed to.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.sessions.Peek(r)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %w", errStoreUnavailable, err)
	case sess == nil:
		return errNotSignedIn
	}
	st := &stream{userID: sess.User.ID, key: sess.Key, ch: make(chan store.Event, 8), done: make(chan struct{})}
	if err := s.hub.add(st); errors.Is(err, errTooManyStreams) {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "event stream refused", errAttr(err), slog.String("user_id", st.userID))
		return &retryAfter{err: fmt.Errorf("%w; close another tab or try again later", err), wait: streamRetryAfter}
	} else if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "event stream refused", errAttr(err))
		return fmt.Errorf("%w: %w", errEventsUnavailable, err)
	}
	defer s.hub.remove(st)

	rc := http.NewResponseController(w)
	// net/http ends the body (its last chunk) after the handler returns,
	// under the last write deadline set here: give it a fresh one, or a
	// stream quiet for longer than writeTimeout (between heartbeats) ends
	// as a broken connection at shutdown instead of a clean end.
	defer func() { _ = rc.SetWriteDeadline(time.Now().Add(writeTimeout)) }()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h["Cache-Control"] = noStore
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(typ string, cur *session.Session) bool {
		ev := wire.StreamEvent{Type: typ, At: s.sessions.Now().UTC().Format(wire.TimeFormat)}
		if cur != nil {
			ev.Expires = cur.Wire().Expires.String()
		}
		data, _ := json.Marshal(ev)
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, data); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := fmt.Fprintf(w, "retry: %d\n\n", retryMillis); err != nil || rc.Flush() != nil || !send("ready", sess) {
		return nil
	}

	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	expiry := time.NewTimer(deadline(sess).Sub(s.sessions.Now()))
	defer expiry.Stop()
	// recheck re-reads the session; it reports false when the stream ends.
	recheck := func() bool {
		now := s.sessions.Now()
		cur, err := s.sessions.Peek(r)
		switch {
		case err != nil:
			return true // the store is down: keep the stream, try again later
		case cur == nil && !sess.AccessExpires.IsZero() && !now.Before(sess.AccessExpires):
			send("stale", nil)
			return false
		case cur == nil && !now.Before(sess.Expires):
			send("expired", nil)
			return false
		case cur == nil:
			send("revoked", nil)
			return false
		}
		sess = cur
		expiry.Reset(deadline(sess).Sub(now))
		return true
	}
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-st.done:
			return nil
		case e := <-st.ch:
			if e.Type == store.EventResync {
				if !recheck() {
					return nil
				}
				continue
			}
			if e.Type == store.EventRevoked || e.Type == store.EventRoleChanged {
				send(e.Type, nil) // the session has ended: so does its stream
				return nil
			}
			if !send(e.Type, sess) {
				return nil
			}
		case <-expiry.C:
			if !recheck() {
				return nil
			}
		case <-tick.C:
			if !recheck() {
				return nil
			}
			_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return nil
			}
		}
	}
}

// deadline is when the stream must look at the session again: its idle
// expiry, or (jwt) its access token's, whichever is first.
func deadline(s *session.Session) time.Time {
	if !s.AccessExpires.IsZero() && s.AccessExpires.Before(s.Expires) {
		return s.AccessExpires
	}
	return s.Expires
}

// Close ends the live event streams, so a graceful shutdown does not wait
// for them; register it with http.Server.RegisterOnShutdown.
func (s *Server) Close() {
	if s.hub != nil {
		s.hub.close()
	}
	s.closeOnce.Do(func() { close(s.closing) })
}
