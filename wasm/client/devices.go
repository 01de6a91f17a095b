package client

import (
	"errors"
	"time"

	"github.com/sessionguard/sessionguard/policy"
)

// Paths of the device and account API (README, HTTP API).
const (
	PathSessions     = "/api/auth/sessions"
	PathRevokeOthers = "/api/auth/sessions/revoke-others"
	PathPassword     = "/api/auth/password"
)

// The attributes of device lists. A list is an element with AttrDevices
// holding a <template>; each device is a clone of it, whose root gets
// AttrHandle (the device's handle) and data-current ("true" or "false"),
// whose AttrField elements get the text of that field (see Device.field),
// and whose AttrIf elements are shown only for the current device
// ("current") or only for the others ("other").
const (
	AttrDevices = "data-sg-devices"
	AttrField   = "data-sg-field"
	AttrIf      = "data-sg-if"
	AttrHandle  = "data-sg-handle"
	attrCurrent = "data-current"
	// devicesPoll is how often a device list that is shown is read again
	// while the page is visible and in use.
	devicesPoll = 30 * time.Second
)

// Device is one of the user's sessions, as GET /api/auth/sessions lists it.
// Times are RFC 3339 text, as the server sent them.
type Device struct {
	Handle, Device, UserAgent, ClientAddr string
	CreatedAt, LastSeen, Expires          string
	Current                               bool
}

// field returns the text of a data-sg-field name.
func (d Device) field(name string) string {
	switch name {
	case "handle":
		return d.Handle
	case "device":
		return d.Device
	case "userAgent":
		return d.UserAgent
	case "clientAddr":
		return d.ClientAddr
	case "createdAt":
		return displayTime(d.CreatedAt)
	case "lastSeen":
		return displayTime(d.LastSeen)
	case "expires":
		return displayTime(d.Expires)
	}
	return ""
}

// displayTime shows "2026-11-23T16:11:44Z" as "2026-11-23 16:11:44 UTC".
func displayTime(s string) string {
	if len(s) == 20 && s[10] == 'T' && s[19] == 'Z' {
		return s[:10] + " " + s[11:19] + " UTC"
	}
	return s
}

// Devices reads the user's sessions (GET PathSessions), newest first.
func (c *Client) Devices() ([]Device, error) {
	resp, err := c.fetch(Request{Method: "GET", URL: PathSessions})
	if err != nil {
		return nil, err
	}
	if resp.Status != 200 {
		return nil, wrap(ErrBadResponse, PathSessions+" answered "+itoa(resp.Status))
	}
	list := get(resp.Body, "sessions")
	out := make([]Device, 0, list.Len())
	for i := 0; i < list.Len(); i++ {
		v := list.Index(i)
		var d Device
		d.Handle, _ = str(v, "handle")
		d.Device, _ = str(v, "device")
		d.UserAgent, _ = str(v, "userAgent")
		d.ClientAddr, _ = str(v, "clientAddr")
		d.CreatedAt, _ = str(v, "createdAt")
		d.LastSeen, _ = str(v, "lastSeen")
		d.Expires, _ = str(v, "expires")
		if b := get(v, "current"); b != nil {
			d.Current, _ = b.AsBool()
		}
		if d.Handle != "" {
			out = append(out, d)
		}
	}
	return out, nil
}

// EndSession ends one of the user's sessions (DELETE PathSessions/handle).
// When it was this one, the session becomes null (told to the other tabs)
// and a protected view goes to sign-in. The device lists shown are read
// again either way.
func (c *Client) EndSession(handle string) Result {
	if !c.Ready() {
		return Result{Error: MsgServer}
	}
	resp, err := c.fetch(Request{Method: "DELETE", URL: PathSessions + "/" + EncodeURIComponent(handle)})
	defer c.refreshDevices()
	if err != nil || resp.Status != 200 {
		return failure(resp, err)
	}
	if v := get(resp.Body, "current"); v != nil {
		if current, _ := v.AsBool(); current {
			c.effects.Lock()
			c.setSession(nil, time.Time{}, true)
			c.leaveProtectedView(false)
			c.effects.Unlock()
		}
	}
	return Result{OK: true, Status: 200}
}

