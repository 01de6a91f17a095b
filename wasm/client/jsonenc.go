package client

import (
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
	"github.com/sessionguard/sessionguard/wire"
)

// The Client hands the page its values as JSON text, which the page turns
// into objects with JSON.parse: one generic path in place of a converter
// per type. Times are written by wire (wire.Time), the one RFC 3339 writer.

// SessionJSON returns s as the contract's JSON object, or "null".
func SessionJSON(s *wire.Session) string {
	if s == nil {
		return "null"
	}
	var u lite.JSONObject
	u.Str("id", s.User.ID).Str("email", s.User.Email).Str("name", s.User.Name).Str("role", s.User.Role)
	var o lite.JSONObject
	o.Raw("user", u.String()).Str("expires", lite.FormatTime(expires(s)))
	if s.AAL != "" {
		o.Str("aal", s.AAL)
	}
	if !s.AuthenticatedAt.IsZero() {
		o.Str("authenticatedAt", lite.FormatTime(lite.FromWire(s.AuthenticatedAt)))
	}
	if s.EnrollmentRequired {
		o.Bool("enrollmentRequired", true)
	}
	return o.String()
}

// JSON returns r as {ok, error?, code?, redirectUrl?, retryAfter?,
// revoked?, twoFactorRequired?, methods?, secret?, uri?, qr?,
// recoveryCodes?, status}.
func (r Result) JSON() string {
	var o lite.JSONObject
	o.Bool("ok", r.OK)
	if r.OK && r.RedirectURL != "" {
		o.Str("redirectUrl", r.RedirectURL)
	}
	if !r.OK {
		o.Str("error", r.Error)
	}
	if r.Code != "" {
		o.Str("code", r.Code)
	}
	if r.TwoFactorRequired {
		o.Bool("twoFactorRequired", true).Raw("methods", jsonStrings(r.Methods))
	}
	if r.Secret != "" {
		o.Str("secret", r.Secret).Str("uri", r.URI).Str("qr", r.QR)
	}
	if r.RecoveryCodes != nil {
		o.Raw("recoveryCodes", jsonStrings(r.RecoveryCodes))
	}
	if r.Status == 429 {
		o.Int("retryAfter", r.RetryAfter)
	}
	if r.Revoked > 0 {
		o.Int("revoked", r.Revoked)
	}
	return o.Int("status", r.Status).String()
}

// json returns the message as the other tabs receive it: a session message
// {"session": {…}|null, "accessExpires"?, "ended"?} or a lock message
// {"lock", "id"}. (Stream messages are made in postStreamLocked.)
func (m Message) json() string {
	var o lite.JSONObject
	if m.Lock != "" {
		return o.Str("lock", m.Lock).Str("id", m.ID).String()
	}
	o.Raw("session", SessionJSON(m.Session))
	if !m.AccessExpires.IsZero() {
		o.Str("accessExpires", lite.FormatTime(m.AccessExpires))
	}
	if m.Ended != "" {
		o.Str("ended", m.Ended)
	}
	return o.String()
}

func (b Blocked) json() string {
	var o lite.JSONObject
	return o.Str("to", b.To).Str("reason", b.Reason).String()
}

func (n Navigated) json() string {
	var o lite.JSONObject
	return o.Str("url", n.URL).Str("path", n.Path).Bool("signIn", n.SignIn).String()
}

func (r Reauth) json() string {
	var o lite.JSONObject
	return o.Str("code", r.Code).Str("path", r.Path).String()
}

// jsonStrings returns list as a JSON array of strings.
func jsonStrings(list []string) string {
	b := []byte{'['}
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = lite.AppendJSONString(b, s)
	}
	return string(append(b, ']'))
}

func (e Ended) json() string {
	var o lite.JSONObject
	return o.Str("reason", e.Reason).String()
}

// JSON returns v as {allow, reason?, redirect?}.
func (v Verdict) JSON() string {
	var o lite.JSONObject
	o.Bool("allow", v.Allow)
	if v.Reason != "" {
		o.Str("reason", v.Reason)
	}
	if v.Redirect != "" {
		o.Str("redirect", v.Redirect)
	}
	return o.String()
}
