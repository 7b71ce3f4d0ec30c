package workflow

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// Limits of a bulk import of lines (a file of a stall's day of sales is a few hundred rows; the
// limits keep one upload from tying up the server).
const (
	MaxImportFileSize = 10 << 20 // bytes of the uploaded file
	MaxImportRows     = 20_000   // data rows
	MaxImportUnzipped = 64 << 20 // bytes an .xlsx may unpack to, all parts together (a zip bomb is refused unread)
	MaxImportSheetXML = 16 << 20 // bytes of one part held in memory; bigger worksheets are unpacked to a temporary file
	MaxImportErrors   = 1000     // problems listed (all are counted)
)

// ImportColumn is a column of the import file: the template's two-language header, and the
// headers accepted alone (either language, any case, spaces and brackets ignored).
type ImportColumn struct {
	Field    string
	Header   string
	Aliases  []string
	Required bool
}

// ImportColumns are the columns of the import template, in order. Only Unit may be left out
// (the goods' transaction unit is used).
var ImportColumns = []ImportColumn{
	{LineFieldSKU, "SKU 货号", []string{"SKU", "货号", "商品货号", "SKU code"}, true},
	{LineFieldQuantity, "Quantity 数量", []string{"Quantity", "Qty", "数量"}, true},
	{LineFieldUnit, "Unit 单位", []string{"Unit", "单位", "计量单位"}, false},
	{LineFieldUnitPrice, "Unit price 单价", []string{"Unit price", "Price", "单价"}, true},
	{LineFieldCartons, "Cartons 箱数", []string{"Cartons", "CTNS", "箱数"}, true},
	{LineFieldNetKg, "Net kg 净重", []string{"Net kg", "Net weight", "净重", "净重 kg"}, true},
	{LineFieldGrossKg, "Gross kg 毛重", []string{"Gross kg", "Gross weight", "毛重", "毛重 kg"}, true},
}

