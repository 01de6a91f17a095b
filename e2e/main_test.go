package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/sessionguard/sessionguard/internal/wasmbuild"
)

// skipNotice is the one line the package prints when it cannot run.
const skipNotice = "chromium not found; browser tests skipped"

// suite is what TestMain sets up once for every test of the binary: one
// browser process and the static directory with the freshly built module.
// It is written before m.Run and only read afterwards.
var suite struct {
	// browser is the chromedp context that owns the browser process; each
	// test opens its own browser context (cookies, storage) under it.
	browser context.Context
	// static is the directory the servers serve: the repository's static/
	// files plus sessionguard.wasm and wasm_exec.js built from the current
	// source.
	static string
	// tmp is the suite's temporary directory.
	tmp string
	// missing is set when chromium is not on PATH.
	missing bool
}

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		suite.missing = true
		if os.Getenv("SG_REQUIRE_BROWSER") == "1" {
			fmt.Println("chromium not found and SG_REQUIRE_BROWSER=1: browser tests fail")
		} else {
			fmt.Println(skipNotice)
		}
		return m.Run()
	}
	tmp, err := os.MkdirTemp("", "sessionguard-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	suite.tmp = tmp

	suite.static = filepath.Join(tmp, "static")
	if err := buildStatic(suite.static); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build the static directory:", err)
		return 1
	}

	profile := filepath.Join(tmp, "profile")
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
	)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	// The first Do binds the browser's life to browserCtx, so it gets no
	// timeout of its own; a start that hangs is cut off here instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(browserCtx) }()
	select {
	case err := <-started:
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e: start chromium:", err)
			return 1
		}
	case <-time.After(time.Minute):
		fmt.Fprintln(os.Stderr, "e2e: chromium did not start within a minute")
		return 1
	}
	suite.browser = browserCtx
	defer closeShared()
	return m.Run()
}

// requireBrowser skips t when chromium is missing (TestMain printed the
// notice), or fails it when SG_REQUIRE_BROWSER=1.
func requireBrowser(tb testing.TB) {
	tb.Helper()
	if !suite.missing {
		return
	}
	if os.Getenv("SG_REQUIRE_BROWSER") == "1" {
		tb.Fatal("chromium not found on PATH and SG_REQUIRE_BROWSER=1")
	}
	tb.Skip("chromium not found on PATH: install it (Debian: apt install chromium), or set SG_REQUIRE_BROWSER=1 to fail instead")
}

// repoRoot returns the repository root: the test runs in e2e/.
func repoRoot() (string, error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return "", err
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	if !strings.Contains(string(mod), "module github.com/sessionguard/sessionguard") {
		return "", errors.New(root + " is not the sessionguard repository")
	}
	return root, nil
}

// buildStatic fills dir as ./build.sh fills static/: the repository's
// static files (without earlier build outputs), the browser module built
// from the current source, and the wasm_exec.js of the toolchain that built
// it.
func buildStatic(dir string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	src := filepath.Join(root, "static")
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		if isBuildOutput(rel) || !d.Type().IsRegular() {
			return nil
		}
		return copyFile(path, filepath.Join(dir, rel))
	})
	if err != nil {
		return err
	}

	goBin, err := exec.LookPath("go")
	if err != nil {
		return err
	}
	build := wasmbuild.Command(goBin, root, "./wasm", filepath.Join(dir, "sessionguard.wasm"), os.Environ())
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("GOOS=js GOARCH=wasm go build ./wasm: %w\n%s", err, out)
	}

	out, err := exec.Command(goBin, "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("go env GOROOT: %w", err)
	}
	goroot := strings.TrimSpace(string(out))
	for _, p := range []string{"lib/wasm/wasm_exec.js", "misc/wasm/wasm_exec.js"} {
		err = copyFile(filepath.Join(goroot, filepath.FromSlash(p)), filepath.Join(dir, "wasm_exec.js"))
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return fmt.Errorf("no wasm_exec.js under %s", goroot)
}

// isBuildOutput reports whether the static file at rel is made by
// ./build.sh (and so may be stale); buildStatic makes its own.
func isBuildOutput(rel string) bool {
	return strings.HasPrefix(rel, "sessionguard.wasm") || strings.HasPrefix(rel, "wasm_exec.js")
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
