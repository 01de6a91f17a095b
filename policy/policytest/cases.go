// Package policytest holds the one table of tricky paths that every guard must
// agree on: the policy package itself, the server's guard middleware, the
// browser module's guard (natively and under Node) and the end-to-end tests in
// Chromium all run it.
package policytest

// Need is what a path asks of a visitor under DefaultPublic and DefaultAdmin.
type Need int

const (
	// Public paths are open to everybody.
	Public Need = iota
	// Session paths need a signed-in visitor.
	Session
	// Admin paths need a signed-in visitor with role admin.
	Admin
	// Invalid paths cannot be cleaned (policy.Clean refuses them): nobody
	// may see them, a page load is a bad request and the browser module
	// cancels a navigation to one without asking the server.
	Invalid
)

// String returns the need's name, used in subtest names.
func (n Need) String() string {
	return [...]string{"public", "session", "admin", "invalid"}[n]
}

// DefaultPublic and DefaultAdmin are the default -public and -admin-paths
// flag values; Cases assume them.
const (
	DefaultPublic = "/,/public,/ssr-login,/ssr-logout"
	DefaultAdmin  = "/admin/*"
)

// Case is one escaped path, as it appears in an HTTP request line or in the
// browser's location.pathname, and what it needs.
type Case struct {
	Path string
	Need Need
}

// Cases is the shared table. Each row is a path a guard could get wrong.
var Cases = []Case{
	{"/", Public},
	{"/public", Public},
	{"/public/", Public},
	{"/ssr-login", Public},
	{"/ssr-logout/", Public},
	{"//public", Public},
	{"/./public", Public},
	{"/public/.", Public},
	{"/dashboard/../public", Public},
	{"/admin/../public", Public},
	{"/%70ublic", Public},
	{"/dashboard", Session},
	{"/dashboard/", Session},
	{"/public/x", Session},
	{"/publicity", Session},
	{"/PUBLIC", Session},
	{"/Admin", Session},
	{"/public/../dashboard", Session},
	{"/public/%2e%2e/dashboard", Session},
	{"/public/%2E%2E/dashboard", Session},
	{"/public%2f..%2fdashboard", Session},
	{"/%252e%252e/public", Session},
	{"/admin", Admin},
	{"/admin/", Admin},
	{"/admin/users", Admin},
	{"/admin%2f", Admin},
	{"/%2e%2e/admin", Admin},
	{"/public/%2e%2e/admin", Admin},
	{"/public/../admin/x", Admin},
	{"//admin", Admin},
	{"/public%00", Invalid},
	{"/public%0a", Invalid},
	{"/%zz", Invalid},
	{"/public%", Invalid},
	{"/%5cpublic", Invalid},
	{"/%ff", Invalid},
	{"/admin%00", Invalid},
	{"/admin/%ff", Invalid},
	{"/dashboard%09", Invalid},
	{"/public/%5c..", Invalid},
	{"/admin/%2e%2e%2f/..", Invalid},
	{"/admin//..", Invalid},
	{"/a%2fb/..", Invalid},
}
