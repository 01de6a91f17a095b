package typecheck

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loaderMembers returns the names of the members of the object
// static/sessionguard.js makes window.sessionguard (its `const api = {…}`).
func loaderMembers(t *testing.T) []string {
	src, err := os.ReadFile("../../static/sessionguard.js")
	require.NoError(t, err)
	start := strings.Index(string(src), "const api = {")
	require.GreaterOrEqual(t, start, 0, "sessionguard.js defines `const api = {`")
	end := strings.Index(string(src[start:]), "\n  };")
	require.Greater(t, end, 0, "the api object ends with `  };`")
	body := string(src[start : start+end])
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^    ([A-Za-z]+)(?:[:,(]| *\()`).FindAllStringSubmatch(body, -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// declaredMembers returns the names of the members of SessionGuard.API in
// the declarations.
func declaredMembers(t *testing.T) []string {
	src, err := os.ReadFile("../../static/sessionguard.d.ts")
	require.NoError(t, err)
	start := strings.Index(string(src), "interface API {")
	require.GreaterOrEqual(t, start, 0, "sessionguard.d.ts declares `interface API {`")
	end := strings.Index(string(src[start:]), "\n  }")
	require.Greater(t, end, 0)
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^    (?:readonly )?([A-Za-z]+)[(:]`).FindAllStringSubmatch(string(src[start:start+end]), -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// TestDeclarationsNameEveryMember: a member added to the loader without its
// declaration (or declared but gone) fails here, before any tsc runs.
func TestDeclarationsNameEveryMember(t *testing.T) {
	loader := loaderMembers(t)
	require.Contains(t, loader, "signIn", "the parse of sessionguard.js found its members")
	assert.Equal(t, loader, declaredMembers(t), "members of window.sessionguard: sessionguard.js vs sessionguard.d.ts")
}

// TestTypeScriptAcceptsTheDeclarations runs the pinned tsc on usage.ts
// (strict) and on the demo's static/app.js (checkJs): both must compile,
// and every @ts-expect-error misuse in usage.ts must be refused.
func TestTypeScriptAcceptsTheDeclarations(t *testing.T) {
	tsc := installTSC(t)
	for _, project := range []string{"tsconfig.json", "tsconfig.demo.json"} {
		out, err := exec.Command(tsc, "-p", project).CombinedOutput()
		assert.NoError(t, err, "tsc -p %s:\n%s", project, out)
	}
}

// installTSC returns the path of tsc, installed with `npm ci` from
// package-lock.json into a cache directory named by the lock's hash (once
// per machine and version), outside the repository.
func installTSC(t *testing.T) string {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv("SG_REQUIRE_BROWSER") == "1" {
			t.Fatal("npm is not on PATH and SG_REQUIRE_BROWSER=1: install Node.js and npm")
		}
		t.Skip("typescript checks skipped: npm not found (install Node.js and npm, or set SG_REQUIRE_BROWSER=1 to fail instead)")
	}
	lock, err := os.ReadFile("package-lock.json")
	require.NoError(t, err)
	pkg, err := os.ReadFile("package.json")
	require.NoError(t, err)
	sum := sha256.Sum256(append(pkg, lock...))
	cache := os.Getenv("SG_CACHE_DIR")
	if cache == "" {
		base, err := os.UserCacheDir()
		require.NoError(t, err)
		cache = filepath.Join(base, "sessionguard")
	}
	dir := filepath.Join(cache, "typecheck-"+hex.EncodeToString(sum[:8]))
	tsc := filepath.Join(dir, "node_modules", ".bin", "tsc")
	if _, err := os.Stat(tsc); err == nil {
		return tsc
	}
	require.NoError(t, os.MkdirAll(cache, 0o755))
	tmp, err := os.MkdirTemp(cache, "typecheck-install-")
	require.NoError(t, err)
	defer os.RemoveAll(tmp)
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "package.json"), pkg, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "package-lock.json"), lock, 0o644))
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = tmp
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "npm ci (typescript, pinned in internal/typecheck/package-lock.json):\n%s", out)
	if err := os.Rename(tmp, dir); err != nil {
		// Another run installed it meanwhile: use that one.
		if _, statErr := os.Stat(tsc); statErr != nil {
			require.NoError(t, err)
		}
	}
	return tsc
}
