package main

// The account actions of a simulated user: sign-out, device endings, password
// and role changes, disabling, and the event streams it holds open.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// reauth reports a 403 reauth_required: a sensitive request of a session
// older than -fresh-age, an expected answer that changed nothing.
func reauth(res result) bool {
	return res.err == nil && res.code == http.StatusForbidden && strings.Contains(res.body, "reauth_required")
}

// signOut signs a browser out.
func (u *simUser) signOut(ctx context.Context) {
	b := u.any()
	res := u.send(ctx, u.pick(), "signout", http.MethodPost, "/api/auth/signout", "{}", b.cookies, b.ip)
	if res.ok() {
		u.revoke(ctx, b, "sign-out", res)
		return
	}
	if res.err == nil && res.code != http.StatusServiceUnavailable {
		u.r.violation(u.s.name, "a sign-out refused", res.String())
	}
	u.drop(b)
}

// endDevice ends one browser's session from another, as the account page
// does.
func (u *simUser) endDevice(ctx context.Context) {
	x := u.browsers[0]
	y := u.browsers[1+u.rng.IntN(len(u.browsers)-1)]
	list := u.send(ctx, u.pick(), "devices", http.MethodGet, "/api/auth/sessions", "", y.cookies, y.ip)
	if !list.ok() {
		return
	}
	var devices struct {
		Sessions []struct {
			Handle  string `json:"handle"`
			Current bool   `json:"current"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(list.body), &devices); err != nil {
		u.r.violation(u.s.name, "the device list is not JSON", list.String())
		return
	}
	handle := ""
	for _, d := range devices.Sessions {
		if d.Current {
			handle = d.Handle
		}
	}
	if handle == "" {
		u.r.violation(u.s.name, "the device list does not mark the current session", list.String())
		return
	}
	res := u.send(ctx, u.pick(), "device-end", http.MethodDelete, "/api/auth/sessions/"+handle, "", x.cookies, x.ip)
	switch {
	case reauth(res):
		u.r.checked("reauth-required")
	case res.ok():
		u.revoke(ctx, y, "device ending", res)
	case res.err != nil || res.code == http.StatusServiceUnavailable:
		u.drop(y)
	default:
		u.r.violation(u.s.name, "ending a device refused", res.String())
		u.drop(y)
	}
}

// revokeOthers ends every session of the user but one.
func (u *simUser) revokeOthers(ctx context.Context) {
	b := u.any()
	res := u.send(ctx, u.pick(), "revoke-others", http.MethodPost, "/api/auth/sessions/revoke-others", "", b.cookies, b.ip)
	switch {
	case reauth(res):
		u.r.checked("reauth-required")
	case res.ok():
		for _, o := range slices.Clone(u.browsers) {
			if o != b {
				u.revoke(ctx, o, "sign-out of the other devices", res)
			}
		}
	case res.err != nil || res.code == http.StatusServiceUnavailable:
		u.dropAll()
	default:
		u.r.violation(u.s.name, "signing the other devices out refused", res.String())
		u.dropAll()
	}
}

// passwordChange changes the password from one browser: every other
// session ends, this one goes on under a new id (its old cookies end).
func (u *simUser) passwordChange(ctx context.Context) {
	b := u.any()
	next := fmt.Sprintf("soak-password-%d", u.rng.Int64())
	res := u.send(ctx, u.pick(), "password", http.MethodPost, "/api/auth/password",
		fmt.Sprintf(`{"currentPassword":%q,"newPassword":%q}`, u.password, next), b.cookies, b.ip)
	switch {
	case reauth(res):
		u.r.checked("reauth-required")
	case res.ok():
		u.password, u.alt = next, ""
		old := &browser{cookies: clone(b.cookies), past: b.past, stream: b.stream}
		b.stream, b.past = nil, nil
		b.reuse = nil // a token of the old session: its reuse ends nothing of the new one
		b.apply(res)
		b.past = nil
		b.maxExp = time.Time{}
		u.browsers = slices.DeleteFunc(u.browsers, func(x *browser) bool { return x == b })
		u.revokeAll(ctx, "password change", res)
		u.revoke(ctx, old, "password change (the changing session's old id)", res)
		u.browsers = append(u.browsers, b)
	case res.err != nil || res.code == http.StatusServiceUnavailable:
		u.alt = next // changed or not: unknown
		u.dropAll()
	default:
		u.r.violation(u.s.name, "a password change with the right password refused", res.String())
		u.dropAll()
	}
}

// adminDo sends an administrator's request, signing the administrator in
// when needed.
func (u *simUser) adminDo(ctx context.Context, kind, method, path, body string) result {
	for try := 0; ; try++ {
		if u.admin == nil {
			res := u.send(ctx, u.pick(), "signin", http.MethodPost, "/api/auth/signin",
				fmt.Sprintf(`{"email":%q,"password":%q}`, adminEmail, adminPass), nil, u.adminIP)
			if !res.ok() {
				return res
			}
			b := &browser{cookies: map[string]string{}}
			b.apply(res)
			u.admin = b.cookies
		}
		res := u.send(ctx, u.pick(), kind, method, path, body, u.admin, u.adminIP)
		if reauth(res) {
			u.r.checked("reauth-required")
		}
		if (res.err == nil && res.code == http.StatusUnauthorized || reauth(res)) && try == 0 {
			u.admin = nil // jwt: its access token expired; or signed in longer than -fresh-age ago
			continue
		}
		return res
	}
}

// roleChange moves the user between the roles user and admin: every
// session of the user ends.
func (u *simUser) roleChange(ctx context.Context) {
	next := "admin"
	if u.role == "admin" {
		next = "user"
	}
	res := u.adminDo(ctx, "role", http.MethodPatch, "/api/admin/users/"+u.id, fmt.Sprintf(`{"role":%q}`, next))
	switch {
	case res.ok() && u.role != "":
		u.role = next
		u.revokeAll(ctx, "role change", res)
	case res.ok():
		u.role = next
		u.dropAll()
	case res.err != nil || res.code == http.StatusServiceUnavailable:
		u.role = ""
		u.dropAll()
	default:
		u.r.violation(u.s.name, "a role change refused", res.String())
		u.role = ""
		u.dropAll()
	}
}

// disable disables the account (every session ends, the right password
// gets 403); the next step enables it again.
func (u *simUser) disable(ctx context.Context) {
	res := u.adminDo(ctx, "disable", http.MethodPatch, "/api/admin/users/"+u.id, `{"disabled":true}`)
	switch {
	case res.ok():
		u.disabled = true
		u.revokeAll(ctx, "account disabled", res)
		in := u.pick()
		got := u.send(ctx, in, "signin", http.MethodPost, "/api/auth/signin",
			fmt.Sprintf(`{"email":%q,"password":%q}`, u.email, u.password), nil, u.newIP())
		if got.ok() {
			u.r.violation(u.s.name, "a disabled account signed in", got.String())
			u.uncertain++
		} else if got.err == nil && got.code != http.StatusForbidden && got.code != http.StatusServiceUnavailable &&
			!(got.code == http.StatusUnauthorized && u.alt != "") {
			u.r.violation(u.s.name, "a disabled account's sign-in not answered 403", got.String())
		}
	case res.err != nil || res.code == http.StatusServiceUnavailable:
		u.disabled = true // maybe: enable it to be sure
		u.dropAll()
	default:
		u.r.violation(u.s.name, "disabling an account refused", res.String())
	}
}

// enable enables the account again.
func (u *simUser) enable(ctx context.Context) {
	res := u.adminDo(ctx, "disable", http.MethodPatch, "/api/admin/users/"+u.id, `{"disabled":false}`)
	if res.ok() {
		u.disabled = false
	} else if res.err == nil && res.code != http.StatusServiceUnavailable {
		u.r.violation(u.s.name, "enabling an account refused", res.String())
	}
}

// openEvents opens an event stream for a browser without one.
func (u *simUser) openEvents(ctx context.Context) {
	b := u.any()
	if b.stream != nil {
		u.statusCheck(ctx)
		return
	}
	if u.expired(b) {
		u.refreshBrowser(ctx, b, "refresh")
		return
	}
	st, res := openStream(ctx, u.r, u.pick(), b.cookies, b.ip)
	if st != nil {
		b.stream = st
		return
	}
	if res.err == nil && res.code == http.StatusUnauthorized {
		u.lost(ctx, b, res)
	}
}
