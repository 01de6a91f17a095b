package main

// The probes of revoked sessions and the refreshes of a simulated user:
// single, doubled inside the grace window, and reused after it.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// probe asks an instance whether it accepts a revoked cookie set: it must
// not, not once.
func (u *simUser) probe(ctx context.Context) {
	if len(u.revoked) == 0 {
		u.statusCheck(ctx)
		return
	}
	c := u.revoked[u.rng.IntN(len(u.revoked))]
	u.probeOne(ctx, u.pick(), c, u.rng.IntN(3) == 0)
}

func (u *simUser) probeOne(ctx context.Context, in *instance, c revokedCred, refresh bool) {
	since := func() string {
		return fmt.Sprintf("%s of %s returned %v before", c.why, u.email, time.Since(c.at).Round(time.Millisecond))
	}
	if refresh && c.cookies[refreshCookie] != "" {
		res := u.send(ctx, in, "probe", http.MethodPost, "/api/auth/refresh", "", map[string]string{refreshCookie: c.cookies[refreshCookie]}, u.newIP())
		if res.ok() {
			if u.withinCacheBound(c, res) {
				return
			}
			u.r.violation(u.s.name, "a revoked session's refresh token bought new tokens", since()+": "+res.String())
		}
		return
	}
	if c.cookies[sessionCookie] == "" {
		return
	}
	only := map[string]string{sessionCookie: c.cookies[sessionCookie]}
	if u.rng.IntN(3) == 0 {
		res := u.send(ctx, in, "probe", http.MethodGet, "/api/session", "", only, u.newIP())
		if res.ok() && strings.TrimSpace(res.body) != "null" {
			if u.withinCacheBound(c, res) {
				return
			}
			u.r.violation(u.s.name, "a revoked session was read", since()+": "+res.String())
		}
		return
	}
	res := u.send(ctx, in, "probe", http.MethodGet, "/api/get-session-status", "", only, u.newIP())
	if res.ok() && !strings.Contains(res.body, `"status":401`) {
		if u.withinCacheBound(c, res) {
			return
		}
		u.r.violation(u.s.name, "a revoked session was accepted", since()+": "+res.String())
	}
}

// cacheBound is how long after a revocation returned another instance with
// -store-cache may still accept the session.
const cacheBound = 500 * time.Millisecond

// withinCacheBound reports whether res, an acceptance of revoked set c,
// is allowed by -store-cache: by another instance than the one that
// revoked it (whose cache holds at once), in a request that began less than
// cacheBound after the revocation returned. It counts those.
func (u *simUser) withinCacheBound(c revokedCred, res result) bool {
	if !u.s.cache || res.in == c.by || res.start.Sub(c.at) >= cacheBound {
		return false
	}
	u.r.checked("revoked sessions accepted within the cache's bound")
	return true
}

// refreshBrowser spends b's refresh token for new tokens (jwt).
func (u *simUser) refreshBrowser(ctx context.Context, b *browser, kind string) bool {
	res := u.send(ctx, u.pick(), kind, http.MethodPost, "/api/auth/refresh", "", b.cookies, b.ip)
	switch {
	case res.ok():
		b.apply(res)
		return true
	case res.err != nil || res.code == http.StatusServiceUnavailable:
		u.drop(b) // spent or not: unknown
	case res.code == http.StatusUnauthorized && u.s.faults.during(res.in, res.start, res.end):
		u.drop(b)
	default:
		u.r.violation(u.s.name, "a live session's refresh refused", res.String())
		u.drop(b)
	}
	return false
}

func (u *simUser) refresh(ctx context.Context) { u.refreshBrowser(ctx, u.any(), "refresh") }

// doubleRefresh submits one refresh token twice at once, as two tabs or a
// retry on a slow network do: both are answered, with one successor.
func (u *simUser) doubleRefresh(ctx context.Context) {
	b := u.any()
	var wg sync.WaitGroup
	var res [2]result
	for i := range res {
		wg.Go(func() {
			res[i] = u.send(ctx, u.pick(), "refresh-double", http.MethodPost, "/api/auth/refresh", "", b.cookies, b.ip)
		})
	}
	wg.Wait()
	if !res[0].ok() || !res[1].ok() {
		for _, r := range res {
			if r.err == nil && r.code == http.StatusUnauthorized && !u.s.faults.during(r.in, r.start, r.end) {
				u.r.violation(u.s.name, "a double submit of a refresh token within the grace refused", fmt.Sprintf("%s | %s", res[0], res[1]))
				break
			}
		}
		u.drop(b)
		return
	}
	token := func(r result) string {
		for _, ck := range r.cookies {
			if ck.Name == refreshCookie {
				return ck.Value
			}
		}
		return ""
	}
	u.r.checked("one-successor")
	if t0, t1 := token(res[0]), token(res[1]); t0 != t1 {
		u.r.violation(u.s.name, "a refresh family got two successors", fmt.Sprintf("%s → %s and %s: %s | %s", short(b.cookies[refreshCookie]), short(t0), short(t1), res[0], res[1]))
	}
	b.apply(res[0])
}

// scheduleReuse refreshes b and keeps the spent token, to submit it again
// after the grace: that must end the whole session.
func (u *simUser) scheduleReuse(ctx context.Context) {
	b := u.any()
	if b.reuse != nil {
		return
	}
	old := b.cookies[refreshCookie]
	if old == "" || !u.refreshBrowser(ctx, b, "refresh") {
		return
	}
	b.reuse = &pendingReuse{refresh: old, due: time.Now().Add(reuseAfter)}
}

// reuseRefresh submits b's spent refresh token: 401, and b's session ends.
func (u *simUser) reuseRefresh(ctx context.Context, b *browser) {
	res := u.send(ctx, u.pick(), "refresh-reuse", http.MethodPost, "/api/auth/refresh", "", map[string]string{refreshCookie: b.reuse.refresh}, b.ip)
	b.reuse = nil
	switch {
	case res.ok():
		u.r.violation(u.s.name, "a spent refresh token was accepted after the grace", res.String())
		u.drop(b)
	case res.err == nil && res.code == http.StatusUnauthorized:
		u.revoke(ctx, b, "refresh-token reuse", res)
	default:
		u.drop(b)
	}
}
