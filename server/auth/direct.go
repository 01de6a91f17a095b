package auth

import (
	"net/http"
	"slices"
)

// directRoutes answers the rows of the route table whose path is in direct
// without next, the router: a request for such a path, with a method of its
// row, goes straight to the row's handler (routeHandler). Everything else,
// the same path with another method included, goes to next. It sits where
// the router would, inside logging, headers, the Host check and
// cross-origin protection, so those apply to it as to every route; what it
// saves is the router's matching and the copies of the request that puts
// its route and variables in the context.
func (s *Server) directRoutes(next http.Handler) http.Handler {
	type row struct {
		path    string
		methods []string
		h       http.Handler
	}
	var rows []row
	for _, rt := range s.routes() {
		if slices.Contains(direct, rt.path) {
			rows = append(rows, row{rt.path, rt.methods, s.routeHandler(rt)})
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range rows {
			// The path as the router matches it (it skips cleaning):
			// the decoded path, exactly.
			if d := &rows[i]; r.URL.Path == d.path && slices.Contains(d.methods, r.Method) {
				d.h.ServeHTTP(w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
