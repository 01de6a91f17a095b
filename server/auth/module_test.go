package auth_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeModule puts a module (content) into the env's static directory with
// the repository's loader (once), and its brotli form when withBrotli; it
// returns the module's hashed path.
func writeModule(t *testing.T, e *env, content []byte, withBrotli bool) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(e.dir, "sessionguard.js")); err != nil {
		loader, err := os.ReadFile("../../static/sessionguard.js")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(e.dir, "sessionguard.js"), loader, 0o600))
	}
	wasm := filepath.Join(e.dir, "sessionguard.wasm")
	require.NoError(t, os.WriteFile(wasm, content, 0o600))
	// A new version of the file, even within the file system's clock tick.
	next := time.Now().Add(time.Duration(len(content)) * time.Second)
	require.NoError(t, os.Chtimes(wasm, next, next))
	if withBrotli {
		var br bytes.Buffer
		w := brotli.NewWriterLevel(&br, brotli.BestCompression)
		_, err := w.Write(content)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		require.NoError(t, os.WriteFile(wasm+".br", br.Bytes(), 0o600))
	}
	sum := sha256.Sum256(content)
	return "/sessionguard." + hex.EncodeToString(sum[:])[:16] + ".wasm"
}

// moduleBytes is a module-sized, compressible stand-in for the module.
func moduleBytes(seed string) []byte {
	return []byte(strings.Repeat("\x00asm sessionguard "+seed+" ", 4000))
}

func unpack(t *testing.T, encoding string, data []byte) []byte {
	t.Helper()
	var r io.Reader = bytes.NewReader(data)
	switch encoding {
	case "br":
		r = brotli.NewReader(r)
	case "gzip":
		zr, err := gzip.NewReader(r)
		require.NoError(t, err)
		r = zr
	case "":
	default:
		t.Fatalf("unexpected Content-Encoding %q", encoding)
	}
	out, err := io.ReadAll(r)
	require.NoError(t, err)
	return out
}

var loaderNames = regexp.MustCompile(`const wasmName = '([^']*)';`)

// loaderNamesModule returns the module name the served loader asks for.
func loaderNamesModule(t *testing.T, e *env) string {
	t.Helper()
	r := e.client().get("/sessionguard.js", "Accept-Encoding", "gzip")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, "no-cache", r.Header.Get("Cache-Control"), "the loader is revalidated")
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	r.Body.Close()
	m := loaderNames.FindSubmatch(unpack(t, r.Header.Get("Content-Encoding"), b))
	require.NotNil(t, m, "the loader names its module")
	return "/" + string(m[1])
}

