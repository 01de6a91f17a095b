// Package service lets another Go service trust sessionguard sessions
// without a store of its own. A Verifier checks jwt-strategy access tokens
// (EdDSA) against the server's published keys (cached, fetched again for an
// unknown key id), and keeps them honest about revocation: it asks the
// server once whether a session it has not seen is live (introspection),
// then learns of every ending from the server's revocation feed, so a
// revoked token is refused as soon as the feed delivers the event
// (milliseconds; see docs/API.md). Both calls carry a service credential,
// one line of the server's -service-token-file.
//
// The Verifier fails closed: while the feed is not connected, or has been
// silent for three of its heartbeats, every token is refused as
// ErrUnavailable (503 from Middleware), because a revocation could be
// missed.
//
//	v, err := service.New(ctx, service.Config{Server: "https://auth.example.com", Token: os.Getenv("SG_SERVICE_TOKEN")})
//	...
//	http.Handle("/api/orders", v.Middleware(orders)) // service.FromContext(r.Context()) in orders
package service

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sessionguard/sessionguard/wire"
)

// Errors of Verify.
var (
	// ErrInvalid: no token, or one that is malformed, forged, expired or
	// of a session that ended.
	ErrInvalid = errors.New("service: no valid session token")
	// ErrUnavailable: the server or its revocation feed cannot be reached,
	// so no token can be trusted now.
	ErrUnavailable = errors.New("service: sessionguard server unavailable")
)

// Defaults of Config.
const (
	DefaultIssuer     = "sessionguard"
	DefaultCookieName = "__Host-sg_session"
	// DefaultForget is how long a revoked session is remembered: longer
	// than any of its access tokens lives (the server's -access-max-age,
	// 5 min by default, with room to spare).
	DefaultForget = 15 * time.Minute
)

// maxTokenLen is the longest token parsed (as the server's).
const maxTokenLen = 4096

// leeway is the clock skew allowed for exp and iat, as the server allows.
const leeway = 5 * time.Second

// keyRefetch bounds how often an unknown key id fetches the keys again.
const keyRefetch = 10 * time.Second

// Config configures a Verifier.
type Config struct {
	// Server is the sessionguard server's base URL ("https://auth.example.com").
	Server string
	// Token is the service credential.
	Token string
	// Issuer and Audience are the iss and aud tokens must carry (the
	// server's -jwt-issuer and -jwt-audience); "sessionguard" when empty.
	Issuer, Audience string
	// CookieName is the session cookie Middleware reads when a request has
	// no Authorization header; DefaultCookieName when empty.
	CookieName string
	// Forget is how long a revoked session is remembered; DefaultForget
	// when zero. It must exceed the server's -access-max-age.
	Forget time.Duration
	// Client makes the requests to the server; http.DefaultClient's
	// transport with a 10 s timeout when nil (the feed's request has no
	// timeout of its own).
	Client *http.Client
	// Logger receives the feed's connections and failures; nil discards.
	Logger *slog.Logger
}

// Session is a verified session, as a handler behind Middleware finds it
// with FromContext.
type Session struct {
	UserID, Email, Name, Role string
	// SessionID is the session's id (the token's sid).
	SessionID string
	// Expires is when the access token expires; AuthTime when the user
	// signed in.
	Expires, AuthTime time.Time
}

// Verifier verifies tokens; build it with New. It is safe for concurrent
// use.
type Verifier struct {
	cfg    Config
	client *http.Client
	feed   *http.Client // no timeout: the feed is a long request
	log    *slog.Logger
	now    func() time.Time
	parser *jwt.Parser

	mu       sync.Mutex
	keys     map[string]ed25519.PublicKey
	fetched  time.Time            // when keys were last fetched
	live     map[string]string    // sid → user: live when last asked, since the feed connected
	dead     map[string]time.Time // sid → forget after
	epochs   map[string]uint64    // user → revocations heard
	gen      uint64               // connections, drops and resyncs of the feed
	feedUp   bool
	heard    time.Time // when the feed last spoke
	ready    chan struct{}
	isReady  bool
	cancel   context.CancelFunc
	finished chan struct{}
}

