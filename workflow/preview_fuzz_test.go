package workflow

import (
	"bytes"
	"strings"
	"testing"

	"mpt/models"
	"mpt/workflow/apperr"
)

// FuzzPreviewDeclarations fuzzes the input of `mpt declare` (ReadPreviewInput, then
// PreviewDeclarations). It never panics; a refusal is an invalid-input error that says what to
// fix; an accepted input gives declarations that each hold one buyer's lines, stay within the
// cap (DOMAIN §4: at most USD 150,000 by default, inclusive) and the item limit, add up, and
// between them declare every input line exactly once with non-negative figures.
func FuzzPreviewDeclarations(f *testing.F) {
	line := func(id, buyer, hs, value string) string {
		return `{"id":"` + id + `","buyer":"` + buyer + `","hs":"` + hs + `","name":"toy","legal_unit":"007","qty":1,"value_usd":` + value + `,"net_kg":1,"gross_kg":"1.5"}`
	}
	f.Add([]byte(`{"lines":[` + line("A", "B1", "9503008900", "12000") + `,` + line("B", "B1", "3924100000", `"9000.50"`) + `,` +
		line("C", "B2", "9505100000", "150000") + `]}`))
	f.Add([]byte(`{"cap_usd":"100","max_items":1,"lines":[` + line("A", "B1", "9503008900", "60") + `,` + line("B", "B1", "3924100000", "60") + `,` +
		line("C", "B1", "9503008900", "40") + `]}`))
	f.Add([]byte(`{"no_simplify_prefixes":["39"],"ineligible_prefixes":["93"],"lines":[` + line("A", "B1", "3924100000", "1") + `,` +
		line("B", "B1", "9303100000", "1") + `]}`))
	f.Add([]byte(`{"lines":[` + line("A", "B1", "9503008900", "150000.01") + `]}`))
	f.Add([]byte(`{"lines":[{"id":"A","buyer":"B","hs":"9503008900","name":"n","legal_unit":"007","qty":"999999999999999.999","value_usd":0,"net_kg":"999999999999999.999","gross_kg":"999999999999999.999"},` +
		`{"id":"B","buyer":"B","hs":"9503008900","name":"n","legal_unit":"007","qty":"999999999999999.999","value_usd":0,"net_kg":"999999999999999.999","gross_kg":"999999999999999.999"}]}`))
	f.Add([]byte(`{"cap_usd":-1,"lines":[]}`))
	f.Add([]byte(`{"max_items":0}`))
	f.Add([]byte(`{"lines":[{"id":"A","qty":1e400}]}`))
	f.Add([]byte(`not json`))

	ref := ref(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := ReadPreviewInput(bytes.NewReader(data))
		if err == nil {
			var out *PreviewOutput
			out, err = PreviewDeclarations(ref, in)
			if err == nil {
				checkPreview(t, in, out)
				return
			}
		}
		ae := apperr.As(err)
		if ae.Code != apperr.Invalid || ae.Text.En == "" {
			t.Fatalf("refusal %v is not an invalid-input error with a message", err)
		}
		for _, fe := range ae.Fields {
			if fe.Field == "" || fe.Text.En == "" || fe.Text.Zh == "" {
				t.Fatalf("refusal %v: field problem %+v does not say where and what", err, fe)
			}
		}
	})
}

// checkPreview asserts what every accepted preview must satisfy.
func checkPreview(t *testing.T, in *PreviewInput, out *PreviewOutput) {
	t.Helper()
	capUSD, maxItems := DefaultCapUSD, DefaultMaxItems
	if in.CapUSD != nil {
		capUSD, _ = models.ParseMoney(string(*in.CapUSD))
	}
	if in.MaxItems != nil {
		maxItems = *in.MaxItems
	}
	buyerOf := map[string]string{}
	for _, l := range in.Lines {
		buyerOf[strings.TrimSpace(l.ID)] = l.Buyer
	}
	declared := map[string]int{}
	for i, d := range out.Declarations {
		total, err := models.ParseMoney(d.TotalUSD)
		if err != nil || total < 0 || total > capUSD {
			t.Fatalf("declaration %d: total USD %s over the cap %s (or not an amount: %v)", i, d.TotalUSD, capUSD, err)
		}
		if len(d.Items) == 0 || len(d.Items) > maxItems {
			t.Fatalf("declaration %d has %d items, limit %d", i, len(d.Items), maxItems)
		}
		var sum models.Money
		for j, it := range d.Items {
			if it.No != j+1 {
				t.Fatalf("declaration %d: item %d numbered %d", i, j+1, it.No)
			}
			v, err := models.ParseMoney(it.ValueUSD)
			if err != nil || v < 0 {
				t.Fatalf("declaration %d item %d: value %q", i, it.No, it.ValueUSD)
			}
			sum += v
			for _, fig := range []string{it.Qty, it.NetKg, it.GrossKg} {
				if strings.HasPrefix(fig, "-") {
					t.Fatalf("declaration %d item %d: negative figure in %+v", i, it.No, it)
				}
			}
			if len(it.Lines) == 0 {
				t.Fatalf("declaration %d item %d declares no line", i, it.No)
			}
			for _, id := range it.Lines {
				declared[id]++
				if buyerOf[id] != d.Buyer {
					t.Fatalf("declaration %d for buyer %q holds line %s of buyer %q", i, d.Buyer, id, buyerOf[id])
				}
			}
		}
		if sum != total {
			t.Fatalf("declaration %d: items add up to %s, total says %s", i, sum, d.TotalUSD)
		}
	}
	if len(declared) != len(buyerOf) {
		t.Fatalf("%d of %d lines declared", len(declared), len(buyerOf))
	}
	for id, n := range declared {
		if n != 1 {
			t.Fatalf("line %s declared %d times", id, n)
		}
	}
}
