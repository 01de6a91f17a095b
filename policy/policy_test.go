package policy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/policy"
	"github.com/sessionguard/sessionguard/policy/policytest"
	"github.com/sessionguard/sessionguard/wire"
)

func defaultPolicy(t testing.TB) *policy.Policy {
	p, err := policy.New(policytest.DefaultPublic, policytest.DefaultAdmin)
	require.NoError(t, err)
	return p
}

func TestSharedCases(t *testing.T) {
	p := defaultPolicy(t)
	for _, c := range policytest.Cases {
		t.Run(c.Need.String()+"/"+c.Path, func(t *testing.T) {
			_, cleanable := policy.Clean(c.Path)
			assert.Equal(t, c.Need != policytest.Invalid, cleanable, "the table marks exactly the paths Clean refuses as invalid")
			req := p.Requirement(c.Path)
			assert.Equal(t, c.Need == policytest.Public, req.Public, "public")
			assert.Equal(t, c.Need == policytest.Public, p.IsPublic(c.Path), "IsPublic")
			assert.Equal(t, c.Need == policytest.Invalid, req.Invalid, "invalid")
			wantRole := ""
			if c.Need == policytest.Admin {
				wantRole = wire.RoleAdmin
			}
			assert.Equal(t, wantRole, req.Role, "role")
			switch c.Need {
			case policytest.Public:
				assert.Equal(t, policy.Allow, p.Decide(c.Path, false, ""))
			case policytest.Session:
				assert.Equal(t, policy.Unauthenticated, p.Decide(c.Path, false, ""))
				assert.Equal(t, policy.Allow, p.Decide(c.Path, true, "user"))
			case policytest.Admin:
				assert.Equal(t, policy.Unauthenticated, p.Decide(c.Path, false, ""))
				assert.Equal(t, policy.Forbidden, p.Decide(c.Path, true, "user"))
				assert.Equal(t, policy.Allow, p.Decide(c.Path, true, "admin"))
			case policytest.Invalid:
				assert.Equal(t, policy.Requirement{Invalid: true}, req)
				assert.Equal(t, policy.Invalid, p.Decide(c.Path, false, ""), "anonymous")
				assert.Equal(t, policy.Invalid, p.Decide(c.Path, true, "user"), "user")
				assert.Equal(t, policy.Invalid, p.Decide(c.Path, true, "admin"), "admin")
			}
		})
	}
}

// TestInvalidBeatsEveryRule: a path that cannot be cleaned is Invalid under
// any rules, even a public "/*", and whoever asks.
func TestInvalidBeatsEveryRule(t *testing.T) {
	for _, rules := range [][2]string{{"/*", ""}, {"/*", "/*"}, {"", ""}} {
		p, err := policy.New(rules[0], rules[1])
		require.NoError(t, err)
		for _, path := range []string{"/%ff", "/admin/%2e%2e%2f/..", "", "relative"} {
			t.Run(rules[0]+" "+rules[1]+" "+path, func(t *testing.T) {
				assert.Equal(t, policy.Requirement{Invalid: true}, p.Requirement(path))
				assert.False(t, p.IsPublic(path))
				assert.Equal(t, policy.Invalid, p.Decide(path, true, wire.RoleAdmin))
			})
		}
	}
	assert.Equal(t, policy.Invalid, policy.Requirement{Invalid: true, Public: true}.Decide(true, ""), "Invalid beats Public")
	assert.Equal(t, policy.Allow, policy.Requirement{}.Decide(true, ""), "the zero Requirement admits any signed-in visitor")
}

