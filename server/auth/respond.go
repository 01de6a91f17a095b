package auth

import (
	"encoding/json"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

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

// errorPage answers a page of the app's style (the static directory's
// app.css: its page and card) for a browser: the title, what went wrong and
// the way on — the start page, and, when switchTo is set, a sign-out that
// leads to sign-in and then to switchTo (a page that needs another
// account). It needs no script.
func errorPage(w http.ResponseWriter, code int, title, msg, switchTo string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h["Cache-Control"] = noStore
	setPageHeaders(h)
	w.WriteHeader(code)
	t := html.EscapeString(title)
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8">` +
		`<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark">` +
		`<title>` + t + `</title><link rel="stylesheet" href="/app.css"></head>` + "\n" +
		`<body class="error-page"><main class="page"><div class="card">` +
		`<p class="muted">Error ` + strconv.Itoa(code) + `</p><h1>` + t + `</h1><p>` + html.EscapeString(msg) + `</p>` +
		`<p class="actions"><a class="button primary" href="/">Go to the start page</a>`)
	if switchTo != "" {
		b.WriteString(`</p><form class="actions" method="post" action="` + wire.PathSignOut + `">` +
			`<input type="hidden" name="redirectUrl" value="` + html.EscapeString(switchTo) + `">` +
			`<button class="button" type="submit">Sign in with another account</button></form>`)
	} else {
		b.WriteString(`</p>`)
	}
	b.WriteString("</div></main></body></html>\n")
	_, _ = w.Write([]byte(b.String()))
}

// fail answers err as {"error": message}; see explain.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := s.explain(w, r, err)
	writeJSON(w, code, wire.Error{Error: msg, Code: codeOf(err)})
}

// explain returns the status code and the message that answer err, the one
// place that does: it logs a failure's cause, counts a 429 and sets its
// Retry-After.
func (s *Server) explain(w http.ResponseWriter, r *http.Request, err error) (int, string) {
	code, sentinel := statusOf(err)
	msg := err.Error()
	if code >= 500 {
		msg = sentinel.Error()
	}
	var f *failure
	if errors.As(err, &f) {
		s.log.LogAttrs(r.Context(), slog.LevelError, f.msg, errAttr(f.cause))
	} else if sentinel == errInternal && !errors.Is(err, errInternal) {
		s.log.LogAttrs(r.Context(), slog.LevelError, "unexpected error", errAttr(err))
	}
	s.bearerChallenge(w, r, code)
	if code == http.StatusTooManyRequests {
		var ra *retryAfter
		if errors.As(err, &ra) {
			w.Header().Set("Retry-After", strconv.Itoa(ra.seconds()))
		}
		s.cfg.Metrics.RateLimited(r.URL.Path)
	}
	return code, msg
}

// handler is a route's handler: it writes its answer when it succeeds and
// returns the refusal when it does not, for fail to answer; it writes
// nothing before it returns an error.
type handler func(http.ResponseWriter, *http.Request) error

// serve adapts h to net/http.
func (s *Server) serve(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}
