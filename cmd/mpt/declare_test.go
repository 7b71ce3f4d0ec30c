package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runDeclare(t *testing.T, input string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"declare"}, args...), strings.NewReader(input), &out, &errOut, func(string) string { return "" })
	code := exitCode(err, &errOut)
	return out.String(), errOut.String(), code
}

// workedExample is DOMAIN §4's example as `mpt declare` input.
const workedExample = `{"lines": [
 {"id": "A", "buyer": "B1", "hs": "9503008900", "name": "toy", "legal_unit": "007", "qty": 100, "value_usd": "12000.00", "net_kg": 10.5, "gross_kg": "12"},
 {"id": "B", "buyer": "B1", "hs": "3924100000", "name": "tableware", "legal_unit": "007", "qty": "100", "value_usd": 9000, "net_kg": 1, "gross_kg": 1},
 {"id": "C", "buyer": "B1", "hs": "9505100000", "name": "Christmas articles", "legal_unit": "007", "qty": 1, "value_usd": 8500, "net_kg": 1, "gross_kg": 1},
 {"id": "D", "buyer": "B1", "hs": "6307900090", "name": "textile article", "legal_unit": "007", "qty": 1, "value_usd": 7000, "net_kg": 1, "gross_kg": 1},
 {"id": "E", "buyer": "B1", "hs": "8513109000", "name": "torch", "legal_unit": "007", "qty": 1, "value_usd": 6000, "net_kg": 1, "gross_kg": 1},
 {"id": "F", "buyer": "B1", "hs": "3926400000", "name": "plastic ornament", "legal_unit": "007", "qty": 2, "value_usd": 2000, "net_kg": 1, "gross_kg": 1},
 {"id": "G", "buyer": "B1", "hs": "3924900000", "name": "household article", "legal_unit": "007", "qty": 3, "value_usd": 3500, "net_kg": 1, "gross_kg": 1},
 {"id": "H", "buyer": "B1", "hs": "9503002100", "name": "toy", "legal_unit": "007", "qty": 1, "value_usd": 1000, "net_kg": 1, "gross_kg": 1},
 {"id": "I", "buyer": "B1", "hs": "6117100000", "name": "scarf", "legal_unit": "007", "qty": 1, "value_usd": 800, "net_kg": 1, "gross_kg": 1}
]}`

func TestDeclareWorkedExample(t *testing.T) {
	out, errOut, code := runDeclare(t, workedExample)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Declarations []struct {
			Buyer    string `json:"buyer"`
			TotalUSD string `json:"total_usd"`
			Items    []struct {
				No       int      `json:"no"`
				HS       string   `json:"hs"`
				Qty      string   `json:"qty"`
				ValueUSD string   `json:"value_usd"`
				NetKg    string   `json:"net_kg"`
				Merged   bool     `json:"merged"`
				Lines    []string `json:"lines"`
			} `json:"items"`
		} `json:"declarations"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(got.Declarations) != 1 || got.Declarations[0].TotalUSD != "49800.00" || len(got.Declarations[0].Items) != 8 {
		t.Fatalf("%s", out)
	}
	items := got.Declarations[0].Items
	if items[0].Qty != "100" || items[0].NetKg != "10.5" || items[0].ValueUSD != "12000.00" || items[0].Merged {
		t.Errorf("first item %+v", items[0])
	}
	if m := items[5]; m.HS != "3924900000" || m.ValueUSD != "5500.00" || !m.Merged || strings.Join(m.Lines, ",") != "F,G" {
		t.Errorf("chapter 39 item %+v", m)
	}
	// --in FILE gives the same answer.
	path := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(path, []byte(workedExample), 0o600); err != nil {
		t.Fatal(err)
	}
	if again, _, code := runDeclare(t, "", "--in", path); code != 0 || again != out {
		t.Errorf("--in: exit %d, same output %v", code, again == out)
	}
}

func TestDeclareErrors(t *testing.T) {
	line := func(fields string) string {
		return `{"lines": [{"id": "L1", "buyer": "B1", "hs": "9503008900", "name": "toy", "legal_unit": "007", "qty": 1, "value_usd": 10, "net_kg": 1, "gross_kg": 1` + fields + `}]}`
	}
	tests := []struct {
		name, input, want string
		args              []string
		code              int
	}{
		{"ErrBadHS", line(`, "hs": "9405400000"`), "line L1: hs", nil, 1},
		{"ErrIneligible", `{"ineligible_prefixes": ["93"], "lines": [{"id": "X9", "buyer": "B", "hs": "9302000000", "name": "pistol", "legal_unit": "007", "qty": 1, "value_usd": 1, "net_kg": 1, "gross_kg": 1}]}`, "line X9: hs: ineligible", nil, 1},
		{"ErrOverCap", line(`, "value_usd": "150000.01"`), "line L1: Line worth USD 150000.01 is over", nil, 1},
		{"ErrMissingQty", `{"lines": [{"id": "Q", "buyer": "B", "hs": "9503008900", "name": "toy", "legal_unit": "007", "value_usd": 1, "net_kg": 1, "gross_kg": 1}]}`, "line Q: qty", nil, 1},
		{"ErrGrossBelowNet", line(`, "gross_kg": 0.5`), "line L1: gross_kg", nil, 1},
		{"ErrUnknownField", `{"linez": []}`, "not valid JSON", nil, 1},
		{"ErrNotJSON", `lines`, "not valid JSON", nil, 1},
		{"UsageMissingFile", "", "no such file", []string{"--in", "/nonexistent/in.json"}, 2},
		{"UsageExtraArgument", "", "unexpected argument", []string{"extra"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runDeclare(t, tt.input, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q), stdout %q", code, tt.code, errOut, tt.want, out)
			}
		})
	}
}

func TestDeclareSettings(t *testing.T) {
	in := `{"cap_usd": 100, "max_items": 1, "no_simplify_prefixes": ["3924"], "lines": [
	 {"id": "a", "buyer": "Z", "hs": "3924100000", "name": "cup", "legal_unit": "007", "qty": 1, "value_usd": 60, "net_kg": 1, "gross_kg": 1},
	 {"id": "b", "buyer": "Z", "hs": "3924100000", "name": "cup", "legal_unit": "007", "qty": 1, "value_usd": 30, "net_kg": 1, "gross_kg": 1},
	 {"id": "c", "buyer": "A", "hs": "9503008900", "name": "toy", "legal_unit": "007", "qty": 1, "value_usd": 30, "net_kg": 1, "gross_kg": 1}]}`
	out, errOut, code := runDeclare(t, in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Declarations []struct {
			Buyer string `json:"buyer"`
		} `json:"declarations"`
	}
	_ = json.Unmarshal([]byte(out), &got)
	// Buyer A first; not-simplifiable cups are two items, so with max_items 1 they split.
	if len(got.Declarations) != 3 || got.Declarations[0].Buyer != "A" {
		t.Fatalf("%s", out)
	}
}
