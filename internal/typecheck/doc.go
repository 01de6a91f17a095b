// Package typecheck holds the tests of static/sessionguard.d.ts, the
// TypeScript declarations of window.sessionguard: that they name every
// member the loader defines, and that tsc (the exact version pinned in
// package.json, installed with npm outside the repository) accepts them,
// the demo's script against them, and usage.ts's documented uses, and
// refuses the misuses usage.ts marks with @ts-expect-error.
//
// Node.js and npm are not part of the Go build: without npm the tsc test
// skips with one line, or fails when SG_REQUIRE_BROWSER=1 (as in CI, which
// needs Node.js for the browser module's tests anyway).
package typecheck
