package session

import (
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sessionguard/sessionguard/server/session/keys"
)

// AccessTokenType is the "typ" header of sessionguard's access tokens (RFC
// 9068 explicit typing, RFC 8725 §3.11): a token the server signs for any
// other purpose carries another type and is never accepted as a session.
// The key set types every token it signs so (keys.AccessTokenType).
const AccessTokenType = keys.AccessTokenType

// Claims are the claims of an access token: the registered ones (sub is the
// user id, jti the token id), the sign-in time that caps rolling at the
// absolute max age, the session (refresh family) id, the session's idle
// expiry when the token was issued, and the minimal user projection.
type Claims struct {
	jwt.RegisteredClaims
	AuthTime *jwt.NumericDate `json:"auth_time"`
	// AAL is the session's assurance level and AuthnTime when the user
	// last proved it (the sign-in, or the latest re-authentication); a
	// token without them is aal1 at auth_time.
	AAL            string           `json:"aal,omitempty"`
	AuthnTime      *jwt.NumericDate `json:"authn_time,omitempty"`
	SessionID      string           `json:"sid"`
	SessionExpires *jwt.NumericDate `json:"sexp"`
	Name           string           `json:"name"`
	Email          string           `json:"email"`
	Role           string           `json:"role"`
}

// assurance returns the level and the time the user last proved the
// session, as the token says.
func (c *Claims) assurance() (aal string, at time.Time) {
	at = c.AuthTime.UTC()
	if c.AuthnTime != nil && c.AuthnTime.After(at) {
		at = c.AuthnTime.UTC()
	}
	return checkAAL(c.AAL), at
}

var errMissingClaims = errors.New("token lacks sub, jti, sid, iat, auth_time or sexp")

// Validate implements jwt.ClaimsValidator: the claims sessionguard needs
// beyond the registered ones must be present.
func (c *Claims) Validate() error {
	if c.Subject == "" || c.ID == "" || c.SessionID == "" || c.IssuedAt == nil || c.AuthTime == nil || c.SessionExpires == nil {
		return errMissingClaims
	}
	return nil
}
