// Package e2e holds sessionguard's end-to-end tests: the real server, started
// in-process on a loopback listener with its SQLite store, and the browser
// module built from the current source, driven in headless Chromium through
// the DevTools protocol (chromedp). They check the API and the module (docs/API.md, docs/MODULE.md) as a page
// and a person see them.
//
// The tests skip with one line when chromium is not on PATH, and fail
// instead when SG_REQUIRE_BROWSER=1. The package has no code outside its
// tests.
package e2e
