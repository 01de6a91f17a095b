package client

import (
	"errors"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
	"github.com/sessionguard/sessionguard/wire"
)

// Lists the Client renders: an element with AttrDevices (the user's
// sessions) or AttrUsers (every account, for administrators) holding a
// <template>. Each item is a clone of the template's first element; its
// root gets the item's key (AttrHandle: the session's handle; AttrUser: the
// account's id), inside it AttrField elements get the text of that member
// of the item ("device", "lastSeen", "email", …; an RFC 3339 time is shown
// as "2026-11-23 16:11:44 UTC", a boolean as "yes" or "no"), and AttrIf
// elements are shown only when their condition on the item holds: "name"
// (the member is true), "!name" (it is not) or "name=value" (the member is
// that string).
const (
	AttrDevices = "data-sg-devices"
	AttrUsers   = "data-sg-users"
	AttrField   = "data-sg-field"
	AttrIf      = "data-sg-if"
	AttrHandle  = "data-sg-handle"
	AttrUser    = "data-sg-user"
	// listPoll is how often the lists shown are read again while the page
	// is visible and in use.
	listPoll = 30 * lite.Second
)

// listState is the reading of the lists shown; the Client's mu guards it.
type listState struct {
	_      noCompare
	seq    uint64    // numbers the reads (the newest one renders)
	poll   Timer     // the next read
	polled lite.Time // when the last read started
}

// list is one kind of list: where its items come from and how they are
// keyed.
type list struct {
	_                                     noCompare
	attr, path, member, keyAttr, keyField string
	admin                                 bool // only for the admin role
}

var lists = []list{
	{attr: AttrDevices, path: wire.PathSessions, member: "sessions", keyAttr: AttrHandle, keyField: "handle"},
	{attr: AttrUsers, path: wire.PathAdminUsers, member: "users", keyAttr: AttrUser, keyField: "id", admin: true},
}

// readList reads the items of a list's API path: the JSON array of member.
func (c *Client) readList(path, member string) (Value, error) {
	resp, err := c.fetch(Request{Method: "GET", URL: path})
	if err != nil {
		return nil, err
	}
	if resp.Status != 200 {
		return nil, lite.Wrap(ErrBadResponse, path+" answered "+itoa(resp.Status))
	}
	return get(resp.Body, member), nil
}

// Devices reads the user's sessions (GET wire.PathSessions), newest first: a
// JSON array of {handle, device, userAgent, clientAddr, createdAt, lastSeen,
// expires, current}.
func (c *Client) Devices() (Value, error) { return c.readList(wire.PathSessions, "sessions") }

// Users reads every account (GET wire.PathAdminUsers; administrators only): a
// JSON array of {id, email, name, role, disabled, createdAt}.
func (c *Client) Users() (Value, error) { return c.readList(wire.PathAdminUsers, "users") }

// EndSession ends one of the user's sessions (DELETE wire.PathSessions/handle).
// When it was this one, the session becomes null (told to the other tabs)
// and a protected view goes to sign-in. The lists shown are read again.
func (c *Client) EndSession(handle string) Result {
	r, resp := c.act("DELETE", wire.PathSessions+"/"+lite.EncodeURIComponent(handle), "")
	if v := get(resp, "current"); r.OK && v != nil {
		if current, _ := v.AsBool(); current {
			c.effects.Lock()
			c.setSession(nil, lite.Time{}, true)
			c.leaveProtectedView(false)
			c.effects.Unlock()
		}
	}
	return r
}

// EndOtherSessions ends every session of the user but this one (POST
// wire.PathRevokeOthers); Result.Revoked tells how many. The lists shown are
// read again.
func (c *Client) EndOtherSessions() Result {
	r, resp := c.act("POST", wire.PathRevokeOthers, "{}")
	n, _ := num(resp, "revoked")
	r.Revoked = int(n)
	return r
}

// UpdateUser changes an account (PATCH wire.PathAdminUsers/id; administrators
// only): role when not "", disabled when it is "true" or "false". The
// user's sessions end and their open pages hear it. The lists shown are
// read again.
func (c *Client) UpdateUser(id, role, disabled string) Result {
	var o lite.JSONObject
	if role != "" {
		o.Str("role", role)
	}
	if disabled == "true" || disabled == "false" {
		o.Raw("disabled", disabled)
	}
	r, _ := c.act("PATCH", wire.PathAdminUsers+"/"+lite.EncodeURIComponent(id), o.String())
	return r
}

