package workflow

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// Filing a draft, deleting it, and the tax officer's decision; each runs the checks again.

// taxFilingScoped limits a query on filings to those the actor may see: a merchant its own, an
// agent those of the merchants entrusting it, officers, auditors and admins all.
func taxFilingScoped(q *gorm.DB, actor Actor) *gorm.DB {
	return models.MerchantColumnScoped(q, "tax_filings", actor.Scope())
}

func errTaxFilingNotFound() error {
	return apperr.New(apperr.NotFound, apperr.T("No such filing", "没有该申报表"))
}

func errTaxFilingChanged() error {
	return apperr.New(apperr.Conflict, apperr.T("Someone changed this filing meanwhile; reload the page and try again",
		"该申报表已被他人修改，请刷新页面后重试"))
}

// scopedTaxFiling loads a filing the actor may see inside tx.
func scopedTaxFiling(tx *gorm.DB, actor Actor, id int64) (*models.TaxFiling, error) {
	var f models.TaxFiling
	err := taxFilingScoped(tx.Model(&models.TaxFiling{}), actor).Where("tax_filings.id = ?", id).Take(&f).Error
	if noSuchRow(err) {
		return nil, errTaxFilingNotFound()
	}
	if err != nil {
		return nil, apperr.Wrap(err, "load filing")
	}
	return &f, nil
}

func taxStatusConflict(f *models.TaxFiling, want string) error {
	return apperr.New(apperr.Conflict, apperr.Tf("Filing %s is %s; only a %s filing can do this",
		"申报表 %s 状态为 %s，只有%s状态的申报表可以执行此操作", f.Number, f.Status, want))
}

// updateTaxFiling writes changed columns of a filing under its version (optimistic locking).
func updateTaxFiling(tx *gorm.DB, f *models.TaxFiling, cols map[string]any) error {
	cols["version"] = f.Version + 1
	res := tx.Model(&models.TaxFiling{}).Where("id = ? AND version = ?", f.ID, f.Version).Updates(cols)
	if res.Error != nil {
		return apperr.Wrap(res.Error, "update filing")
	}
	if res.RowsAffected == 0 {
		return errTaxFilingChanged()
	}
	return nil
}

// taxProblems lists the failed checks of a filing's lines, for a refusal.
func taxProblems(lines []TaxLine) apperr.Fields {
	var fe apperr.Fields
	for _, l := range lines {
		for _, c := range l.Failed() {
			fe.Add("line_"+strconv.FormatInt(l.LineID, 10), apperr.Text{En: l.TraceCode + ": " + c.Reason.En, Zh: l.TraceCode + "：" + c.Reason.Zh})
		}
	}
	return fe
}

// FileTaxFiling files a draft (draft → filed) as the merchant or an agent it entrusts, after
// running every check again: a line that fails one now refuses the filing (Conflict, each line
// and reason named). The tax officers are notified.
func (s *Service) FileTaxFiling(ctx context.Context, actor Actor, id, version int64) (*models.TaxFiling, error) {
	if err := actor.Require(ActTaxFile); err != nil {
		return nil, err
	}
	var out *models.TaxFiling
	err := s.tx(ctx, func(tx *gorm.DB) error {
		f, err := scopedTaxFiling(tx, actor, id)
		if err != nil {
			return err
		}
		if f.Status != models.FilingDraft {
			return taxStatusConflict(f, models.FilingDraft)
		}
		if version != 0 && version != f.Version {
			return errTaxFilingChanged()
		}
		lines, err := s.taxFilingLines(tx, f)
		if err != nil {
			return err
		}
		if fe := taxProblems(lines); len(fe) > 0 {
			return &apperr.Error{Code: apperr.Conflict, Fields: fe, Text: apperr.Tf(
				"%d line(s) of this draft no longer pass the checks; delete the draft and build the filing again",
				"本草稿有 %d 处商品行未通过核对，请删除草稿后重新生成申报表", len(fe))}
		}
		old := taxFilingAudit(f)
		now := s.now()
		cols := map[string]any{"status": models.FilingFiled, "filed_by_user_id": actorUserRef(actor), "filed_at": now, "updated_at": now}
		f.FiledByAgentID = nil
		if actor.Role == models.RoleAgent {
			agent := actor.AgentID
			f.FiledByAgentID = &agent
		}
		cols["filed_by_agent_id"] = f.FiledByAgentID
		if err := updateTaxFiling(tx, f, cols); err != nil {
			return err
		}
		f.Status, f.FiledByUserID, f.FiledAt, f.UpdatedAt, f.Version = models.FilingFiled, actorUserRef(actor), &now, now, f.Version+1
		if err := s.audit(ctx, tx, actor, "tax_filing", strconv.FormatInt(f.ID, 10), "file", old, taxFilingAudit(f)); err != nil {
			return err
		}
		out = f
		id := strconv.FormatInt(f.ID, 10)
		if err := s.notify(tx, actor, Notice{Kind: "tax.filed", Link: taxFilingLink(f.ID), Entity: "tax_filing",
			EntityID: id, Roles: []string{models.RoleTax},
			Text: apperr.Tf("VAT exemption filing %s (%s, CNY %s) was filed and waits for your decision",
				"免税申报表 %s（%s，人民币 %s）已申报，等待您审核", f.Number, f.Period, f.TotalCNY),
			Data: taxNoticeData(f)}); err != nil {
			return err
		}
		if f.FiledByAgentID == nil {
			return nil
		}
		return s.notify(tx, actor, Notice{Kind: "tax.filed_by_agent", Link: taxFilingLink(f.ID), Entity: "tax_filing",
			EntityID: id, MerchantIDs: []int64{f.MerchantID}, Data: taxNoticeData(f),
			Text: apperr.Tf("Your agent filed VAT exemption filing %s (%s, CNY %s) on your behalf",
				"您的代理企业已代为申报免税申报表 %s（%s，人民币 %s）", f.Number, f.Period, f.TotalCNY)})
	})
	return out, err
}

