package app_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/auth"
	"github.com/sessionguard/sessionguard/server/users"
)

// A Go program with its own router mounts sessionguard's API, reads the
// session in its own handlers and protects its routes by session and role.
// One call builds the whole server: any store (StoreKind "sqlite",
// "postgres", "redis"), either strategy, keys, limits and events.
func Example() {
	server, err := app.New(context.Background(), app.Options{
		StoreKind:       "memory",
		InsecureCookies: true, // plain http in this example
		Public:          []string{"/", "/login"},
		Accounts:        []users.NewAccount{{Email: "ada@example.com", Name: "Ada", Role: "user", Password: "analytical-engine"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	sg := server.HTTP()

	r := mux.NewRouter()
	sg.Mount(r) // /api/session, /api/get-session-status, /api/auth/…, /healthz
	r.Handle("/me", sg.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := auth.FromContext(r.Context()) // the Go counterpart of locals.auth()
		fmt.Fprintf(w, "hello %s, your session ends at the latest %s", s.User.Name, s.AbsExpires.Format(time.DateOnly))
	})))
	r.Handle("/admin/report", sg.RequireRole("admin", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "secret numbers")
	})))
	srv := httptest.NewServer(sg.Protect(r)) // refuses cross-origin POSTs
	defer srv.Close()

	// A client signs in and uses its cookie.
	resp, err := http.Post(srv.URL+"/api/auth/signin", "application/json",
		strings.NewReader(`{"email":"ada@example.com","password":"analytical-engine"}`))
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	cookie := resp.Cookies()[0]
	get := func(path string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.AddCookie(cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, strings.Split(strings.TrimSpace(string(b)), ", your")[0])
	}
	get("/me")
	get("/admin/report")
	// Output:
	// 200 hello Ada
	// 403 {"error":"this needs the admin role"}
}

// The HTTP layer's Sessions puts the session in the request context for handlers that serve
// everybody but greet signed-in visitors by name.
func ExampleServer_Sessions() {
	server, _ := app.New(context.Background(), app.Options{StoreKind: "memory"})
	defer server.Close()
	sg := server.HTTP()

	home := sg.Sessions(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := auth.FromContext(r.Context()); s != nil {
			fmt.Fprintf(w, "welcome back, %s", s.User.Name)
			return
		}
		io.WriteString(w, "welcome, stranger")
	}))
	rec := httptest.NewRecorder()
	home.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	fmt.Println(rec.Body.String())
	// Output: welcome, stranger
}
