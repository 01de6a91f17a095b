package redis

import (
	"encoding/hex"
	"strconv"
	"time"
)

// Suffixes of the keys, after the prefix. Ids of sessions, refresh tokens and
// their families are the lower-case hex of their hashes; user ids, e-mails
// and names go in as they are (keys are binary-safe).
const (
	keySession       = "s:"    // + id hash: hash of a session
	keyUserSessions  = "us:"   // + user id: zset, that user's sessions
	keySessionDeaths = "sx"    // zset, every session by when it dies
	keyUser          = "u:"    // + user id: hash of an account
	keyEmail         = "ue:"   // + e-mail: string, the user id
	keyUsers         = "users" // zset, every user id by creation
	keyDenials       = "deny"
	keyValidAfter    = "va"
	keyRefresh       = "rt:" // + token hash: hash of a refresh token
	keyFamily        = "rf:" // + session hash: zset, the family's tokens
	keyRefreshDeaths = "rx"  // zset, every refresh token by when it dies
	keyPublicKeys    = "pk"  // hash, key id → JSON record
	keyPublicDeaths  = "pkx" // zset, key id by when it expires
	keySecret        = "secret:"
	keyCounter       = "c:"   // + counter key: hash of a counter
	keyFactor        = "tf:"  // + user id: hash of a second factor
	keyRecoveryCodes = "tfr:" // + user id: set, its unused recovery codes
)

// keys are the names of a Store's keys, or their beginnings, with its prefix.
type keys struct {
	session, userSessions, sessionDeaths string
	user, email, users                   string
	denials, validAfter                  string
	refresh, family, refreshDeaths       string
	publicKeys, publicDeaths, secret     string
	counter                              string
	factor, recoveryCodes                string
}

func newKeys(prefix string) keys {
	return keys{
		session:       prefix + keySession,
		userSessions:  prefix + keyUserSessions,
		sessionDeaths: prefix + keySessionDeaths,
		user:          prefix + keyUser,
		email:         prefix + keyEmail,
		users:         prefix + keyUsers,
		denials:       prefix + keyDenials,
		validAfter:    prefix + keyValidAfter,
		refresh:       prefix + keyRefresh,
		family:        prefix + keyFamily,
		refreshDeaths: prefix + keyRefreshDeaths,
		publicKeys:    prefix + keyPublicKeys,
		publicDeaths:  prefix + keyPublicDeaths,
		secret:        prefix + keySecret,
		counter:       prefix + keyCounter,
		factor:        prefix + keyFactor,
		recoveryCodes: prefix + keyRecoveryCodes,
	}
}

// millis is t as unix milliseconds: every time is stored so, as a decimal
// string in a hash field or as the score of a sorted set (exact in a
// float64 until the year 287396).
func millis(t time.Time) int64 { return t.UnixMilli() }

// fromMillis is the UTC time of unix milliseconds.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// parseMillis reads a time stored by millis.
func parseMillis(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return fromMillis(ms), true
}

// member is how a hash names its record inside a key or a sorted set.
func member(h []byte) string { return hex.EncodeToString(h) }