func taxFilingLink(id int64) string { return "/tax/" + strconv.FormatInt(id, 10) }

func taxNoticeData(f *models.TaxFiling) map[string]any {
	return map[string]any{"filing_id": f.ID, "number": f.Number, "merchant_id": f.MerchantID, "period": f.Period,
		"status": f.Status, "total_cny": f.TotalCNY.String(), "reason": f.DecisionReason}
}

// DeleteTaxFiling deletes a draft, releasing its lines; the audit log keeps what it held.
func (s *Service) DeleteTaxFiling(ctx context.Context, actor Actor, id, version int64) (*models.TaxFiling, error) {
	if err := actor.Require(ActTaxFile); err != nil {
		return nil, err
	}
	var out *models.TaxFiling
	err := s.tx(ctx, func(tx *gorm.DB) error {
		f, err := scopedTaxFiling(tx, actor, id)
		if err != nil {
			return err
		}
		if f.Status != models.FilingDraft {
			return taxStatusConflict(f, models.FilingDraft)
		}
		if version != 0 && version != f.Version {
			return errTaxFilingChanged()
		}
		var lineIDs []int64
		if err := tx.Model(&models.TaxFilingLine{}).Where("filing_id = ?", f.ID).Order("transaction_line_id").
			Pluck("transaction_line_id", &lineIDs).Error; err != nil {
			return apperr.Wrap(err, "load filing lines")
		}
		if err := tx.Where("filing_id = ?", f.ID).Delete(&models.TaxFilingLine{}).Error; err != nil {
			return apperr.Wrap(err, "delete filing lines")
		}
		res := tx.Where("id = ? AND version = ?", f.ID, f.Version).Delete(&models.TaxFiling{})
		if res.Error != nil {
			return apperr.Wrap(res.Error, "delete filing")
		}
		if res.RowsAffected == 0 {
			return errTaxFilingChanged()
		}
		old := taxFilingAudit(f)
		old["line_ids"] = lineIDs
		out = f
		return s.audit(ctx, tx, actor, "tax_filing", strconv.FormatInt(f.ID, 10), "delete", old, nil)
	})
	return out, err
}

// TaxDecision is the tax officer's decision on a filed filing.
type TaxDecision struct {
	Accept  bool
	Reason  string // required to reject
	Version int64
}

