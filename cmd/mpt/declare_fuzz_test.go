package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"mpt/workflow"
	"mpt/workflow/refdata"
)

// FuzzDeclare fuzzes `mpt declare` on any input (declareFrom: what declare runs after its flags,
// here with the reference data loaded once). It never panics and exits 0 with declarations as
// JSON within the item limit, or 1 with a message "mpt declare: …" saying what is wrong.
// (workflow's FuzzPreviewDeclarations checks the declarations in depth; this one checks the
// command's edge: exit codes and output.)
func FuzzDeclare(f *testing.F) {
	f.Add(workedExample)
	f.Add(`{"cap_usd": 100, "max_items": 1, "lines": [{"id": "a", "buyer": "Z", "hs": "3924100000", "name": "cup", "legal_unit": "007", "qty": 1, "value_usd": 60, "net_kg": 1, "gross_kg": 1}]}`)
	f.Add(`{"lines": [{"id": "a", "buyer": "Z", "hs": "3924100000", "name": "cup", "legal_unit": "007", "qty": 1, "value_usd": "150000.01", "net_kg": 1, "gross_kg": 1}]}`)
	f.Add(`{"lines": []}`)
	f.Add(`{"lines": [{}]} trailing`)
	f.Add("")
	ref, err := refdata.Load() // once: loading it per input would leave no time for fuzzing
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input string) {
		var out, errOut bytes.Buffer
		err := declareFrom(ref, strings.NewReader(input), &out)
		switch code := exitCode(err, &errOut); code {
		case 0:
			var got workflow.PreviewOutput
			if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got.Declarations) == 0 {
				t.Fatalf("exit 0 with output that is not declarations (%v): %s", err, out.String())
			}
			maxItems := workflow.DefaultMaxItems
			if in, err := workflow.ReadPreviewInput(strings.NewReader(input)); err == nil && in.MaxItems != nil {
				maxItems = *in.MaxItems
			}
			for _, d := range got.Declarations {
				if len(d.Items) == 0 || len(d.Items) > maxItems {
					t.Fatalf("declaration with %d items, limit %d", len(d.Items), maxItems)
				}
			}
		case 1:
			msg := errOut.String()
			if out.Len() > 0 || !strings.HasPrefix(msg, "mpt declare: ") || len(msg) < len("mpt declare: ")+3 {
				t.Fatalf("exit 1 with stdout %q and stderr %q", out.String(), msg)
			}
		default:
			t.Fatalf("exit %d for input %q: %s", code, input, errOut.String())
		}
	})
}
