package workflow

import (
	"context"
	"fmt"
	"strconv"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"mpt/models"
	"mpt/workflow/apperr"
)

// Monthly VAT exemption filings (免税申报, DOMAIN §5.1 and §3 step 6): a merchant, or an agent it
// entrusts, builds a filing from the lines whose exit customs confirmed in an export month, due
// by the configured day of the following month; the tax officer accepts or rejects it.

// TaxMerchant is the merchant a filing is for.
type TaxMerchant struct {
	ID     int64
	Name   string
	USCC   string
	Status string
}

// TaxPreview is what a filing of a merchant and month would hold: the lines that pass every
// check, those that fail one (shown with the reason, never silently dropped) and those another
// filing already claims.
type TaxPreview struct {
	Merchant   TaxMerchant
	Period     string // export month, YYYY-MM
	DueDate    string // YYYY-MM-DD
	PeriodOpen bool   // the month is not over in Yiwu: lines exiting later need another filing
	Eligible   []TaxLine
	Failing    []TaxLine
	Claimed    []TaxLine
	TotalCNY   models.Money
}

// taxMerchant resolves the merchant an actor files for: a merchant user its own merchant (any
// other id is NotFound), an agent one of the merchants entrusting it today.
func taxMerchant(db *gorm.DB, actor Actor, merchantID int64) (*TaxMerchant, error) {
	if actor.Role == models.RoleMerchant && merchantID == 0 {
		merchantID = actor.MerchantID
	}
	if merchantID <= 0 {
		return nil, apperr.Field("merchant_id", apperr.T("Choose the merchant to file for", "请选择要申报的经营户"))
	}
	var m TaxMerchant
	err := models.MerchantsScoped(db.Model(&models.Merchant{}), actor.Scope()).
		Select("merchants.id, merchants.name, merchants.uscc, merchants.status").Where("merchants.id = ?", merchantID).
		Take(&m).Error
	if noSuchRow(err) {
		return nil, apperr.New(apperr.NotFound, apperr.T("No such merchant among those you may file for",
			"在您可代为申报的经营户中没有该经营户"))
	}
	return &m, apperr.Wrap(err, "load merchant")
}

// checkPeriod reads an export month: YYYY-MM, not after the current month in Yiwu.
func (s *Service) checkTaxPeriod(raw string) (string, error) {
	p, ok := ParseMonth(raw)
	if !ok {
		return "", apperr.Field("period", monthProblem())
	}
	if cur := s.CurrentMonth(); p > cur {
		return "", apperr.Field("period", apperr.Tf("%s has not come yet; choose an export month up to %s",
			"%s 尚未到来，请选择 %s 及以前的出口月份", p, cur))
	}
	return p, nil
}

// TaxDueDateOf is the due date of the filing of an export month: the configured day of the
// following month (its tax_due_days row, else the default setting).
func (s *Service) TaxDueDateOf(ctx context.Context, period string) (string, error) {
	day, err := s.TaxDueDayFor(ctx, AddMonths(period, 1))
	if err != nil {
		return "", err
	}
	return TaxDueDate(period, day), nil
}

// TaxPreview shows what a filing of a merchant and export month would hold.
func (s *Service) TaxPreview(ctx context.Context, actor Actor, merchantID int64, period string) (*TaxPreview, error) {
	if err := actor.Require(ActTaxFile); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	p, perr := s.checkTaxPeriod(period)
	if perr != nil {
		fe = append(fe, apperr.As(perr).Fields...)
	}
	db := s.db.WithContext(ctx)
	m, err := taxMerchant(db, actor, merchantID)
	if apperr.CodeOf(err) == apperr.Invalid {
		fe = append(fe, apperr.As(err).Fields...)
	} else if err != nil {
		return nil, err
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	due, err := s.TaxDueDateOf(ctx, p)
	if err != nil {
		return nil, err
	}
	return s.taxPreview(db, *m, p, due)
}

func (s *Service) taxPreview(db *gorm.DB, m TaxMerchant, period, due string) (*TaxPreview, error) {
	out := &TaxPreview{Merchant: m, Period: period, DueDate: due, PeriodOpen: period >= s.CurrentMonth()}
	rows, err := taxExitedLineFacts(db, m.ID, period)
	if err != nil {
		return nil, err
	}
	tc, err := loadTaxContext(db, rows)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.LineID)
	}
	claims, err := taxLineClaims(db, ids)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	for _, r := range rows {
		if seen[r.LineID] { // on two exited declarations: the first (by exit date) counts
			continue
		}
		seen[r.LineID] = true
		l := tc.line(r, nil, false)
		switch c, claimed := claims[r.LineID]; {
		case claimed:
			l.ClaimedBy = &c
			out.Claimed = append(out.Claimed, l)
		case l.OK:
			out.Eligible = append(out.Eligible, l)
			out.TotalCNY += l.AmountCNY
		default:
			out.Failing = append(out.Failing, l)
		}
	}
	return out, nil
}

