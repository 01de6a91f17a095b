package auth

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/andybalholm/brotli"
)

// The browser module's files, as a page names them.
const (
	moduleName = "sessionguard.wasm"
	loaderName = "sessionguard.js"
	execName   = "wasm_exec.js" // Go's support script, which the loader needs first
	esmName    = "sessionguard.mjs"
)

// moduleHashLen is the length of the hash in a file's hashed name (hex
// digits of its SHA-256): sessionguard.<hash>.wasm, sessionguard.<hash>.js,
// wasm_exec.<hash>.js.
const moduleHashLen = 16

// immutable is the Cache-Control of a hashed name: its content never
// changes, so a browser keeps it a year without asking again.
var immutable = []string{"public, max-age=31536000, immutable"}

// module is the browser module as the server sends it: its content hash,
// and its brotli and gzip forms. The brotli form is made at build time
// (FILE.br, by internal/precompress) and used only when it unpacks to the
// file; the gzip form is FILE.gz on the same terms, otherwise made here.
// Without a brotli form, browsers that take only brotli get the file as it
// is. The two scripts a page loads it with are kept beside it, each under
// a content-hashed name too: the loader, sessionguard.js, naming the
// module's hashed copy, and wasm_exec.js. A module is made again whenever
// one of its files changes (fileVersion) and never changed once made:
// requests in flight keep the one they got.
type module struct {
	wasm, brFile, gzFile, jsFile, execFile, esmFile fileVersion

	hash   string
	raw    []byte
	br, gz []byte

	loader *scriptFile // nil when the directory has no sessionguard.js
	exec   *scriptFile // nil when it has no wasm_exec.js
	// esm is sessionguard.mjs importing the scripts' hashed copies; nil
	// when there is none. Apps import it by its plain name, so it has no
	// hashed copy itself.
	esm *scriptFile
}

// fileVersion tells versions of a file apart: its size and modification
// time, or its absence.
type fileVersion struct {
	size, modNano int64
	ok            bool
}

func versionOf(root *os.Root, name string) fileVersion {
	fi, err := root.Stat(name)
	if err != nil || !fi.Mode().IsRegular() {
		return fileVersion{}
	}
	return fileVersion{size: fi.Size(), modNano: fi.ModTime().UnixNano(), ok: true}
}

// url is the path of the module's hashed copy.
func (m *module) url() string { return "/sessionguard." + m.hash + ".wasm" }

// hashedURL is the path of the hashed copy of the module's file plain
// ("/sessionguard.wasm", "/sessionguard.js" or "/wasm_exec.js"); "" when
// the directory lacks that file.
func (m *module) hashedURL(plain string) string {
	var f *scriptFile
	switch plain {
	case "/" + moduleName:
		return m.url()
	case "/" + loaderName:
		f = m.loader
	case "/" + execName:
		f = m.exec
	}
	if f == nil {
		return ""
	}
	base, ext, _ := strings.Cut(plain, ".")
	return base + "." + f.hash + "." + ext
}

// hashedName reports whether cleaned has the form of the hashed name of
// one of the module's files, whatever its hash, and returns that file's
// plain path.
func hashedName(cleaned string) (plain string, ok bool) {
	for _, name := range [...]string{moduleName, loaderName, execName} {
		base, ext, _ := strings.Cut(name, ".")
		hash, ok := strings.CutPrefix(cleaned, "/"+base+".")
		if hash, ok = strings.CutSuffix(hash, "."+ext); !ok || len(hash) != moduleHashLen {
			continue
		}
		if _, err := hex.DecodeString(hash); err == nil && strings.ToLower(hash) == hash {
			return "/" + name, true
		}
	}
	return "", false
}

// isModuleFile reports whether cleaned is one of the module's own files,
// which every page loads and so everybody may fetch.
func isModuleFile(cleaned string) bool {
	if moduleFiles[cleaned] {
		return true
	}
	_, ok := hashedName(cleaned)
	return ok
}

// module returns the module as it stands in the directory, or nil when
// there is none.
func (st *static) module(root *os.Root) (*module, error) {
	v := versionOf(root, moduleName)
	if !v.ok {
		return nil, nil
	}
	br, gz, js, ex, esm := versionOf(root, moduleName+".br"), versionOf(root, moduleName+".gz"), versionOf(root, loaderName), versionOf(root, execName), versionOf(root, esmName)
	st.mu.Lock()
	defer st.mu.Unlock()
	old := st.mod
	if old != nil && old.wasm == v && old.brFile == br && old.gzFile == gz && old.jsFile == js && old.execFile == ex && old.esmFile == esm {
		return old, nil
	}
	m := &module{wasm: v, brFile: br, gzFile: gz, jsFile: js, execFile: ex, esmFile: esm}
	if old != nil && old.wasm == v {
		m.raw, m.hash = old.raw, old.hash
	} else {
		raw, err := root.ReadFile(moduleName)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(raw)
		m.raw, m.hash = raw, hex.EncodeToString(sum[:])[:moduleHashLen]
	}
	if br.ok {
		m.br = precompressed(root, moduleName+".br", m.raw, func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil })
	}
	if gz.ok {
		m.gz = precompressed(root, moduleName+".gz", m.raw, func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) })
	}
	if m.gz == nil {
		var err error
		if m.gz, err = gzipBytes(m.raw); err != nil {
			return nil, err
		}
	}
	if js.ok {
		l, err := loadLoader(root, m.hash, time.Unix(0, v.modNano))
		if err != nil {
			return nil, err
		}
		m.loader = l
	}
	if ex.ok {
		src, err := root.ReadFile(execName)
		if err != nil {
			return nil, err
		}
		if m.exec, err = newScriptFile(src, time.Unix(0, ex.modNano)); err != nil {
			return nil, err
		}
	}
	if esm.ok {
		var err error
		if m.esm, err = m.loadESM(root, esm); err != nil {
			return nil, err
		}
	}
	st.mod = m
	return m, nil
}

