package auth

import (
	"context"
	"net/http"

	"github.com/sessionguard/sessionguard/server/session"
)

type ctxKey struct{}

// loaded is what the request context carries once the session was read, so
// it is read at most once per request.
type loaded struct {
	s   *session.Session
	err error
}

// FromContext returns the session that the guard or the Sessions middleware
// loaded for this request, or nil when there is none (or it was not loaded).
func FromContext(ctx context.Context) *session.Session {
	if l, ok := ctx.Value(ctxKey{}).(*loaded); ok {
		return l.s
	}
	return nil
}

// session returns the request's session, reading it (and extending it) only
// once per request.
func (s *Server) session(w http.ResponseWriter, r *http.Request) (*session.Session, error) {
	if l, ok := r.Context().Value(ctxKey{}).(*loaded); ok {
		return l.s, l.err
	}
	return s.load(w, r)
}

// sessionValue is session by value, and whether there is one: the status
// check keeps the session on its stack, one allocation less on the hot
// path.
func (s *Server) sessionValue(w http.ResponseWriter, r *http.Request) (session.Session, bool, error) {
	if l, ok := r.Context().Value(ctxKey{}).(*loaded); ok {
		if l.s == nil {
			return session.Session{}, false, l.err
		}
		return *l.s, true, nil
	}
	return s.loadValue(w, r)
}

// load reads the session through the Manager, and notes the address it is
// used from.
func (s *Server) load(w http.ResponseWriter, r *http.Request) (*session.Session, error) {
	sess, found, err := s.loadValue(w, r)
	if !found {
		return nil, err
	}
	return &sess, nil
}

// loadValue is load by value.
func (s *Server) loadValue(w http.ResponseWriter, r *http.Request) (session.Session, bool, error) {
	sess, found, err := s.sessions.LoadValue(w, r)
	if found {
		s.noteAddress(r.Context(), r, &sess)
	}
	return sess, found, err
}

// withSession reads the session and returns r with it in the context.
func (s *Server) withSession(w http.ResponseWriter, r *http.Request) (*http.Request, *loaded) {
	if l, ok := r.Context().Value(ctxKey{}).(*loaded); ok {
		return r, l
	}
	l := &loaded{}
	l.s, l.err = s.load(w, r)
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, l)), l
}