// importHeaderKey folds a header for matching: half-width, lower case, without spaces, brackets,
// slashes, dots, dashes and underscores ("Net kg (净重)" and "NET_KG" match "Net kg 净重").
func importHeaderKey(h string) string {
	return strings.Map(func(r rune) rune {
		r = foldWidth(r)
		switch {
		case isBlank(r) || strings.ContainsRune("()[]（）【】/\\._-:：", r):
			return -1
		case 'A' <= r && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, h)
}

// importColumnFor finds the column a header names.
func importColumnFor(header string) (ImportColumn, bool) {
	k := importHeaderKey(header)
	if k == "" {
		return ImportColumn{}, false
	}
	for _, c := range ImportColumns {
		if importHeaderKey(c.Header) == k {
			return c, true
		}
		for _, a := range c.Aliases {
			if importHeaderKey(a) == k {
				return c, true
			}
		}
	}
	return ImportColumn{}, false
}

// ImportRowError is one problem of an import file: the row as the spreadsheet numbers it (the
// header is row 1), the column as the file heads it, and what to fix.
type ImportRowError struct {
	Row    int
	Column string
	Text   apperr.Text
}

// ImportResult is what an import did: all rows written, or none and every problem.
type ImportResult struct {
	FileName    string
	Rows        int              // data rows read
	Imported    int              // lines written: every row, or 0
	FirstLine   int              // line numbers given to the imported lines
	LastLine    int              //
	Problem     apperr.Text      // a problem with the whole file (type, size, columns)
	Errors      []ImportRowError // row problems, at most MaxImportErrors
	ErrorCount  int              // all row problems
	Transaction models.Transaction
}

// OK reports whether the file was imported.
func (r *ImportResult) OK() bool { return r.Problem.IsZero() && r.ErrorCount == 0 && r.Imported > 0 }

// importRow is one data row: its number and its cells by field.
type importRow struct {
	Row   int
	Cells map[string]string
}

// importSheet is a read file: its rows and the header text of each field's column.
type importSheet struct {
	Rows    []importRow
	Headers map[string]string
}

// importProblemErr is a problem with the whole file, reported as the result's Problem.
type importProblemErr struct{ text apperr.Text }

func (e importProblemErr) Error() string { return e.text.En }

func badImportFile(t apperr.Text) error { return importProblemErr{t} }

// readImportFile reads an .xlsx or .csv file of lines. The format is told by the content (an
// .xlsx is a zip archive), checked against the name's extension.
func readImportFile(name string, data []byte, job *ImportProgress) (*importSheet, error) {
	lower := strings.ToLower(name)
	isZip := bytes.HasPrefix(data, []byte("PK\x03\x04"))
	switch {
	case len(data) == 0:
		return nil, badImportFile(apperr.T("The file is empty", "文件为空"))
	case len(data) > MaxImportFileSize:
		return nil, badImportFile(apperr.T("The file is larger than 10 MB; split it into smaller files", "文件超过 10 MB，请拆分为较小的文件"))
	case strings.HasSuffix(lower, ".xls"):
		return nil, badImportFile(apperr.T("Old .xls files cannot be read; save the sheet as .xlsx (Excel workbook) or .csv", "无法读取旧版 .xls 文件，请另存为 .xlsx（Excel 工作簿）或 .csv"))
	case strings.HasSuffix(lower, ".xlsx") && isZip:
		return readImportXLSX(data, job)
	case strings.HasSuffix(lower, ".csv") && !isZip && !bytes.Contains(data[:min(len(data), 8192)], []byte{0}):
		return readImportCSV(data, job)
	case strings.HasSuffix(lower, ".xlsx") || strings.HasSuffix(lower, ".csv"):
		return nil, badImportFile(apperr.T("The file's content does not match its name; upload the .xlsx or .csv file saved from the template",
			"文件内容与扩展名不符，请上传按模板保存的 .xlsx 或 .csv 文件"))
	}
	return nil, badImportFile(apperr.T("Upload an .xlsx or .csv file made from the template", "请上传按模板制作的 .xlsx 或 .csv 文件"))
}

var errImportZipBomb = badImportFile(apperr.Tf("The .xlsx file unpacks to more than %d MB, far more than a sheet of lines needs; it was not opened. Save the lines in a new workbook from the template",
	"该 .xlsx 文件解压后超过 %d MB，远超一张明细表所需，系统未打开它。请用模板新建工作簿保存明细", MaxImportUnzipped>>20))

// readImportXLSX reads the first sheet of a workbook. The archive's declared sizes are added up first
// and a file that would unpack to more than MaxImportUnzipped is refused without unpacking
// anything (Go's zip reader also refuses a part that inflates past its declared size); excelize
// enforces the same limits itself (UnzipSizeLimit, UnzipXMLSizeLimit).
func readImportXLSX(data []byte, job *ImportProgress) (*importSheet, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, badImportFile(apperr.T("The .xlsx file is damaged and cannot be read; save it again from Excel or WPS", "该 .xlsx 文件已损坏，无法读取，请用 Excel 或 WPS 重新保存"))
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > MaxImportUnzipped {
			return nil, errImportZipBomb
		}
	}
	wb, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: MaxImportUnzipped, UnzipXMLSizeLimit: MaxImportSheetXML})
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") {
			return nil, errImportZipBomb
		}
		return nil, badImportFile(apperr.T("The .xlsx file cannot be read; save it again from Excel or WPS", "无法读取该 .xlsx 文件，请用 Excel 或 WPS 重新保存"))
	}
	defer wb.Close()
	sheets := wb.GetSheetList()
	if len(sheets) == 0 {
		return nil, badImportFile(apperr.T("The workbook has no sheet", "工作簿中没有工作表"))
	}
	rows, err := wb.Rows(sheets[0])
	if err != nil {
		return nil, badImportFile(apperr.T("The first sheet cannot be read", "无法读取第一个工作表"))
	}
	defer rows.Close()
	sh := &importSheet{}
	var cols []ImportColumn
	rowNo := 0
	for rows.Next() {
		rowNo++
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, badImportFile(apperr.Tf("Row %d of the sheet cannot be read", "工作表第 %d 行无法读取", rowNo))
		}
		if cols == nil {
			if blankRecord(cells) {
				continue // blank rows above the header
			}
			if cols, err = txnImportHeader(cells, rowNo, sh); err != nil {
				return nil, err
			}
			continue
		}
		if err := sh.addRow(cols, cells, rowNo, true, job); err != nil {
			return nil, err
		}
	}
	if err := rows.Error(); err != nil {
		return nil, badImportFile(apperr.T("The sheet cannot be read to the end; save it again from Excel or WPS", "无法完整读取工作表，请用 Excel 或 WPS 重新保存"))
	}
	return sh.finish(cols)
}

