package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// exitError carries a process exit code: 1 for a failure or a negative verdict, 2 for misuse.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageError(format string, args ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}

// exitCode prints err (if any) and returns the process exit code.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "mpt:", err)
	return 1
}

const usage = `mpt: market procurement trade (customs mode 1039)

Usage:
  mpt [serve] [flags]        start the web server (the default command)
  mpt migrate [flags]        apply pending database migrations
  mpt demo [flags]           load demo data into an empty database
  mpt check KIND VALUE       check an identifier: uscc, container or hs
  mpt declare [--in FILE]    preview the declarations of JSON lines, without a database
  mpt audit verify [flags]   recompute the audit log's hash chain; exit 1 names the first broken entry
  mpt audit checkpoints      print the daily checkpoint hashes, to keep outside the system
  mpt customs replay DECL    replay a declaration's risk routing; exit 1 when it differs from what was stored
  mpt backup FILE            copy the live SQLite database into a new FILE (consistent while the server runs)
  mpt restore FILE           replace the SQLite database by a backup FILE; stop the server first
  mpt loadgen [flags]        drive a synthetic market day through the API (--url) or workflow (--in-process); report throughput, latency, memory
  mpt version                print the version

Run 'mpt COMMAND -h' for a command's flags. Every flag also reads an MPT_* environment variable.
`

// run is the whole program: it parses the command line and runs one command.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr, getenv)
	case "migrate":
		return migrate(ctx, args, stdout, stderr, getenv)
	case "demo":
		return loadDemo(ctx, args, stdout, stderr, getenv)
	case "check":
		return check(args, stdout, stderr)
	case "declare":
		return declare(args, stdin, stdout, stderr)
	case "audit":
		return audit(ctx, args, stdout, stderr, getenv)
	case "customs":
		return customs(ctx, args, stdout, stderr, getenv)
	case "backup":
		return backup(ctx, args, stdout, stderr, getenv)
	case "restore":
		return restore(ctx, args, stdout, stderr, getenv)
	case "loadgen":
		return loadgen(ctx, args, stdout, stderr, getenv)
	case "version":
		fmt.Fprintln(stdout, "mpt", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError("mpt: unknown command %q", cmd)
}
