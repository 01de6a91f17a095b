package auth

import "net/http"

// setBaseHeaders sets the headers that go with every answer: no content
// sniffing, and no reading of any answer (the session JSON above all) by
// another origin's no-cors request. Two assignments rather than a walk of a
// map: it runs on every request (the walk was 3 % of the status check).
func setBaseHeaders(h http.Header) {
	h["X-Content-Type-Options"] = nosniff
	h["Cross-Origin-Resource-Policy"] = sameOriginOnly
}

var (
	nosniff        = []string{"nosniff"}
	sameOriginOnly = []string{"same-origin"}
)

// pageHeaders go with every HTML document (the app shell and error
// pages), where they mean something; the JSON API does without, which keeps
// the status check, the hot path, lean. The CSP allows the page's own
// scripts and WebAssembly only, no other origin; the one inline script it
// allows is the server's own compileScript, by its hash.
var pageHeaders = map[string][]string{
	"Referrer-Policy":            {"same-origin"},
	"X-Frame-Options":            {"DENY"},
	"Cross-Origin-Opener-Policy": {"same-origin"},
	"Content-Security-Policy": {"default-src 'self'; script-src 'self' 'wasm-unsafe-eval' " + compileScriptHash + "; style-src 'self'; " +
		"img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"},
}

// hsts is Strict-Transport-Security for answers over TLS: browsers that
// saw it use https only for this host for a year. It is never sent over
// plain http, where it means nothing, and names no subdomains, which this
// server cannot speak for.
var hsts = []string{"max-age=31536000"}

// setPageHeaders adds pageHeaders to an HTML answer.
func setPageHeaders(h http.Header) {
	for k, v := range pageHeaders {
		h[k] = v
	}
}
