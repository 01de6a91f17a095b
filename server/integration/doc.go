// Package integration holds tests of the whole server (the auth handler, the
// session manager and a real store) against the outside services it runs on:
// PostgreSQL and Redis, reached through internal/testenv, which skips the
// tests with one line when a service is missing (or fails them when
// SG_REQUIRE_SERVICES=1). The package has no code outside its tests.
package integration
