// Command mpt runs the market procurement trade application: the web server, migrations, demo
// data and identifier checks. main only wires the process to run.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := exitCode(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv), os.Stderr)
	stop()
	os.Exit(code)
}
