package workflow_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/testkit"
)

func TestParseMonth(t *testing.T) {
	tests := []struct {
		name, raw, want string
		ok              bool
	}{
		{"OK", "2026-11", "2026-11", true},
		{"OKSlash", "2026/11", "2026-11", true},
		{"OKOneDigit", "2026-1", "2026-01", true},
		{"OKFullWidth", "２０２６－１１", "2026-11", true},
		{"OKBlanks", " 2026-11 ", "2026-11", true},
		{"ErrMonth13", "2026-13", "", false},
		{"ErrMonth0", "2026-00", "", false},
		{"ErrYear1999", "1999-12", "", false},
		{"ErrExcelDate", "Nov-26", "", false},
		{"ErrDay", "2026-11-01", "", false},
		{"ErrEmpty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := workflow.ParseMonth(tt.raw)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseMonth(%q) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.ok)
			}
		})
	}
	if workflow.AddMonths("2026-12", 1) != "2027-01" || workflow.AddMonths("2026-01", -1) != "2025-12" {
		t.Error("AddMonths across a year")
	}
	if workflow.DaysIn("2028-02") != 29 || workflow.DaysIn("2027-02") != 28 || workflow.DaysIn("2026-11") != 30 {
		t.Error("DaysIn")
	}
}

func (w *adminWorld) rate(t *testing.T, month, currency string) (models.ExchangeRate, bool) {
	t.Helper()
	var r models.ExchangeRate
	err := w.db.Where("month = ? AND currency = ?", month, currency).Take(&r).Error
	if err != nil {
		return r, false
	}
	return r, true
}

func TestSetRate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newAdminWorld(t, db)
		ctx := context.Background()
		admin := w.as(t, testkit.UserAdmin)
		tests := []struct {
			name  string
			actor workflow.Actor
			in    workflow.RateInput
			code  apperr.Code
			field string
			want  models.Rate
		}{
			{"OKNew", admin, workflow.RateInput{Month: "2026-11", Currency: "usd", CNYPerUnit: "7.1045"}, "", "", 7_104_500},
			{"OKUpsertReplaces", admin, workflow.RateInput{Month: "2026/11", Currency: "USD", CNYPerUnit: "7.123456"}, "", "", 7_123_456},
			{"OKSmallUnit", admin, workflow.RateInput{Month: "2026-11", Currency: "JPY", CNYPerUnit: "0.047312"}, "", "", 47_312},
			{"ErrCNY", admin, workflow.RateInput{Month: "2026-11", Currency: "CNY", CNYPerUnit: "1"}, apperr.Invalid, "currency", 0},
			{"ErrRMB", admin, workflow.RateInput{Month: "2026-11", Currency: "RMB", CNYPerUnit: "1"}, apperr.Invalid, "currency", 0},
			{"ErrUnknownCurrency", admin, workflow.RateInput{Month: "2026-11", Currency: "ABC", CNYPerUnit: "1"}, apperr.Invalid, "currency", 0},
			{"ErrZero", admin, workflow.RateInput{Month: "2026-11", Currency: "EUR", CNYPerUnit: "0"}, apperr.Invalid, "cny_per_unit", 0},
			{"ErrNegative", admin, workflow.RateInput{Month: "2026-11", Currency: "EUR", CNYPerUnit: "-7"}, apperr.Invalid, "cny_per_unit", 0},
			{"ErrSevenDecimals", admin, workflow.RateInput{Month: "2026-11", Currency: "EUR", CNYPerUnit: "7.1234567"}, apperr.Invalid, "cny_per_unit", 0},
			{"ErrMonth", admin, workflow.RateInput{Month: "11/2026", Currency: "EUR", CNYPerUnit: "7.8"}, apperr.Invalid, "month", 0},
			{"ErrAuditorMayNot", w.as(t, testkit.UserAuditor), workflow.RateInput{Month: "2026-11", Currency: "EUR", CNYPerUnit: "7.8"}, apperr.Forbidden, "", 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r, err := w.svc.SetRate(ctx, tt.actor, tt.in)
				wantAdminErr(t, err, tt.code, tt.field)
				if tt.code != "" {
					return
				}
				stored, ok := w.rate(t, r.Month, r.Currency)
				if !ok || stored.CNYPerUnit != tt.want || stored.UpdatedByUserID == nil || *stored.UpdatedByUserID != admin.UserID {
					t.Errorf("stored %+v", stored)
				}
			})
		}
		if n := w.count(t, &models.ExchangeRate{}, "month = ? AND currency = ?", "2026-11", "USD"); n != 1 {
			t.Errorf("%d USD rows for 2026-11 after an upsert", n)
		}
		_, old, _ := w.lastAudit(t, "exchange_rate", "set")
		var e models.AuditEntry
		db.Where("entity = ? AND entity_id = ?", "exchange_rate", "2026-11 USD").Order("id DESC").Take(&e)
		if e.OldJSON != `{"month":"2026-11","currency":"USD","cny_per_unit":"7.104500"}` ||
			e.NewJSON != `{"month":"2026-11","currency":"USD","cny_per_unit":"7.123456"}` {
			t.Errorf("upsert audit old %s new %s", e.OldJSON, e.NewJSON)
		}
		if old != nil { // the last "set" created JPY: no old value
			t.Errorf("new rate audited with old value %v", old)
		}
	})
}

