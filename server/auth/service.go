package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/wire"
)

// The service API (docs/API.md, "Other Go services"): other services verify
// jwt-strategy access tokens on their own with the published keys, and
// learn of revocations from a feed, so a revoked token dies there within
// the feed's delivery time. Both routes take a service credential,
// `Authorization: Bearer <token>`, one of Config.ServiceTokens; they exist
// only when the strategy publishes keys (EdDSA) and credentials are set.

// serviceHeartbeat is how often the revocation feed speaks at least.
const serviceHeartbeat = wire.ServiceHeartbeatSeconds * time.Second

// serviceRoutes are the route table's rows of the service API.
func (s *Server) serviceRoutes() []route {
	if _, ok := s.sessions.JWKS(); !ok || len(s.cfg.ServiceTokens) == 0 || s.sessions.Events() == nil {
		return nil
	}
	return []route{
		{wire.PathServiceIntrospect, post, services, s.introspect, jsonOnly},
		{wire.PathServiceRevocations, getNoHead, services, s.revocations, jsonOnly},
	}
}

// requireService answers 401 unless the request carries one of the service
// credentials. Every credential is compared, in constant time, by its
// SHA-256.
func (s *Server) requireService(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(token))
		match := 0
		for _, want := range s.cfg.ServiceTokens {
			match |= subtle.ConstantTimeCompare(sum[:], want[:])
		}
		if !ok || token == "" || match != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sessionguard services"`)
			s.fail(w, r, errNoServiceCredential)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// sessionIDOf is the sid claim of the jwt-strategy session whose store key
// is key.
func sessionIDOf(key []byte) string { return base64.RawURLEncoding.EncodeToString(key) }

// introspect answers whether the token's session is live now, reading it
// as the event stream does: without extending it.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) error {
	var req wire.ServiceIntrospectRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	sess, err := s.sessions.PeekToken(r.Context(), req.Token)
	if err != nil {
		return fmt.Errorf("%w: %w", errStoreUnavailable, err)
	}
	out := wire.ServiceIntrospection{}
	if sess != nil {
		out = wire.ServiceIntrospection{Active: true, SessionID: sessionIDOf(sess.Key), Session: sess.Wire()}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// revocations is the revocation feed: "ready", then a "revoked" event for
// every session (or every session of a user) that ends, "resync" when the
// store's event channel came back after a drop (events may be lost: the
// service forgets what it learnt of live sessions), and a comment every
// serviceHeartbeat. It ends when the subscription does (shutdown).
func (s *Server) revocations(w http.ResponseWriter, r *http.Request) error {
	ch, err := s.sessions.Events().Subscribe(r.Context())
	if err != nil {
		return fmt.Errorf("%w: %w", errEventsUnavailable, err)
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h["Cache-Control"] = noStore
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(text string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := fmt.Fprint(w, text); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write("event: ready\ndata: {}\n\n") {
		return nil
	}
	tick := time.NewTicker(serviceHeartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.closing: // shutting down: the service reconnects elsewhere
			return nil
		case e, ok := <-ch:
			if !ok {
				return nil
			}
			var text string
			switch e.Type {
			case store.EventResync:
				text = "event: resync\ndata: {}\n\n"
			case store.EventRevoked, store.EventRoleChanged:
				rev := wire.ServiceRevocation{User: e.UserID, At: e.At.UTC().Format(wire.TimeFormat)}
				if len(e.SessionHash) > 0 {
					rev.SessionID = sessionIDOf(e.SessionHash)
				}
				data, _ := json.Marshal(rev)
				text = "event: revoked\ndata: " + string(data) + "\n\n"
			default:
				continue
			}
			if !write(text) {
				return nil
			}
		case <-tick.C:
			if !write(": ping\n\n") {
				return nil
			}
		}
	}
}