func TestClean(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"/", "/", true},
		{"/a/", "/a", true},
		{"/a//b", "/a/b", true},
		{"/a/./b/../c", "/a/c", true},
		{"/../../a", "/a", true},
		{"/%41", "/A", true},
		{"/%2541", "/%41", true},
		{"/a%2Fb", "/a/b", true},
		{"", "", false},
		{"a", "", false},
		{"/%", "", false},
		{"/%4", "", false},
		{"/%g0", "", false},
		{"/%00", "", false},
		{"/a\\b", "", false},
		{"/%c3%28", "", false},
		{"/caf%c3%a9", "/café", true},
		{"/public/%2E%2e/admin", "/admin", true},
		{"/a/.%2e/b", "/b", true},
		{"/admin/%2e%2e%2f/..", "", false}, // a browser goes to /admin/, decoding first gives /
		{"/admin//..", "", false},          // a browser goes to /admin/, path.Clean gives /
		{"/a%2fb/..", "", false},           // a browser goes to /, decoding first gives /a
		{"/a%2fb/c", "/a/b/c", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := policy.Clean(tt.in)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParsePattern(t *testing.T) {
	tests := []struct {
		in, str string
		bad     bool
	}{
		{"/public", "/public", false},
		{" /public/ ", "/public", false},
		{"/admin/*", "/admin/*", false},
		{"/*", "/*", false},
		{"/a//b/", "/a/b", false},
		{"public", "", true},
		{"/a*", "", true},
		{"/a/*/b", "", true},
		{"*", "", true},
		{"/a%20b", "", true},
		{"/a\\b", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := policy.ParsePattern(tt.in)
			if tt.bad {
				assert.ErrorIs(t, err, policy.ErrBadPattern)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.str, p.String())
		})
	}
}

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"/a", "/a", true},
		{"/a", "/a/b", false},
		{"/a", "/ab", false},
		{"/a/*", "/a", true},
		{"/a/*", "/a/b/c", true},
		{"/a/*", "/ab", false},
		{"/*", "/anything", true},
		{"/*", "/", true},
		{"/", "/", true},
		{"/", "/a", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.path, func(t *testing.T) {
			p, err := policy.ParsePattern(tt.pattern)
			require.NoError(t, err)
			assert.Equal(t, tt.want, p.Match(tt.path))
		})
	}
	assert.False(t, policy.Pattern{}.Match("/"), "zero pattern matches nothing")
}

func TestAdminBeatsPublic(t *testing.T) {
	p, err := policy.New("/*", "/admin/*")
	require.NoError(t, err)
	assert.True(t, p.IsPublic("/dashboard"))
	assert.False(t, p.IsPublic("/admin/x"))
	assert.Equal(t, policy.Forbidden, p.Decide("/admin/x", true, "user"))
}

func TestNewRejectsBadLists(t *testing.T) {
	_, err := policy.New("/ok,bad", "")
	assert.ErrorIs(t, err, policy.ErrBadPattern)
	_, err = policy.New("/", "/admin*")
	assert.ErrorIs(t, err, policy.ErrBadPattern)
	p, err := policy.New(" , /x ,", "")
	require.NoError(t, err)
	assert.Equal(t, []string{"/x"}, policy.Strings(p.Public))
}

func TestSafeRedirect(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/dashboard", "/dashboard"},
		{"/dashboard?tab=1#top", "/dashboard?tab=1#top"},
		{"/", "/"},
		{"", "/"},
		{"dashboard", "/"},
		{"//evil.example", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/ /evil.example", "/"},
		{"/%5c%5cevil.example", "/"},
		{"/%2f/evil.example", "/"},
		{"/%2F/evil.example", "/"},
		{"/%2F%2Fevil.example", "/"},
		{"/a\\b", "/"},
		{"/%zz", "/"},
		{"/#00%0X", "/"},
		{"/a?q=%", "/"},
		{"/a?q=%4", "/"},
		{"/a?q=%41#%7e", "/a?q=%41#%7e"},
		{"/" + string(make([]byte, 3000)), "/"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, policy.SafeRedirect(tt.in))
		})
	}
}

func TestDecisionString(t *testing.T) {
	assert.Equal(t, "unauthenticated", policy.Unauthenticated.String())
	assert.Equal(t, "forbidden", policy.Forbidden.String())
	assert.Equal(t, "allow", policy.Allow.String())
	assert.Equal(t, "error", policy.Invalid.String())
	assert.Equal(t, "error", policy.Decision(99).String())
}