// DecideTaxFiling accepts or rejects a filed filing (filed → accepted or rejected). Rejection
// needs a reason and releases the filing's lines for another filing; acceptance is refused
// while a line fails a check now (the officer rejects it with the reason instead). The merchant's
// users, and the filing agent's, are notified.
func (s *Service) DecideTaxFiling(ctx context.Context, actor Actor, id int64, in TaxDecision) (*models.TaxFiling, error) {
	if err := actor.Require(ActTaxDecide); err != nil {
		return nil, err
	}
	reason := taxReasonText(in.Reason)
	if !in.Accept && reason == "" {
		return nil, apperr.Field("reason", apperr.T("Give the reason for the rejection, e.g. which line and what to correct",
			"请填写退回原因，例如哪一行、需要更正什么"))
	}
	if len([]rune(reason)) > 500 {
		return nil, apperr.Field("reason", apperr.T("Keep the reason to 500 characters", "原因不超过 500 个字符"))
	}
	var out *models.TaxFiling
	err := s.tx(ctx, func(tx *gorm.DB) error {
		f, err := scopedTaxFiling(tx, actor, id)
		if err != nil {
			return err
		}
		if f.Status != models.FilingFiled {
			return taxStatusConflict(f, models.FilingFiled)
		}
		if in.Version != 0 && in.Version != f.Version {
			return errTaxFilingChanged()
		}
		status, action := models.FilingRejected, "reject"
		if in.Accept {
			status, action = models.FilingAccepted, "accept"
			lines, err := s.taxFilingLines(tx, f)
			if err != nil {
				return err
			}
			if fe := taxProblems(lines); len(fe) > 0 {
				return &apperr.Error{Code: apperr.Conflict, Fields: fe, Text: apperr.Tf(
					"The filing cannot be accepted: %d check(s) fail now; reject it with the reason",
					"该申报表不能通过：当前有 %d 项核对未通过，请填写原因退回", len(fe))}
			}
		}
		old := taxFilingAudit(f)
		now := s.now()
		if err := updateTaxFiling(tx, f, map[string]any{"status": status, "decided_by_user_id": actorUserRef(actor),
			"decided_at": now, "decision_reason": reason, "updated_at": now}); err != nil {
			return err
		}
		if !in.Accept {
			if err := tx.Model(&models.TaxFilingLine{}).Where("filing_id = ?", f.ID).Update("claimed", false).Error; err != nil {
				return apperr.Wrap(err, "release filing lines")
			}
		}
		f.Status, f.DecidedByUserID, f.DecidedAt, f.DecisionReason, f.UpdatedAt, f.Version =
			status, actorUserRef(actor), &now, reason, now, f.Version+1
		if err := s.audit(ctx, tx, actor, "tax_filing", strconv.FormatInt(f.ID, 10), action, old, taxFilingAudit(f)); err != nil {
			return err
		}
		out = f
		n := Notice{Kind: "tax." + status, Link: taxFilingLink(f.ID), Entity: "tax_filing", EntityID: strconv.FormatInt(f.ID, 10),
			MerchantIDs: []int64{f.MerchantID}, Data: taxNoticeData(f),
			Text: apperr.Tf("VAT exemption filing %s (%s) was accepted", "免税申报表 %s（%s）已通过审核", f.Number, f.Period)}
		if !in.Accept {
			n.Text = apperr.Tf("VAT exemption filing %s (%s) was rejected: %s; its lines may be filed again",
				"免税申报表 %s（%s）被退回：%s；其商品行可重新申报", f.Number, f.Period, reason)
		}
		if f.FiledByAgentID != nil {
			n.AgentIDs = []int64{*f.FiledByAgentID}
		}
		return s.notify(tx, actor, n)
	})
	return out, err
}

// taxReasonText trims a text and collapses runs of white space.
func taxReasonText(s string) string { return strings.Join(strings.Fields(s), " ") }

// taxFilingLines reads a filing's lines and runs every check on them now, against what the filing
// recorded: a line whose amounts changed, whose declaration was amended after the filing was
// built, or that its declaration no longer holds is flagged.
func (s *Service) taxFilingLines(db *gorm.DB, f *models.TaxFiling) ([]TaxLine, error) {
	var stored []models.TaxFilingLine
	if err := db.Where("filing_id = ?", f.ID).Order("id").Find(&stored).Error; err != nil {
		return nil, apperr.Wrap(err, "load filing lines")
	}
	rows, err := taxFilingLineFacts(db, f.ID)
	if err != nil {
		return nil, err
	}
	tc, err := loadTaxContext(db, rows)
	if err != nil {
		return nil, err
	}
	var amended []int64
	if err := db.Model(&models.CustomsEvent{}).Where("kind = ? AND created_at > ? AND declaration_id IN (?)", EventAmended, f.CreatedAt,
		db.Model(&models.TaxFilingLine{}).Select("declaration_id").Where("filing_id = ?", f.ID)).
		Pluck("declaration_id", &amended).Error; err != nil {
		return nil, apperr.Wrap(err, "load amendments")
	}
	byPair := map[[2]int64]taxFactRow{}
	for _, r := range rows {
		byPair[[2]int64{r.LineID, r.DeclarationID}] = r
	}
	out := make([]TaxLine, 0, len(stored))
	for _, st := range stored {
		filed := &TaxFiledAmounts{Currency: st.Currency, Amount: st.Amount, AmountCNY: st.AmountCNY}
		r, ok := byPair[[2]int64{st.TransactionLineID, st.DeclarationID}]
		if !ok {
			out = append(out, TaxLine{LineID: st.TransactionLineID, DeclarationID: st.DeclarationID, Currency: st.Currency,
				Amount: st.Amount, AmountCNY: st.AmountCNY, Filed: filed, Checks: []TaxCheck{{Code: TaxCheckAmountsAgree,
					Reason: apperr.T("The declaration no longer holds this line", "报关单中已没有该商品行")}}})
			continue
		}
		out = append(out, tc.line(r, filed, slices.Contains(amended, st.DeclarationID)))
	}
	return out, nil
}
