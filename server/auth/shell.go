package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"

	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/wire"
)

// shell is the app shell: StaticDir/index.html split at </head>, where each
// answer inserts the session and the config as JSON script elements, so the
// browser module starts without a request of its own; the rest is rendered
// for the visitor (render.go).
type shell struct {
	head []byte
	// headOpen is the length of head's start up to and including its
	// <head> tag (headTagEnd): the compile script goes there, before the
	// page's stylesheets, which an inline script would wait for.
	headOpen int
	body     *shellBody // from </head> on
	config   []byte     // the whole <script id="sg-config"> element
	// loadsModule: the shell loads the browser module (it names
	// sessionguard.js or sessionguard.mjs), so its pages preload it.
	loadsModule bool
	// scripts are where head's script elements name sessionguard.js or
	// wasm_exec.js: each page names their hashed copies there instead.
	scripts []scriptRef
}

// scriptRef is a path in a script element's src: its offset in the head
// and the path, which is its length.
type scriptRef struct {
	at   int
	path string
}

func loadShell(dir string, configJSON []byte) (*shell, error) {
	name := filepath.Join(dir, "index.html")
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("auth: read app shell: %w", err)
	}
	i := bytes.Index(b, []byte("</head>"))
	if i < 0 {
		return nil, fmt.Errorf("auth: app shell %s has no </head>", name)
	}
	cfg := append([]byte(`<script id="sg-config" type="application/json">`), configJSON...)
	cfg = append(cfg, "</script>\n"...)
	loads := bytes.Contains(b, []byte("/sessionguard.js")) || bytes.Contains(b, []byte("/sessionguard.mjs"))
	return &shell{head: b[:i], headOpen: headTagEnd(b[:i]), body: compileBody(b[i:]), config: cfg, loadsModule: loads, scripts: scriptRefs(b[:i])}, nil
}

// scriptSrc matches the src attribute of a script element that names
// sessionguard.js or wasm_exec.js by its absolute path, quoted or not.
var scriptSrc = regexp.MustCompile(`(?i:<script\b[^>]*?\ssrc\s*=\s*["']?)(/sessionguard\.js|/wasm_exec\.js)(?:["'\s>])`)

// scriptRefs finds the script elements of head that load the module.
func scriptRefs(head []byte) []scriptRef {
	var refs []scriptRef
	for _, m := range scriptSrc.FindAllSubmatchIndex(head, -1) {
		refs = append(refs, scriptRef{at: m[2], path: string(head[m[2]:m[3]])})
	}
	return refs
}

// headTag matches a <head> start tag, in any case, with or without
// attributes (and not <header>).
var headTag = regexp.MustCompile(`(?i)<head(?:[\t\n\f\r /][^>]*)?>`)

// headTagEnd returns the offset just past head's <head> tag. Without one
// (the tag is optional in HTML) it is the end of head, just before
// </head>: never before the doctype, which would put the page in quirks
// mode.
func headTagEnd(head []byte) int {
	if loc := headTag.FindIndex(head); loc != nil {
		return loc[1]
	}
	return len(head)
}

// compileScript starts compiling the browser module while the page is
// still parsed: the deferred loader (sessionguard.js) runs only once the
// whole document is, and then finds the module compiled, or nearly, and
// only instantiates it. Its text is fixed, so the pages' CSP allows it by
// its hash (compileScriptHash); the module's path comes in the element's
// data-module attribute, set by the server. A copy injected into a page
// could only compile a module of the page's own origin (connect-src), which
// the loader then ignores unless it is the one it would load itself.
const compileScript = `(()=>{const u=document.currentScript.dataset.module;` +
	`if(typeof WebAssembly!=='object'||typeof WebAssembly.compileStreaming!=='function')return;` +
	`const m=WebAssembly.compileStreaming(fetch(u,{credentials:'same-origin'}));m.catch(()=>{});` +
	`globalThis.__sessionguardCompile={url:new URL(u,location.href).href,module:m};})();`

// compileScriptHash is compileScript's CSP source.
var compileScriptHash = func() string {
	sum := sha256.Sum256([]byte(compileScript))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

// write answers the shell with code, the session embedded and the body
// rendered for v (whose session is sess's). With refs.module (the module's
// hashed path) the head starts with the script that compiles the module
// (compileScript), and its script elements name the hashed copies of
// sessionguard.js and wasm_exec.js. encoding/json escapes <, > and & so the
// JSON cannot close the script element.
func (sh *shell) write(w http.ResponseWriter, code int, sess *session.Session, v view, refs moduleRefs) {
	body, err := json.Marshal(v.session)
	if err != nil {
		body = []byte("null")
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h["Cache-Control"] = noStore
	h.Set("Vary", "Cookie")
	setPageHeaders(h)
	w.WriteHeader(code)
	var buf bytes.Buffer
	buf.Grow(len(sh.head) + sh.body.size + len(sh.config) + len(body) + 256)
	sh.writeHead(&buf, refs)
	if sess != nil && !sess.AccessExpires.IsZero() {
		buf.WriteString(`<script id="sg-session" type="application/json" data-access-expires="` +
			sess.AccessExpires.UTC().Format(wire.TimeFormat) + `">`)
	} else {
		buf.WriteString(`<script id="sg-session" type="application/json">`)
	}
	buf.Write(body)
	buf.WriteString("</script>\n")
	buf.Write(sh.config)
	sh.body.write(&buf, v)
	_, _ = w.Write(buf.Bytes())
}

// writeHead writes the head, up to </head>, for refs: the compile script
// after the <head> tag and the scripts' hashed paths in place of their
// plain ones. Every path is the server's own (/name.<hex>.ext): nothing in
// it needs escaping in an attribute.
func (sh *shell) writeHead(buf *bytes.Buffer, refs moduleRefs) {
	if refs.module == "" {
		buf.Write(sh.head)
		return
	}
	at := 0
	compiled := false
	for _, ref := range sh.scripts {
		if !compiled && sh.headOpen <= ref.at {
			buf.Write(sh.head[at:sh.headOpen])
			writeCompileScript(buf, refs.module)
			at, compiled = sh.headOpen, true
		}
		hashed := refs.exec
		if ref.path == "/"+loaderName {
			hashed = refs.loader
		}
		if hashed == "" {
			continue
		}
		buf.Write(sh.head[at:ref.at])
		buf.WriteString(hashed)
		at = ref.at + len(ref.path)
	}
	if !compiled {
		buf.Write(sh.head[at:sh.headOpen])
		writeCompileScript(buf, refs.module)
		at = sh.headOpen
	}
	buf.Write(sh.head[at:])
}

func writeCompileScript(buf *bytes.Buffer, module string) {
	buf.WriteString(`<script data-module="`)
	buf.WriteString(module)
	buf.WriteString(`">` + compileScript + "</script>")
}
