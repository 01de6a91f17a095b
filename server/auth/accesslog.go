package auth

import (
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// statusWriter remembers the status code for the access log.
type statusWriter struct {
	http.ResponseWriter
	code  int
	bytes int
	quiet bool // logged at DEBUG (markQuiet)
}

// markQuiet notes that w answers a request the access log writes at DEBUG:
// a static file (or the missing /favicon.ico), of which a page load brings
// several, and the status check, which every open page repeats. Either
// would drown the requests to pages and the rest of the API.
func markQuiet(w http.ResponseWriter) {
	for {
		if sw, ok := w.(*statusWriter); ok {
			sw.quiet = true
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// statusWriters recycles the access log's writers: one per request on the
// hot path otherwise. A handler does not use its ResponseWriter once it has
// returned (net/http's rule), so the writer is free again then.
var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

// logRequests writes one line per request (method, path, status, duration,
// bytes; never a query string, cookie or body) — at INFO, static files and
// the status check at DEBUG — sets the base headers
// (and Strict-Transport-Security when the connection is TLS), and turns a
// panic into a 500 JSON answer.
func (s *Server) logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := statusWriters.Get().(*statusWriter)
		*sw = statusWriter{ResponseWriter: w}
		hdr := w.Header()
		setBaseHeaders(hdr)
		if r.TLS != nil {
			hdr["Strict-Transport-Security"] = hsts
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.LogAttrs(r.Context(), slog.LevelError, "handler panic", slog.Any("panic", p), slog.String("path", r.URL.Path))
				if sw.code == 0 {
					s.fail(sw, r, errInternal)
				}
			}
			if sw.code == 0 {
				sw.code = http.StatusOK
			}
			level := slog.LevelInfo
			if sw.quiet {
				level = slog.LevelDebug
			}
			if s.log.Enabled(r.Context(), level) { // a status check at INFO costs nothing more
				s.log.LogAttrs(r.Context(), level, "request",
					slog.String("method", r.Method),
					slog.String("path", r.URL.EscapedPath()),
					slog.Int("status", sw.code),
					slog.Duration("duration", time.Since(start)),
					slog.Int("bytes", sw.bytes))
			}
			*sw = statusWriter{}
			statusWriters.Put(sw)
		}()
		h.ServeHTTP(sw, r)
	})
}