// readImportCSV reads a CSV file: UTF-8 (with or without BOM) or, as Chinese Excel saves it, GB18030;
// comma-, semicolon- or tab-separated.
func readImportCSV(data []byte, job *ImportProgress) (*importSheet, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		decoded, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return nil, badImportFile(apperr.T("The file's text encoding cannot be read; save it as CSV UTF-8", "无法识别文件编码，请另存为 CSV UTF-8"))
		}
		data = decoded
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	switch c := bytes.Count(first, []byte(",")); {
	case bytes.Count(first, []byte(";")) > c:
		r.Comma = ';'
	case bytes.Count(first, []byte("\t")) > c:
		r.Comma = '\t'
	}
	sh := &importSheet{}
	var cols []ImportColumn
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
			return nil, badImportFile(apperr.Tf("Line %d of the file is not valid CSV; check its quotes", "文件第 %d 行不是有效的 CSV 格式，请检查引号", line))
		}
		line, _ := r.FieldPos(0) // only after a record was read: FieldPos panics after an error
		if cols == nil {
			if blankRecord(rec) {
				continue
			}
			if cols, err = txnImportHeader(rec, line, sh); err != nil {
				return nil, err
			}
			continue
		}
		if err := sh.addRow(cols, rec, line, false, job); err != nil {
			return nil, err
		}
	}
	return sh.finish(cols)
}

// txnImportHeader maps the header row's cells to columns; unknown columns are ignored, missing
// required ones are a problem naming them all.
func txnImportHeader(cells []string, rowNo int, sh *importSheet) ([]ImportColumn, error) {
	cols := make([]ImportColumn, len(cells))
	sh.Headers = map[string]string{}
	for i, c := range cells {
		if col, ok := importColumnFor(c); ok {
			if _, dup := sh.Headers[col.Field]; dup {
				return nil, badImportFile(apperr.Tf("Row %[1]d: the column %[2]s appears twice", "第 %[1]d 行：列“%[2]s”出现了两次", rowNo, col.Header))
			}
			cols[i] = col
			sh.Headers[col.Field] = strings.TrimSpace(c)
		}
	}
	var missing []string
	for _, c := range ImportColumns {
		if _, ok := sh.Headers[c.Field]; !ok && c.Required {
			missing = append(missing, c.Header)
		}
	}
	if len(missing) > 0 {
		return nil, badImportFile(apperr.Tf("Row %[1]d should be the header; these columns are missing: %[2]s. Use the template's headers",
			"第 %[1]d 行应为表头，缺少以下列：%[2]s。请使用模板中的表头", rowNo, strings.Join(missing, ", ")))
	}
	return cols, nil
}

// addRow keeps a data row (blank rows are skipped).
func (sh *importSheet) addRow(cols []ImportColumn, cells []string, rowNo int, fromXLSX bool, job *ImportProgress) error {
	if blankRecord(cells) {
		return nil
	}
	if len(sh.Rows) >= MaxImportRows {
		return badImportFile(apperr.Tf("The file has more than %d rows of lines; split it into several files", "文件超过 %d 行明细，请拆分为多个文件", MaxImportRows))
	}
	row := importRow{Row: rowNo, Cells: make(map[string]string, len(ImportColumns))}
	for i, c := range cells {
		if i >= len(cols) || cols[i].Field == "" {
			continue
		}
		v := strings.TrimSpace(c)
		if fromXLSX && cols[i].Field != LineFieldSKU && cols[i].Field != LineFieldUnit {
			v = importSheetNumber(v)
		}
		row.Cells[cols[i].Field] = v
	}
	sh.Rows = append(sh.Rows, row)
	job.parsed(1)
	return nil
}

