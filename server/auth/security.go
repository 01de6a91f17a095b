package auth

import (
	"context"
	"log/slog"
	"net/http"
	"sync"

	"github.com/sessionguard/sessionguard/server/audit"
	"github.com/sessionguard/sessionguard/server/session"
)

// addresses remembers which client addresses each session was used from, to
// log new_address (audit.NewAddress) once when a session turns up somewhere
// else than where it was signed in (a stolen cookie, or just a phone
// changing networks). It compares with the address the session record
// holds, so it is exact for the database strategy on every read and for jwt
// on every refresh; the memory of addresses already reported is per process
// and bounded.
type addresses struct {
	mu   sync.Mutex
	seen map[string]struct{} // session key + "\x00" + address
}

const maxSeenAddresses = 100_000

// note logs new_address when sess is used from another address than the
// one it was signed in from, once per session and address.
func (s *Server) noteAddress(ctx context.Context, r *http.Request, sess *session.Session) {
	if sess == nil || sess.ClientAddr == "" {
		return
	}
	addr := s.sessions.ClientAddr(r)
	if addr == sess.ClientAddr {
		return
	}
	key := string(sess.Key) + "\x00" + addr
	a := &s.addrs
	a.mu.Lock()
	_, seen := a.seen[key]
	if !seen {
		if a.seen == nil || len(a.seen) >= maxSeenAddresses {
			a.seen = make(map[string]struct{})
		}
		a.seen[key] = struct{}{}
	}
	a.mu.Unlock()
	if !seen {
		s.security(ctx, audit.NewAddress, sess.User.ID, r, slog.String("signed_in_from", sess.ClientAddr),
			slog.String("session", session.Handle(sess.Key)))
	}
}

// security logs a security event: a structured record with a stable
// event name (package audit), the user and the client address.
func (s *Server) security(ctx context.Context, event, userID string, r *http.Request, attrs ...slog.Attr) {
	base := []slog.Attr{audit.Event(event), slog.String("user_id", userID)}
	if r != nil {
		base = append(base, slog.String("client", s.sessions.ClientAddr(r)))
	}
	s.log.LogAttrs(ctx, slog.LevelWarn, "security event", append(base, attrs...)...)
}
