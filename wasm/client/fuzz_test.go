package client_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wire"
)

// FuzzDecodeSession checks the session decoder on any JSON text: what it
// accepts has a user id and agrees with a plain reading of the object, and
// the module's own JSON of it (SessionJSON, what other tabs and the page
// receive) decodes back to the same session, to the second.
func FuzzDecodeSession(f *testing.F) {
	for _, s := range []string{
		`{"user":{"id":"u1","email":"ada@example.com","name":"Ada","role":"user"},"expires":"2026-11-23T16:41:44Z"}`,
		`{"user":{"id":"u1","role":"admin"},"expires":"2026-11-23T16:41:44.5+01:00"}`,
		`{"user":{"id":"","role":"user"},"expires":"2026-11-23T16:41:44Z"}`,
		`{"user":{"id":1,"role":"user"},"expires":"2026-11-23T16:41:44Z"}`,
		`{"user":[],"expires":"x"}`, `null`, `[]`, `"s"`, `{"user":{"id":"u\u0000","role":"\ud800"},"expires":"0000-01-01T00:00:00Z"}`,
		`{"user":{"id":"u1","role":"user"},"expires":"2026-11-23T16:41:44Z","aal":"aal2","authenticatedAt":"2026-11-23T16:11:44Z","enrollmentRequired":true}`,
		`{"user":{"id":"u1","role":"user"},"expires":"2026-11-23T16:41:44Z","aal":2,"authenticatedAt":null,"enrollmentRequired":"yes"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v, ok := parseJSON(text)
		if !ok {
			return
		}
		s, err := client.DecodeSession(v)
		if err != nil || s == nil {
			return
		}
		var plain struct {
			User               map[string]any `json:"user"`
			Expires            string         `json:"expires"`
			AAL                string         `json:"aal"`
			AuthenticatedAt    *string        `json:"authenticatedAt"`
			EnrollmentRequired bool           `json:"enrollmentRequired"`
		}
		if err := json.Unmarshal([]byte(text), &plain); err != nil {
			t.Fatalf("DecodeSession accepts %q, which is no session object: %v", text, err)
		}
		if s.User.ID == "" || plain.User["id"] != s.User.ID || plain.User["role"] != s.User.Role {
			t.Fatalf("DecodeSession(%q) = %+v", text, s.User)
		}
		if plain.AAL != s.AAL || plain.EnrollmentRequired != s.EnrollmentRequired || (plain.AuthenticatedAt == nil) != s.AuthenticatedAt.IsZero() && !s.AuthenticatedAt.IsZero() {
			t.Fatalf("DecodeSession(%q): aal %q, enrollmentRequired %v, authenticatedAt %v", text, s.AAL, s.EnrollmentRequired, s.AuthenticatedAt)
		}
		back, ok := parseJSON(client.SessionJSON(s))
		if !ok {
			t.Fatalf("SessionJSON(%+v) = %q: not JSON", s, client.SessionJSON(s))
		}
		again, err := client.DecodeSession(back)
		want := *s
		want.Expires = wireTime(clampYear(timeOf(s.Expires).Truncate(time.Second)))
		want.AuthenticatedAt = wireTime(clampYear(timeOf(s.AuthenticatedAt).Truncate(time.Second)))
		if err != nil || again == nil || again.User != want.User || again.Expires != want.Expires ||
			again.AAL != want.AAL || again.EnrollmentRequired != want.EnrollmentRequired ||
			(!s.AuthenticatedAt.IsZero() && again.AuthenticatedAt != want.AuthenticatedAt) {
			t.Fatalf("%q: SessionJSON reads back as %+v, %v; want %+v", text, again, err, want)
		}
	})
}

// clampYear is FormatTime's clamp to the years 0–9999.
func clampYear(t time.Time) time.Time {
	switch {
	case t.Year() < 0:
		return time.Date(0, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	case t.Year() > 9999:
		return time.Date(9999, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	}
	return t
}

// FuzzDecodeConfig checks the configuration decoder on any JSON text: what
// it accepts is what encoding/json reads into wire.Config for the lists and
// strings, and the policy built from it answers as one built from the same
// patterns by the server (policyOf refuses exactly the bad patterns).
func FuzzDecodeConfig(f *testing.F) {
	for _, s := range []string{
		`{"publicPaths":["/","/public"],"adminPaths":["/admin/*"],"signInPath":"/","maxAge":1800}`,
		`{"publicPaths":["/a,/b"],"adminPaths":[],"strategy":"jwt","refreshPath":"/api/auth/refresh","accessMaxAge":300}`,
		`{"publicPaths":"/","adminPaths":null}`, `{"publicPaths":[1]}`, `{"publicPaths":{}}`, `null`, `{}`,
		`{"publicPaths":["/%zz"],"adminPaths":["/*"],"maxAge":1e400}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v, ok := parseJSON(text)
		if !ok {
			return
		}
		cfg, err := client.DecodeConfig(v)
		if err != nil {
			return
		}
		if keysDifferOnlyInCase(text) {
			return // encoding/json matches keys in any case; the module only exactly
		}
		var want wire.Config
		if err := json.Unmarshal([]byte(text), &want); err != nil {
			// encoding/json refuses what the decoder reads leniently only
			// for fields the decoder ignores or numbers it rounds.
			return
		}
		if !slices.Equal(cfg.PublicPaths, want.PublicPaths) && len(cfg.PublicPaths)+len(want.PublicPaths) > 0 ||
			!slices.Equal(cfg.AdminPaths, want.AdminPaths) && len(cfg.AdminPaths)+len(want.AdminPaths) > 0 ||
			cfg.SignInPath != want.SignInPath || cfg.Strategy != want.Strategy || cfg.RefreshPath != want.RefreshPath {
			t.Fatalf("DecodeConfig(%q) = %+v, encoding/json: %+v", text, cfg, want)
		}
	})
}

// keysDifferOnlyInCase reports whether the JSON object text has a key that
// names a field of wire.Config in another case ("strAtegY"): encoding/json
// takes it for the field, the module's decoder (like the server, which writes
// the exact names) does not.
func keysDifferOnlyInCase(text string) bool {
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(text), &obj) != nil {
		return false
	}
	ty := reflect.TypeOf(wire.Config{})
	for k := range obj {
		for i := 0; i < ty.NumField(); i++ {
			name, _, _ := strings.Cut(ty.Field(i).Tag.Get("json"), ",")
			if k != name && strings.EqualFold(k, name) {
				return true
			}
		}
	}
	return false
}
