package session_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storeClients are the module trees the store matrix links and the fuzz
// build must not: every package a fuzzing binary links is instrumented, and
// these slowed the package's targets 1.7 to 4.5 times.
var storeClients = []string{"modernc.org/sqlite", "github.com/jackc/pgx/", "github.com/redis/go-redis/"}

// TestFuzzBuildLinksNoStoreClient holds jwt_stores_test.go's split: the
// package's test binary built with -tags sgfuzz (as ./build.sh fuzzes it)
// links none of storeClients, and the ordinary one, which runs the jwt
// strategy on every store, links them all.
func TestFuzzBuildLinksNoStoreClient(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found: ", err)
	}
	deps := func(tags ...string) []string {
		args := append([]string{"list", "-test", "-deps", "-f", "{{.ImportPath}}"}, tags...)
		out, err := exec.Command(goBin, append(args, ".")...).CombinedOutput()
		require.NoError(t, err, "%s", out)
		return strings.Fields(string(out))
	}
	links := func(deps []string, tree string) bool {
		for _, d := range deps {
			if strings.HasPrefix(d, tree) {
				return true
			}
		}
		return false
	}
	fuzz, full := deps("-tags", "sgfuzz"), deps()
	require.Contains(t, fuzz, "github.com/sessionguard/sessionguard/server/session", "the list is the package's")
	for _, tree := range storeClients {
		assert.False(t, links(fuzz, tree), "the fuzz build links %s", tree)
		assert.True(t, links(full, tree), "the full test build runs the store matrix on %s", tree)
	}
}