// moduleRefs are the hashed paths a page of the shell names: the module's
// (which the loader asks for and the page preloads and compiles), and
// those of the two scripts that load it. Each is "" when its file is
// missing, and all are without a module or its loader.
type moduleRefs struct{ module, loader, exec string }

// refs returns the module's hashed paths as the directory stands.
func (st *static) refs() moduleRefs {
	root, err := os.OpenRoot(st.dir)
	if err != nil {
		return moduleRefs{}
	}
	defer root.Close()
	m, err := st.module(root)
	if err != nil || m == nil || m.loader == nil {
		return moduleRefs{}
	}
	return moduleRefs{module: m.url(), loader: m.hashedURL("/" + loaderName), exec: m.hashedURL("/" + execName)}
}

// preloadLink returns the Link header that has a page start fetching the
// module at url (moduleURL) while it is parsed, before the loader's own
// fetch (which then takes the preloaded answer: the same URL, mode and
// credentials).
func preloadLink(url string) string { return "<" + url + ">; rel=preload; as=fetch; crossorigin" }

// precompressed returns the file name when it unpacks (with open) to raw,
// nil when it is missing or stale.
func precompressed(root *os.Root, name string, raw []byte, open func(io.Reader) (io.Reader, error)) []byte {
	data, err := root.ReadFile(name)
	if err != nil {
		return nil
	}
	r, err := open(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	got, err := io.ReadAll(io.LimitReader(r, int64(len(raw))+1))
	if err != nil || !bytes.Equal(got, raw) {
		return nil
	}
	return data
}

func gzipBytes(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// serveModule answers the module's files: sessionguard.wasm and its hashed
// copy in the best form the client accepts (brotli, gzip, as is) with
// Content-Type application/wasm; sessionguard.js (naming the module's
// hashed copy) and wasm_exec.js, each with its hashed copy, and
// sessionguard.mjs (importing those copies), gzip-compressed when
// accepted. A hashed copy is cached for a year (immutable); a hash that is
// not the current one is 404. The plain names are revalidated on every use
// (no-cache, with an ETag). It reports whether it answered.
func (st *static) serveModule(w http.ResponseWriter, r *http.Request, root *os.Root, cleaned string) bool {
	plain, hashed := hashedName(cleaned)
	if !hashed {
		plain = cleaned
	}
	if plain != "/"+moduleName && plain != "/"+loaderName && plain != "/"+execName && plain != "/"+esmName {
		return false
	}
	m, err := st.module(root)
	if err != nil || m == nil {
		return false
	}
	var script *scriptFile
	switch plain {
	case "/" + loaderName:
		script = m.loader
	case "/" + execName:
		script = m.exec
	case "/" + esmName:
		script = m.esm
	}
	if plain != "/"+moduleName && script == nil && !hashed {
		return false // the file as it is, if it is there at all
	}
	markQuiet(w)
	h := w.Header()
	if hashed && cleaned != m.hashedURL(plain) {
		// Another version of the file (a page loaded before it was
		// replaced): not this content, and not the app shell either.
		h["Cache-Control"] = noStore
		http.NotFound(w, r)
		return true
	}
	h.Add("Vary", "Accept-Encoding")
	if hashed {
		h["Cache-Control"] = immutable
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if script != nil {
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		body := script.data
		if acceptsEncoding(r, "gzip") {
			body = script.gz
			h.Set("Content-Encoding", "gzip")
		}
		h.Set("Etag", encodedTag(`"`+script.hash+`"`, h.Get("Content-Encoding")))
		http.ServeContent(w, r, plain, script.modTime, bytes.NewReader(body))
		return true
	}
	h.Set("Content-Type", "application/wasm")
	body := m.raw
	switch {
	case m.br != nil && acceptsEncoding(r, "br"):
		body = m.br
		h.Set("Content-Encoding", "br")
	case acceptsEncoding(r, "gzip"):
		body = m.gz
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Etag", encodedTag(`"`+m.hash+`"`, h.Get("Content-Encoding")))
	http.ServeContent(w, r, moduleName, time.Unix(0, m.wasm.modNano), bytes.NewReader(body))
	return true
}

// encodedTag is the strong ETag of tag's content sent in encoding: each
// form has its own, as their bytes differ.
func encodedTag(tag, encoding string) string {
	if encoding == "" {
		return tag
	}
	return strings.TrimSuffix(tag, `"`) + "-" + encoding + `"`
}

// acceptsEncoding reports whether the request's Accept-Encoding takes
// coding: named with a q-value above zero, or covered by "*" (RFC 9110
// §12.5.3).
func acceptsEncoding(r *http.Request, coding string) bool {
	named, star := -1.0, -1.0
	for _, line := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(line, ",") {
			enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			q, err := qValue(params)
			if err != nil {
				continue
			}
			switch enc = strings.TrimSpace(enc); {
			case strings.EqualFold(enc, coding):
				named = max(named, q)
			case enc == "*":
				star = max(star, q)
			}
		}
	}
	if named >= 0 {
		return named > 0
	}
	return star > 0
}

var errBadQ = errors.New("bad q-value")

// qValue reads "q=0.5" (1 when there is none).
func qValue(params string) (float64, error) {
	params = strings.TrimSpace(params)
	if params == "" {
		return 1, nil
	}
	k, v, ok := strings.Cut(params, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
		return 0, errBadQ
	}
	q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || q < 0 || q > 1 {
		return 0, errBadQ
	}
	return q, nil
}
