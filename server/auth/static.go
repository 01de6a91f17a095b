package auth

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"time"
)

// static serves the files of StaticDir, confined to it by os.Root (no ".."
// or symlink escapes). Text and WebAssembly files are sent gzip-compressed to
// clients that accept it; each compressed file is made once and kept while
// its size and modification time stay the same.
type static struct {
	dir string

	mu  sync.Mutex
	gz  map[string]*gzFile
	mod *module // the browser module, once asked for (module.go)
}

type gzFile struct {
	size    int64
	modTime time.Time
	data    []byte
}

func newStatic(dir string) *static {
	return &static{dir: dir, gz: make(map[string]*gzFile)}
}

// compressible lists the extensions worth compressing.
var compressible = map[string]bool{".wasm": true, ".js": true, ".css": true, ".html": true, ".svg": true, ".json": true, ".txt": true}

// serve answers the file at the cleaned path and reports whether there was
// one. index.html is never served raw: it is the app shell, which the guard
// answers. Names starting with "." are not served. A private file (one the
// guard let through for this visitor only) is never stored by any cache.
func (st *static) serve(w http.ResponseWriter, r *http.Request, cleaned string, private bool) bool {
	if cleaned == "/" || cleaned == "/index.html" || strings.Contains(cleaned, "/.") {
		return false
	}
	root, err := os.OpenRoot(st.dir)
	if err != nil {
		return false
	}
	defer root.Close()
	if !private && st.serveModule(w, r, root, cleaned) {
		return true
	}
	name := strings.TrimPrefix(cleaned, "/")
	f, err := root.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	markQuiet(w)
	h := w.Header()
	if private {
		h["Cache-Control"] = noStore
		h.Add("Vary", "Cookie")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	ext := path.Ext(name)
	if !compressible[ext] {
		http.ServeContent(w, r, name, fi.ModTime(), f)
		return true
	}
	h.Add("Vary", "Accept-Encoding")
	if !acceptsEncoding(r, "gzip") {
		http.ServeContent(w, r, name, fi.ModTime(), f)
		return true
	}
	data, err := st.gzipped(name, fi, f)
	if err != nil {
		http.ServeContent(w, r, name, fi.ModTime(), f)
		return true
	}
	h.Set("Content-Encoding", "gzip")
	http.ServeContent(w, r, name, fi.ModTime(), bytes.NewReader(data))
	return true
}

func (st *static) gzipped(name string, fi os.FileInfo, f io.Reader) ([]byte, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if g, ok := st.gz[name]; ok && g.size == fi.Size() && g.modTime.Equal(fi.ModTime()) {
		return g.data, nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := io.Copy(zw, f); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	st.gz[name] = &gzFile{size: fi.Size(), modTime: fi.ModTime(), data: buf.Bytes()}
	return buf.Bytes(), nil
}
