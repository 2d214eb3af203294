// Command outpost is the Outpost host: `outpost serve` runs the REST API,
// the scheduler and the plugin manager over one bbolt file; the other
// subcommands are admin tools.
package main

import (
	"fmt"
	"os"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

const usage = `usage: outpost <command> [flags]

commands:
  serve     run the host (REST API, scheduler, plugins)
  backup    save a consistent snapshot of a running host's database
  version   print the version
Run 'outpost <command> -h' for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "backup":
		err = backup(os.Args[2:])
	case "version", "--version", "-v":
		fmt.Println("outpost", version)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "outpost: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "outpost:", err)
		os.Exit(1)
	}
}

// env returns the OUTPOST_* environment value for a flag, or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}
