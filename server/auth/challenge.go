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
	// Bearer marks a bearer-mode step (the value in the answer's body):
	// only the bearer endpoint takes it, and only a cookie step's value
	// works in the cookie.
	Bearer bool `json:"b,omitempty"`
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
	now := s.cfg.Now()
	http.SetCookie(w, &http.Cookie{
		Name: s.challengeName(), Value: s.newChallenge(userID, redirect, false),
		Path: "/", MaxAge: int(challengeAge / time.Second), Expires: now.Add(challengeAge),
		HttpOnly: true, Secure: !s.device.insecure, SameSite: http.SameSiteStrictMode,
	})
}

// newChallenge returns the signed value of a new second-factor step for
// userID that goes on to redirect; bearer for a bearer-mode step.
func (s *Server) newChallenge(userID, redirect string, bearer bool) string {
	attempt := make([]byte, 16)
	_, _ = rand.Read(attempt)
	b, _ := json.Marshal(challenge{
		UserID: userID, Attempt: base64.RawURLEncoding.EncodeToString(attempt),
		Expires: s.cfg.Now().Add(challengeAge).Unix(), Redirect: redirect, Bearer: bearer,
	})
	payload := base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + s.challengeMAC(payload)
}

// challengeOf returns the request's challenge when it is well-formed,
// signed by this deployment, not expired and of the request's kind: a
// bearer-mode client sends its step's value in the body (inBody), a
// browser has its step's in the cookie; neither takes the other's.
func (s *Server) challengeOf(r *http.Request, bearer bool, inBody string) (challenge, bool) {
	v := inBody
	if !bearer {
		ck, err := r.Cookie(s.challengeName())
		if err != nil {
			return challenge{}, false
		}
		v = ck.Value
	}
	c, ok := s.parseChallenge(v)
	if !ok || c.Bearer != bearer {
		return challenge{}, false
	}
	return c, true
}

// parseChallenge returns the challenge a value names when it is
// well-formed, signed by this deployment and not expired.
func (s *Server) parseChallenge(v string) (challenge, bool) {
	if len(v) > maxChallengeLen {
		return challenge{}, false
	}
	payload, mac, ok := strings.Cut(v, ".")
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
