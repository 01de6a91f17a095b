package auth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scriptNames finds the hashed names of the module's scripts in a page.
var scriptNames = regexp.MustCompile(`/(?:sessionguard|wasm_exec)\.[0-9a-f]{16}\.js`)

// writeExec puts a wasm_exec.js (content) into the env's static directory.
func writeExec(t *testing.T, e *env, content string) {
	t.Helper()
	name := filepath.Join(e.dir, "wasm_exec.js")
	require.NoError(t, os.WriteFile(name, []byte(content), 0o600))
	next := time.Now().Add(time.Duration(len(content)) * time.Second)
	require.NoError(t, os.Chtimes(name, next, next))
}

// pageScripts returns the src of each script element of the page at path.
func pageScripts(t *testing.T, e *env, path string) []string {
	t.Helper()
	page := body(t, e.client().get(path, "Sec-Fetch-Mode", "navigate"))
	var srcs []string
	for _, m := range regexp.MustCompile(`<script[^>]* src="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		srcs = append(srcs, m[1])
	}
	return srcs
}

// fetchScript returns the answer and the unpacked content of path.
func fetchScript(t *testing.T, e *env, path string, headers ...string) (*http.Response, string) {
	t.Helper()
	r := e.client().get(path, headers...)
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		return r, string(b)
	}
	return r, string(unpack(t, r.Header.Get("Content-Encoding"), b))
}

const moduleShell = `<!doctype html><html><head><link rel="stylesheet" href="/app.css">` +
	`<script src="/wasm_exec.js" defer></script><script src="/sessionguard.js" defer></script>` +
	`<script src="/app.js" defer></script></head><body></body></html>`

// TestModuleScriptsServedHashedAndImmutable: the pages name wasm_exec.js
// and sessionguard.js by content-hashed copies, which are the plain files'
// content (the loader naming the module's hashed copy), gzip-compressed
// when accepted, with a strong ETag, and may be cached a year; the plain
// names keep working, revalidated.
func TestModuleScriptsServedHashedAndImmutable(t *testing.T) {
	e := newEnv(t, withShell(moduleShell))
	writeExec(t, e, "// wasm_exec v1\n"+strings.Repeat("globalThis.Go = class {};\n", 50))
	hashedModule := writeModule(t, e, moduleBytes("v1"), false)

	srcs := pageScripts(t, e, "/")
	require.Len(t, srcs, 3)
	assert.Regexp(t, `^/wasm_exec\.[0-9a-f]{16}\.js$`, srcs[0])
	assert.Regexp(t, `^/sessionguard\.[0-9a-f]{16}\.js$`, srcs[1])
	assert.Equal(t, "/app.js", srcs[2], "the app's own script is the app's")

	for i, plain := range []string{"/wasm_exec.js", "/sessionguard.js"} {
		hashed := srcs[i]
		_, want := fetchScript(t, e, plain)
		sum := sha256.Sum256([]byte(want))
		hash := hex.EncodeToString(sum[:])[:16]
		assert.Contains(t, hashed, "."+hash+".", "%s: named by its content's hash", plain)
		for _, enc := range []string{"gzip", "identity"} {
			r, got := fetchScript(t, e, hashed, "Accept-Encoding", enc)
			require.Equal(t, http.StatusOK, r.StatusCode, hashed)
			assert.Equal(t, want, got, "%s is %s", hashed, plain)
			assert.Equal(t, "public, max-age=31536000, immutable", r.Header.Get("Cache-Control"))
			assert.Equal(t, "text/javascript; charset=utf-8", r.Header.Get("Content-Type"))
			assert.Contains(t, r.Header.Values("Vary"), "Accept-Encoding")
			if enc == "gzip" {
				assert.Equal(t, "gzip", r.Header.Get("Content-Encoding"))
				assert.Equal(t, `"`+hash+`-gzip"`, r.Header.Get("Etag"))
			} else {
				assert.Empty(t, r.Header.Get("Content-Encoding"))
				assert.Equal(t, `"`+hash+`"`, r.Header.Get("Etag"))
			}
			again := e.client().get(hashed, "Accept-Encoding", enc, "If-None-Match", r.Header.Get("Etag"))
			again.Body.Close()
			assert.Equal(t, http.StatusNotModified, again.StatusCode)
		}
		r, _ := fetchScript(t, e, plain, "Accept-Encoding", "gzip")
		assert.Equal(t, "no-cache", r.Header.Get("Cache-Control"), "%s is revalidated", plain)
		assert.Equal(t, `"`+hash+`-gzip"`, r.Header.Get("Etag"))
	}
	_, loader := fetchScript(t, e, srcs[1])
	assert.Contains(t, loader, "const wasmName = '"+strings.TrimPrefix(hashedModule, "/")+"';", "the hashed loader names the hashed module")
}

// TestModuleScriptHashesFollowTheirFiles: a new wasm_exec.js, or a new
// module (which the loader names), gives the pages new hashed names; an
// old one is 404 and never stored, never new content under an address a
// browser keeps for a year, nor the app shell.
func TestModuleScriptHashesFollowTheirFiles(t *testing.T) {
	e := newEnv(t, withShell(moduleShell))
	writeExec(t, e, "// wasm_exec v1\n")
	writeModule(t, e, moduleBytes("v1"), false)
	first := pageScripts(t, e, "/")[:2]

	writeExec(t, e, "// wasm_exec, version two\n")
	second := pageScripts(t, e, "/")[:2]
	assert.NotEqual(t, first[0], second[0], "a new wasm_exec.js, a new name")
	assert.Equal(t, first[1], second[1], "the loader is the same")

	writeModule(t, e, moduleBytes("version two"), false)
	third := pageScripts(t, e, "/")[:2]
	assert.Equal(t, second[0], third[0])
	assert.NotEqual(t, second[1], third[1], "a new module, so a new loader")

	for _, old := range []string{first[0], second[1]} {
		r, text := fetchScript(t, e, old)
		assert.Equal(t, http.StatusNotFound, r.StatusCode, old)
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"), old)
		assert.NotContains(t, text, "<html", "not the app shell")
	}
	for _, cur := range third {
		r, _ := fetchScript(t, e, cur)
		assert.Equal(t, http.StatusOK, r.StatusCode, cur)
	}

	// Without wasm_exec.js its hashed names are 404, and the page keeps
	// naming the plain file.
	require.NoError(t, os.Remove(filepath.Join(e.dir, "wasm_exec.js")))
	assert.Equal(t, "/wasm_exec.js", pageScripts(t, e, "/")[0])
	r, _ := fetchScript(t, e, third[0])
	assert.Equal(t, http.StatusNotFound, r.StatusCode)
}

// TestHashedScriptsStayPublic: the hashed scripts are the module's own
// files, served to everybody even where an admin pattern would guard them.
func TestHashedScriptsStayPublic(t *testing.T) {
	files := func(e *env) {
		writeExec(t, e, "// wasm_exec v1\n")
		writeModule(t, e, moduleBytes("v1"), false)
	}
	plain := newEnv(t, withShell(moduleShell))
	files(plain)
	names := pageScripts(t, plain, "/")[:2] // the same files, the same names
	e := newEnv(t, withShell(moduleShell), func(o *envOptions) { o.app.AdminPaths = names })
	files(e)
	require.Equal(t, names, pageScripts(t, e, "/")[:2])
	for _, src := range names {
		r, _ := fetchScript(t, e, src)
		assert.Equal(t, http.StatusOK, r.StatusCode, src)
	}
}

// TestShellScriptsNamedHashed: every way a script element of the head can
// name the two scripts by their absolute paths gets the hashed names; other
// paths, and the shell before a module is built, keep theirs.
func TestShellScriptsNamedHashed(t *testing.T) {
	head := `<!doctype html><html><HEAD>` +
		`<SCRIPT SRC='/wasm_exec.js' defer></SCRIPT>` +
		`<script type="module" defer src=/sessionguard.js></script>` +
		`<script src="/sessionguard.js?v=2" defer></script>` +
		`<script src="/lib/wasm_exec.js" defer></script>` +
		`<link rel="preload" href="/sessionguard.js" as="script">` +
		`</head><body><script src="/sessionguard.js"></script></body></html>`
	e := newEnv(t, withShell(head))
	writeExec(t, e, "// wasm_exec v1\n")
	before := body(t, e.client().get("/", "Sec-Fetch-Mode", "navigate"))
	assert.NotContains(t, before, "data-module", "no module yet")
	assert.Contains(t, before, head[:strings.Index(head, "</head>")], "the head as it is, before a module is built")

	writeModule(t, e, moduleBytes("v1"), false)
	page := body(t, e.client().get("/", "Sec-Fetch-Mode", "navigate"))
	names := scriptNames.FindAllString(page, -1)
	require.Len(t, names, 2, page)
	assert.Contains(t, page, `<SCRIPT SRC='`+names[0]+`' defer></SCRIPT>`)
	assert.Contains(t, page, `<script type="module" defer src=`+names[1]+`></script>`)
	for _, kept := range []string{`src="/sessionguard.js?v=2"`, `src="/lib/wasm_exec.js"`, `href="/sessionguard.js"`,
		`<body><script src="/sessionguard.js"></script>`} {
		assert.Contains(t, page, kept)
	}
	assert.Regexp(t, `^<!doctype html><html><HEAD><script data-module="/sessionguard\.[0-9a-f]{16}\.wasm">`, page,
		"the compile script still comes first")
}

// TestESModuleEntryImportsHashedScripts: the served sessionguard.mjs
// imports the hashed copies the pages name, and is otherwise the file; it
// is revalidated itself (apps import it by its plain name), and follows a
// new module.
func TestESModuleEntryImportsHashedScripts(t *testing.T) {
	e := newEnv(t, withShell(moduleShell))
	src, err := os.ReadFile("../../static/sessionguard.mjs")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(e.dir, "sessionguard.mjs"), src, 0o600))
	writeExec(t, e, "// wasm_exec v1\n")
	writeModule(t, e, moduleBytes("v1"), false)

	for _, version := range []string{"v1", "version two"} {
		if version != "v1" {
			writeModule(t, e, moduleBytes(version), false)
		}
		names := pageScripts(t, e, "/")[:2]
		r, got := fetchScript(t, e, "/sessionguard.mjs", "Accept-Encoding", "gzip")
		require.Equal(t, http.StatusOK, r.StatusCode)
		assert.Equal(t, "no-cache", r.Header.Get("Cache-Control"))
		assert.Equal(t, "text/javascript; charset=utf-8", r.Header.Get("Content-Type"))
		want := strings.Replace(string(src), "new URL('wasm_exec.js', url)", "new URL('"+names[0][1:]+"', url)", 1)
		want = strings.Replace(want, "new URL('sessionguard.js', url)", "new URL('"+names[1][1:]+"', url)", 1)
		assert.NotEqual(t, string(src), want, "the file imports both scripts by the texts the server renames")
		assert.Equal(t, want, got, version)

		again := e.client().get("/sessionguard.mjs", "Accept-Encoding", "gzip", "If-None-Match", r.Header.Get("Etag"))
		again.Body.Close()
		assert.Equal(t, http.StatusNotModified, again.StatusCode)
	}
}
