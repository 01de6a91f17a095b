package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// The second-factor challenge: after the right password of an account with
// a second factor, the browser gets this cookie instead of a session. It
// names the account and the attempt, signed with the device key (shared by
// every instance through the store), and lives challengeAge; the code that
// completes it spends it (useChallenge), so it works once.
const (
	ChallengeCookieName         = "__Host-sg_2fa"
	InsecureChallengeCookieName = "sg_2fa"
	challengeAge                = 5 * time.Minute
	maxChallengeLen             = 1024
)

// challenge is what the cookie carries.
type challenge struct {
	UserID   string `json:"u"`
	Attempt  string `json:"a"`
	Expires  int64  `json:"e"` // unix seconds
	Redirect string `json:"r"`
}

func (s *Server) challengeName() string {
	if s.device.insecure {
		return InsecureChallengeCookieName
	}
	return ChallengeCookieName
}

func (s *Server) challengeMAC(payload string) string {
	m := hmac.New(sha256.New, s.device.key)
	m.Write([]byte("sessionguard 2fa challenge:" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// setChallenge starts a second-factor step for userID that goes on to
// redirect, and sets its cookie.
func (s *Server) setChallenge(w http.ResponseWriter, userID, redirect string) {
	attempt := make([]byte, 16)
	_, _ = rand.Read(attempt)
	now := s.cfg.Now()
	b, _ := json.Marshal(challenge{
		UserID: userID, Attempt: base64.RawURLEncoding.EncodeToString(attempt),
		Expires: now.Add(challengeAge).Unix(), Redirect: redirect,
	})
	payload := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name: s.challengeName(), Value: payload + "." + s.challengeMAC(payload),
		Path: "/", MaxAge: int(challengeAge / time.Second), Expires: now.Add(challengeAge),
		HttpOnly: true, Secure: !s.device.insecure, SameSite: http.SameSiteStrictMode,
	})
}

// readChallenge returns the request's challenge when its cookie is
// well-formed, signed by this deployment and not expired.
func (s *Server) readChallenge(r *http.Request) (challenge, bool) {
	ck, err := r.Cookie(s.challengeName())
	if err != nil || len(ck.Value) > maxChallengeLen {
		return challenge{}, false
	}
	payload, mac, ok := strings.Cut(ck.Value, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(s.challengeMAC(payload))) {
		return challenge{}, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(payload)
	if err != nil {
		return challenge{}, false
	}
	var c challenge
	if json.Unmarshal(b, &c) != nil || c.UserID == "" || c.Attempt == "" || s.cfg.Now().Unix() >= c.Expires {
		return challenge{}, false
	}
	return c, true
}

// challengeSpent reports whether the challenge was spent already, so that
// a spent one does not use up a code (useChallenge decides, atomically).
func (s *Server) challengeSpent(r *http.Request, c challenge) (bool, error) {
	n, _, err := s.cfg.Counters.Count(r.Context(), challengeKey(c), s.cfg.Now())
	return n > 0, err
}

func challengeKey(c challenge) string { return "2fa-challenge:" + c.Attempt }

// useChallenge spends the challenge, once across every instance (a
// counter in the store): false when it was spent before.
func (s *Server) useChallenge(r *http.Request, c challenge) (bool, error) {
	n, err := s.cfg.Counters.Incr(r.Context(), challengeKey(c), challengeAge+time.Minute, s.cfg.Now())
	return n == 1, err
}

// clearChallenge removes the cookie.
func (s *Server) clearChallenge(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: s.challengeName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: !s.device.insecure, SameSite: http.SameSiteStrictMode,
	})
}
