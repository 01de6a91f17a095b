package auth

import (
	"errors"
	"net/http"

	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/wire"
)

// Bearer mode (-bearer; docs/HTTP.md, "Bearer mode") serves clients
// without cookies. They get their tokens from the token endpoints below,
// in the answer's body, and send the access token as `Authorization:
// Bearer` to every other route, where it stands for the session cookie
// (session.Manager reads it). The two transports never mix: a request with
// a bearer token and a session, refresh or challenge cookie is refused
// with 400 (checkCredentials), and so is a cookie sent to a token
// endpoint.

var errMixedCredentials = errors.New("a request carries a bearer token or session cookies, never both")

// bearerRoutes are the token endpoints, when bearer mode is on.
func (s *Server) bearerRoutes() []route {
	if !s.sessions.Bearer() {
		return nil
	}
	routes := []route{
		{wire.PathToken, post, anyone, s.tokenEndpoint(s.signIn), jsonOnly},
		{wire.PathTokenTwoFactor, post, anyone, s.tokenEndpoint(s.verifyTwoFactor), jsonOnly},
	}
	if s.sessions.Refreshes() {
		routes = append(routes, route{wire.PathTokenRefresh, post, anyone, s.tokenEndpoint(s.tokenRefresh), jsonOnly})
	}
	return routes
}

// tokenEndpoint runs h in bearer mode (session.ForBearer): the session it
// issues comes back in the body (Session.Issued), nothing in cookies. A
// request with a session, refresh or challenge cookie is refused: a token
// endpoint is for clients without cookies.
func (s *Server) tokenEndpoint(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.sessions.HasCookies(r) || s.hasChallengeCookie(r) {
			return errMixedCredentials
		}
		return h(w, r.WithContext(session.ForBearer(r.Context())))
	}
}

// checkCredentials refuses, before h runs, a request that mixes a bearer
// token with a session, refresh or challenge cookie.
func (s *Server) checkCredentials(h http.Handler) http.Handler {
	if !s.sessions.Bearer() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A cookie request (the status check's usual caller) pays one
		// header lookup.
		_, auth := r.Header["Authorization"]
		if auth && (s.sessions.Mixed(r) || (s.sessions.IsBearer(r) && s.hasChallengeCookie(r))) {
			s.fail(w, r, errMixedCredentials)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) hasChallengeCookie(r *http.Request) bool {
	_, err := r.Cookie(s.challengeName())
	return err == nil
}

// tokenRefresh answers POST /api/auth/token/refresh {refreshToken} (bearer
// mode, jwt strategy): the refresh token buys a new access token and a new
// refresh token, in the body. A reused refresh token ends its whole
// session, as the refresh cookie's does.
func (s *Server) tokenRefresh(w http.ResponseWriter, r *http.Request) error {
	var in wire.TokenRefreshRequest
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	sess, err := s.sessions.RefreshBearer(r, in.RefreshToken)
	if err != nil {
		return refreshError(err)
	}
	s.noteAddress(r.Context(), r, sess)
	setAccessExpires(w, sess)
	writeJSON(w, http.StatusOK, wire.RefreshResponse{Session: sess.Wire(), Tokens: tokensOf(sess)})
	return nil
}

// tokensOf returns the credentials of sess for the answer's body when it
// was just issued to a bearer-mode request; nil otherwise.
func tokensOf(sess *session.Session) *wire.Tokens {
	if sess == nil || sess.Issued == nil {
		return nil
	}
	t := &wire.Tokens{TokenType: wire.TokenTypeBearer, AccessToken: sess.Issued.Token, RefreshToken: sess.Issued.Refresh}
	if !sess.AccessExpires.IsZero() {
		t.AccessExpires = wire.UnixTime(sess.AccessExpires.Unix())
	}
	return t
}

// bearerChallenge answers 401s to a request with a bearer token with the
// WWW-Authenticate header of RFC 6750.
func (s *Server) bearerChallenge(w http.ResponseWriter, r *http.Request, code int) {
	if _, ok := r.Header["Authorization"]; !ok || code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != "" {
		return
	}
	if s.sessions.IsBearer(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sessionguard", error="invalid_token"`)
	}
}
