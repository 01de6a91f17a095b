// Command testsum reads the events of `go test -json` on stdin and prints
// what plain `go test` would (each package's ok/FAIL line, the output of
// failed tests, build errors), then one line per group of skipped tests
// with the reason the tests gave, which says how to run them. Plain
// `go test` prints a skip only with -v, so a run without Chromium or the
// database services looked complete; ./build.sh test pipes through this.
//
// It exits 1 when any test or package failed, 0 otherwise.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

func main() {
	failed, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsum:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// location is the "file.go:12: " prefix of a test's log line.
var location = regexp.MustCompile(`^\s*[\w.-]+\.go:\d+: `)

// summarize copies the run from r to w as described in the package doc and
// reports whether anything failed.
func summarize(r io.Reader, w io.Writer) (failed bool, err error) {
	out := bufio.NewWriter(w)
	defer out.Flush()
	type key struct{ pkg, test string }
	logs := map[key][]string{}
	type group struct {
		reason string
		pkgs   map[string]bool
		tests  int
	}
	groups := map[string]*group{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(out, "%s\n", line) // not an event: pass it on
			continue
		}
		k := key{e.Package, e.Test}
		switch {
		case e.Action == "build-output":
			out.WriteString(e.Output)
		case e.Action == "build-fail":
			failed = true
		case e.Action == "output" && e.Test == "":
			if e.Output != "PASS\n" { // plain go test prints only the ok line
				out.WriteString(e.Output)
			}
		case e.Action == "output":
			logs[k] = append(logs[k], e.Output)
		case e.Action == "fail":
			failed = true
			for _, l := range logs[k] {
				out.WriteString(l)
			}
			delete(logs, k)
		case e.Action == "skip" && e.Test != "" && !strings.Contains(e.Test, "/"):
			reason := skipReason(logs[k])
			g := groups[reason]
			if g == nil {
				g = &group{reason: reason, pkgs: map[string]bool{}}
				groups[reason] = g
			}
			g.tests++
			g.pkgs[e.Package] = true
			delete(logs, k)
		case e.Action == "pass" || e.Action == "skip":
			delete(logs, k)
		}
		out.Flush()
	}
	if err := sc.Err(); err != nil {
		return failed, err
	}
	list := make([]*group, 0, len(groups))
	for _, g := range groups {
		list = append(list, g)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].tests != list[j].tests {
			return list[i].tests > list[j].tests
		}
		return list[i].reason < list[j].reason
	})
	for _, g := range list {
		pkgs := make([]string, 0, len(g.pkgs))
		for p := range g.pkgs {
			pkgs = append(pkgs, p)
		}
		sort.Strings(pkgs)
		noun := "tests"
		if g.tests == 1 {
			noun = "test"
		}
		fmt.Fprintf(out, "skipped: %d %s in %s — %s\n", g.tests, noun, strings.Join(pkgs, ", "), g.reason)
	}
	return failed, nil
}

// skipReason is the last message a skipped test logged (its t.Skip
// message), without the file:line prefix.
func skipReason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- ") {
			continue
		}
		return strings.TrimSpace(location.ReplaceAllString(lines[i], ""))
	}
	return "no reason given"
}
