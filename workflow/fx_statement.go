package workflow

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"mpt/models"
	"mpt/workflow/apperr"
)

// ---- FX receipts: bank statement upload ------------------------------------------------------
//
// A bank statement is a CSV file of receipts, one a row. It is imported all or nothing: every
// row is checked like the receipt form, duplicates are looked for within the file and among
// recorded receipts, and only a file without problems is written, in one database transaction
// with one audit entry per receipt (inserted in batches, the entries appended as one chain and
// one notice per beneficiary). The receipts of one file share a statement reference.

// Limits of a statement upload: a bank's day of trade receipts for the market is a few hundred rows.
const (
	MaxStatementFileSize = 2 << 20 // bytes
	MaxStatementRows     = 5_000   // data rows
)

// StatementColumn is a column of the statement file: its header and the receipt field it fills.
type StatementColumn struct {
	Header  string
	Field   string
	Example string
}

// StatementColumns are the columns of a statement, in the template's order; all are required.
var StatementColumns = []StatementColumn{
	{"bank_ref", FXFieldBankRef, "FX20261129000123"},
	{"payer", FXFieldPayer, "Ahmed Al Mansouri"},
	{"payer_country", FXFieldPayerCountry, "AE"},
	{"currency", FXFieldCurrency, "USD"},
	{"amount", FXFieldAmount, "12500.00"},
	{"value_date", FXFieldValueDate, "2026-11-28"},
	{"beneficiary_uscc", FXFieldBeneficiary, "92330782MA2E8Y5K3H"},
}

// statementHeaderFor is the header of the column that fills a field.
func statementHeaderFor(field string) string {
	for _, c := range StatementColumns {
		if c.Field == field {
			return c.Header
		}
	}
	return field
}

// StatementTemplateCSV is the statement template: the header row and one example row, UTF-8
// with a byte-order mark so that Excel opens it correctly.
func StatementTemplateCSV() []byte {
	var b bytes.Buffer
	b.WriteString("\xef\xbb\xbf")
	w := csv.NewWriter(&b)
	head, ex := make([]string, len(StatementColumns)), make([]string, len(StatementColumns))
	for i, c := range StatementColumns {
		head[i], ex[i] = c.Header, c.Example
	}
	_ = w.Write(head)
	_ = w.Write(ex)
	w.Flush()
	return b.Bytes()
}

// StatementResult is what an upload did: every row recorded, or none and every problem.
type StatementResult struct {
	FileName     string
	StatementRef string             // shared by the receipts recorded
	Rows         int                // data rows read
	Recorded     int                // receipts written: every row, or 0
	Receipts     []models.FXReceipt // the receipts written, in the file's order
	Problem      apperr.Text        // a problem with the whole file (type, size, columns)
	Errors       []ImportRowError   // row problems, at most MaxImportErrors
	ErrorCount   int                // all row problems
}

// OK reports whether the statement was recorded.
func (r *StatementResult) OK() bool { return r.Problem.IsZero() && r.ErrorCount == 0 && r.Recorded > 0 }

// statementRow is one data row: its line number in the file and its cells by field.
type statementRow struct {
	Row   int
	Cells map[string]string
}

// readStatement reads the CSV (UTF-8, with or without BOM; comma, semicolon or tab separated).
// A problem with the whole file is returned as a Text.
func readStatement(name string, data []byte) ([]statementRow, apperr.Text) {
	switch {
	case len(data) == 0:
		return nil, apperr.T("The file is empty", "文件为空")
	case len(data) > MaxStatementFileSize:
		return nil, apperr.Tf("The file is larger than %d MB; split the statement into smaller files", "文件超过 %d MB，请将对账单拆分为较小的文件", MaxStatementFileSize>>20)
	case !strings.HasSuffix(strings.ToLower(name), ".csv") || bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.IndexByte(data, 0) >= 0:
		return nil, apperr.T("Upload the statement as a .csv file made from the template", "请按模板上传 .csv 格式的对账单")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, apperr.T("The file is not UTF-8 text; save it as \"CSV UTF-8\" and upload it again", "文件不是 UTF-8 编码，请另存为“CSV UTF-8”后重新上传")
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	switch c := bytes.Count(first, []byte(",")); {
	case bytes.Count(first, []byte(";")) > c:
		r.Comma = ';'
	case bytes.Count(first, []byte("\t")) > c:
		r.Comma = '\t'
	}
	var cols []string // field of each cell position, "" for ignored columns
	var rows []statementRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return nil, apperr.Tf("Line %d of the file is not valid CSV; check its quotes", "文件第 %d 行不是有效的 CSV 格式，请检查引号", line)
		}
		line, _ := r.FieldPos(0) // only after a record was read: FieldPos panics after an error
		if blankRecord(rec) {
			continue
		}
		if cols == nil {
			var why apperr.Text
			if cols, why = statementHeader(rec, line); !why.IsZero() {
				return nil, why
			}
			continue
		}
		if len(rows) >= MaxStatementRows {
			return nil, apperr.Tf("The file has more than %d receipts; split the statement into several files", "文件超过 %d 笔收汇，请将对账单拆分为多个文件", MaxStatementRows)
		}
		row := statementRow{Row: line, Cells: map[string]string{}}
		for i, v := range rec {
			if i < len(cols) && cols[i] != "" {
				row.Cells[cols[i]] = strings.TrimSpace(v)
			}
		}
		rows = append(rows, row)
	}
	switch {
	case cols == nil:
		return nil, apperr.T("The file has no header row; use the template", "文件没有表头行，请使用模板")
	case len(rows) == 0:
		return nil, apperr.T("The file has a header but no receipts", "文件只有表头，没有收汇记录")
	}
	return rows, apperr.Text{}
}

