package policy

import (
	"strings"

	"github.com/sessionguard/sessionguard/wire"
)

// Decision is a guard's verdict for one path and one visitor.
type Decision int

const (
	// Allow lets the visitor see the path.
	Allow Decision = iota
	// Unauthenticated means the path needs a session and there is none.
	Unauthenticated
	// Forbidden means the visitor is signed in but lacks the role the path needs.
	Forbidden
	// Invalid means the path cannot be cleaned, so no rule can be applied to
	// it: nobody may see it, signed in or not.
	Invalid
	// StepUp means the visitor may see the path once they prove their
	// session with a second factor (an aal2 path, an aal1 session).
	StepUp
)

// String returns the name the browser module reports in sessionguard:blocked;
// Invalid is reported as "error", as is any unknown value.
func (d Decision) String() string {
	switch d {
	case Allow:
		return "allow"
	case Unauthenticated:
		return "unauthenticated"
	case Forbidden:
		return "forbidden"
	case StepUp:
		return "step-up"
	}
	return "error"
}

// Requirement is what a path asks of a visitor. The zero Requirement admits
// any signed-in visitor.
type Requirement struct {
	// Public reports whether the path is open to everybody.
	Public bool
	// Role is the role a signed-in visitor needs; "" means any signed-in visitor.
	Role string
	// Invalid reports that the path cannot be cleaned (see Clean): it is
	// neither public nor open to any visitor, and a page load of it is a
	// bad request.
	Invalid bool
	// AAL2 reports that the path needs a session proved with a second
	// factor (wire.AAL2). An aal2 path is never public.
	AAL2 bool
}

// Policy holds the path rules. A role rule beats a public rule, so a path that
// is listed both as public and as admin-only needs the admin role; so does an
// aal2 rule, which needs a session proved with a second factor. Cleanable
// paths that match no pattern need a session; a path that cannot be cleaned is
// Invalid. The zero Policy makes every cleanable path need a session. A
// Policy is not modified after construction and is safe for concurrent use.
type Policy struct {
	Public []Pattern
	Admin  []Pattern
	// AAL2 are the patterns of -aal2-paths.
	AAL2 []Pattern
}

// New builds a Policy from the comma-separated lists of the -public and
// -admin-paths flags.
func New(public, admin string) (*Policy, error) {
	pub, err := ParsePatterns(public)
	if err != nil {
		return nil, err
	}
	adm, err := ParsePatterns(admin)
	if err != nil {
		return nil, err
	}
	return &Policy{Public: pub, Admin: adm}, nil
}

// Requirement returns what the escaped path asks of a visitor; for a path
// that Clean refuses it is Requirement{Invalid: true}.
func (p *Policy) Requirement(escapedPath string) Requirement {
	cleaned, ok := Clean(escapedPath)
	if !ok {
		return Requirement{Invalid: true}
	}
	var r Requirement
	for _, pt := range p.AAL2 {
		if pt.Match(cleaned) {
			r.AAL2 = true
			break
		}
	}
	for _, pt := range p.Admin {
		if pt.Match(cleaned) {
			r.Role = wire.RoleAdmin // the role the admin patterns require
			return r
		}
	}
	if r.AAL2 {
		return r
	}
	for _, pt := range p.Public {
		if pt.Match(cleaned) {
			return Requirement{Public: true}
		}
	}
	return r
}

// IsPublic reports whether the escaped path is open to everybody; a path that
// cannot be cleaned never is.
func (p *Policy) IsPublic(escapedPath string) bool {
	return p.Requirement(escapedPath).Public
}

// Decide returns the verdict for a visitor with the given state. role is
// ignored when signedIn is false.
func (p *Policy) Decide(escapedPath string, signedIn bool, role string) Decision {
	return p.Requirement(escapedPath).Decide(signedIn, role)
}

// DecideAAL is Decide for a visitor whose session was proved at level aal
// (wire.AAL1 or wire.AAL2): StepUp where Decide allows an aal2 path to an
// aal1 session.
func (r Requirement) DecideAAL(signedIn bool, role, aal string) Decision {
	d := r.Decide(signedIn, role)
	if d == Allow && r.AAL2 && aal != wire.AAL2 {
		return StepUp
	}
	return d
}

// Decide returns the verdict of this requirement for a visitor, ignoring
// its AAL2 rule (see DecideAAL): Invalid for an Invalid requirement whoever
// asks.
func (r Requirement) Decide(signedIn bool, role string) Decision {
	switch {
	case r.Invalid:
		return Invalid
	case r.Public:
		return Allow
	case !signedIn:
		return Unauthenticated
	case r.Role != "" && r.Role != role:
		return Forbidden
	}
	return Allow
}

// Strings returns the patterns as ParsePattern reads them, for the config
// endpoint.
func Strings(ps []Pattern) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// SplitPath splits a same-origin target such as "/a/b?x=1#f" into its path and
// the rest ("?x=1#f").
func SplitPath(target string) (p, rest string) {
	if i := strings.IndexAny(target, "?#"); i >= 0 {
		return target[:i], target[i:]
	}
	return target, ""
}
