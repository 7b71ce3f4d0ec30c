package main

import (
	"fmt"
	"io"

	"mpt/workflow"
	"mpt/workflow/refdata"
)

// check prints a one-line verdict on an identifier. Exit 0 when valid, 1 when invalid or when it
// needs manual review (a USCC whose only fault is its check character), 2 on a usage error.
func check(args []string, stdout, stderr io.Writer) error {
	const help = "usage: mpt check uscc|container|hs VALUE"
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(stdout, help)
		return nil
	}
	if len(args) != 2 {
		return usageError("%s", help)
	}
	kind, value := args[0], args[1]
	var v workflow.Verdict
	switch kind {
	case "uscc":
		v = workflow.CheckUSCC(value)
	case "container":
		v = workflow.CheckContainerNumber(value)
	case "hs":
		ref, err := refdata.Load()
		if err != nil {
			return err
		}
		v = workflow.CheckHSCode(ref, value)
	default:
		return usageError("mpt check: unknown kind %q; %s", kind, help)
	}
	switch {
	case v.OK:
		fmt.Fprintf(stdout, "valid %s: %s\n", kind, v.Value)
		return nil
	case v.NeedsReview:
		fmt.Fprintf(stdout, "needs manual review %s: %s: %s\n", kind, v.Value, v.Problem.En)
	default:
		fmt.Fprintf(stdout, "invalid %s: %q: %s\n", kind, v.Value, v.Problem.En)
	}
	return &exitError{code: 1}
}
