package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/sessionguard/sessionguard/server/metrics"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/wire"
)

// Pre-encoded bodies of the hot path.
var (
	statusOK        = []byte(`{"status":200}` + "\n")
	statusNoSession = []byte(`{"status":401}` + "\n")
	nullBody        = []byte("null\n")
)

// getStatus answers GET /api/get-session-status: always 200, {"status":200}
// when signed in and {"status":401} otherwise, store failures included. The
// read extends the session like any other; the new expiry travels in the
// Sg-Session-Expires header so the body stays exactly as the contract says.
func (s *Server) getStatus(w http.ResponseWriter, r *http.Request) error {
	markQuiet(w)
	sess, found, err := s.sessionValue(w, r)
	if err != nil || !found {
		if err != nil {
			s.cfg.Metrics.StatusCheck(metrics.StatusError)
		} else {
			s.cfg.Metrics.StatusCheck(metrics.Anonymous)
		}
		writeRaw(w, http.StatusOK, statusNoSession)
		return nil
	}
	s.cfg.Metrics.StatusCheck(metrics.SignedIn)
	h := w.Header()
	h[wire.ExpiresHeader] = s.expiresHdr.value(sess.Expires)
	if !sess.AccessExpires.IsZero() {
		h[wire.AccessExpiresHeader] = s.accessHdr.value(sess.AccessExpires)
	}
	writeRaw(w, http.StatusOK, statusOK)
	return nil
}

// timeHeader is the value of a header that carries a time (TimeFormat,
// whole seconds, as Session.Wire gives it), made once per second: the
// status check sends the same expiry to every reader in the same second.
// It is safe for concurrent use.
type timeHeader struct{ last atomic.Pointer[timeValue] }

type timeValue struct {
	unix int64
	v    []string // shared by the answers: header maps never write into it
}

func (c *timeHeader) value(t time.Time) []string {
	t = t.UTC().Truncate(time.Second)
	if l := c.last.Load(); l != nil && l.unix == t.Unix() {
		return l.v
	}
	l := &timeValue{unix: t.Unix(), v: []string{t.Format(wire.TimeFormat)}}
	c.last.Store(l)
	return l.v
}

// setAccessExpires tells the browser module when the access token expires
// (jwt strategy), so it refreshes in time.
func setAccessExpires(w http.ResponseWriter, s *session.Session) {
	if s != nil && !s.AccessExpires.IsZero() {
		w.Header()[wire.AccessExpiresHeader] = []string{s.AccessExpires.UTC().Format(wire.TimeFormat)}
	}
}

// jwks answers GET /.well-known/jwks.json: the public keys that verify
// session tokens, for other services. Caches may keep it five minutes; a
// verifier that meets an unknown kid should fetch it again.
func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) error {
	b, _ := s.sessions.JWKS()
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// getSession answers GET /api/session: the session, or null. A store failure
// is 503: the answer is unknown, and null would sign the page out.
func (s *Server) getSession(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.session(w, r)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %w", errStoreUnavailable, err)
	case sess == nil:
		writeRaw(w, http.StatusOK, nullBody)
	default:
		out, err := s.wireSession(r.Context(), sess)
		if err != nil {
			return fmt.Errorf("%w: %w", errStoreUnavailable, err)
		}
		setAccessExpires(w, sess)
		writeJSON(w, http.StatusOK, out)
	}
	return nil
}

// getConfig answers GET /api/auth/config with the path rules.
func (s *Server) getConfig(w http.ResponseWriter, _ *http.Request) error {
	writeRaw(w, http.StatusOK, append(s.configJSON[:len(s.configJSON):len(s.configJSON)], '\n'))
	return nil
}

// healthz answers 200 when the store answers within two seconds, 503 if not.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Health.Ping(ctx); err != nil {
			s.log.LogAttrs(r.Context(), slog.LevelWarn, "health check failed", errAttr(err))
			return fmt.Errorf("%w: %w", errHealth, err)
		}
	}
	writeRaw(w, http.StatusOK, []byte(`{"status":"ok"}`+"\n"))
	return nil
}