// statementHeader maps the header row's cells to fields; unknown columns are ignored, and every
// missing column is named.
func statementHeader(cells []string, line int) ([]string, apperr.Text) {
	cols := make([]string, len(cells))
	seen := map[string]bool{}
	for i, c := range cells {
		k := importHeaderKey(c)
		for _, sc := range StatementColumns {
			if importHeaderKey(sc.Header) == k {
				if seen[sc.Field] {
					return nil, apperr.Tf("Line %[1]d: the column %[2]s appears twice", "第 %[1]d 行：列“%[2]s”出现了两次", line, sc.Header)
				}
				seen[sc.Field], cols[i] = true, sc.Field
			}
		}
	}
	var missing []string
	for _, sc := range StatementColumns {
		if !seen[sc.Field] {
			missing = append(missing, sc.Header)
		}
	}
	if len(missing) > 0 {
		return nil, apperr.Tf("Line %[1]d should be the header; these columns are missing: %[2]s. Use the template's headers",
			"第 %[1]d 行应为表头，缺少以下列：%[2]s。请使用模板中的表头", line, strings.Join(missing, ", "))
	}
	return cols, apperr.Text{}
}

// ImportFXStatement records the receipts of a bank statement, all or nothing (see above).
func (s *Service) ImportFXStatement(ctx context.Context, actor Actor, name string, data []byte) (*StatementResult, error) {
	if err := actor.Require(ActFXDesk); err != nil {
		return nil, err
	}
	res := &StatementResult{FileName: CleanFileName(name)}
	rows, problem := readStatement(name, data)
	if !problem.IsZero() {
		res.Problem = problem
		return res, nil
	}
	res.Rows = len(rows)
	today := s.fxToday(actor)
	db := s.db.WithContext(ctx)
	add := func(row int, field string, text apperr.Text) {
		res.ErrorCount++
		if len(res.Errors) < MaxImportErrors {
			res.Errors = append(res.Errors, ImportRowError{Row: row, Column: statementHeaderFor(field), Text: text})
		}
	}
	values := make([]fxReceiptValues, len(rows))
	firstRow := map[string]int{}
	var refs, usccs []string
	for i, r := range rows {
		v, fe := checkFXReceipt(s.ref, FXReceiptInput{BankRef: r.Cells[FXFieldBankRef], Payer: r.Cells[FXFieldPayer],
			PayerCountry: r.Cells[FXFieldPayerCountry], Currency: r.Cells[FXFieldCurrency], Amount: r.Cells[FXFieldAmount],
			ValueDate: r.Cells[FXFieldValueDate], Beneficiary: r.Cells[FXFieldBeneficiary]}, today)
		for _, f := range fe {
			add(r.Row, f.Field, f.Text)
		}
		values[i] = v
		if !fxHasField(fe, FXFieldBankRef) {
			if at, dup := firstRow[v.BankRef]; dup {
				add(r.Row, FXFieldBankRef, apperr.Tf("Bank reference %[1]s is also on line %[2]d of this file; each receipt appears once",
					"银行编号 %[1]s 与本文件第 %[2]d 行重复，每笔收汇只能出现一次", v.BankRef, at))
			} else {
				firstRow[v.BankRef] = r.Row
				refs = append(refs, v.BankRef)
			}
		}
		if v.BeneficiaryUSCC != "" {
			usccs = append(usccs, v.BeneficiaryUSCC)
		}
	}
	existing := map[string]bool{}
	for start := 0; start < len(refs); start += 500 {
		var found []string
		if err := db.Model(&models.FXReceipt{}).Where("bank_ref IN ?", refs[start:min(start+500, len(refs))]).Pluck("bank_ref", &found).Error; err != nil {
			return nil, apperr.Wrap(err, "check bank references")
		}
		for _, f := range found {
			existing[f] = true
		}
	}
	bens, err := fxBeneficiariesByUSCC(db, fxUnique(usccs))
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		v := values[i]
		if existing[v.BankRef] && firstRow[v.BankRef] == r.Row {
			add(r.Row, FXFieldBankRef, errFXDuplicateBankRef(v.BankRef))
		}
		if v.BeneficiaryUSCC != "" {
			b, ok := bens[v.BeneficiaryUSCC]
			if why := fxBeneficiaryProblem(b, ok, v.BeneficiaryUSCC); !why.IsZero() {
				add(r.Row, FXFieldBeneficiary, why)
			}
		}
	}
	if res.ErrorCount > 0 {
		slices.SortStableFunc(res.Errors, func(a, b ImportRowError) int { return cmp.Compare(a.Row, b.Row) })
		return res, nil
	}
	days, err := s.fxUnallocatedDays(ctx)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	err = s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		ref, err := nextStatementRef(tx, now)
		if err != nil {
			return err
		}
		receipts := make([]models.FXReceipt, len(rows))
		for i, v := range values {
			b := bens[v.BeneficiaryUSCC]
			receipts[i] = fxReceiptFor(actor, v, b, JoinFXFlags(map[string]bool{FXFlagUnallocated: UnallocatedTooLong(v.Amount, 0, v.ValueDate, today, days)}), now)
			receipts[i].StatementRef = ref
		}
		if err := tx.CreateInBatches(&receipts, 200).Error; err != nil {
			if models.IsUniqueViolation(err) {
				return apperr.New(apperr.Conflict, apperr.T("Some of these receipts were recorded meanwhile; upload the statement again to see which",
					"其中部分收汇已在此期间登记，请重新上传对账单查看具体行"))
			}
			return apperr.Wrap(err, "insert receipts")
		}
		type group struct {
			n     int
			total map[string]models.Money
			r     models.FXReceipt
		}
		groups := map[string]*group{}
		var order []string
		recs := make([]models.AuditRecord, len(receipts))
		for i := range receipts {
			r := &receipts[i]
			rec := fxReceiptAudit(r)
			rec["statement_file"], rec["statement_sha256"], rec["statement_row"] = res.FileName, hex.EncodeToString(sum[:]), rows[i].Row
			recs[i] = auditRecordOf(ctx, actor, "fx_receipt", strconv.FormatInt(r.ID, 10), "create", nil, rec)
			key := fmt.Sprintf("m%d/a%d", derefID(r.BeneficiaryMerchantID), derefID(r.BeneficiaryAgentID))
			g := groups[key]
			if g == nil {
				g = &group{total: map[string]models.Money{}, r: *r}
				groups[key] = g
				order = append(order, key)
			}
			g.n++
			g.total[r.Currency] += r.Amount
		}
		if err := models.AppendAudits(tx, now, recs); err != nil {
			return apperr.Wrap(err, "audit receipts")
		}
		notices := make([]Notice, len(order))
		for i, k := range order {
			g := groups[k]
			var parts []string
			for _, cur := range slices.Sorted(maps.Keys(g.total)) {
				parts = append(parts, g.total[cur].String()+" "+cur)
			}
			n := Notice{Kind: "fx.statement_recorded", Link: "/fx?statement=" + ref, Entity: "fx_statement", EntityID: ref,
				Text: apperr.Tf("The bank recorded %[1]d receipt(s) for you from statement %[2]s: %[3]s",
					"银行已根据对账单 %[2]s 为您登记 %[1]d 笔收汇：%[3]s", g.n, ref, strings.Join(parts, ", ")),
				Data: map[string]any{"statement_ref": ref, "receipts": g.n}}
			fxBeneficiaryAudience(&n, &g.r)
			notices[i] = n
		}
		res.StatementRef, res.Recorded, res.Receipts = ref, len(receipts), receipts
		return s.notifyEach(tx, actor, notices)
	})
	if err != nil {
		res.Recorded, res.Receipts = 0, nil
		return nil, err
	}
	return res, nil
}

// nextStatementRef hands out the next statement reference of the day: "ST", the Yiwu date and
// a 4-digit sequence, kept in the number_sequences row "fx_statement:yyyymmdd".
func nextStatementRef(tx *gorm.DB, now time.Time) (string, error) {
	day := now.In(MarketZone).Format("20060102")
	name := "fx_statement:" + day
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.NumberSequence{Name: name, Next: 1}).Error; err != nil {
		return "", apperr.Wrap(err, "statement sequence")
	}
	if err := tx.Model(&models.NumberSequence{}).Where("name = ?", name).Update("next", gorm.Expr("next + 1")).Error; err != nil {
		return "", apperr.Wrap(err, "statement sequence")
	}
	var seq models.NumberSequence
	if err := tx.Where("name = ?", name).Take(&seq).Error; err != nil {
		return "", apperr.Wrap(err, "statement sequence")
	}
	return fmt.Sprintf("ST%s%04d", day, seq.Next-1), nil
}

// fxUnique drops repeated strings, keeping the first of each.
func fxUnique(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