// finish checks the file had a header and at least one line.
func (sh *importSheet) finish(cols []ImportColumn) (*importSheet, error) {
	if cols == nil {
		return nil, badImportFile(apperr.T("The file has no header row; use the template", "文件没有表头行，请使用模板"))
	}
	if len(sh.Rows) == 0 {
		return nil, badImportFile(apperr.T("The file has a header but no lines", "文件只有表头，没有明细行"))
	}
	return sh, nil
}

// importSheetNumber writes a number as a spreadsheet stores it (a float: 0.30000000000000004,
// 1.5E-3) the way the spreadsheet shows it, to 15 significant digits ("0.3", "0.0015"); the
// value is then parsed exactly like typed text. Text that is not a plain number is kept.
func importSheetNumber(v string) string {
	if v == "" || strings.ContainsAny(v, ", ") {
		return v
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return v
	}
	g := strconv.FormatFloat(f, 'g', 15, 64)
	if strings.ContainsAny(g, "eE") {
		p, _ := strconv.ParseFloat(g, 64)
		g = strconv.FormatFloat(p, 'f', -1, 64)
	}
	return g
}

// ImportInput is a file of lines to import into a transaction.
type ImportInput struct {
	FileName string
	Data     []byte
	Version  int64 // the transaction's version the user saw
}

// importAudit is what the audit log keeps of an import.
func importAudit(in ImportInput, res *ImportResult) map[string]any {
	sum := sha256.Sum256(in.Data)
	return map[string]any{"file_name": CleanFileName(in.FileName), "file_sha256": hex.EncodeToString(sum[:]), "lines": res.Imported,
		"first_line_no": res.FirstLine, "last_line_no": res.LastLine}
}

// ImportLines imports the lines of an .xlsx or .csv file into a transaction that can still be
// edited: every row and field is checked (SKU among the merchant's recognised goods, numbers
// parsed exactly, gross ≥ net, …) and every problem reported with its row and column; only a
// file without problems is written, all of it in one database transaction (batched inserts),
// with one audit entry naming the file and its hash. job (may be nil) counts the progress.
func (s *Service) ImportLines(ctx context.Context, actor Actor, transactionID int64, in ImportInput, job *ImportProgress) (*ImportResult, error) {
	if err := transactionManager(actor); err != nil {
		return nil, err
	}
	res := &ImportResult{FileName: CleanFileName(in.FileName)}
	t, err := s.importTarget(ctx, actor, transactionID, in.Version)
	if err != nil {
		return nil, err
	}
	sh, err := readImportFile(in.FileName, in.Data, job)
	var fp importProblemErr
	if errors.As(err, &fp) {
		res.Problem = fp.text
		return res, nil
	}
	if err != nil {
		return nil, apperr.Wrap(err, "read import file")
	}
	res.Rows = len(sh.Rows)
	job.setTotal(len(sh.Rows))
	lines, goodsIDs, err := s.checkImportRows(ctx, t, sh, res, job)
	if err != nil || res.ErrorCount > 0 {
		return res, err
	}
	err = withTraceRetry(func() error {
		job.resetWritten()
		return s.tx(ctx, func(tx *gorm.DB) error {
			t, err := s.startTxnLineChange(tx, actor, transactionID, in.Version)
			if err != nil {
				return err
			}
			var unrecognised int64
			if err := tx.Model(&models.Goods{}).Where("id IN ? AND status <> ?", goodsIDs, models.GoodsRecognised).Count(&unrecognised).Error; err != nil {
				return err
			}
			if unrecognised > 0 {
				return apperr.New(apperr.Conflict, apperr.T("Some goods in the file stopped being recognised while it was checked; import it again",
					"检查期间文件中部分商品的认定状态发生变化，请重新导入"))
			}
			batch := make([]models.TransactionLine, len(lines))
			copy(batch, lines)
			if err := s.insertTxnLines(tx, t, batch, cryptoTraceCodes(), job.wrote); err != nil {
				return err
			}
			if err := s.refreshTxnTotals(tx, t); err != nil {
				return err
			}
			res.Imported, res.FirstLine, res.LastLine = len(batch), batch[0].LineNo, batch[len(batch)-1].LineNo
			res.Transaction = *t
			if err := s.audit(ctx, tx, actor, "transaction", strconv.FormatInt(t.ID, 10), "import", nil, importAudit(in, res)); err != nil {
				return err
			}
			return job.recordDone(tx, res, s.now())
		})
	})
	if err != nil {
		res.Imported = 0
		return nil, apperr.Wrap(err, "import lines")
	}
	return res, nil
}

