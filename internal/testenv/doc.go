// Package testenv is support code for tests that need more than the Go
// toolchain: the outside services they run against (PostgreSQL, Redis), and a
// TCP proxy that takes such a service away and brings it back.
//
// A test asks for a service with Postgres or Redis. When the variable that
// names it (SG_TEST_POSTGRES_URL, SG_TEST_REDIS_URL) is unset or the service
// does not answer, the test is skipped with one line, or fails when
// SG_REQUIRE_SERVICES=1 (as in CI).
//
// The package is imported by tests only.
package testenv
