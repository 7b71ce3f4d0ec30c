package workflow

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"mpt/models"
	"mpt/workflow/apperr"
)

// monthRule accepts 2026-11 and the forms spreadsheets produce: 2026/11, 2026-1, 2026.11.
var monthRule = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})$`)

// ParseMonth reads a month such as "2026-11" (also "2026/11" or "2026-1") and returns it as
// YYYY-MM. Years 2000–2099 are accepted, as in declaration numbers.
func ParseMonth(raw string) (string, bool) {
	m := monthRule.FindStringSubmatch(normalize(raw))
	if m == nil {
		return "", false
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	if y < 2000 || y > 2099 || mo < 1 || mo > 12 {
		return "", false
	}
	return fmt.Sprintf("%04d-%02d", y, mo), true
}

// AddMonths returns the month n months after a YYYY-MM month (n may be negative).
func AddMonths(month string, n int) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return t.AddDate(0, n, 0).Format("2006-01")
}

// DaysIn returns the number of days of a YYYY-MM month, 0 for a malformed one.
func DaysIn(month string) int {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return 0
	}
	return t.AddDate(0, 1, -1).Day()
}

// CurrentMonth is the service clock's month in Yiwu, YYYY-MM.
func (s *Service) CurrentMonth() string { return s.now().In(MarketZone).Format("2006-01") }

func monthProblem() apperr.Text {
	return apperr.T("Enter a month as YYYY-MM, e.g. 2026-11 (if a spreadsheet turned it into a date, format the column as text)",
		"请按 YYYY-MM 填写月份，例如 2026-11（若表格软件把它变成了日期，请将该列设为文本格式）")
}

// RateFor returns the customs monthly rate (海关月度汇率) of a currency for a month: CNY per one
// unit, six decimals (DOMAIN §4: other currencies convert to USD via CNY at the declaration
// month's rate). CNY itself is 1. A missing rate is NotFound, naming the month and currency.
func (s *Service) RateFor(ctx context.Context, month, currency string) (models.Rate, error) {
	if currency == "CNY" {
		return models.Rate(1_000_000), nil
	}
	var r models.ExchangeRate
	err := s.db.WithContext(ctx).Where("month = ? AND currency = ?", month, currency).Take(&r).Error
	if noSuchRow(err) {
		return 0, apperr.New(apperr.NotFound, apperr.Tf(
			"There is no customs monthly rate for %[2]s in %[1]s; an administrator must enter it under Exchange rates",
			"缺少 %[1]s 的 %[2]s 海关月度汇率，请管理员在“海关月度汇率”中录入", month, currency))
	}
	if err != nil {
		return 0, apperr.Wrap(err, "load rate")
	}
	return r.CNYPerUnit, nil
}

// RateRow is a rate as the rates page lists it.
type RateRow struct {
	models.ExchangeRate
	UpdatedBy string // username
}

// MonthRates lists the rates of a month by currency, for admins and auditors.
func (s *Service) MonthRates(ctx context.Context, actor Actor, month string) ([]RateRow, error) {
	if err := actor.Require(ActSettingsView); err != nil {
		return nil, err
	}
	m, ok := ParseMonth(month)
	if !ok {
		return nil, apperr.Field("month", monthProblem())
	}
	var rows []models.ExchangeRate
	if err := s.db.WithContext(ctx).Where("month = ?", m).Order("currency").Find(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "list rates")
	}
	return namedBy(ctx, s, rows, func(r models.ExchangeRate) *int64 { return r.UpdatedByUserID }, func(r models.ExchangeRate, by string) RateRow {
		return RateRow{ExchangeRate: r, UpdatedBy: by}
	})
}

// RateInput is one rate as an admin types it.
type RateInput struct {
	Month      string // YYYY-MM
	Currency   string // ISO 4217, not CNY
	CNYPerUnit string // CNY for ONE unit, up to 6 decimals
}

// rateValue is a checked rate.
type rateValue struct {
	Month, Currency string
	Rate            models.Rate
}

// rateColumns name the three inputs of a rate: form fields and CSV columns.
type rateColumns struct{ month, currency, rate string }

var rateFormFields = rateColumns{"month", "currency", "cny_per_unit"}

// check validates a rate, reporting problems under the given column names.
func (in RateInput) check(s *Service, cols rateColumns, fe *apperr.Fields, prefix func(string) func(apperr.Text) apperr.Text) rateValue {
	var v rateValue
	var ok bool
	add := func(col string, t apperr.Text) { fe.Add(col, prefix(col)(t)) }
	if v.Month, ok = ParseMonth(in.Month); !ok {
		add(cols.month, monthProblem())
	}
	cur := CheckCurrency(s.ref, in.Currency)
	switch {
	case !cur.OK:
		add(cols.currency, cur.Problem)
	case cur.Value == "CNY":
		add(cols.currency, apperr.T("CNY needs no rate: every amount converts through CNY", "人民币无需汇率：所有金额均经人民币折算"))
	default:
		v.Currency = cur.Value
	}
	r, err := models.ParseRate(in.CNYPerUnit)
	if err != nil || r <= 0 {
		add(cols.rate, apperr.T("Enter CNY for ONE unit of the currency above zero, with at most 6 decimals, e.g. 7.104500 (JPY: 0.047312, not the rate per 100)",
			"请填写 1 个单位外币折合的人民币金额，大于 0，最多 6 位小数，例如 7.104500（日元为 0.047312，不是每 100 日元的汇率）"))
	}
	v.Rate = r
	return v
}

func noPrefix(string) func(apperr.Text) apperr.Text {
	return func(t apperr.Text) apperr.Text { return t }
}

// rateAudit is the audit form of a rate.
type rateAudit struct {
	Month      string `json:"month"`
	Currency   string `json:"currency"`
	CNYPerUnit string `json:"cny_per_unit"`
}

// SetRate stores the customs monthly rate of one currency for one month, replacing the month's
// earlier rate of that currency.
func (s *Service) SetRate(ctx context.Context, actor Actor, in RateInput) (*models.ExchangeRate, error) {
	if err := actor.Require(ActSettingsManage); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	v := in.check(s, rateFormFields, &fe, noPrefix)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out *models.ExchangeRate
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res, err := s.upsertRates(ctx, tx, actor, []rateValue{v}, "set")
		if err != nil {
			return err
		}
		out = res.rows[0]
		return nil
	})
	return out, apperr.Wrap(err, "save rate")
}

// upsertResult counts what an upsert did.
type upsertResult struct {
	created, updated, unchanged int
	rows                        []*models.ExchangeRate
}

// upsertRates writes rates inside tx, keyed on (month, currency), and audits every created or
// changed rate with its old and new value in one audit entry.
func (s *Service) upsertRates(ctx context.Context, tx *gorm.DB, actor Actor, values []rateValue, action string) (*upsertResult, error) {
	months := map[string]bool{}
	for _, v := range values {
		months[v.Month] = true
	}
	monthList := make([]string, 0, len(months))
	for m := range months {
		monthList = append(monthList, m)
	}
	var existing []models.ExchangeRate
	if err := tx.Where("month IN ?", monthList).Find(&existing).Error; err != nil {
		return nil, err
	}
	old := map[string]*models.ExchangeRate{}
	for i := range existing {
		old[existing[i].Month+" "+existing[i].Currency] = &existing[i]
	}
	now := s.now()
	res := &upsertResult{}
	var write []*models.ExchangeRate
	var before, after []rateAudit
	for _, v := range values {
		prev := old[v.Month+" "+v.Currency]
		if prev != nil && prev.CNYPerUnit == v.Rate {
			res.unchanged++
			res.rows = append(res.rows, prev)
			continue
		}
		row := &models.ExchangeRate{Month: v.Month, Currency: v.Currency, CNYPerUnit: v.Rate,
			UpdatedByUserID: actorUserRef(actor), CreatedAt: now, UpdatedAt: now}
		b := rateAudit{Month: v.Month, Currency: v.Currency}
		if prev != nil {
			res.updated++
			row.ID, row.CreatedAt = prev.ID, prev.CreatedAt
			b.CNYPerUnit = prev.CNYPerUnit.String()
		} else {
			res.created++
		}
		before = append(before, b)
		after = append(after, rateAudit{Month: v.Month, Currency: v.Currency, CNYPerUnit: v.Rate.String()})
		write = append(write, row)
		res.rows = append(res.rows, row)
	}
	if len(write) == 0 {
		return res, nil
	}
	// One statement per batch: INSERT … ON CONFLICT (month, currency) DO UPDATE, on both databases.
	err := tx.Omit("id").Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "month"}, {Name: "currency"}},
		DoUpdates: clause.AssignmentColumns([]string{"cny_per_unit", "updated_by_user_id", "updated_at"}),
	}).CreateInBatches(write, 500).Error
	if err != nil {
		return nil, err
	}
	id := values[0].Month + " " + values[0].Currency
	if action == "import" {
		id = "import"
	}
	var oldValue, newValue any = before, after
	if len(write) == 1 {
		oldValue, newValue = before[0], after[0]
		if before[0].CNYPerUnit == "" {
			oldValue = nil
		}
	}
	return res, s.audit(ctx, tx, actor, "exchange_rate", id, action, oldValue, newValue)
}

// Limits of a rates CSV upload.
const (
	RateFileMaxBytes = 1 << 20 // 1 MB
	RateFileMaxRows  = 5000
)

// RateFileHeader is the header of a rates CSV file; RateFileHeaderZh is accepted too.
var (
	RateFileHeader   = []string{"month", "currency", "cny_per_unit"}
	RateFileHeaderZh = []string{"月份", "币制", "汇率"}
)

// RateImport is what a rates upload did.
type RateImport struct {
	Rows, Created, Updated, Unchanged int
}

// ImportRates reads a CSV file of monthly rates (header month,currency,cny_per_unit or
// 月份,币制,汇率; UTF-8 with or without BOM; at most 1 MB and 5,000 rows). Every row is checked
// first and all problems are reported together, each under the field "file" with its row (as a
// spreadsheet numbers them: the header is row 1) and column; only a file without problems is
// imported, in one transaction, replacing earlier rates of the same month and currency.
func (s *Service) ImportRates(ctx context.Context, actor Actor, file io.Reader) (*RateImport, error) {
	if err := actor.Require(ActSettingsManage); err != nil {
		return nil, err
	}
	values, err := s.readRateFile(file)
	if err != nil {
		return nil, err
	}
	out := &RateImport{Rows: len(values)}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		res, err := s.upsertRates(ctx, tx, actor, values, "import")
		if err != nil {
			return err
		}
		out.Created, out.Updated, out.Unchanged = res.created, res.updated, res.unchanged
		return nil
	})
	if err != nil {
		return nil, apperr.Wrap(err, "import rates")
	}
	return out, nil
}

// fileProblem is an Invalid error about the whole file.
func fileProblem(t apperr.Text) error { return apperr.Field("file", t) }

// readRateFile parses and checks a rates CSV file.
func (s *Service) readRateFile(file io.Reader) ([]rateValue, error) {
	data, err := io.ReadAll(io.LimitReader(file, RateFileMaxBytes+1))
	if err != nil {
		return nil, apperr.Wrap(err, "read rate file")
	}
	if len(data) > RateFileMaxBytes {
		return nil, fileProblem(apperr.T("The file is larger than 1 MB; split it into smaller files",
			"文件超过 1 MB，请拆分为多个较小的文件"))
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) {
		return nil, fileProblem(apperr.T("The file is not UTF-8 text; in Excel save it as \"CSV UTF-8\"",
			"文件不是 UTF-8 编码；在 Excel 中请另存为“CSV UTF-8（逗号分隔）”"))
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fileProblem(apperr.T("The file is empty", "文件为空"))
	}
	if err != nil {
		return nil, fileProblem(csvProblem(err))
	}
	cols, idx, ok := rateHeader(header)
	if !ok {
		return nil, fileProblem(apperr.Tf("The first row must be the header %s (or %s)",
			"第一行必须是表头 %s（或 %s）", strings.Join(RateFileHeader, ","), strings.Join(RateFileHeaderZh, ",")))
	}
	var fe apperr.Fields
	var values []rateValue
	seen := map[string]int{}
	rows := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fe.Add("file", csvProblem(err))
			break
		}
		line, _ := r.FieldPos(0)
		if blankRecord(rec) {
			continue
		}
		if rows++; rows > RateFileMaxRows {
			return nil, fileProblem(apperr.Tf("The file has more than %d rows; split it into smaller files",
				"文件超过 %d 行，请拆分为多个较小的文件", RateFileMaxRows))
		}
		at := func(col string) func(apperr.Text) apperr.Text {
			return func(t apperr.Text) apperr.Text {
				return apperr.Text{En: fmt.Sprintf("Row %d, %s: %s", line, col, t.En), Zh: fmt.Sprintf("第 %d 行，%s：%s", line, col, t.Zh)}
			}
		}
		if len(rec) != len(header) {
			fe.Add("file", apperr.Tf("Row %d has %d columns; the header has %d", "第 %d 行有 %d 列，表头有 %d 列", line, len(rec), len(header)))
			continue
		}
		in := RateInput{Month: rec[idx[0]], Currency: rec[idx[1]], CNYPerUnit: rec[idx[2]]}
		var rowFE apperr.Fields
		v := in.check(s, cols, &rowFE, at)
		for _, f := range rowFE {
			fe.Add("file", f.Text)
		}
		if len(rowFE) > 0 {
			continue
		}
		key := v.Month + " " + v.Currency
		if first, dup := seen[key]; dup {
			fe.Add("file", apperr.Tf("Row %d: %s %s is already in row %d", "第 %d 行：%s 的 %s 汇率已在第 %d 行出现",
				line, v.Month, v.Currency, first))
			continue
		}
		seen[key] = line
		values = append(values, v)
	}
	if err := fe.Err(); err != nil {
		ae := apperr.As(err)
		ae.Text = apperr.Tf("Nothing was imported: the file has %d problem(s). Correct them and upload the file again.",
			"未导入任何数据：文件中有 %d 处问题，请更正后重新上传。", len(fe))
		return nil, ae
	}
	if len(values) == 0 {
		return nil, fileProblem(apperr.T("The file has a header but no rates", "文件只有表头，没有汇率数据"))
	}
	return values, nil
}

// rateHeader finds the three columns in a header row, in English or Chinese, in any order.
func rateHeader(header []string) (rateColumns, [3]int, bool) {
	var idx [3]int
	named := 0
	for _, h := range header {
		if strings.TrimSpace(h) != "" {
			named++
		}
	}
	for _, names := range [][]string{RateFileHeader, RateFileHeaderZh} {
		found := 0
		for i, want := range names {
			idx[i] = -1
			for j, h := range header {
				if strings.EqualFold(strings.TrimSpace(h), want) {
					idx[i] = j
					found++
					break
				}
			}
		}
		if found == 3 && named == 3 {
			return rateColumns{names[0], names[1], names[2]}, idx, true
		}
	}
	return rateColumns{}, idx, false
}

func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// csvProblem explains a CSV syntax error with its line.
func csvProblem(err error) apperr.Text {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return apperr.Tf("Row %d: the CSV is malformed (%v); check quotes and commas",
			"第 %d 行：CSV 格式有误（%v），请检查引号和逗号", pe.Line, pe.Err)
	}
	return apperr.T("The file could not be read as CSV", "无法按 CSV 读取该文件")
}

// RateTemplate writes a CSV file with the header and the rates of a month (none when the month
// has no rates yet), as a starting point for an upload. It starts with a BOM so that Excel
// opens it as UTF-8.
func (s *Service) RateTemplate(ctx context.Context, actor Actor, month string, w io.Writer) error {
	rows, err := s.MonthRates(ctx, actor, month)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(RateFileHeader)
	for _, r := range rows {
		_ = cw.Write([]string{r.Month, r.Currency, r.CNYPerUnit.String()})
	}
	cw.Flush()
	return cw.Error()
}
