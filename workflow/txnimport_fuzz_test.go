package workflow

import (
	"errors"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"

	"mpt/models"
)

// fuzzXLSX makes a workbook whose first sheet holds rows, as a seed for FuzzImportFile.
func fuzzXLSX(tb testing.TB, rows [][]any) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			tb.Fatal(err)
		}
	}
	b, err := f.WriteToBuffer()
	if err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// FuzzImportFile fuzzes the part of a bulk line import that needs no database: reading an .xlsx
// or .csv file into rows (readImportFile) and checking each row's figures (CheckLineFigures, as
// checkImportRows does). It never panics; a file is either refused as a whole (no rows) or read
// into numbered rows; a row is accepted only with a positive quantity, unit price and amount
// that parse exactly; every row problem names its row and a column of the template.
func FuzzImportFile(f *testing.F) {
	const header = "SKU 货号,Quantity 数量,Unit 单位,Unit price 单价,Cartons 箱数,Net kg 净重,Gross kg 毛重\n"
	for _, csv := range []string{
		header + "EAR-001,1200,,0.0035,2,9.6,10.4\n,,,,,,\nCUP-002,\"1,000\",个,1.25,10,50,55.5\n",
		header + "EAR-001,-5,007,-0.01,1,1,1\n",
		"\xef\xbb\xbfSKU;Qty;Price;CTNS;Net kg;Gross kg\nA;1;1e3;1;1;0.5\n",
		"货号\t数量\t单价\t箱数\t净重\t毛重\nA\t１２\t０.５\t1\t2\t3\n",
		"SKU,Quantity,Price,Cartons,Net kg,Gross kg,SKU\n",
		"\n\nSKU,Quantity,Price,Cartons,Net kg,Gross kg\nA,\"1\"\"2\",3,4,5,6\n",
	} {
		f.Add([]byte(csv), false)
	}
	f.Add([]byte("\xbb\xf5\xba\xc5,\xca\xfd\xc1\xbf,\xb5\xa5\xbc\xdb,\xcf\xe4\xca\xfd,\xbe\xbb\xd6\xd8,\xc3\xab\xd6\xd8\nA,1,2,3,4,5\n"), false) // GB18030
	f.Add(fuzzXLSX(f, [][]any{
		{"货号", "数量", "单价", "箱数", "净重", "毛重"},
		{"EAR-001", 120, 0.1 + 0.2, 1, 2.5, 3},
		{"CUP-002", "36", "1.5", "3", "12", "12.8"},
		{"X", -1, 1e300, 1.5, "", "abc"},
	}), true)
	f.Add([]byte("PK\x03\x04not really a zip"), true)

	ref := ref(f)
	fields := map[string]bool{}
	for _, c := range ImportColumns {
		fields[c.Field] = true
	}
	f.Fuzz(func(t *testing.T, data []byte, xlsx bool) {
		name := "lines.csv"
		if xlsx {
			name = "lines.xlsx"
		}
		sh, err := readImportFile(name, data, nil)
		if err != nil {
			var fp importProblemErr
			if !errors.As(err, &fp) || fp.text.En == "" || fp.text.Zh == "" {
				t.Fatalf("readImportFile: %v is not a problem with the file in both languages", err)
			}
			if sh != nil {
				t.Fatalf("readImportFile refused the file (%v) yet returned %d rows", err, len(sh.Rows))
			}
			return
		}
		if len(sh.Rows) == 0 || len(sh.Rows) > MaxImportRows {
			t.Fatalf("readImportFile accepted %d rows", len(sh.Rows))
		}
		if !slices.IsSortedFunc(sh.Rows, func(a, b importRow) int { return a.Row - b.Row }) || sh.Rows[0].Row < 2 {
			t.Fatalf("row numbers out of order or not after a header: first %d", sh.Rows[0].Row)
		}
		for _, r := range sh.Rows {
			for field := range r.Cells {
				if !fields[field] {
					t.Fatalf("row %d has a cell for %q, not a template column", r.Row, field)
				}
			}
			in := LineInput{Quantity: r.Cells[LineFieldQuantity], Unit: r.Cells[LineFieldUnit], UnitPrice: r.Cells[LineFieldUnitPrice],
				Cartons: r.Cells[LineFieldCartons], NetKg: r.Cells[LineFieldNetKg], GrossKg: r.Cells[LineFieldGrossKg]}
			l, fe := CheckLineFigures(ref, in, "007")
			for _, e := range fe {
				if !fields[e.Field] || e.Text.En == "" || e.Text.Zh == "" {
					t.Fatalf("row %d: problem %+v does not name a template column in both languages", r.Row, e)
				}
			}
			if len(fe) > 0 {
				continue
			}
			q, qerr := models.ParseQuantity(normalize(in.Quantity))
			p, perr := models.ParsePrice(normalize(in.UnitPrice))
			switch {
			case qerr != nil || perr != nil:
				t.Fatalf("row %d accepted with unparsable quantity %q or unit price %q", r.Row, in.Quantity, in.UnitPrice)
			case q != l.Quantity || p != l.UnitPrice || q <= 0 || p <= 0:
				t.Fatalf("row %d: quantity %q, unit price %q accepted as %d, %d", r.Row, in.Quantity, in.UnitPrice, l.Quantity, l.UnitPrice)
			case l.Amount <= 0 || l.Amount > MaxLineAmount || l.Amount != models.LineAmount(q, p):
				t.Fatalf("row %d accepted with amount %d", r.Row, l.Amount)
			case l.Cartons < 0 || l.NetGrams <= 0 || l.GrossGrams < l.NetGrams:
				t.Fatalf("row %d accepted with cartons %d, net %d g, gross %d g", r.Row, l.Cartons, l.NetGrams, l.GrossGrams)
			}
		}
	})
}