// TestModuleServedPrecompressedAndImmutable: the loader names the module's
// content-hashed copy; that copy is sent in the best form the client takes
// (brotli, gzip, as it is) with its own strong ETag per form, answers 304 to
// a revalidation and may be cached a year; the plain name keeps working,
// revalidated; the answer is the module whatever the form.
func TestModuleServedPrecompressedAndImmutable(t *testing.T) {
	e := newEnv(t)
	content := moduleBytes("v1")
	hashed := writeModule(t, e, content, true)
	require.Equal(t, hashed, loaderNamesModule(t, e))

	for _, tc := range []struct{ accept, encoding string }{
		{"br, gzip", "br"},
		{"gzip, deflate, br, zstd", "br"},
		{"gzip", "gzip"},
		{"br;q=0, gzip", "gzip"},
		{"br;q=0, gzip;q=0.5", "gzip"},
		{"*", "br"},
		{"br;q=0, *", "gzip"},
		{"identity", ""},
		{"gzip;q=0", ""},
	} {
		for _, p := range []string{hashed, "/sessionguard.wasm"} {
			t.Run(p+" "+tc.accept, func(t *testing.T) {
				r := e.client().get(p, "Accept-Encoding", tc.accept)
				require.Equal(t, http.StatusOK, r.StatusCode)
				assert.Equal(t, "application/wasm", r.Header.Get("Content-Type"))
				assert.Equal(t, tc.encoding, r.Header.Get("Content-Encoding"))
				assert.Contains(t, r.Header.Values("Vary"), "Accept-Encoding")
				if p == hashed {
					assert.Equal(t, "public, max-age=31536000, immutable", r.Header.Get("Cache-Control"))
				} else {
					assert.Equal(t, "no-cache", r.Header.Get("Cache-Control"))
				}
				tag := r.Header.Get("Etag")
				hash := strings.TrimSuffix(strings.TrimPrefix(hashed, "/sessionguard."), ".wasm")
				if tc.encoding == "" {
					assert.Equal(t, `"`+hash+`"`, tag)
				} else {
					assert.Equal(t, `"`+hash+"-"+tc.encoding+`"`, tag)
				}
				b, err := io.ReadAll(r.Body)
				require.NoError(t, err)
				r.Body.Close()
				assert.Equal(t, content, unpack(t, tc.encoding, b))

				again := e.client().get(p, "Accept-Encoding", tc.accept, "If-None-Match", tag)
				again.Body.Close()
				assert.Equal(t, http.StatusNotModified, again.StatusCode)
			})
		}
	}

	head := e.client().do("HEAD", hashed, nil, "Accept-Encoding", "br")
	head.Body.Close()
	assert.Equal(t, http.StatusOK, head.StatusCode)
	assert.Equal(t, "br", head.Header.Get("Content-Encoding"))

	// The loader's own ETag answers 304 too.
	r := e.client().get("/sessionguard.js", "Accept-Encoding", "gzip")
	r.Body.Close()
	again := e.client().get("/sessionguard.js", "Accept-Encoding", "gzip", "If-None-Match", r.Header.Get("Etag"))
	again.Body.Close()
	assert.Equal(t, http.StatusNotModified, again.StatusCode)
}

// TestModuleHashFollowsTheModule: a new module gets a new hashed name in
// the loader (and a new loader ETag); the old name is 404, never the new
// content under an address a browser keeps for a year, and never the app
// shell.
func TestModuleHashFollowsTheModule(t *testing.T) {
	e := newEnv(t)
	v1 := writeModule(t, e, moduleBytes("v1"), true)
	require.Equal(t, v1, loaderNamesModule(t, e))
	tag1 := e.client().get("/sessionguard.js").Header.Get("Etag")

	v2 := writeModule(t, e, moduleBytes("version two"), true)
	assert.NotEqual(t, v1, v2)
	assert.Equal(t, v2, loaderNamesModule(t, e))
	assert.NotEqual(t, tag1, e.client().get("/sessionguard.js").Header.Get("Etag"))

	r := e.client().get(v2, "Accept-Encoding", "br")
	assert.Equal(t, http.StatusOK, r.StatusCode)
	r.Body.Close()
	old := e.client().get(v1, "Accept-Encoding", "br")
	assert.Equal(t, http.StatusNotFound, old.StatusCode)
	assert.Equal(t, "no-store", old.Header.Get("Cache-Control"))
	assert.NotContains(t, body(t, old), "<html", "not the app shell")
}

// TestStaleBrotliFormIsNotSent: a brotli form that does not unpack to the
// module (left from an earlier build) is never sent; gzip and the module as
// it is still are.
func TestStaleBrotliFormIsNotSent(t *testing.T) {
	e := newEnv(t)
	writeModule(t, e, moduleBytes("old"), true)
	stale, err := os.ReadFile(filepath.Join(e.dir, "sessionguard.wasm.br"))
	require.NoError(t, err)
	content := moduleBytes("new")
	hashed := writeModule(t, e, content, false)
	require.NoError(t, os.WriteFile(filepath.Join(e.dir, "sessionguard.wasm.br"), stale, 0o600))

	for accept, want := range map[string]string{"br": "", "br, gzip": "gzip"} {
		r := e.client().get(hashed, "Accept-Encoding", accept)
		require.Equal(t, http.StatusOK, r.StatusCode)
		assert.Equal(t, want, r.Header.Get("Content-Encoding"), accept)
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		r.Body.Close()
		assert.Equal(t, content, unpack(t, want, b), accept)
	}
}

