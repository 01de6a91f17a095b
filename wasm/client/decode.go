package client

import (
	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
	"github.com/sessionguard/sessionguard/wire"
)

// The decoders read the API's JSON shapes (docs/API.md) from values the
// browser's JSON.parse made, into the wire package's structs.

// DecodeSession reads a session. A nil v (JSON null) is no session.
func DecodeSession(v Value) (*wire.Session, error) {
	if v == nil {
		return nil, nil
	}
	u := v.Get("user")
	if u == nil {
		return nil, lite.Wrap(ErrBadSession, "no user")
	}
	var user wire.User
	var ok bool
	if user.ID, ok = str(u, "id"); !ok || user.ID == "" {
		return nil, lite.Wrap(ErrBadSession, "no user id")
	}
	if user.Role, ok = str(u, "role"); !ok {
		return nil, lite.Wrap(ErrBadSession, "no user role")
	}
	user.Email, _ = str(u, "email")
	user.Name, _ = str(u, "name")
	exp, ok := str(v, "expires")
	if !ok {
		return nil, lite.Wrap(ErrBadSession, "no expires")
	}
	t, err := lite.ParseTime(exp)
	if err != nil {
		return nil, lite.Wrap(ErrBadSession, "bad expires \""+exp+"\"")
	}
	s := &wire.Session{User: user, Expires: t.Wire()}
	// The assurance fields (a server before them sends none). A level
	// other than aal2 counts as aal1, the lowest, wherever it is judged
	// (policy.Requirement.DecideAAL).
	if m := v.Get("aal"); m != nil {
		if s.AAL, ok = m.AsString(); !ok {
			return nil, lite.Wrap(ErrBadSession, "aal is not a string")
		}
	}
	if m := v.Get("authenticatedAt"); m != nil {
		at, ok := m.AsString()
		if !ok {
			return nil, lite.Wrap(ErrBadSession, "authenticatedAt is not a string")
		}
		t, err := lite.ParseTime(at)
		if err != nil {
			return nil, lite.Wrap(ErrBadSession, "bad authenticatedAt \""+at+"\"")
		}
		s.AuthenticatedAt = t.Wire()
	}
	if m := v.Get("enrollmentRequired"); m != nil {
		if s.EnrollmentRequired, ok = m.AsBool(); !ok {
			return nil, lite.Wrap(ErrBadSession, "enrollmentRequired is not a boolean")
		}
	}
	return s, nil
}

// DecodeConfig reads the configuration of GET /api/auth/config.
func DecodeConfig(v Value) (wire.Config, error) {
	var cfg wire.Config
	if v == nil {
		return cfg, lite.Wrap(ErrBadConfig, "null")
	}
	var ok bool
	if cfg.PublicPaths, ok = strs(v.Get("publicPaths")); !ok {
		return cfg, lite.Wrap(ErrBadConfig, "publicPaths is not a list of strings")
	}
	if cfg.AdminPaths, ok = strs(v.Get("adminPaths")); !ok {
		return cfg, lite.Wrap(ErrBadConfig, "adminPaths is not a list of strings")
	}
	if cfg.AAL2Paths, ok = strs(v.Get("aal2Paths")); !ok {
		return cfg, lite.Wrap(ErrBadConfig, "aal2Paths is not a list of strings")
	}
	if n, ok := num(v, "freshAge"); ok && n > 0 {
		cfg.FreshAge = int(n)
	}
	cfg.SignInPath, _ = str(v, "signInPath")
	if n, ok := num(v, "maxAge"); ok {
		cfg.MaxAge = int(n)
	}
	cfg.Strategy, _ = str(v, "strategy")
	cfg.RefreshPath, _ = str(v, "refreshPath")
	if n, ok := num(v, "accessMaxAge"); ok && n > 0 {
		cfg.AccessMaxAge = int(n)
	}
	return cfg, nil
}

// policyOf builds the path policy of a configuration. Each pattern is parsed
// on its own, so a comma inside one cannot split it.
func policyOf(cfg wire.Config) (*policy.Policy, error) {
	var p policy.Policy
	for _, s := range cfg.PublicPaths {
		pt, err := policy.ParsePattern(s)
		if err != nil {
			return nil, lite.Wrap(ErrBadConfig, err.Error())
		}
		p.Public = append(p.Public, pt)
	}
	for _, s := range cfg.AdminPaths {
		pt, err := policy.ParsePattern(s)
		if err != nil {
			return nil, lite.Wrap(ErrBadConfig, err.Error())
		}
		p.Admin = append(p.Admin, pt)
	}
	for _, s := range cfg.AAL2Paths {
		pt, err := policy.ParsePattern(s)
		if err != nil {
			return nil, lite.Wrap(ErrBadConfig, err.Error())
		}
		p.AAL2 = append(p.AAL2, pt)
	}
	return &p, nil
}

// decodeStatus reads {"status":200} or {"status":401}.
func decodeStatus(v Value) (int, bool) {
	n, ok := num(v, "status")
	if !ok || (n != 200 && n != 401) {
		return 0, false
	}
	return int(n), true
}

// decodeError reads the message of {"error":"…"}, or "".
func decodeError(v Value) string {
	s, _ := str(v, "error")
	return s
}

// get returns v's member key, or nil when v is nil.
func get(v Value, key string) Value {
	if v == nil {
		return nil
	}
	return v.Get(key)
}

func str(v Value, key string) (string, bool) {
	if v == nil {
		return "", false
	}
	m := v.Get(key)
	if m == nil {
		return "", false
	}
	return m.AsString()
}

func num(v Value, key string) (float64, bool) {
	if v == nil {
		return 0, false
	}
	m := v.Get(key)
	if m == nil {
		return 0, false
	}
	return m.AsNumber()
}

// strs reads a JSON array of strings; a missing list (nil) is empty.
func strs(v Value) ([]string, bool) {
	if v == nil {
		return nil, true
	}
	n := v.Len()
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		e := v.Index(i)
		if e == nil {
			return nil, false
		}
		s, ok := e.AsString()
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	if n == 0 {
		// Not an array at all, or an empty one: only an empty array
		// is fine.
		if _, isStr := v.AsString(); isStr {
			return nil, false
		}
		if _, isNum := v.AsNumber(); isNum {
			return nil, false
		}
	}
	return out, true
}
