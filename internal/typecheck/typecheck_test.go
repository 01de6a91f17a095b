package typecheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
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

// namesIn returns the identifiers of the block of file that starts with
// open and ends with close, one per line ("  name," or "export declare
// const name:").
func namesIn(t *testing.T, file, open, close string, line *regexp.Regexp) []string {
	t.Helper()
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	start := strings.Index(string(src), open)
	require.GreaterOrEqual(t, start, 0, "%s has %q", file, open)
	end := strings.Index(string(src[start:]), close)
	require.Greater(t, end, 0)
	var names []string
	for _, m := range line.FindAllStringSubmatch(string(src[start:start+end]), -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return names
}

// TestDeclarationsNameEveryMember: a member added to the loader without its
// declaration (or declared but gone), or missing from the ES module entry
// and its types, fails here, before any tsc runs.
func TestDeclarationsNameEveryMember(t *testing.T) {
	loader := loaderMembers(t)
	require.Contains(t, loader, "signIn", "the parse of sessionguard.js found its members")
	assert.Equal(t, loader, declaredMembers(t), "members of window.sessionguard: sessionguard.js vs sessionguard.d.ts")
	assert.Equal(t, loader, namesIn(t, "../../static/sessionguard.mjs", "export const {", "} = sg;", regexp.MustCompile(`(?m)^  ([A-Za-z]+),$`)),
		"the ES module entry exports every member")
	assert.Equal(t, loader, namesIn(t, "../../static/sessionguard.d.mts", "export default", "\n\n", regexp.MustCompile(`(?m)^export declare const ([A-Za-z]+):`)),
		"sessionguard.d.mts declares every export")
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

// installTSC returns the path of the tsc that package-lock.json pins.
func installTSC(t *testing.T) string {
	t.Helper()
	return filepath.Join(testenv.NPMInstall(t, "."), "node_modules", ".bin", "tsc")
}