// TestHashedModuleStaysPublic: the hashed copy is one of the module's own
// files, served to everybody even where an admin pattern would guard it.
func TestHashedModuleStaysPublic(t *testing.T) {
	sum := sha256.Sum256(moduleBytes("v1"))
	want := "/sessionguard." + hex.EncodeToString(sum[:])[:16] + ".wasm"
	e := newEnv(t, func(o *envOptions) { o.app.AdminPaths = []string{want} })
	hashed := writeModule(t, e, moduleBytes("v1"), true)
	require.Equal(t, want, hashed)
	r := e.client().get(hashed, "Accept-Encoding", "br")
	r.Body.Close()
	assert.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, "br", r.Header.Get("Content-Encoding"))
}

// TestModuleFormsFollowTheirFiles: a brotli form written after the server
// first sent the module (./build.sh writes it after the module) is sent
// from then on; the loader's Last-Modified moves with the module, so a
// revalidation by date alone never keeps a loader naming an old module.
func TestModuleFormsFollowTheirFiles(t *testing.T) {
	e := newEnv(t)
	content := moduleBytes("v1")
	hashed := writeModule(t, e, content, false)
	r := e.client().get(hashed, "Accept-Encoding", "br")
	r.Body.Close()
	require.Equal(t, "", r.Header.Get("Content-Encoding"), "no brotli form yet")
	loaderDate := e.client().get("/sessionguard.js").Header.Get("Last-Modified")

	var br bytes.Buffer
	w := brotli.NewWriterLevel(&br, brotli.BestCompression)
	_, err := w.Write(content)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, os.WriteFile(filepath.Join(e.dir, "sessionguard.wasm.br"), br.Bytes(), 0o600))
	r = e.client().get(hashed, "Accept-Encoding", "br")
	r.Body.Close()
	assert.Equal(t, "br", r.Header.Get("Content-Encoding"), "the brotli form, once it is there")

	writeModule(t, e, moduleBytes("version two"), false) // longer: a later modification time
	again := e.client().get("/sessionguard.js", "If-Modified-Since", loaderDate)
	again.Body.Close()
	assert.Equal(t, http.StatusOK, again.StatusCode, "a new module is a new loader")
}

// TestModuleChangesUnderLoad: requests for the module's files while it is
// rebuilt see one version or the next, never a mix (run with -race: the
// module the server keeps is replaced, never changed in place).
func TestModuleChangesUnderLoad(t *testing.T) {
	e := newEnv(t)
	writeModule(t, e, moduleBytes("v0"), true)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			name := loaderNamesModule(t, e)
			r := e.client().get(name, "Accept-Encoding", "br")
			r.Body.Close()
			// The module may have changed since the loader was read: then
			// its old name is 404, never other content.
			assert.Contains(t, []int{http.StatusOK, http.StatusNotFound}, r.StatusCode)
		}
	}()
	for i := range 5 {
		writeModule(t, e, moduleBytes(strings.Repeat("v", i+1)), i%2 == 0)
	}
	close(stop)
	<-done
}