func BenchmarkRequirement(b *testing.B) {
	p := defaultPolicy(b)
	for b.Loop() {
		p.Requirement("/public/%2e%2e/admin/users")
	}
}

func TestIsSameOriginPath(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"/", true},
		{"/dashboard?x=1#y", true},
		{"/%zz", true},
		{"/public%00", true},
		{"/café", true},
		{"", false},
		{"dashboard", false},
		{"?x", false},
		{"//evil.example", false},
		{"/\\evil.example", false},
		{"/a\\b", false},
		{"/a b", false},
		{"/\t/evil.example", false},
		{"/a\x7f", false},
		{"https://evil.example/", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, policy.IsSameOriginPath(tt.in))
		})
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct {
		in   string
		form bool
		want string
		ok   bool
	}{
		{"a%20b", false, "a b", true},
		{"a+b", false, "a+b", true},
		{"a+b", true, "a b", true},
		{"%2Fx%2f", true, "/x/", true},
		{"%", true, "", false},
		{"%g1", false, "", false},
		{"plain", true, "plain", true},
	}
	for _, tt := range tests {
		got, ok := policy.Unescape(tt.in, tt.form)
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

// TestAAL2Paths checks the -aal2-paths rule: an aal2 path needs a session
// proved with a second factor (policy.StepUp for an aal1 one), beats a public
// rule, and combines with a role rule.
func TestAAL2Paths(t *testing.T) {
	pub, err := policy.ParsePatterns("/,/public/*")
	if err != nil {
		t.Fatal(err)
	}
	adm, _ := policy.ParsePatterns("/admin/*")
	aal2, _ := policy.ParsePatterns("/billing/*,/public/keys,/admin/keys")
	p := &policy.Policy{Public: pub, Admin: adm, AAL2: aal2}
	tests := []struct {
		path         string
		signedIn     bool
		role, aal    string
		want         policy.Decision
		wantAAL2     bool
		wantIsPublic bool
	}{
		{"/billing", true, "user", "aal1", policy.StepUp, true, false},
		{"/billing/invoices/%2e%2e/x", true, "user", "aal1", policy.StepUp, true, false},
		{"/billing/x", true, "user", "aal2", policy.Allow, true, false},
		{"/billing/x", false, "", "", policy.Unauthenticated, true, false},
		{"/public/keys", true, "user", "aal1", policy.StepUp, true, false}, // beats public
		{"/public/keys", false, "", "", policy.Unauthenticated, true, false},
		{"/public/other", false, "", "", policy.Allow, false, true},
		{"/admin/keys", true, "user", "aal2", policy.Forbidden, true, false},
		{"/admin/keys", true, "admin", "aal1", policy.StepUp, true, false},
		{"/admin/keys", true, "admin", "aal2", policy.Allow, true, false},
		{"/admin/other", true, "admin", "aal1", policy.Allow, false, false},
		{"/account", true, "user", "aal1", policy.Allow, false, false},
	}
	for _, tt := range tests {
		r := p.Requirement(tt.path)
		if r.AAL2 != tt.wantAAL2 || p.IsPublic(tt.path) != tt.wantIsPublic {
			t.Errorf("%s: AAL2 %v public %v, want %v %v", tt.path, r.AAL2, p.IsPublic(tt.path), tt.wantAAL2, tt.wantIsPublic)
		}
		if got := r.DecideAAL(tt.signedIn, tt.role, tt.aal); got != tt.want {
			t.Errorf("%s signed in %v as %s at %s: %v, want %v", tt.path, tt.signedIn, tt.role, tt.aal, got, tt.want)
		}
	}
	if policy.StepUp.String() != "step-up" {
		t.Errorf("policy.StepUp is %q", policy.StepUp.String())
	}
}
