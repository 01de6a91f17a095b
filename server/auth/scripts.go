package auth

// The scripts that load the browser module, as the server sends them:
// each kept in memory with its gzip form under a content-hashed name
// (module.go serves them).

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"time"
)

// esmImports are the texts of sessionguard.mjs that name the two scripts it
// imports; the server names their hashed copies there (module.esm).
var esmImports = [...]struct{ text, name string }{
	{"new URL('" + execName + "', url)", execName},
	{"new URL('" + loaderName + "', url)", loaderName},
}

// loaderWasmLine is the line of sessionguard.js that names the module; the
// server names the module's content-hashed copy there (module.loader).
const loaderWasmLine = "const wasmName = '" + moduleName + "';"

// scriptFile is one of the module's scripts as served, with its gzip form
// and the hash of its content (what is served, which for sessionguard.js
// names the module's hashed copy: loaderWasmLine).
type scriptFile struct {
	modTime time.Time
	data    []byte
	gz      []byte
	hash    string
}

// loadLoader reads sessionguard.js and names the module's hashed copy,
// sessionguard.<hash>.wasm, in it. What is served changes with either
// file, so its modification time is the later of both (wasmMod the
// module's).
func loadLoader(root *os.Root, hash string, wasmMod time.Time) (*scriptFile, error) {
	fi, err := root.Stat(loaderName)
	if err != nil {
		return nil, err
	}
	src, err := root.ReadFile(loaderName)
	if err != nil {
		return nil, err
	}
	data := bytes.Replace(src, []byte(loaderWasmLine), []byte("const wasmName = 'sessionguard."+hash+".wasm';"), 1)
	mod := fi.ModTime()
	if wasmMod.After(mod) {
		mod = wasmMod
	}
	return newScriptFile(data, mod)
}

// loadESM reads sessionguard.mjs (of version v) and names the scripts'
// hashed copies in its imports. What is served changes with the scripts,
// so its modification time is the latest of the three files'.
func (m *module) loadESM(root *os.Root, v fileVersion) (*scriptFile, error) {
	data, err := root.ReadFile(esmName)
	if err != nil {
		return nil, err
	}
	mod := time.Unix(0, v.modNano)
	for _, imp := range esmImports {
		f := m.exec
		if imp.name == loaderName {
			f = m.loader
		}
		if f == nil {
			continue
		}
		hashed := strings.TrimPrefix(m.hashedURL("/"+imp.name), "/")
		data = bytes.Replace(data, []byte(imp.text), []byte("new URL('"+hashed+"', url)"), 1)
		if f.modTime.After(mod) {
			mod = f.modTime
		}
	}
	return newScriptFile(data, mod)
}

// newScriptFile keeps data, as served, with its gzip form and hash.
func newScriptFile(data []byte, modTime time.Time) (*scriptFile, error) {
	gz, err := gzipBytes(data)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	return &scriptFile{modTime: modTime, data: data, gz: gz, hash: hex.EncodeToString(sum[:])[:moduleHashLen]}, nil
}
