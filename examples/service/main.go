// Command service is an example of another Go service that trusts
// sessionguard sessions without a store of its own (package service): it
// verifies the jwt-strategy access token of each request with the server's
// published keys and refuses a revoked one as soon as the server's
// revocation feed says so.
//
//	bin/sessionguard -strategy jwt -service-token-file tokens.txt &
//	SG_SERVICE_TOKEN="$(head -n1 tokens.txt)" go run ./examples/service -server http://127.0.0.1:8080
//	curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:8090/whoami
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sessionguard/sessionguard/service"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	server := flag.String("server", "http://127.0.0.1:8080", "the sessionguard server's base URL")
	flag.Parse()
	token := os.Getenv("SG_SERVICE_TOKEN")
	if token == "" {
		fmt.Fprintln(os.Stderr, "service: set SG_SERVICE_TOKEN to a line of the server's -service-token-file")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	start, cancel := context.WithTimeout(ctx, 30*time.Second)
	v, err := service.New(start, service.Config{Server: *server, Token: token, Logger: log})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "service:", err)
		os.Exit(1)
	}
	defer v.Close()

	mux := http.NewServeMux()
	mux.Handle("GET /whoami", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := service.FromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"user": s.UserID, "email": s.Email, "name": s.Name, "role": s.Role, "sid": s.SessionID})
	})))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "service:", err)
		os.Exit(1)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "service:", err)
		os.Exit(1)
	}
}
