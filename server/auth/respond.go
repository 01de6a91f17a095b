package auth

import (
	"encoding/json"
	"html"
	"net/http"

	"github.com/sessionguard/sessionguard/wire"
)

// writeJSON answers v as JSON with status code. Every API answer goes through
// here or writeRaw, so every one carries Cache-Control: no-store.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only for values this package builds: a bug
		code, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	writeRaw(w, code, append(b, '\n'))
}

// writeRaw answers pre-encoded JSON.
func writeRaw(w http.ResponseWriter, code int, body []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// writeError answers {"error": msg}.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, wire.Error{Error: msg})
}

// Header values shared by every answer, allocated once.
var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	noStore         = []string{"no-store"}
)

// seeOther redirects a form submission to a same-origin path.
func seeOther(w http.ResponseWriter, to string) {
	w.Header().Set("Location", to)
	w.Header()["Cache-Control"] = noStore
	w.WriteHeader(http.StatusSeeOther)
}

// errorPage answers a minimal HTML page (for browsers without script).
func errorPage(w http.ResponseWriter, code int, title, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h["Cache-Control"] = noStore
	setPageHeaders(h)
	w.WriteHeader(code)
	_, _ = w.Write([]byte("<!doctype html><meta charset=utf-8><title>" + html.EscapeString(title) +
		"</title><link rel=stylesheet href=/app.css><main class=error-page><h1>" + html.EscapeString(title) +
		"</h1><p>" + html.EscapeString(msg) + "</p><p><a href=\"/\">Back to the start page</a></p></main>\n"))
}
