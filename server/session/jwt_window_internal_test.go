package session

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sessionguard/sessionguard/server/session/keys"
	"github.com/sessionguard/sessionguard/server/store/memory"
)

// TestValidWindowAgreesWithTheValidator: the judgement verify works out
// once per token (window, validAt) accepts and refuses a token at exactly
// the times the claims validator does, for tokens with and without exp and
// nbf, empty windows, another issuer or audience, and times on and around
// every boundary.
func TestValidWindowAgreesWithTheValidator(t *testing.T) {
	st := memory.New()
	ks, err := keys.Load(context.Background(), keys.Config{Dir: t.TempDir(), Store: st, Retire: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	j, err := NewJWT(JWTConfig{Keys: ks, Store: st, RefreshKey: []byte("0123456789abcdef0123456789abcdef"), Lifetime: DefaultLifetime})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	date := func(d time.Duration) *jwt.NumericDate { return jwt.NewNumericDate(t0.Add(d)) }
	base := func() *Claims {
		return &Claims{
			RegisteredClaims: jwt.RegisteredClaims{
				Issuer: "sessionguard", Audience: jwt.ClaimStrings{"sessionguard"}, Subject: "u", ID: "jti",
				IssuedAt: date(0), ExpiresAt: date(5 * time.Minute),
			},
			AuthTime: date(-time.Hour), SessionID: "sid", SessionExpires: date(30 * time.Minute),
		}
	}
	variants := map[string]func(c *Claims){
		"plain":           func(*Claims) {},
		"nbf later":       func(c *Claims) { c.NotBefore = date(time.Minute) },
		"nbf earlier":     func(c *Claims) { c.NotBefore = date(-time.Minute) },
		"no exp":          func(c *Claims) { c.ExpiresAt = nil },
		"exp before iat":  func(c *Claims) { c.ExpiresAt = date(-time.Minute) },
		"exp at iat":      func(c *Claims) { c.ExpiresAt = date(0) },
		"nbf after exp":   func(c *Claims) { c.NotBefore = date(10 * time.Minute) },
		"other issuer":    func(c *Claims) { c.Issuer = "other" },
		"other audience":  func(c *Claims) { c.Audience = jwt.ClaimStrings{"other"} },
		"no subject":      func(c *Claims) { c.Subject = "" },
		"exp within skew": func(c *Claims) { c.ExpiresAt = date(-3 * time.Second) },
	}
	var times []time.Time
	for _, d := range []time.Duration{-time.Hour, -time.Minute, 0, time.Minute, 5 * time.Minute, 10 * time.Minute, time.Hour} {
		for _, e := range []time.Duration{-j.cfg.Leeway - time.Nanosecond, -j.cfg.Leeway, -time.Nanosecond, 0, time.Nanosecond, j.cfg.Leeway - time.Nanosecond, j.cfg.Leeway} {
			times = append(times, t0.Add(d+e))
		}
	}
	for name, change := range variants {
		c := base()
		change(c)
		w := j.window(c)
		for _, at := range times {
			got, want := j.validAt(w, c, at), j.validate(c, at)
			if (got == nil) != (want == nil) {
				t.Errorf("%s at %v: window says %v, validator %v", name, at.Sub(t0), got, want)
			}
		}
	}
}
