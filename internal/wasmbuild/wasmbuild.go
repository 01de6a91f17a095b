// Package wasmbuild is how the browser module is built, in one place:
// ./build.sh (through internal/buildwasm), the module's size test and the
// browser tests all build it with Command, so the binary they measure and
// test is the one that ships.
package wasmbuild

import (
	"os/exec"
	"slices"
)

// Experiments is the GOEXPERIMENT of the module's build. Both switch off
// runtime features that pay for themselves on many cores and cost the
// module code size on its one thread:
//   - greenteagc, the Green Tea collector, whose span-wise marking is made
//     for parallel marking and cache locality across cores;
//   - sizespecializedmalloc, which links a copy of the allocator's fast path
//     for each small size class the program allocates.
//
// Together they are 100 KB of the module's 2.7 MB, 21 KB gzipped and 20 KB
// in brotli (docs/PERFORMANCE.md, "The module's size"). The server is built
// with the toolchain's defaults.
const Experiments = "nogreenteagc,nosizespecializedmalloc"

// Flags are the go build flags of the module: no paths of the build
// machine, no symbol table or DWARF.
var Flags = []string{"-trimpath", "-ldflags=-s -w"}

// Env returns base (usually os.Environ()) with the module's build
// environment after it. GOFLAGS is cleared: flags of a test's own build,
// such as -race, do not exist for js/wasm.
func Env(base []string) []string {
	return append(slices.Clip(base), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=", "GOEXPERIMENT="+Experiments)
}

// Command returns the command that builds the package pkg, named as the go
// command takes it in dir, into the file out.
func Command(goBin, dir, pkg, out string, base []string) *exec.Cmd {
	args := append([]string{"build"}, Flags...)
	cmd := exec.Command(goBin, append(args, "-o", out, pkg)...)
	cmd.Dir = dir
	cmd.Env = Env(base)
	return cmd
}
