package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
)

// declare is `mpt declare`: the declaration rules without a database, for a preview. It reads
// the lines as JSON from --in FILE or stdin and writes the declarations as JSON. Exit 0 on
// success, 1 on bad input (the message names the line and the problem), 2 on a usage error.
func declare(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("declare", stderr)
	inPath := fs.String("in", "", "JSON input file (default: standard input)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	in := stdin
	if *inPath != "" && *inPath != "-" {
		f, err := os.Open(*inPath)
		if err != nil {
			return usageError("mpt declare: %v", err)
		}
		defer f.Close()
		in = f
	}
	ref, err := refdata.Load()
	if err != nil {
		return err
	}
	return declareFrom(ref, in, stdout)
}

// declareFrom reads the JSON lines from in and writes the preview to stdout, or returns the
// exit-1 error naming what is wrong.
func declareFrom(ref *refdata.Set, in io.Reader, stdout io.Writer) error {
	input, err := workflow.ReadPreviewInput(in)
	if err == nil {
		var out *workflow.PreviewOutput
		if out, err = workflow.PreviewDeclarations(ref, input); err == nil {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		}
	}
	ae := apperr.As(err)
	msg := ae.Text.En
	for _, f := range ae.Fields {
		msg = f.Text.En
	}
	return &exitError{code: 1, msg: fmt.Sprintf("mpt declare: %s", msg)}
}
