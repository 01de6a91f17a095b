// Command vulnindex turns a folder of OSV files (the data/osv folder of the
// golang.org/x/vulndb module) into a vulnerability database that
// `govulncheck -db file://DIR` reads, with no network: index/db.json,
// index/modules.json, index/vulns.json and ID/<id>.json.
//
// It does by hand what golang.org/x/vulndb/cmd/indexdb does, for one reason:
// that command's package imports the Go vulnerability team's whole toolchain
// (git, cloud and telemetry clients), and compiling it took minutes on every
// new machine; this file needs the standard library alone. It leaves out the
// optional "fixed" version of the modules index, so govulncheck reads every
// entry of a module it finds there and judges the version ranges itself: a
// little slower, never less strict.
//
//	go run ./internal/vulnindex -vulns DIR -out DIR
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func main() {
	vulns := flag.String("vulns", "", "folder of OSV JSON files")
	out := flag.String("out", "", "folder to write the database to (must not exist)")
	flag.Parse()
	if *vulns == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: vulnindex -vulns DIR -out DIR")
		os.Exit(2)
	}
	n, err := build(*vulns, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulnindex:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "vulnindex: %d entries\n", n)
}

// entry is the part of an OSV record the index needs.
type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
}

type module struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

// build writes the database for the OSV files in src to dst and returns how
// many entries it holds.
func build(src, dst string) (int, error) {
	if _, err := os.Stat(dst); err == nil {
		return 0, fmt.Errorf("%s exists", dst)
	}
	files, err := filepath.Glob(filepath.Join(src, "*.json"))
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return 0, fmt.Errorf("no OSV files in %s", src)
	}
	if err := os.MkdirAll(filepath.Join(dst, "ID"), 0o755); err != nil {
		return 0, err
	}
	modules := map[string]*module{}
	var vulns []vuln
	var newest time.Time
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return 0, fmt.Errorf("%s: %w", f, err)
		}
		// The snapshot's files carry no modified time (the database's
		// publisher fills it in from history); govulncheck does not need it.
		if e.ID == "" || strings.ContainsAny(e.ID, `/\`) {
			return 0, fmt.Errorf("%s: %w", f, errors.New("entry lacks an id, or its id is a path"))
		}
		if e.Modified.After(newest) {
			newest = e.Modified
		}
		vulns = append(vulns, vuln{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
		seen := map[string]bool{}
		for _, a := range e.Affected {
			p := a.Package.Name
			if p == "" || seen[p] {
				continue
			}
			seen[p] = true
			m := modules[p]
			if m == nil {
				m = &module{Path: p}
				modules[p] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified})
		}
		// The entry itself is served as it is.
		if err := os.WriteFile(filepath.Join(dst, "ID", e.ID+".json"), raw, 0o644); err != nil {
			return 0, err
		}
	}
	mods := make([]*module, 0, len(modules))
	for _, m := range modules {
		slices.SortFunc(m.Vulns, func(a, b moduleVuln) int { return strings.Compare(a.ID, b.ID) })
		mods = append(mods, m)
	}
	slices.SortFunc(mods, func(a, b *module) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(vulns, func(a, b vuln) int { return strings.Compare(a.ID, b.ID) })
	index := filepath.Join(dst, "index")
	if err := os.MkdirAll(index, 0o755); err != nil {
		return 0, err
	}
	for name, v := range map[string]any{
		"db.json":      map[string]time.Time{"modified": newest},
		"modules.json": mods,
		"vulns.json":   vulns,
	} {
		b, err := json.Marshal(v)
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(index, name), b, 0o644); err != nil {
			return 0, err
		}
	}
	return len(vulns), nil
}
