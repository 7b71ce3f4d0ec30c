package workflow

import (
	"testing"
)

// FuzzReadStatement fuzzes the part of a bank statement upload that needs no database: reading
// the CSV into rows (readStatement) and checking each receipt's fields (checkFXReceipt, as
// ImportFXStatement does). It never panics; the file is all or nothing (a problem with the file
// returns no rows, rows come without a problem); a receipt is accepted only with a positive
// amount, and every row problem names one of the statement's columns.
func FuzzReadStatement(f *testing.F) {
	const header = "bank_ref,payer,payer_country,currency,amount,value_date,beneficiary_uscc\n"
	for _, s := range []string{
		string(StatementTemplateCSV()),
		header + "FX1,Ahmed,AE,USD,12500.00,2026-11-28,92330782MA2EC4UX1M\nFX2,Ahmed,AE,USD,-1,2026-11-28,92330782MA2EC4UX1M\n",
		header + "FX1,\"Al \"\"M\"\"\",ae,usd,\"1,000.5\",2026-02-30,x\n,,,,,,\n",
		"bank_ref;payer;payer_country;currency;amount;value_date;beneficiary_uscc;note\nFX 1;P;XX;ZZZ;1e5;26-11-28;;extra\n",
		header,
		header + "\"unterminated,1,2\n",
		"bank_ref,bank_ref,payer\n",
		"\xef\xbb\xbf" + header + "FX1,P,CN,CNY,０.01,2026-01-01,U\n",
	} {
		f.Add([]byte(s), "statement.csv")
	}
	f.Add([]byte(header+"FX1\x00"), "statement.csv")
	f.Add([]byte(header), "statement.xlsx")

	ref := ref(f)
	headers := map[string]bool{}
	for _, c := range StatementColumns {
		headers[c.Header] = true
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		rows, problem := readStatement(name, data)
		if !problem.IsZero() {
			if rows != nil {
				t.Fatalf("readStatement refused the file (%s) yet returned %d rows", problem.En, len(rows))
			}
			if problem.En == "" || problem.Zh == "" {
				t.Fatalf("problem not in both languages: %+v", problem)
			}
			return
		}
		if len(rows) == 0 || len(rows) > MaxStatementRows {
			t.Fatalf("readStatement accepted %d rows without a problem", len(rows))
		}
		for i, r := range rows {
			if r.Row < 2 || (i > 0 && r.Row <= rows[i-1].Row) {
				t.Fatalf("row %d numbered %d after %d", i, r.Row, rows[max(i-1, 0)].Row)
			}
			v, fe := checkFXReceipt(ref, FXReceiptInput{BankRef: r.Cells[FXFieldBankRef], Payer: r.Cells[FXFieldPayer],
				PayerCountry: r.Cells[FXFieldPayerCountry], Currency: r.Cells[FXFieldCurrency], Amount: r.Cells[FXFieldAmount],
				ValueDate: r.Cells[FXFieldValueDate], Beneficiary: r.Cells[FXFieldBeneficiary]}, "2026-12-31")
			for _, e := range fe {
				if !headers[statementHeaderFor(e.Field)] || e.Text.En == "" || e.Text.Zh == "" {
					t.Fatalf("row %d: problem %+v does not name a statement column in both languages", r.Row, e)
				}
			}
			if len(fe) == 0 && (v.Amount <= 0 || v.BankRef == "" || v.ValueDate > "2026-12-31" || v.BeneficiaryUSCC == "") {
				t.Fatalf("row %d accepted as %+v", r.Row, v)
			}
		}
	})
}