// TaxFilingInput asks for a draft filing of a merchant and export month.
type TaxFilingInput struct {
	MerchantID int64
	Period     string // YYYY-MM
}

// taxFilingAudit is what the audit log keeps of a filing.
func taxFilingAudit(f *models.TaxFiling) map[string]any {
	return map[string]any{"number": f.Number, "merchant_id": f.MerchantID, "period": f.Period, "due_date": f.DueDate,
		"status": f.Status, "total_cny": f.TotalCNY.String(), "line_count": f.LineCount, "filed_by_user_id": f.FiledByUserID,
		"filed_by_agent_id": f.FiledByAgentID, "filed_at": f.FiledAt, "decided_by_user_id": f.DecidedByUserID,
		"decided_at": f.DecidedAt, "decision_reason": f.DecisionReason, "version": f.Version}
}

// nextTaxFilingNumber hands out the next filing number of an export month: "MS", the month
// (yyyymm) and a 5-digit sequence, kept in the number_sequences row "tax_filing:yyyymm". The
// row is locked by the update until the transaction ends, so two filings never share a number.
func nextTaxFilingNumber(tx *gorm.DB, period string) (string, error) {
	digits := period[:4] + period[5:7]
	name := "tax_filing:" + digits
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.NumberSequence{Name: name, Next: 1}).Error; err != nil {
		return "", err
	}
	if err := tx.Model(&models.NumberSequence{}).Where("name = ?", name).Update("next", gorm.Expr("next + 1")).Error; err != nil {
		return "", err
	}
	var seq models.NumberSequence
	if err := tx.Where("name = ?", name).Take(&seq).Error; err != nil {
		return "", err
	}
	return fmt.Sprintf("MS%s%05d", digits, seq.Next-1), nil
}

func errTaxLinesTaken() error {
	return apperr.New(apperr.Conflict, apperr.T(
		"Another filing claimed some of these lines meanwhile; open the filing page again to see what is left",
		"部分商品行已被另一份申报表同时申报，请重新打开申报页面查看剩余商品行"))
}

// BuildTaxFiling creates a draft filing of a merchant's lines exited in an export month that
// pass every check and no other filing (draft, filed or accepted) claims. Its due date is the
// configured day of the following month. The lines are claimed in the same transaction; the
// unique index on claimed lines refuses a line claimed by a concurrent build (Conflict).
func (s *Service) BuildTaxFiling(ctx context.Context, actor Actor, in TaxFilingInput) (*models.TaxFiling, error) {
	if err := actor.Require(ActTaxFile); err != nil {
		return nil, err
	}
	period, err := s.checkTaxPeriod(in.Period)
	if err != nil {
		return nil, err
	}
	m, err := taxMerchant(s.db.WithContext(ctx), actor, in.MerchantID)
	if err != nil {
		return nil, err
	}
	due, err := s.TaxDueDateOf(ctx, period)
	if err != nil {
		return nil, err
	}
	var out *models.TaxFiling
	err = s.tx(ctx, func(tx *gorm.DB) error {
		pv, err := s.taxPreview(tx, *m, period, due)
		if err != nil {
			return err
		}
		if len(pv.Eligible) == 0 {
			return apperr.New(apperr.Conflict, apperr.Tf(
				"No line of %[1]s exited in %[2]s can be filed: %[3]d fail a check and %[4]d are in another filing",
				"%[1]s 在 %[2]s 结关的商品行均不能申报：%[3]d 行未通过核对，%[4]d 行已在其他申报表中",
				m.Name, period, len(pv.Failing), len(pv.Claimed)))
		}
		number, err := nextTaxFilingNumber(tx, period)
		if err != nil {
			return apperr.Wrap(err, "filing number")
		}
		now := s.now()
		f := &models.TaxFiling{Number: number, MerchantID: m.ID, Period: period, DueDate: due, Status: models.FilingDraft,
			TotalCNY: pv.TotalCNY, LineCount: len(pv.Eligible), Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(f).Error; err != nil {
			return apperr.Wrap(err, "insert filing")
		}
		lines := make([]models.TaxFilingLine, len(pv.Eligible))
		lineIDs := make([]int64, len(pv.Eligible))
		for i, l := range pv.Eligible {
			lines[i] = models.TaxFilingLine{FilingID: f.ID, TransactionLineID: l.LineID, DeclarationID: l.DeclarationID,
				Currency: l.Currency, Amount: l.Amount, AmountCNY: l.AmountCNY, Claimed: true}
			lineIDs[i] = l.LineID
		}
		if err := tx.CreateInBatches(&lines, 500).Error; err != nil {
			if models.IsUniqueViolation(err) {
				return errTaxLinesTaken()
			}
			return apperr.Wrap(err, "insert filing lines")
		}
		out = f
		after := taxFilingAudit(f)
		after["line_ids"] = lineIDs
		return s.audit(ctx, tx, actor, "tax_filing", strconv.FormatInt(f.ID, 10), "create", nil, after)
	})
	if models.IsUniqueViolation(err) {
		return nil, errTaxLinesTaken()
	}
	return out, err
}
