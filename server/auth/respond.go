package auth

import (
	"encoding/json"
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