// importTarget checks the transaction can take lines before the file is read.
func (s *Service) importTarget(ctx context.Context, actor Actor, id, version int64) (*models.Transaction, error) {
	if version <= 0 {
		return nil, apperr.Field("version", errNoVersion)
	}
	db := s.db.WithContext(ctx)
	var t models.Transaction
	if err := scopedTransactions(db, actor).Where("transactions.id = ?", id).Take(&t).Error; err != nil {
		return nil, models.Translate(err, transactionNoun)
	}
	if err := s.requireTxnEditable(db, &t, version); err != nil {
		return nil, err
	}
	return &t, nil
}

// checkImportRows checks every row against the merchant's goods (read once for the whole file)
// and the line rules, collecting every problem with its row and column.
func (s *Service) checkImportRows(ctx context.Context, t *models.Transaction, sh *importSheet, res *ImportResult, job *ImportProgress) ([]models.TransactionLine, []int64, error) {
	bySKU := map[string]*models.Goods{}
	var skus []string
	for _, r := range sh.Rows {
		sku := strings.TrimSpace(foldText(r.Cells[LineFieldSKU]))
		if _, seen := bySKU[sku]; !seen && sku != "" {
			bySKU[sku] = nil
			skus = append(skus, sku)
		}
	}
	db := s.db.WithContext(ctx)
	for start := 0; start < len(skus); start += 900 {
		var goods []models.Goods
		if err := db.Where("merchant_id = ? AND sku IN ?", t.MerchantID, skus[start:min(start+900, len(skus))]).Find(&goods).Error; err != nil {
			return nil, nil, apperr.Wrap(err, "import goods")
		}
		for i := range goods {
			bySKU[goods[i].SKU] = &goods[i]
		}
	}
	header := func(field string) string {
		if h := sh.Headers[field]; h != "" {
			return h
		}
		for _, c := range ImportColumns {
			if c.Field == field {
				return c.Header
			}
		}
		return field
	}
	add := func(row int, field string, text apperr.Text) {
		res.ErrorCount++
		if len(res.Errors) < MaxImportErrors {
			res.Errors = append(res.Errors, ImportRowError{Row: row, Column: header(field), Text: text})
		}
	}
	lines := make([]models.TransactionLine, 0, len(sh.Rows))
	ids := map[int64]bool{}
	var goodsIDs []int64
	for _, r := range sh.Rows {
		sku := strings.TrimSpace(foldText(r.Cells[LineFieldSKU]))
		g := bySKU[sku]
		unit := ""
		switch {
		case sku == "":
			add(r.Row, LineFieldSKU, apperr.T("Enter the SKU of the goods", "请填写商品货号"))
		case g == nil:
			add(r.Row, LineFieldSKU, apperr.Tf("There are no goods with SKU %s in the merchant's catalogue", "经营户的商品备案中没有货号为 %s 的商品", sku))
		case g.Status != models.GoodsRecognised:
			add(r.Row, LineFieldSKU, txnGoodsNotRecognised(g.SKU, g.Status))
		default:
			unit = txnDefaultUnit(g)
		}
		l, fe := CheckLineFigures(s.ref, LineInput{Quantity: r.Cells[LineFieldQuantity], Unit: r.Cells[LineFieldUnit], UnitPrice: r.Cells[LineFieldUnitPrice],
			Cartons: r.Cells[LineFieldCartons], NetKg: r.Cells[LineFieldNetKg], GrossKg: r.Cells[LineFieldGrossKg]}, unit)
		for _, f := range fe {
			add(r.Row, f.Field, f.Text)
		}
		job.validated(1)
		if g != nil && len(fe) == 0 {
			l.GoodsID = g.ID
			lines = append(lines, l)
			if !ids[g.ID] {
				ids[g.ID] = true
				goodsIDs = append(goodsIDs, g.ID)
			}
		}
	}
	return lines, goodsIDs, nil
}