// TestPagesPreloadTheModule: a page of a shell that loads the module names
// the module's current hashed copy in a preload Link header, so the
// browser fetches it while it parses the page; nothing else does, nor a
// shell without the module, nor a page before a module is built.
func TestPagesPreloadTheModule(t *testing.T) {
	withModule := withShell(`<!doctype html><html><head><script src="/wasm_exec.js" defer></script>` +
		`<script src="/sessionguard.js" defer></script></head><body></body></html>`)
	e := newEnv(t, withModule)
	page := func(e *env, path string) *http.Response {
		r := e.client().get(path, "Sec-Fetch-Mode", "navigate")
		r.Body.Close()
		return r
	}
	assert.Empty(t, page(e, "/").Header.Values("Link"), "a preload without a module")

	v1 := writeModule(t, e, moduleBytes("v1"), false)
	r := page(e, "/")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, []string{"<" + v1 + ">; rel=preload; as=fetch; crossorigin"}, r.Header.Values("Link"))
	v2 := writeModule(t, e, moduleBytes("version two"), false)
	assert.Equal(t, "<"+v2+">; rel=preload; as=fetch; crossorigin", page(e, "/public").Header.Get("Link"), "the new module")

	for _, p := range []string{"/api/session", "/app.js", v2, "/sessionguard.js"} {
		assert.Empty(t, e.client().get(p).Header.Values("Link"), p)
	}
	redirect := page(e, "/dashboard") // signed out: to sign-in
	require.Equal(t, http.StatusSeeOther, redirect.StatusCode)
	assert.Empty(t, redirect.Header.Values("Link"))

	plain := newEnv(t) // a shell that does not load the module
	writeModule(t, plain, moduleBytes("v1"), false)
	assert.Empty(t, page(plain, "/").Header.Values("Link"))
}

// compileScripts finds the shell's compile script: its data-module and its
// text.
var compileScripts = regexp.MustCompile(`<script data-module="([^"]*)">([^<]*)</script>`)

// TestPagesStartCompilingTheModule: a page of a shell that loads the module
// carries, first in its head, the script that starts compiling the
// module's current hashed copy. Its text is the same whatever the module, and the
// page's CSP allows it by that text's hash; no script is there without a
// module or in a shell that does not load it.
func TestPagesStartCompilingTheModule(t *testing.T) {
	e := newEnv(t, withShell(`<!doctype html><html><head><link rel="stylesheet" href="/app.css">`+
		`<script src="/wasm_exec.js" defer></script><script src="/sessionguard.js" defer></script></head><body></body></html>`))
	page := func(e *env, path string) (*http.Response, string) {
		r := e.client().get(path, "Sec-Fetch-Mode", "navigate")
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		r.Body.Close()
		return r, string(b)
	}
	_, body := page(e, "/")
	assert.NotContains(t, body, "data-module", "no compile without a module")

	var texts []string
	for _, content := range []string{"v1", "version two"} {
		hashed := writeModule(t, e, moduleBytes(content), false)
		r, body := page(e, "/")
		require.Equal(t, http.StatusOK, r.StatusCode)
		found := compileScripts.FindAllStringSubmatch(body, -1)
		require.Len(t, found, 1, "one compile script")
		assert.Equal(t, hashed, found[0][1], "it compiles the module's hashed copy")
		assert.True(t, strings.HasPrefix(body, `<!doctype html><html><head>`+found[0][0]+`<link rel="stylesheet"`),
			"first in the head, before the stylesheet an inline script would wait for: %s", body)
		sum := sha256.Sum256([]byte(found[0][2]))
		source := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		assert.Contains(t, r.Header.Get("Content-Security-Policy"), "script-src 'self' 'wasm-unsafe-eval' "+source+";")
		assert.NotContains(t, found[0][2], hashed, "the path is no part of the text")
		texts = append(texts, found[0][2])
	}
	assert.Equal(t, texts[0], texts[1], "one text, so one hash, for every module")

	plain := newEnv(t) // a shell that does not load the module
	writeModule(t, plain, moduleBytes("v1"), false)
	_, body = page(plain, "/")
	assert.NotContains(t, body, "data-module")

	// Without a <head> tag (it is optional) the script ends the head
	// part: nothing may come before the doctype.
	tagless := newEnv(t, withShell(`<!doctype html><title>t</title><script src="/sessionguard.js" defer></script></head><body></body>`))
	writeModule(t, tagless, moduleBytes("v1"), false)
	_, body = page(tagless, "/")
	loader := scriptNames.FindString(body)
	assert.True(t, strings.HasPrefix(body, `<!doctype html><title>t</title><script src="`+loader+`" defer></script><script data-module="`), body)
}
