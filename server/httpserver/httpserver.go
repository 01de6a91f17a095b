// Package httpserver holds the settings of the http.Server that the
// sessionguard command serves with. It is a package of its own, with no
// dependency beyond net/http, so internal/loadcmp can serve its anchor
// with the same settings without linking the rest of the server.
package httpserver

import (
	"net/http"
	"time"
)

// New returns an http.Server for h with sessionguard's limits: on a
// request's header, the deadlines for reading a request and writing an
// answer (a client too slow for them is cut off), and how long an idle
// connection is kept.
func New(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}
