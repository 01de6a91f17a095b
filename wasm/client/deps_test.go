package client_test

import (
	"bytes"
	"compress/gzip"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// forbidden are packages that must stay out of the WebAssembly build: they
// would multiply its size (DESIGN §7). A trailing "/" forbids a whole tree.
var forbidden = []string{
	"fmt", "encoding/json", "net/http", "net/url", "net", "reflect", "log",
	"text/template", "html/template", "regexp", "os", "os/exec",
	"github.com/sessionguard/sessionguard/server/",
	"github.com/stretchr/", "github.com/gorilla/", "github.com/golang-jwt/",
}

// goTool returns the go command, skipping the test where there is none (or
// where processes cannot be started, as under Node).
func goTool(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found: ", err)
	}
	return goBin
}

func wasmEnv() []string {
	// GOFLAGS is cleared: a -race in it would not build for js/wasm.
	return append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=")
}

func TestWasmBuildLeavesOutHeavyPackages(t *testing.T) {
	goBin := goTool(t)
	cmd := exec.Command(goBin, "list", "-deps", "-f", "{{.ImportPath}}", "..")
	cmd.Env = wasmEnv()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "syscall/js", "the list is the wasm build's")
	require.Contains(t, deps, "github.com/sessionguard/sessionguard/wasm/client")
	for _, dep := range deps {
		for _, f := range forbidden {
			bad := dep == f || strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f)
			assert.False(t, bad, "the wasm build imports %s", dep)
		}
	}
}

// TestWasmSize builds the module as build.sh does and checks the budget:
// 800 KiB gzipped.
func TestWasmSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the module")
	}
	goBin := goTool(t)
	out := filepath.Join(t.TempDir(), "sessionguard.wasm")
	cmd := exec.Command(goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", out, "..")
	cmd.Env = wasmEnv()
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", msg)
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	var gz bytes.Buffer
	w, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	require.NoError(t, err)
	_, err = w.Write(raw)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	t.Logf("sessionguard.wasm: %d bytes, %d gzip", len(raw), gz.Len())
	assert.LessOrEqual(t, gz.Len(), 800<<10, "gzip size over budget")
}

// TestOnlyJSWasmImportsSyscallJS keeps syscall/js behind one file (DESIGN
// §6): the rest of the module is plain Go, tested natively.
func TestOnlyJSWasmImportsSyscallJS(t *testing.T) {
	files, err := filepath.Glob("../*.go")
	require.NoError(t, err)
	more, err := filepath.Glob("*.go")
	require.NoError(t, err)
	files = append(files, more...)
	require.Contains(t, files, filepath.Join("..", "js_wasm.go"))
	for _, f := range files {
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range parsed.Imports {
			if imp.Path.Value == `"syscall/js"` {
				assert.Equal(t, "js_wasm.go", filepath.Base(f), "%s imports syscall/js", f)
			}
		}
	}
}
