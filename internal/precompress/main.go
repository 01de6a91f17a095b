// Command precompress writes the brotli (quality 11) and gzip (level 9;
// GNU gzip's when it is installed and does better) forms of files next to
// them, as FILE.br and FILE.gz: ./build.sh runs it on
// static/sessionguard.wasm, which the server then sends in the form a
// browser accepts without compressing anything itself. The server checks
// that each form unpacks to the file before it uses it.
//
//	go run ./internal/precompress static/sessionguard.wasm
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"

	"github.com/andybalholm/brotli"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: precompress FILE...")
		os.Exit(2)
	}
	for _, name := range os.Args[1:] {
		if err := precompress(name); err != nil {
			fmt.Fprintln(os.Stderr, "precompress:", err)
			os.Exit(1)
		}
	}
}

func precompress(name string) error {
	raw, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	var br bytes.Buffer
	bw := brotli.NewWriterOptions(&br, brotli.WriterOptions{Quality: brotli.BestCompression, LGWin: 24})
	if _, err := bw.Write(raw); err != nil {
		return err
	}
	if err := bw.Close(); err != nil {
		return err
	}
	var gz bytes.Buffer
	gw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if _, err := gw.Write(raw); err != nil {
		return err
	}
	if err := gw.Close(); err != nil {
		return err
	}
	// GNU gzip -9 packs the module about 2 % smaller than compress/gzip:
	// take its output when it is there and smaller.
	if out, err := exec.Command("gzip", "-9", "-n", "-c", name).Output(); err == nil && len(out) > 0 && len(out) < gz.Len() {
		gz.Reset()
		gz.Write(out)
	}
	// Written under a temporary name and renamed, so a server reading the
	// directory never sees half a file.
	for ext, data := range map[string][]byte{".br": br.Bytes(), ".gz": gz.Bytes()} {
		tmp := name + ext + ".tmp"
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, name+ext); err != nil {
			return err
		}
	}
	fmt.Printf("%s: %d bytes, brotli %d, gzip %d\n", name, len(raw), br.Len(), gz.Len())
	return nil
}