// ImportTemplateCSV is the CSV import template: the header row in both languages, UTF-8 with a
// byte-order mark so that Excel opens the Chinese correctly.
func ImportTemplateCSV() []byte {
	var b bytes.Buffer
	b.WriteString("\xef\xbb\xbf")
	w := csv.NewWriter(&b)
	header := make([]string, len(ImportColumns))
	for i, c := range ImportColumns {
		header[i] = c.Header
	}
	_ = w.Write(header)
	w.Flush()
	return b.Bytes()
}

// ImportTemplateXLSX is the .xlsx import template: a sheet "Lines 明细" with the header row in
// both languages (text-formatted SKU and unit columns, so "001" stays "001"), and a sheet
// "Help 说明" explaining each column with an example.
func ImportTemplateXLSX() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const lines, help = "Lines 明细", "Help 说明"
	if err := f.SetSheetName("Sheet1", lines); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8F5EE"}}})
	if err != nil {
		return nil, err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return nil, err
	}
	for i, c := range ImportColumns {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellValue(lines, cell, c.Header); err != nil {
			return nil, err
		}
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(lines, col, col, 16); err != nil {
			return nil, err
		}
		if c.Field == LineFieldSKU || c.Field == LineFieldUnit {
			if err := f.SetColStyle(lines, col, text); err != nil {
				return nil, err
			}
		}
	}
	if err := f.SetCellStyle(lines, "A1", "G1", bold); err != nil {
		return nil, err
	}
	if err := f.SetPanes(lines, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet(help); err != nil {
		return nil, err
	}
	rows := [][]any{
		{"Column 列", "Required 必填", "Example 示例", "Notes 说明"},
		{"SKU 货号", "yes 是", "EAR-001", "The SKU of goods in your catalogue, recognised by market supervision 已备案且经市场监管认定的商品货号"},
		{"Quantity 数量", "yes 是", "120", "More than 0, at most 3 decimals 大于 0，最多 3 位小数"},
		{"Unit 单位", "no 否", "007 or 个", "Customs unit code or name; empty: the goods' transaction unit 海关计量单位代码或名称；留空则使用商品的成交单位"},
		{"Unit price 单价", "yes 是", "0.0035", "In the transaction's currency, at most 4 decimals 以交易币制计，最多 4 位小数"},
		{"Cartons 箱数", "yes 是", "12", "A whole number, 0 if not in cartons 整数，未装箱填 0"},
		{"Net kg 净重", "yes 是", "96.5", "Kilograms, at most 3 decimals 千克，最多 3 位小数"},
		{"Gross kg 毛重", "yes 是", "102.8", "Kilograms with packing, at least the net weight 含包装千克数，不小于净重"},
	}
	for r, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		if err := f.SetSheetRow(help, cell, &row); err != nil {
			return nil, err
		}
	}
	if err := f.SetColWidth(help, "A", "C", 18); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(help, "D", "D", 90); err != nil {
		return nil, err
	}
	f.SetActiveSheet(0)
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
