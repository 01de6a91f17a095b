// Command soak runs sessionguard's real server processes — two instances on
// PostgreSQL, two on Redis, one on SQLite — under a mixed workload of many
// simulated users and browsers while it injects faults, and checks the
// server's promises throughout: no 5xx but 503 while the store is away, no
// hang, no revoked session accepted by any instance even once, no live
// session lost, expires never moving back, streams told of revocations; and
// after the run, goroutines, descriptors and heap near their start and the
// store holding exactly the live sessions. It ends with one summary line and
// exits 1 on any violation, each printed with the request that showed it.
//
// PostgreSQL and Redis are private servers it starts in a temporary
// directory (initdb and postgres, redis-server --appendonly yes) and stops
// on exit, Ctrl-C included; never the machine's shared services. Run it
// with ./build.sh soak [duration]; see docs/RELIABILITY.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// config is what the flags say.
type config struct {
	duration     time.Duration
	bin          string
	setups       string
	users        int
	think        time.Duration
	faultEvery   time.Duration
	restartEvery time.Duration
	faults       bool
	keep         bool
	verbose      bool
	kinds        string
	seed         uint64
	storeCache   bool
}

func run(args []string, stdout, stderr io.Writer) int {
	var c config
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.bin, "bin", "bin/sessionguard", "the server binary (./build.sh builds it)")
	fs.StringVar(&c.setups, "setups", "postgres/database,redis/jwt,sqlite/jwt", "comma-separated store/strategy pairs, or all; postgres and redis run two instances, sqlite one")
	fs.IntVar(&c.users, "users", 6, "simulated users per setup (each with up to 3 browsers)")
	fs.DurationVar(&c.think, "think", 200*time.Millisecond, "a user's mean pause between requests")
	fs.DurationVar(&c.faultEvery, "fault-every", 8*time.Second, "mean time between a setup's faults")
	fs.DurationVar(&c.restartEvery, "store-restart-every", 25*time.Second, "mean time between restarts of each private store")
	fs.BoolVar(&c.faults, "faults", true, "inject faults")
	fs.StringVar(&c.kinds, "fault-kinds", "", "comma-separated fault kinds to inject (default all): kill-9, sigterm, store-cut, store-one-way, store-slow, store-restart")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (data)")
	fs.BoolVar(&c.verbose, "v", false, "print each fault as it starts")
	fs.Uint64Var(&c.seed, "seed", 0, "random seed (0: from the clock)")
	fs.BoolVar(&c.storeCache, "store-cache", false, "run the postgres and redis instances with -store-cache: another instance may then accept a revoked session for up to 0.5 s after the revocation returned (the cache's bound), never later")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: soak [flags] [duration]   (default 60s)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c.duration = 60 * time.Second
	if fs.NArg() > 0 {
		d, err := time.ParseDuration(fs.Arg(0))
		if err != nil || d <= 0 {
			fmt.Fprintf(stderr, "soak: duration %q: want e.g. 60s or 10m\n", fs.Arg(0))
			return 2
		}
		c.duration = d
	}
	if c.seed == 0 {
		c.seed = uint64(time.Now().UnixNano())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }() // a second Ctrl-C kills at once
	code, err := soak(ctx, c, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "soak:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// soak runs everything and returns the exit code.
func soak(ctx context.Context, c config, out io.Writer) (int, error) {
	r := newRecorder(out)
	r.verbose = c.verbose
	type pair struct{ store, strategy string }
	var pairs []pair
	kinds := map[string]bool{}
	if c.setups == "all" {
		c.setups = "postgres/database,postgres/jwt,redis/database,redis/jwt,sqlite/database,sqlite/jwt"
	}
	for _, item := range strings.Split(c.setups, ",") {
		store, strategy, ok := strings.Cut(strings.TrimSpace(item), "/")
		if !ok || (store != "postgres" && store != "redis" && store != "sqlite") || (strategy != "database" && strategy != "jwt") {
			return 2, fmt.Errorf("-setups: %q: want store/strategy, store postgres, redis or sqlite, strategy database or jwt", item)
		}
		pairs = append(pairs, pair{store, strategy})
		kinds[store] = true
	}
	if missing := missingServices(kinds); missing != "" {
		if os.Getenv("SG_REQUIRE_SERVICES") == "1" {
			return 1, fmt.Errorf("missing %s and SG_REQUIRE_SERVICES=1", missing)
		}
		var keep, skipped []string
		var kept []pair
		for _, p := range pairs {
			if missingServices(map[string]bool{p.store: true}) == "" {
				kept = append(kept, p)
				keep = append(keep, p.store+"/"+p.strategy)
			} else {
				skipped = append(skipped, p.store+"/"+p.strategy)
			}
		}
		fmt.Fprintf(out, "SKIP: soak of %s: missing %s (install postgresql and redis-server, or set SG_SOAK_PGBIN to PostgreSQL's bin directory; SG_REQUIRE_SERVICES=1 fails instead); running %s\n",
			strings.Join(skipped, ", "), missing, strings.Join(append(keep, "nothing")[:max(len(keep), 1)], ", "))
		pairs = kept
		if len(pairs) == 0 {
			return 0, nil
		}
	}
	if _, err := os.Stat(c.bin); err != nil {
		return 1, fmt.Errorf("%s: %w (./build.sh builds it)", c.bin, err)
	}

	root, err := os.MkdirTemp("", "sg-soak-")
	if err != nil {
		return 1, err
	}
	if c.keep {
		fmt.Fprintln(out, "soak: keeping", root)
	} else {
		defer os.RemoveAll(root)
	}
	if err := os.Chmod(root, 0o755); err != nil { // PostgreSQL's account passes through
		return 1, err
	}

	servers := map[string]*storeServer{}
	defer func() {
		for _, s := range servers {
			_ = s.shutdown()
		}
	}()
	for kind := range kinds {
		if kind == "sqlite" || missingServices(map[string]bool{kind: true}) != "" {
			continue
		}
		srv, err := newStoreServer(ctx, kind, root)
		if err != nil {
			return 1, err
		}
		servers[kind] = srv
		fmt.Fprintf(out, "soak: private %s on 127.0.0.1:%d in %s\n", kind, srv.port, srv.dir)
	}

	var setups []*setup
	defer func() {
		for _, s := range setups {
			for _, in := range s.inst {
				if err := in.stop(syscall.SIGTERM); err != nil {
					r.violation(s.name, "an instance's exit after SIGTERM at the end", fmt.Sprintf("%s: %v", in.name, err))
				}
			}
			if s.proxy != nil {
				s.proxy.Close()
			}
		}
	}()
	rng := rand.New(rand.NewPCG(c.seed, 0x50a6))
	for i, p := range pairs {
		n := 2
		if p.store == "sqlite" {
			n = 1
		}
		s, err := newSetup(root, c.bin, p.store, p.strategy, servers[p.store], n)
		if err != nil {
			return 1, err
		}
		s.index = i + 1
		s.cache = c.storeCache && p.store != "sqlite"
		setups = append(setups, s)
		if err := prepare(ctx, c, r, s, rng); err != nil {
			return 1, err
		}
	}

	fmt.Fprintf(out, "soak: %v, seed %d, %d users per setup\n", c.duration, c.seed, c.users)
	allowed := func(kind string) bool {
		return c.kinds == "" || slices.Contains(strings.Split(c.kinds, ","), kind)
	}
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range setups {
		for _, u := range s.users {
			wg.Go(func() { u.run(wctx, c.think) })
		}
		if c.faults {
			frng := rand.New(rand.NewPCG(rng.Uint64(), 1))
			wg.Go(func() { injectFaults(wctx, r, s, c.faultEvery, frng, allowed) })
		}
	}
	if c.faults && allowed(faultRestart) {
		for _, srv := range servers {
			srng := rand.New(rand.NewPCG(rng.Uint64(), 2))
			wg.Go(func() { restartStores(wctx, r, srv, setups, c.restartEvery, srng) })
		}
	}
	wg.Wait()
	took := time.Since(start)
	if ctx.Err() != nil {
		fmt.Fprintln(out, "soak: interrupted")
	} else {
		afterRun(ctx, r, setups)
	}
	fmt.Fprintln(out, r.summary(took, setups))
	if n := r.violationCount(); n > 0 || ctx.Err() != nil {
		return 1, nil
	}
	return 0, nil
}

// prepare creates a setup's accounts, starts its instances and its users.
func prepare(ctx context.Context, c config, r *recorder, s *setup, rng *rand.Rand) error {
	start := time.Now()
	// Accounts first, with the command's useradd, on the store the
	// instances will use: the first of them migrates the schema.
	var accounts []struct{ email, role, password string }
	for i := range c.users {
		accounts = append(accounts, struct{ email, role, password string }{fmt.Sprintf("user-%d@soak.test", i), "user", fmt.Sprintf("soak-password-%d", i)})
	}
	accounts = append(accounts,
		struct{ email, role, password string }{"decoy-0@soak.test", "user", "decoy-password"},
		struct{ email, role, password string }{"decoy-1@soak.test", "user", "decoy-password"},
		struct{ email, role, password string }{inflightEmail, "user", "inflight-password"})
	for _, a := range accounts {
		if err := s.useradd(ctx, s.inst[0].bin, a.email, a.role, a.password); err != nil {
			return err
		}
	}
	for _, in := range s.inst {
		if err := in.start(ctx, r); err != nil {
			return err
		}
	}
	ids, err := accountIDs(ctx, r, s)
	if err != nil {
		return err
	}
	s.ids = ids
	for i := range c.users {
		email := fmt.Sprintf("user-%d@soak.test", i)
		s.users = append(s.users, &simUser{s: s, r: r, rng: rand.New(rand.NewPCG(rng.Uint64(), uint64(i))), idx: i + 1,
			email: email, id: ids[email], password: fmt.Sprintf("soak-password-%d", i), role: "user",
			adminIP: fmt.Sprintf("10.%d.%d.251", s.index, i+1)})
	}
	fmt.Fprintf(r.out, "soak: %s: %d instances, %d accounts, ready in %v\n", s.name, len(s.inst), len(accounts), time.Since(start).Round(time.Millisecond))
	return nil
}

// accountIDs lists every account of a setup by e-mail, as its administrator.
func accountIDs(ctx context.Context, r *recorder, s *setup) (map[string]string, error) {
	admin := &browser{cookies: map[string]string{}}
	res := send(ctx, r, s.inst[0], "signin", http.MethodPost, "/api/auth/signin",
		fmt.Sprintf(`{"email":%q,"password":%q}`, adminEmail, adminPass), nil, "10.0.0.1")
	if !res.ok() {
		return nil, fmt.Errorf("%s: administrator's sign-in: %s", s.name, res)
	}
	admin.apply(res)
	list := send(ctx, r, s.inst[0], "admin", http.MethodGet, "/api/admin/users", "", admin.cookies, "10.0.0.1")
	if !list.ok() {
		return nil, fmt.Errorf("%s: account list: %s", s.name, list)
	}
	var accounts struct {
		Users []struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		} `json:"users"`
	}
	if err := json.Unmarshal([]byte(list.body), &accounts); err != nil {
		return nil, fmt.Errorf("%s: account list: %w: %s", s.name, err, list.body)
	}
	ids := map[string]string{}
	for _, a := range accounts.Users {
		ids[a.Email] = a.ID
	}
	s.adminCookies = admin.cookies
	return ids, nil
}
