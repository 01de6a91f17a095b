package policy_test

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/policy"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/corpus.golden from the native build")

// TestCorpusGolden answers every path of FuzzCleanMatch's corpus under every
// fuzz policy and compares the answers with testdata/corpus.golden, written
// by the native build (go test ./policy -run TestCorpusGolden -update). The
// WebAssembly build runs the same test under Node, so the server and the
// browser module are shown to give the same answer for every corpus path.
func TestCorpusGolden(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzCleanMatch")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.NotEmpty(t, entries, "the corpus is committed")
	var paths []string
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		p, ok := corpusString(string(raw))
		require.True(t, ok, "%s is a one-string corpus file", e.Name())
		paths = append(paths, p)
	}
	sort.Strings(paths)
	pols := make([]*policy.Policy, len(fuzzPolicies))
	for i, fp := range fuzzPolicies {
		pols[i], err = policy.New(fp[0], fp[1])
		require.NoError(t, err)
	}
	var b strings.Builder
	for _, p := range paths {
		cleaned, ok := policy.Clean(p)
		b.WriteString(strconv.Quote(p) + " " + strconv.Quote(cleaned) + " " + strconv.FormatBool(ok))
		for _, pol := range pols {
			b.WriteString(" " + needOfRequirement(pol.Requirement(p)).String())
		}
		b.WriteString(" " + strconv.Quote(policy.SafeRedirect(p)) + "\n")
	}
	golden := filepath.Join("testdata", "corpus.golden")
	if *updateGolden {
		require.NoError(t, os.WriteFile(golden, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), b.String(), "answers differ from the native build's (regenerate with -update only after a deliberate change)")
}

// corpusString reads a corpus file of one string argument
// ("go test fuzz v1\nstring(\"...\")\n").
func corpusString(file string) (string, bool) {
	lines := strings.Split(strings.TrimSpace(file), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		return "", false
	}
	arg, ok := strings.CutPrefix(lines[1], "string(")
	if !ok || !strings.HasSuffix(arg, ")") {
		return "", false
	}
	s, err := strconv.Unquote(strings.TrimSuffix(arg, ")"))
	return s, err == nil
}
