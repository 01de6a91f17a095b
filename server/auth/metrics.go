package auth

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/sessionguard/sessionguard/server/metrics"
	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/wire"
)

// timedSessions is the Manager with the store latency of its reads, issues,
// refreshes and sign-outs observed in sessionguard_session_store_seconds
// (ops load, issue, refresh, revoke); every other method is the Manager's
// own. The Server calls the Manager only through it, so no handler times
// anything by hand. With nil metrics it observes nothing.
type timedSessions struct {
	*session.Manager
	metrics *metrics.Metrics
}

// Load observes the reads that reached the store: a request without a
// cookie is no lookup.
func (t timedSessions) Load(w http.ResponseWriter, r *http.Request) (*session.Session, error) {
	sess, found, err := t.LoadValue(w, r)
	if !found {
		return nil, err
	}
	return &sess, nil
}

// LoadValue is Load by value (Manager.LoadValue).
func (t timedSessions) LoadValue(w http.ResponseWriter, r *http.Request) (session.Session, bool, error) {
	start := time.Now()
	sess, found, err := t.Manager.LoadValue(w, r)
	if found || err != nil {
		t.metrics.Since(metrics.OpLoad, start)
	}
	return sess, found, err
}

func (t timedSessions) SignIn(w http.ResponseWriter, r *http.Request, u wire.User, aal string) (*session.Session, error) {
	defer t.metrics.Since(metrics.OpIssue, time.Now())
	return t.Manager.SignIn(w, r, u, aal)
}

func (t timedSessions) Reauthenticate(w http.ResponseWriter, r *http.Request, cur *session.Session, aal string) (*session.Session, error) {
	defer t.metrics.Since(metrics.OpIssue, time.Now())
	return t.Manager.Reauthenticate(w, r, cur, aal)
}

func (t timedSessions) Refresh(w http.ResponseWriter, r *http.Request) (*session.Session, error) {
	defer t.metrics.Since(metrics.OpRefresh, time.Now())
	return t.Manager.Refresh(w, r)
}

func (t timedSessions) RefreshBearer(r *http.Request, refresh string) (*session.Session, error) {
	defer t.metrics.Since(metrics.OpRefresh, time.Now())
	return t.Manager.RefreshBearer(r, refresh)
}

func (t timedSessions) SignOut(w http.ResponseWriter, r *http.Request) error {
	defer t.metrics.Since(metrics.OpRevoke, time.Now())
	return t.Manager.SignOut(w, r)
}

// serveMetrics serves m to clients on this machine only, and answers 404 to
// every other: see isLoopback.
func (s *Server) serveMetrics(m http.Handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if !s.isLoopback(r) {
			return errNotFound
		}
		m.ServeHTTP(w, r)
		return nil
	}
}

// isLoopback reports whether the request's client is this machine: the
// client address as the Manager resolves it (session.WithClientIP), so a
// reverse proxy on this host does not make every client behind it local.
func (s *Server) isLoopback(r *http.Request) bool {
	ip, err := netip.ParseAddr(s.sessions.ClientAddr(r))
	return err == nil && ip.Unmap().IsLoopback()
}
