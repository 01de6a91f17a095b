package client

import (
	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
	"github.com/sessionguard/sessionguard/wire"
)

// Names the Client uses in the page.
const (
	// LockName is the lock that serialises renewals across the page's tabs.
	LockName = "sessionguard-refresh"
	// HintKey is the localStorage item holding the idle expiry of the last
	// jwt session this browser saw: while it lies ahead, a page without a
	// session (its access token expired) tries one renewal at boot.
	HintKey = "sessionguard:session-expires"
	// bootRedirectKey holds when Boot last followed a callbackUrl after a
	// renewal, so a server that keeps refusing cannot make a loop.
	bootRedirectKey = "sessionguard:boot-redirect"
	// AttrAccessExpires is the attribute of the sg-session element that
	// tells when the access token expires.
	AttrAccessExpires   = "data-access-expires"
	defaultAccessMaxAge = 5 * lite.Minute
	bootRedirectGuard   = 10 * lite.Second
)

// jwtState is what the Client knows of the jwt strategy's tokens; the zero
// value is the database strategy, where none of it applies. c.mu guards it.
type jwtState struct {
	_    noCompare
	on   bool
	path string        // the refresh endpoint
	life lite.Duration // an access token's lifetime
	// accessExp is when the access token in the cookie expires; zero when
	// unknown or signed out.
	accessExp  lite.Time
	lastActive lite.Time
	// retryAt holds automatic renewals back after a failure.
	retryAt lite.Time
	// stuck is an accessExp that a renewal did not move (the session's
	// absolute cap): no automatic renewal for it.
	stuck    lite.Time
	timer    Timer
	timerGen uint64
	renewal  *renewal // the renewal under way in this tab
}

func (j *jwtState) configure(cfg wire.Config) {
	if cfg.Strategy != "jwt" {
		return
	}
	j.on = true
	j.path = cfg.RefreshPath
	if !policy.IsSameOriginPath(j.path) {
		j.path = wire.PathRefresh // the configuration names no valid one
	}
	j.life = lite.Duration(cfg.AccessMaxAge) * lite.Second
	if j.life <= 0 {
		j.life = defaultAccessMaxAge
	}
}

// margin is how long before the access token expires a renewal is due.
func (j *jwtState) margin() lite.Duration {
	return min(max(j.life/5, lite.Second), j.life/2)
}

// due reports whether the access token is known and due for renewal at now.
func (j *jwtState) due(now lite.Time) bool {
	return !j.accessExp.IsZero() && !now.Before(j.accessExp.Add(-j.margin()))
}

// fresh reports whether the access token is known and not yet due.
func (j *jwtState) fresh(now lite.Time) bool {
	return !j.accessExp.IsZero() && now.Before(j.accessExp.Add(-j.margin()))
}

func (j *jwtState) active(now lite.Time) bool { return now.Sub(j.lastActive) < j.life }

func (j *jwtState) retryDelay() lite.Duration { return max(j.margin()/2, lite.Second) }

// setAccess records exp, the access expiry an answer told for session s
// (zero: not told). Answers can arrive out of order, so only a later expiry
// replaces the one known, unless the user changed. It reports whether the
// known expiry changed.
func (j *jwtState) setAccess(s *wire.Session, exp lite.Time, newUser bool) bool {
	old := j.accessExp
	switch {
	case s == nil:
		j.accessExp = lite.Time{}
	case !j.on || exp.IsZero():
	case newUser || exp.After(j.accessExp):
		j.accessExp = exp
	}
	if j.accessExp.Equal(old) {
		return false
	}
	j.retryAt = lite.Time{}
	return true
}

// accessHeader reads the Sg-Access-Expires header; zero when absent or bad.
func accessHeader(resp *Response) lite.Time {
	t, err := lite.ParseTime(resp.Header[headerAccessExpires])
	if err != nil {
		return lite.Time{}
	}
	return t
}

// embeddedAccessExpires reads data-access-expires of the sg-session element.
func (c *Client) embeddedAccessExpires() lite.Time {
	for _, el := range c.b.Query("[" + AttrAccessExpires + "]") {
		if id, _ := el.Attr("id"); id != ElemSessionID {
			continue
		}
		v, _ := el.Attr(AttrAccessExpires)
		if t, err := lite.ParseTime(v); err == nil {
			return t
		}
	}
	return lite.Time{}
}

// AccessExpires returns when the access token in the session cookie expires
// (jwt strategy), or the zero time when that is unknown or there is none.
func (c *Client) AccessExpires() lite.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.jwt.accessExp
}