// New returns a Verifier for the server cfg.Server, once it has the
// server's keys and its revocation feed is connected (ctx bounds that
// wait). Close it when done.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	if cfg.Server == "" || cfg.Token == "" {
		return nil, errors.New("service: Config.Server and Config.Token are required")
	}
	cfg.Server = strings.TrimRight(cfg.Server, "/")
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	}
	if cfg.Audience == "" {
		cfg.Audience = DefaultIssuer
	}
	if cfg.CookieName == "" {
		cfg.CookieName = DefaultCookieName
	}
	if cfg.Forget <= 0 {
		cfg.Forget = DefaultForget
	}
	v := &Verifier{
		cfg: cfg, client: cfg.Client, log: cfg.Logger, now: time.Now,
		keys: map[string]ed25519.PublicKey{}, live: map[string]string{},
		dead: map[string]time.Time{}, epochs: map[string]uint64{},
		ready: make(chan struct{}), finished: make(chan struct{}),
	}
	if v.client == nil {
		v.client = &http.Client{Timeout: 10 * time.Second}
	}
	v.feed = &http.Client{Transport: v.client.Transport}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{"EdDSA"}),
		jwt.WithIssuer(cfg.Issuer), jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(leeway),
	)
	if err := v.fetchKeys(ctx); err != nil {
		return nil, err
	}
	feedCtx, cancel := context.WithCancel(context.Background())
	v.cancel = cancel
	go v.runFeed(feedCtx)
	select {
	case <-v.ready:
		return v, nil
	case <-ctx.Done():
		v.Close()
		return nil, fmt.Errorf("%w: the revocation feed did not connect: %w", ErrUnavailable, ctx.Err())
	}
}

// Close stops the feed. Verify fails with ErrUnavailable afterwards.
func (v *Verifier) Close() {
	v.cancel()
	<-v.finished
}

// claims are the access token's claims the Verifier reads.
type claims struct {
	jwt.RegisteredClaims
	AuthTime  *jwt.NumericDate `json:"auth_time"`
	SessionID string           `json:"sid"`
	Name      string           `json:"name"`
	Email     string           `json:"email"`
	Role      string           `json:"role"`
}

// Validate implements jwt.ClaimsValidator.
func (c *claims) Validate() error {
	if c.Subject == "" || c.SessionID == "" || c.IssuedAt == nil || c.AuthTime == nil {
		return errors.New("token lacks sub, sid, iat or auth_time")
	}
	return nil
}

// Verify returns the session of an access token that the server signed and
// has not revoked.
func (v *Verifier) Verify(ctx context.Context, token string) (*Session, error) {
	if token == "" || len(token) > maxTokenLen {
		return nil, ErrInvalid
	}
	var c claims
	t, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != "at+jwt" {
			return nil, errors.New("not an access token")
		}
		if _, crit := t.Header["crit"]; crit {
			return nil, errors.New("crit header")
		}
		kid, _ := t.Header["kid"].(string)
		return v.key(ctx, kid)
	})
	if err != nil || !t.Valid {
		return nil, ErrInvalid
	}
	s := &Session{UserID: c.Subject, Email: c.Email, Name: c.Name, Role: c.Role, SessionID: c.SessionID,
		Expires: c.ExpiresAt.Time, AuthTime: c.AuthTime.Time}
	for range 3 {
		v.mu.Lock()
		if err := v.feedLiveLocked(); err != nil {
			v.mu.Unlock()
			return nil, err
		}
		if until, ok := v.dead[c.SessionID]; ok && v.now().Before(until) {
			v.mu.Unlock()
			return nil, ErrInvalid
		}
		if _, ok := v.live[c.SessionID]; ok {
			v.mu.Unlock()
			return s, nil
		}
		epoch, gen := v.epochs[c.Subject], v.gen
		v.mu.Unlock()

		active, err := v.introspect(ctx, token, c.SessionID)
		if err != nil {
			return nil, err
		}
		v.mu.Lock()
		if v.epochs[c.Subject] != epoch || v.gen != gen {
			v.mu.Unlock()
			continue // the feed spoke of this user (or reconnected) meanwhile: ask again
		}
		if active {
			v.live[c.SessionID] = c.Subject
		} else {
			v.dead[c.SessionID] = v.now().Add(v.cfg.Forget)
		}
		v.mu.Unlock()
		if !active {
			return nil, ErrInvalid
		}
		return s, nil
	}
	return nil, fmt.Errorf("%w: the session's state kept changing", ErrUnavailable)
}

// feedLiveLocked returns ErrUnavailable unless the feed is connected and
// spoke within three heartbeats. v.mu must be held.
func (v *Verifier) feedLiveLocked() error {
	if !v.feedUp || v.now().Sub(v.heard) > 3*wire.ServiceHeartbeatSeconds*time.Second {
		return fmt.Errorf("%w: the revocation feed is not live", ErrUnavailable)
	}
	return nil
}

// Middleware answers 401 (JSON) for a request without a valid session
// token and 503 while the server cannot vouch for any; otherwise it calls
// next with the session in the context (FromContext). The token is the
// request's `Authorization: Bearer` or, without that header, the session
// cookie.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !bearer {
			if c, err := r.Cookie(v.cfg.CookieName); err == nil {
				token = c.Value
			}
		}
		s, err := v.Verify(r.Context(), token)
		if err != nil {
			code, msg := http.StatusUnauthorized, "not signed in"
			if errors.Is(err, ErrUnavailable) {
				code, msg = http.StatusServiceUnavailable, "sessions cannot be checked now; try again shortly"
			} else {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(code)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, s)))
	})
}

type sessionKey struct{}

// FromContext returns the session Middleware verified, or nil.
func FromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}