func TestRateFor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newAdminWorld(t, db)
		ctx := context.Background()
		if _, err := w.svc.SetRate(ctx, w.as(t, testkit.UserAdmin), workflow.RateInput{Month: "2026-11", Currency: "EUR", CNYPerUnit: "7.85"}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, month, currency string
			want                  models.Rate
			code                  apperr.Code
		}{
			{"OK", "2026-11", "EUR", 7_850_000, ""},
			{"OKCNYIsOne", "2026-11", "CNY", 1_000_000, ""},
			{"ErrOtherMonth", "2026-10", "EUR", 0, apperr.NotFound},
			{"ErrOtherCurrency", "2026-11", "USD", 0, apperr.NotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := w.svc.RateFor(ctx, tt.month, tt.currency)
				wantAdminErr(t, err, tt.code, "")
				if got != tt.want {
					t.Errorf("rate %v, want %v", got, tt.want)
				}
				if err != nil {
					text := apperr.As(err).Text
					for _, s := range []string{text.En, text.Zh} {
						if !strings.Contains(s, tt.month) || !strings.Contains(s, tt.currency) {
							t.Errorf("message %q does not name %s %s", s, tt.month, tt.currency)
						}
					}
				}
			})
		}
	})
}

func TestImportRates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newAdminWorld(t, db)
		ctx := context.Background()
		admin := w.as(t, testkit.UserAdmin)
		// An earlier rate that an upload replaces, and one it leaves as it is.
		for _, in := range []workflow.RateInput{{Month: "2026-10", Currency: "USD", CNYPerUnit: "7.1"}, {Month: "2026-10", Currency: "EUR", CNYPerUnit: "7.8"}} {
			if _, err := w.svc.SetRate(ctx, admin, in); err != nil {
				t.Fatal(err)
			}
		}
		many := func(n int) string {
			var b strings.Builder
			b.WriteString("month,currency,cny_per_unit\n")
			codes := []string{"USD", "EUR", "GBP", "JPY", "AED", "SAR", "HKD", "RUB", "INR", "BRL"}
			for i := range n {
				fmt.Fprintf(&b, "%d-%02d,%s,1.5\n", 2030+i/120, i/10%12+1, codes[i%10])
			}
			return b.String()
		}
		tests := []struct {
			name     string
			actor    workflow.Actor
			file     string
			code     apperr.Code
			problems []string // each a part of one listed problem, in order
			res      workflow.RateImport
		}{
			{name: "OKEnglishHeader", actor: admin,
				file: "month,currency,cny_per_unit\n2026-11,USD,7.1045\n2026-11,EUR,7.85\n",
				res:  workflow.RateImport{Rows: 2, Created: 2}},
			{name: "OKBOMAndChineseHeader", actor: admin,
				file: "\uFEFF月份,币制,汇率\r\n2026-12,usd,7.2\r\n2026-12,JPY,0.047312\r\n",
				res:  workflow.RateImport{Rows: 2, Created: 2}},
			{name: "OKUpsertAndUnchanged", actor: admin,
				file: "currency,month,cny_per_unit\nUSD,2026-10,7.15\nEUR,2026-10,7.8\nGBP,2026-10,9.1\n\n,,\n",
				res:  workflow.RateImport{Rows: 3, Created: 1, Updated: 1, Unchanged: 1}},
			{name: "ErrOneBadRowImportsNothing", actor: admin, code: apperr.Invalid,
				file:     "month,currency,cny_per_unit\n2027-01,USD,7.3\n2027-01,EUR,7.9\n2027-01,GBP,abc\n2027-01,HKD,0.92\n",
				problems: []string{"Row 4, cny_per_unit:"}},
			{name: "ErrEveryBadRowListed", actor: admin, code: apperr.Invalid,
				file: "month,currency,cny_per_unit\n2027-01,USD,7.3\n2027-13,EUR,7.9\n2027-01,CNY,1\n2027-01,XYZ,0\n2027-01,GBP\n2027-01,USD,7.4\n",
				problems: []string{"Row 3, month:", "Row 4, currency:", "Row 5, currency:", "Row 5, cny_per_unit:",
					"Row 6 has 2 columns", "Row 7: 2027-01 USD is already in row 2"}},
			{name: "ErrChineseColumnNames", actor: admin, code: apperr.Invalid,
				file:     "月份,币制,汇率\n2027-02,USD,-1\n",
				problems: []string{"Row 2, 汇率:"}},
			{name: "ErrHeader", actor: admin, code: apperr.Invalid, file: "month,currency,rate\n2027-01,USD,7\n", problems: []string{"header"}},
			{name: "ErrExtraColumn", actor: admin, code: apperr.Invalid, file: "month,currency,cny_per_unit,unit\n2027-01,USD,7,1\n", problems: []string{"header"}},
			{name: "ErrEmpty", actor: admin, code: apperr.Invalid, file: "", problems: []string{"empty"}},
			{name: "ErrHeaderOnly", actor: admin, code: apperr.Invalid, file: "\uFEFFmonth,currency,cny_per_unit\n", problems: []string{"no rates"}},
			{name: "ErrNotUTF8", actor: admin, code: apperr.Invalid, file: "\xd4\xc2\xb7\xdd,\xb1\xd2\xd6\xc6,\xbb\xe3\xc2\xca\n2027-01,USD,7\n", problems: []string{"UTF-8"}},
			{name: "ErrBrokenQuotes", actor: admin, code: apperr.Invalid, file: "month,currency,cny_per_unit\n2027-01,\"USD,7\n", problems: []string{"malformed"}},
			{name: "ErrTooManyRows", actor: admin, code: apperr.Invalid, file: many(workflow.RateFileMaxRows + 1), problems: []string{"more than 5000 rows"}},
			{name: "ErrTooLarge", actor: admin, code: apperr.Invalid, file: "month,currency,cny_per_unit\n" + strings.Repeat(" ", workflow.RateFileMaxBytes), problems: []string{"1 MB"}},
			{name: "ErrAuditorMayNot", actor: w.as(t, testkit.UserAuditor), code: apperr.Forbidden, file: "month,currency,cny_per_unit\n2027-01,USD,7\n"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rows := w.count(t, &models.ExchangeRate{}, "1 = 1")
				audits := w.count(t, &models.AuditEntry{}, "1 = 1")
				res, err := w.svc.ImportRates(ctx, tt.actor, strings.NewReader(tt.file))
				wantAdminErr(t, err, tt.code, "")
				if tt.code != "" {
					if n := w.count(t, &models.ExchangeRate{}, "1 = 1"); n != rows {
						t.Errorf("rates %d → %d after a refused upload", rows, n)
					}
					if n := w.count(t, &models.AuditEntry{}, "1 = 1"); n != audits {
						t.Error("a refused upload was audited")
					}
					if tt.code != apperr.Invalid {
						return
					}
					fields := apperr.As(err).Fields
					if len(fields) != len(tt.problems) {
						t.Fatalf("%d problems, want %d: %v", len(fields), len(tt.problems), err)
					}
					for i, f := range fields {
						if f.Field != "file" || !strings.Contains(f.Text.En, tt.problems[i]) || f.Text.Zh == "" {
							t.Errorf("problem %d = %s %+v, want one containing %q", i, f.Field, f.Text, tt.problems[i])
						}
					}
					return
				}
				if *res != tt.res {
					t.Errorf("result %+v, want %+v", *res, tt.res)
				}
			})
		}
		if r, _ := w.rate(t, "2026-10", "USD"); r.CNYPerUnit != 7_150_000 {
			t.Errorf("upload did not replace the USD rate: %v", r.CNYPerUnit)
		}
		if r, _ := w.rate(t, "2026-12", "JPY"); r.CNYPerUnit != 47_312 {
			t.Errorf("JPY rate %v", r.CNYPerUnit)
		}
		if n := w.count(t, &models.ExchangeRate{}, "month = ?", "2027-01"); n != 0 {
			t.Errorf("%d rates of a refused upload were stored", n)
		}
		e, old, nw := w.lastAudit(t, "exchange_rate", "import")
		if e.EntityID != "import" || len(old["list"].([]any)) != 2 || len(nw["list"].([]any)) != 2 {
			t.Errorf("import audit %+v", e)
		}
		if !strings.Contains(e.OldJSON, `"cny_per_unit":"7.100000"`) || !strings.Contains(e.NewJSON, `"cny_per_unit":"7.150000"`) ||
			strings.Contains(e.NewJSON, "EUR") {
			t.Errorf("import audit old %s new %s", e.OldJSON, e.NewJSON)
		}
	})
}

func TestImportRatesAtTheLimit(t *testing.T) {
	w := newAdminWorld(t, dbtest.SQLite(t))
	var b strings.Builder
	b.WriteString("month,currency,cny_per_unit\n")
	codes := []string{"USD", "EUR", "GBP", "JPY", "AED", "SAR", "HKD", "RUB", "INR", "BRL"}
	for i := range workflow.RateFileMaxRows {
		fmt.Fprintf(&b, "%d-%02d,%s,%d.%06d\n", 2030+i/120, i/10%12+1, codes[i%10], 1+i%9, i)
	}
	res, err := w.svc.ImportRates(context.Background(), w.as(t, testkit.UserAdmin), strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != workflow.RateFileMaxRows || w.count(t, &models.ExchangeRate{}, "1 = 1") != int64(workflow.RateFileMaxRows) {
		t.Errorf("result %+v", res)
	}
}
