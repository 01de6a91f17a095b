package policy_test

import (
	"fmt"

	"github.com/sessionguard/sessionguard/policy"
)

func ExampleIsSameOriginPath() {
	fmt.Println(policy.IsSameOriginPath("/admin/users"), policy.IsSameOriginPath("//evil.example"))
	// Output: true false
}

func ExamplePolicy_Decide() {
	p, _ := policy.New("/,/public", "/admin/*")
	fmt.Println(p.Decide("/public/%2e%2e/dashboard", false, ""))
	fmt.Println(p.Decide("/admin/users", true, "user"))
	fmt.Println(p.Decide("/admin/users", true, "admin"))
	// Output:
	// unauthenticated
	// forbidden
	// allow
}

func ExampleSafeRedirect() {
	fmt.Println(policy.SafeRedirect("/dashboard?tab=2"), policy.SafeRedirect("https://evil.example/"))
	// Output: /dashboard?tab=2 /
}
