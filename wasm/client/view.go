package client

import (
	"strconv"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
	"github.com/sessionguard/sessionguard/wire"
)

// The attributes the Client renders (docs/MODULE.md, data-sg-countdown included).
const (
	AttrShow      = "data-sg-show"      // "authenticated" | "anonymous"
	AttrRole      = "data-sg-role"      // a role, or several separated by spaces
	AttrText      = "data-sg-text"      // "user.name" | "user.email" | "user.role" | "user.id" | "expires"
	AttrRoute     = "data-sg-route"     // a path pattern, or "*" for "no other route"
	AttrCountdown = "data-sg-countdown" // "expires"
)

const (
	selVisibility = "[" + AttrShow + "],[" + AttrRole + "],[" + AttrRoute + "]"
	selText       = "[" + AttrText + "]"
	selCountdown  = "[" + AttrCountdown + "]"
)

// render brings every data-sg-* element of the page in line with the
// session and the view's path. It queries the document each time, so
// elements added later are rendered too. c.effects must be held.
func (c *Client) render() {
	c.mu.Lock()
	s, target, now := c.state.session, c.nav.url, c.now()
	c.mu.Unlock()
	Render(c.b, s, pathOf(target), now)
}

// Render renders the data-sg-* elements of b for session s (nil: signed
// out) on the view of the escaped path at time now:
//   - data-sg-show="authenticated" / "anonymous": hidden unless so (any
//     other value: hidden);
//   - data-sg-role="admin": hidden unless the user has one of the listed
//     roles;
//   - data-sg-route="/pattern": hidden unless the cleaned path matches the
//     pattern (docs/SERVER.md, path patterns); data-sg-route="*" is shown when no other route
//     matches (a not-found view); an invalid pattern is never shown;
//   - data-sg-text and data-sg-countdown: text content from the session,
//     "" without one.
//
// An element with several of these attributes is shown only when all of
// them allow it.
func Render(b Browser, s *wire.Session, path string, now lite.Time) {
	cleaned, cleanOK := policy.Clean(path)
	els := b.Query(selVisibility)
	visible := make([]bool, len(els))
	fallback := make([]bool, len(els))
	routeMatched := false
	for i, el := range els {
		show := true
		if v, ok := el.Attr(AttrShow); ok {
			switch lite.TrimSpace(v) {
			case "authenticated":
				show = s != nil
			case "anonymous":
				show = s == nil
			default:
				show = false
			}
		}
		if v, ok := el.Attr(AttrRole); ok {
			show = show && s != nil && lite.HasToken(v, s.User.Role) && s.User.Role != ""
		}
		if v, ok := el.Attr(AttrRoute); ok {
			if lite.TrimSpace(v) == "*" {
				fallback[i] = true
			} else {
				pt, err := policy.ParsePattern(v)
				match := err == nil && cleanOK && pt.Match(cleaned)
				routeMatched = routeMatched || match
				show = show && match
			}
		}
		visible[i] = show
	}
	for i, el := range els {
		if fallback[i] {
			visible[i] = visible[i] && !routeMatched
		}
		el.SetHidden(!visible[i])
	}
	for _, el := range b.Query(selText) {
		if v, ok := el.Attr(AttrText); ok {
			if text, known := sessionText(s, lite.TrimSpace(v)); known {
				el.SetText(text)
			}
		}
	}
	renderCountdowns(b, s, now)
}

// renderCountdowns sets the text of the data-sg-countdown elements.
func renderCountdowns(b Browser, s *wire.Session, now lite.Time) {
	for _, el := range b.Query(selCountdown) {
		if v, _ := el.Attr(AttrCountdown); lite.TrimSpace(v) != "expires" {
			continue
		}
		if s == nil {
			el.SetText("")
			continue
		}
		el.SetText(FormatCountdown(expires(s).Sub(now)))
	}
}

// sessionText returns the text for a data-sg-text key; known is false for
// keys it does not know (their elements are left alone).
func sessionText(s *wire.Session, key string) (text string, known bool) {
	switch key {
	case "user.name", "user.email", "user.role", "user.id", "expires":
	default:
		return "", false
	}
	if s == nil {
		return "", true
	}
	switch key {
	case "user.name":
		return s.User.Name, true
	case "user.email":
		return s.User.Email, true
	case "user.role":
		return s.User.Role, true
	case "user.id":
		return s.User.ID, true
	}
	return lite.FormatTime(expires(s)), true
}

// FormatCountdown formats the time left, rounded up to whole seconds, as
// "mm:ss", or "h:mm:ss" from one hour on. Negative durations are "00:00".
func FormatCountdown(d lite.Duration) string {
	if d < 0 {
		d = 0
	}
	secs := int64((d + lite.Second - 1) / lite.Second)
	h, m, sec := secs/3600, secs/60%60, secs%60
	out := two(m) + ":" + two(sec)
	if h > 0 {
		out = strconv.FormatInt(h, 10) + ":" + out
	}
	return out
}

func two(n int64) string {
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}
