// Command sessionguard serves the sessionguard API, the guarded pages and the
// browser module, or manages accounts, keys and backups. It parses flags and
// SG_* variables into app.Options; the server itself is built by package app.
//
//	sessionguard [flags]                  serve (sessionguard help lists the flags)
//	sessionguard useradd -email E -name N -role user|admin   < password
//	sessionguard keys rotate [-data DIR]                      new jwt signing key
//	sessionguard backup -data DIR -o FILE                     online copy of the SQLite store
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sessionguard/sessionguard/server/app"
	"github.com/sessionguard/sessionguard/server/session/keys"
	"github.com/sessionguard/sessionguard/server/users"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.LookupEnv, os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program; it returns the exit code. ctx ends on SIGINT or
// SIGTERM.
func run(ctx context.Context, args []string, getenv func(string) (string, bool), stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "useradd" {
		return useradd(ctx, args[1:], getenv, stdin, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "keys" {
		if len(args) > 1 && args[1] == "rotate" {
			return rotateKeys(args[2:], getenv, stdout, stderr)
		}
		fmt.Fprintln(stderr, keysUsage)
		return 2
	}
	if len(args) > 0 && args[0] == "backup" {
		return backup(ctx, args[1:], getenv, stdout, stderr)
	}
	var c config
	fs := serveFlags("sessionguard", &c)
	setUsage(fs)
	if len(args) > 0 && args[0] == "help" {
		printUsage(fs, stdout)
		return 0
	}
	if err := parse(fs, args, getenv, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "sessionguard:", err, "(sessionguard help lists the commands and flags)")
		return 2
	}
	_, c.gogcSet = getenv("GOGC")
	if err := serve(ctx, c, nil, stderr); err != nil {
		fmt.Fprintln(stderr, "sessionguard:", err)
		return 1
	}
	return 0
}

// serve runs the server until ctx ends, then stops accepting, lets requests
// in flight finish, and closes the store. When ready is not nil it receives
// the listening address.
func serve(ctx context.Context, c config, ready chan<- string, stderr io.Writer) error {
	lw := newLogWriter(stderr)
	defer lw.Flush()
	logCtx, stopLogs := context.WithCancel(context.Background())
	defer stopLogs()
	go lw.run(logCtx, 100*time.Millisecond)
	logger, err := newLogger(c.logLevel, lw)
	if err != nil {
		return err
	}
	stopFloor, err := gcFloor(c, logger)
	if err != nil {
		return err
	}
	defer stopFloor()
	o := c.options()
	o.Logger = logger
	srv, err := app.New(ctx, o)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready <- ln.Addr().String()
	}
	return srv.Serve(ctx, ln)
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// useradd creates an account; the password is the first line of stdin.
func useradd(ctx context.Context, args []string, getenv func(string) (string, bool), stdin io.Reader, stdout, stderr io.Writer) int {
	var c config
	var email, name, role string
	fs := flag.NewFlagSet("sessionguard useradd", flag.ContinueOnError)
	storeFlags(fs, &c)
	fs.StringVar(&email, "email", "", "e-mail address (required)")
	fs.StringVar(&name, "name", "", "display name (required)")
	fs.StringVar(&role, "role", users.RoleUser, "role: user or admin")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sessionguard useradd -data DIR -email E -name N -role user|admin < password")
		fs.PrintDefaults()
	}
	if err := parse(fs, args, getenv, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "sessionguard useradd:", err)
		return 2
	}
	password, err := bufio.NewReader(io.LimitReader(stdin, users.MaxPasswordLen+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(stderr, "sessionguard useradd: read password:", err)
		return 1
	}
	password = strings.TrimRight(password, "\r\n")
	if c.store == "memory" {
		fmt.Fprintln(stderr, "sessionguard useradd: -store memory keeps nothing; use sqlite, postgres or redis")
		return 2
	}
	st, err := app.OpenStore(ctx, c.options())
	if err != nil {
		fmt.Fprintln(stderr, "sessionguard useradd:", err)
		return 1
	}
	defer st.Close()
	svc, err := users.New(ctx, st, users.NewHasher(users.DefaultParams, 1))
	if err != nil {
		fmt.Fprintln(stderr, "sessionguard useradd:", err)
		return 1
	}
	u, err := svc.Create(ctx, users.NewAccount{Email: email, Name: name, Role: role, Password: password})
	if err != nil {
		fmt.Fprintln(stderr, "sessionguard useradd:", err)
		if errors.Is(err, users.ErrInvalidAccount) {
			return 2
		}
		return 1
	}
	fmt.Fprintf(stdout, "created %s (%s, role %s, id %s)\n", u.Email, u.Name, u.Role, u.ID)
	return 0
}

// rotateKeys generates a new Ed25519 signing key in <data>/keys. A running
// server signs with it within a minute; tokens signed with the previous key
// keep verifying until they expire.
func rotateKeys(args []string, getenv func(string) (string, bool), stdout, stderr io.Writer) int {
	var data string
	var prune time.Duration
	fs := flag.NewFlagSet("sessionguard keys rotate", flag.ContinueOnError)
	fs.StringVar(&data, "data", "./data", "data directory whose keys/ to rotate")
	fs.DurationVar(&prune, "prune", 24*time.Hour, "delete key files superseded longer ago than this (0 keeps all)")
	if err := parse(fs, args, getenv, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "sessionguard keys rotate:", err)
		return 2
	}
	kid, err := keys.Rotate(filepath.Join(data, "keys"), time.Now(), prune)
	if err != nil {
		fmt.Fprintln(stderr, "sessionguard keys rotate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "new signing key %s in %s\n", kid, filepath.Join(data, "keys"))
	return 0
}
