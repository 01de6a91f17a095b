package main

import (
	"flag"
	"fmt"
	"io"
)

// usageText is the command's help before the server's flags: what it does,
// its subcommands and the SG_* variables.
const usageText = `usage:
  sessionguard [flags]                serve the API, the guarded pages and the browser module
  sessionguard useradd -email E -name N -role user|admin < password
                                      create an account (works beside a running server)
  sessionguard keys rotate [-data D]  a new jwt signing key; a running server signs with it within a minute
  sessionguard backup -data D -o FILE a consistent copy of the SQLite store (works beside a running server)
  sessionguard help                   this text

Each subcommand has its own -h. Every flag can also be set in the environment
as SG_<FLAG>, in upper case with "_" for "-" (SG_STORE_URL for -store-url);
a flag given on the command line wins.

Server flags:
`

// keysUsage is the help of "sessionguard keys".
const keysUsage = "usage: sessionguard keys rotate [-data DIR] [-prune DURATION]   (see sessionguard keys rotate -h)"

// setUsage makes fs's help the command's: usageText, then the flags.
func setUsage(fs *flag.FlagSet) {
	fs.Usage = func() { printUsage(fs, fs.Output()) }
}

func printUsage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, usageText)
	fs.SetOutput(w)
	fs.PrintDefaults()
}
