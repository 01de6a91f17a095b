package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// NPMInstall installs the npm packages that dir's package.json and
// package-lock.json pin, with `npm ci`, into a cache directory named by
// their hash (so once per machine and lock), outside the repository and the
// Go build, and returns that directory (its node_modules holds them). The
// cache is SG_CACHE_DIR, else the user cache directory's sessionguard.
//
// Without npm on PATH the test is skipped with one line, or fails when
// SG_REQUIRE_BROWSER=1 (CI, which needs Node.js for the browser module's
// tests anyway).
func NPMInstall(tb testing.TB, dir string) string {
	tb.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv("SG_REQUIRE_BROWSER") == "1" {
			tb.Fatal("npm is not on PATH and SG_REQUIRE_BROWSER=1: install Node.js and npm")
		}
		tb.Skip("npm packages skipped: npm not found (install Node.js and npm, or set SG_REQUIRE_BROWSER=1 to fail instead)")
	}
	pkg, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		tb.Fatal(err)
	}
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(append(append(pkg, 0), lock...))
	cache := os.Getenv("SG_CACHE_DIR")
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			tb.Fatal(err)
		}
		cache = filepath.Join(base, "sessionguard")
	}
	out := filepath.Join(cache, "npm-"+hex.EncodeToString(sum[:8]))
	done := filepath.Join(out, "node_modules", ".package-lock.json")
	if _, err := os.Stat(done); err == nil {
		return out
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		tb.Fatal(err)
	}
	tmp, err := os.MkdirTemp(cache, "npm-install-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for name, b := range map[string][]byte{"package.json": pkg, "package-lock.json": lock} {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = tmp
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("npm ci (pinned in %s/package-lock.json): %v\n%s", dir, err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		// Another test installed the same lock meanwhile: use that one.
		if _, statErr := os.Stat(done); statErr != nil {
			tb.Fatal(err)
		}
	}
	return out
}