// EndUserSessions ends every session of an account (administrators only):
// it lists them (GET wire.PathAdminUsers/id/sessions) and ends each (DELETE …
// /sessions/handle); Result.Revoked tells how many. The lists shown are
// read again.
func (c *Client) EndUserSessions(id string) Result {
	base := wire.PathAdminUsers + "/" + lite.EncodeURIComponent(id) + "/sessions"
	items, err := c.readList(base, "sessions")
	defer c.refreshLists()
	if err != nil {
		return Result{Error: MsgServer}
	}
	n := 0
	for i := 0; i < items.Len(); i++ {
		h, _ := str(items.Index(i), "handle")
		resp, err := c.fetch(Request{Method: "DELETE", URL: base + "/" + lite.EncodeURIComponent(h)})
		if err == nil && resp.Status == 200 {
			n++
		}
	}
	return Result{OK: true, Status: 200, Revoked: n}
}

// act sends a request of the account or admin API with the JSON body
// (none when ""), reads the lists shown again and returns the outcome and
// the answer's body. It blocks.
func (c *Client) act(method, path, body string) (Result, Value) {
	if !c.Ready() {
		return Result{Error: MsgServer}, nil
	}
	resp, err := c.fetch(Request{Method: method, URL: path, JSON: body})
	defer c.refreshLists()
	if err != nil || resp.Status != 200 {
		return failure(resp, err), nil
	}
	return Result{OK: true, Status: 200}, resp.Body
}

// ChangePassword changes the user's password (POST wire.PathPassword). The
// server ends every other session and rotates this one: on success the
// session is the new one (told to the other tabs). It runs under the
// refresh lock with the event stream paused, so neither this tab nor the
// page's other tabs take the ending of the old session for a sign-out. It
// blocks.
func (c *Client) ChangePassword(current, next string) Result {
	return c.rotate(Request{Method: "POST", URL: wire.PathPassword, Body: map[string]string{
		"currentPassword": current, "newPassword": next,
	}})
}

// rotate sends req, whose 200 answer is {session}: the server ended the
// request's session and rotated it to a new id (a password change, a
// re-authentication). The new session becomes the Client's and is told to
// the other tabs. It runs under the refresh lock with the event stream
// paused, so neither this tab nor the page's other tabs take the ending of
// the old session for a sign-out; the lists shown are read again. A 429
// carries RetryAfter. It blocks.
func (c *Client) rotate(req Request) Result {
	if !c.Ready() {
		return Result{Error: MsgServer}
	}
	c.pauseStream()
	defer c.resumeStream()
	var r Result
	err := c.withLock(func(bool) {
		resp, err := c.fetch(req)
		if errors.Is(err, ErrNetwork) || resp.Status != 200 {
			r = failure(resp, err)
			if r.Status == 429 {
				r.RetryAfter = retryAfter(resp.Header[headerRetryAfter], c.now())
			}
			return
		}
		s, err := DecodeSession(get(resp.Body, "session"))
		if err != nil || s == nil {
			r = Result{Error: MsgBadAnswer, Status: 200}
			return
		}
		c.effects.Lock()
		c.setSession(s, accessHeader(resp), true)
		c.effects.Unlock()
		r = Result{OK: true, Status: 200}
	})
	if err != nil {
		return Result{Error: MsgServer}
	}
	if r.OK {
		go c.refreshLists()
	}
	return r
}

// shownLists returns the elements with attr on the view shown: those inside
// an element whose data-sg-route matches the current path (a list outside
// every route counts as shown). With all, every one.
func (c *Client) shownLists(attr string, all bool) []Element {
	c.mu.Lock()
	path := pathOf(c.nav.url)
	c.mu.Unlock()
	cleaned, ok := policy.Clean(path)
	var out []Element
	for _, el := range c.b.Query("[" + attr + "]") {
		shown := true
		for p := el; p != nil && shown && !all; p = p.Parent() {
			if v, has := p.Attr(AttrRoute); has {
				pt, err := policy.ParsePattern(v)
				shown = ok && err == nil && pt.Match(cleaned)
			}
		}
		if shown {
			out = append(out, el)
		}
	}
	return out
}