// EndOtherSessions ends every session of the user but this one (POST
// PathRevokeOthers); Result.Revoked tells how many. The device lists shown
// are read again.
func (c *Client) EndOtherSessions() Result {
	if !c.Ready() {
		return Result{Error: MsgServer}
	}
	resp, err := c.fetch(Request{Method: "POST", URL: PathRevokeOthers, Body: map[string]string{}})
	defer c.refreshDevices()
	if err != nil || resp.Status != 200 {
		return failure(resp, err)
	}
	n, _ := num(resp.Body, "revoked")
	return Result{OK: true, Status: 200, Revoked: int(n)}
}

// ChangePassword changes the user's password (POST PathPassword). The
// server ends every other session and rotates this one: on success the
// session is the new one (told to the other tabs). It runs under the
// refresh lock with the event stream paused, so neither this tab nor the
// page's other tabs take the ending of the old session for a sign-out. It
// blocks.
func (c *Client) ChangePassword(current, next string) Result {
	if !c.Ready() {
		return Result{Error: MsgServer}
	}
	c.pauseStream()
	defer c.resumeStream()
	var r Result
	err := c.withLock(func(bool) {
		resp, err := c.fetch(Request{Method: "POST", URL: PathPassword, Body: map[string]string{
			"currentPassword": current, "newPassword": next,
		}})
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
		go c.refreshDevices()
	}
	return r
}

// deviceLists returns the device lists on the view shown: those inside an
// element whose data-sg-route matches the current path (a list outside
// every route counts as shown).
func (c *Client) deviceLists() []Element {
	c.mu.Lock()
	path := pathOf(c.url)
	c.mu.Unlock()
	cleaned, ok := policy.Clean(path)
	var out []Element
	for _, el := range c.b.Query("[" + AttrDevices + "]") {
		shown := true
		for p := el; p != nil && shown; p = p.Parent() {
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

// refreshDevices reads the user's sessions again and renders them into the
// device lists shown, when there are any (signed out: the lists are
// emptied). While a list is shown it reads again every devicesPoll, when
// the page is visible and was used since the last read (a read extends
// the session, which an unattended page must not do). It blocks; answers
// that arrive out of order are dropped.
func (c *Client) refreshDevices() {
	if !c.Ready() {
		return
	}
	f, ok := c.b.(Filler)
	lists := c.deviceLists()
	c.mu.Lock()
	c.devSeq++
	seq, signedIn := c.devSeq, c.session != nil
	if !signedIn {
		lists = c.b.Query("[" + AttrDevices + "]") // empty them all
	}
	if c.devPoll != nil {
		c.devPoll.Stop()
		c.devPoll = nil
	}
	if ok && len(lists) > 0 && signedIn {
		c.devPolled = c.now()
		c.devPoll = c.clock.AfterFunc(devicesPoll, c.pollDevices)
	}
	c.mu.Unlock()
	if !ok || len(lists) == 0 {
		return
	}
	var list []Device
	if signedIn {
		var err error
		if list, err = c.Devices(); err != nil {
			return // keep what is shown
		}
	}
	c.effects.Lock()
	defer c.effects.Unlock()
	c.mu.Lock()
	newest := seq == c.devSeq
	c.mu.Unlock()
	if newest {
		renderDevices(f, lists, list)
	}
}

// pollDevices reads the device lists again when the page is visible and
// was used since the last read; otherwise it looks again later.
func (c *Client) pollDevices() {
	sb, hasVis := c.b.(Streamer)
	c.mu.Lock()
	used := c.jwt.lastActive.After(c.devPolled)
	if !used || hasVis && !sb.Visible() {
		c.devPoll = c.clock.AfterFunc(devicesPoll, c.pollDevices)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.refreshDevices()
}

// renderDevices fills each list with list.
func renderDevices(f Filler, lists []Element, list []Device) {
	for _, box := range lists {
		for i, row := range f.Fill(box, len(list)) {
			d := list[i]
			row.SetAttr(AttrHandle, d.Handle)
			current := "false"
			if d.Current {
				current = "true"
			}
			row.SetAttr(attrCurrent, current)
			for _, el := range row.Query("[" + AttrField + "]") {
				name, _ := el.Attr(AttrField)
				el.SetText(d.field(trimSpace(name)))
			}
			for _, el := range row.Query("[" + AttrIf + "]") {
				v, _ := el.Attr(AttrIf)
				el.SetHidden((trimSpace(v) == "current") != d.Current)
			}
		}
	}
}
