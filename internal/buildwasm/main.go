// Command buildwasm builds the browser module as internal/wasmbuild says,
// for ./build.sh:
//
//	go run ./internal/buildwasm -o static/sessionguard.wasm ./wasm
//	go run ./internal/buildwasm -experiments   # prints the GOEXPERIMENT value
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/sessionguard/sessionguard/internal/wasmbuild"
)

func main() {
	out := flag.String("o", "", "the module file to write")
	experiments := flag.Bool("experiments", false, "print the module's GOEXPERIMENT and exit")
	flag.Parse()
	if *experiments {
		fmt.Println(wasmbuild.Experiments)
		return
	}
	if *out == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: buildwasm -o FILE PACKAGE | buildwasm -experiments")
		os.Exit(2)
	}
	cmd := wasmbuild.Command("go", ".", flag.Arg(0), *out, os.Environ())
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "buildwasm:", err)
		os.Exit(1)
	}
}