// refreshLists reads again the items of the lists shown and renders them
// (signed out, or without the role a list needs: the lists are emptied).
// While a list is shown it reads again every listPoll, when the page is
// visible and was used since the last read (a read extends the session,
// which an unattended page must not do). It blocks; answers that arrive
// out of order are dropped.
func (c *Client) refreshLists() {
	f, ok := c.b.(Filler)
	if !ok || !c.Ready() {
		return
	}
	c.mu.Lock()
	c.lists.seq++
	seq, s := c.lists.seq, c.state.session
	if c.lists.poll != nil {
		c.lists.poll.Stop()
		c.lists.poll = nil
	}
	c.mu.Unlock()
	type job struct {
		boxes []Element
		l     list
		items Value
	}
	var jobs []job
	for _, l := range lists {
		allowed := s != nil && (!l.admin || s.User.Role == wire.RoleAdmin)
		boxes := c.shownLists(l.attr, !allowed)
		if len(boxes) == 0 {
			continue
		}
		j := job{boxes: boxes, l: l}
		if allowed {
			items, err := c.readList(l.path, l.member)
			if err != nil {
				continue // keep what is shown
			}
			j.items = items
			c.mu.Lock()
			c.lists.polled = c.now()
			if c.lists.poll == nil {
				c.lists.poll = c.clock.AfterFunc(listPoll, c.pollLists)
			}
			c.mu.Unlock()
		}
		jobs = append(jobs, j)
	}
	c.effects.Lock()
	defer c.effects.Unlock()
	c.mu.Lock()
	newest := seq == c.lists.seq
	c.mu.Unlock()
	for _, j := range jobs {
		if newest {
			for _, box := range j.boxes {
				fillList(f, box, j.items, j.l.keyAttr, j.l.keyField)
			}
		}
	}
}

// pollLists reads the lists again when the page is visible and was used
// since the last read; otherwise it looks again later.
func (c *Client) pollLists() {
	sb, hasVis := c.b.(Streamer)
	c.mu.Lock()
	c.lists.poll = nil
	if !c.state.jwt.lastActive.After(c.lists.polled) || hasVis && !sb.Visible() {
		c.lists.poll = c.clock.AfterFunc(listPoll, c.pollLists)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.refreshLists()
}

// fillList renders items (a JSON array; nil: none) into box.
func fillList(f Filler, box Element, items Value, keyAttr, keyField string) {
	n := 0
	if items != nil {
		n = items.Len()
	}
	for i, row := range f.Fill(box, n) {
		item := items.Index(i)
		key, _ := str(item, keyField)
		row.SetAttr(keyAttr, key)
		for _, el := range row.Query("[" + AttrField + "]") {
			name, _ := el.Attr(AttrField)
			el.SetText(itemText(get(item, lite.TrimSpace(name))))
		}
		for _, el := range row.Query("[" + AttrIf + "]") {
			cond, _ := el.Attr(AttrIf)
			el.SetHidden(!itemHas(item, lite.TrimSpace(cond)))
		}
	}
}

// itemText shows a member: a string (an RFC 3339 time in a form for
// people) or a boolean as "yes" or "no"; "" for anything else.
func itemText(v Value) string {
	if v == nil {
		return ""
	}
	if b, ok := v.AsBool(); ok {
		if b {
			return "yes"
		}
		return "no"
	}
	s, _ := v.AsString()
	if len(s) == 20 && s[10] == 'T' && s[19] == 'Z' {
		if _, err := lite.ParseTime(s); err == nil {
			return s[:10] + " " + s[11:19] + " UTC"
		}
	}
	return s
}

// itemHas reports whether a data-sg-if condition holds for item: "name",
// "!name" or "name=value".
func itemHas(item Value, cond string) bool {
	not := len(cond) > 0 && cond[0] == '!'
	if not {
		cond = cond[1:]
	}
	name, want, eq := cond, "", false
	for i := 0; i < len(cond); i++ {
		if cond[i] == '=' {
			name, want, eq = cond[:i], cond[i+1:], true
			break
		}
	}
	v := get(item, name)
	has := false
	if eq {
		s, _ := str(item, name)
		has = v != nil && s == want
	} else if v != nil {
		has, _ = v.AsBool()
	}
	return has != not
}
