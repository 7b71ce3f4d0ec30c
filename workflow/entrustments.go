package workflow

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// dateLayout is how agreement dates are written and stored (YYYY-MM-DD).
const dateLayout = "2006-01-02"

// EntrustmentToday is the service's current date in Yiwu, YYYY-MM-DD: the day against which
// agreement dates are read.
func (s *Service) EntrustmentToday() string { return s.now().In(MarketZone).Format(dateLayout) }

// Entrustment states. An entrustment (委托代理出口货物协议) is IN FORCE on a day when the merchant has
// not ended it (EndedAt is nil), it has started (StartsOn ≤ day) and its end date, inclusive, has
// not passed (EndsOn is "" or day ≤ EndsOn). Only an entrustment in force lets the agent handle
// the merchant's goods (DOMAIN §2). An agreement past its end date is "expired" without anyone
// ending it; it no longer counts as open, so the merchant may sign a new one with the same agent.
const (
	EntrustmentInForce  = "in_force"
	EntrustmentUpcoming = "upcoming" // signed, starts later
	EntrustmentExpired  = "expired"  // its end date has passed
	EntrustmentEnded    = "ended"    // ended by the merchant, with a reason
)

// EntrustmentState says what an entrustment is on a day (YYYY-MM-DD, Yiwu time).
func EntrustmentState(e *models.Entrustment, day string) string {
	switch {
	case e.EndedAt != nil:
		return EntrustmentEnded
	case e.EndsOn != "" && e.EndsOn < day:
		return EntrustmentExpired
	case e.StartsOn > day:
		return EntrustmentUpcoming
	}
	return EntrustmentInForce
}

// entrustmentOverlaps selects, with its parameters (start, end-or-"9999-12-31"), the entrustments
// that are not ended and whose period overlaps [start, end]: two such agreements of one merchant
// with one agent would both be "open".
const entrustmentOverlaps = "ended_at IS NULL AND starts_on <= ? AND (ends_on = '' OR ends_on >= ?)"

// EntrustmentInput is a new entrustment as the merchant enters it. It has no merchant, id or
// version: the merchant is the actor's own.
type EntrustmentInput struct {
	AgentID     int64
	AgreementNo string
	StartsOn    string // YYYY-MM-DD
	EndsOn      string // YYYY-MM-DD, "" for open-ended
}

// EntrustmentView is an entrustment with the names of both parties and its state today.
type EntrustmentView struct {
	models.Entrustment
	MerchantName string
	AgentName    string
	State        string
}

// EntrustmentQuery pages the entrustment list.
type EntrustmentQuery struct {
	Page, PerPage int
}

// EntrustmentList is one page of entrustments, newest first.
type EntrustmentList struct {
	Entrustments []EntrustmentView
	Total        int64
	Page         int
	PerPage      int
}

// Pages is the number of pages.
func (l EntrustmentList) Pages() int { return partyPages(l.Total, l.PerPage) }

var entrustmentNoun = apperr.T("Entrustment", "委托协议")

// entrustmentsScoped limits a query on entrustments to those the actor may see: a merchant its
// own, an agent those entrusting it (in force or not, so it can see its history), auditors and
// admins all.
func entrustmentsScoped(q *gorm.DB, sc models.Scope) *gorm.DB {
	switch {
	case sc.All:
		return q
	case sc.MerchantID > 0:
		return q.Where("entrustments.merchant_id = ?", sc.MerchantID)
	case sc.AgentID > 0:
		return q.Where("entrustments.agent_id = ?", sc.AgentID)
	}
	return q.Where("1 = 0")
}

// entrustmentViews selects entrustments with their parties' names.
func entrustmentViews(db *gorm.DB) *gorm.DB {
	return db.Table("entrustments").
		Select("entrustments.*, merchants.name AS merchant_name, agents.name AS agent_name").
		Joins("JOIN merchants ON merchants.id = entrustments.merchant_id").
		Joins("JOIN agents ON agents.id = entrustments.agent_id")
}

// Entrustments lists the entrustments the actor may see, newest first.
func (s *Service) Entrustments(ctx context.Context, actor Actor, q EntrustmentQuery) (*EntrustmentList, error) {
	if err := actor.Require(ActEntrustmentList); err != nil {
		return nil, err
	}
	page, per := partyPaging(q.Page, q.PerPage)
	out := &EntrustmentList{Page: page, PerPage: per}
	db := s.db.WithContext(ctx)
	if err := entrustmentsScoped(db.Model(&models.Entrustment{}), actor.Scope()).Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count entrustments")
	}
	err := entrustmentsScoped(entrustmentViews(db), actor.Scope()).
		Order("entrustments.id DESC").Offset((page - 1) * per).Limit(per).Scan(&out.Entrustments).Error
	if err != nil {
		return nil, apperr.Wrap(err, "list entrustments")
	}
	today := s.EntrustmentToday()
	for i := range out.Entrustments {
		out.Entrustments[i].State = EntrustmentState(&out.Entrustments[i].Entrustment, today)
	}
	return out, nil
}

// Entrustment returns one entrustment the actor may see; any other is "not found".
func (s *Service) Entrustment(ctx context.Context, actor Actor, id int64) (*EntrustmentView, error) {
	if err := actor.Require(ActEntrustmentList); err != nil {
		return nil, err
	}
	var rows []EntrustmentView
	err := entrustmentsScoped(entrustmentViews(s.db.WithContext(ctx)), actor.Scope()).
		Where("entrustments.id = ?", id).Limit(1).Scan(&rows).Error
	if err != nil {
		return nil, apperr.Wrap(err, "load entrustment")
	}
	if len(rows) == 0 {
		return nil, models.Translate(gorm.ErrRecordNotFound, entrustmentNoun)
	}
	v := &rows[0]
	v.State = EntrustmentState(&v.Entrustment, s.EntrustmentToday())
	return v, nil
}

// EntrustableAgents lists the active agents a merchant may entrust, by name.
func (s *Service) EntrustableAgents(ctx context.Context, actor Actor) ([]models.Agent, error) {
	if err := actor.Require(ActEntrustmentManage); err != nil {
		return nil, err
	}
	var agents []models.Agent
	err := s.db.WithContext(ctx).Where("status = ?", "active").Order("name, id").Find(&agents).Error
	return agents, apperr.Wrap(err, "list agents")
}

// checkEntrustment normalises and checks a new entrustment against the calendar: dates are
// real, the end is not before the start, and the agreement has not already run out.
func checkEntrustment(in EntrustmentInput, today string) (EntrustmentInput, error) {
	var fe apperr.Fields
	out := EntrustmentInput{AgentID: in.AgentID, AgreementNo: partyText(normalize(in.AgreementNo)),
		StartsOn: strings.TrimSpace(in.StartsOn), EndsOn: strings.TrimSpace(in.EndsOn)}
	if out.AgentID <= 0 {
		fe.Add("agent_id", apperr.T("Choose the agent you entrust", "请选择受托的外贸代理"))
	}
	switch n := utf8.RuneCountInString(out.AgreementNo); {
	case n == 0:
		fe.Add("agreement_no", apperr.T("Enter the agreement number as printed on the signed agreement", "请填写已签协议上的协议编号"))
	case n > 60:
		fe.Add("agreement_no", apperr.T("Use at most 60 characters", "最多 60 个字符"))
	}
	startOK := entrustmentDate(&fe, "starts_on", out.StartsOn, true)
	endOK := entrustmentDate(&fe, "ends_on", out.EndsOn, false)
	if startOK && endOK && out.EndsOn != "" {
		switch {
		case out.EndsOn < out.StartsOn:
			fe.Add("ends_on", apperr.T("The end date is before the start date", "结束日期早于开始日期"))
		case out.EndsOn < today:
			fe.Add("ends_on", apperr.Tf("The end date has passed (today is %s); an agreement that has run out cannot be entrusted",
				"结束日期已过（今天是 %s），已到期的协议不能登记委托", today))
		}
	}
	return out, fe.Err()
}

// entrustmentDate checks one YYYY-MM-DD date field; an empty optional date is fine.
func entrustmentDate(fe *apperr.Fields, field, v string, required bool) bool {
	if v == "" {
		if required {
			fe.Add(field, apperr.T("Enter the date, e.g. 2026-11-29", "请填写日期，例如 2026-11-29"))
			return false
		}
		return true
	}
	if t, err := time.Parse(dateLayout, v); err != nil || t.Format(dateLayout) != v {
		fe.Add(field, apperr.T("Use a real date written as YYYY-MM-DD, e.g. 2026-11-29", "请填写有效日期，格式为 YYYY-MM-DD，例如 2026-11-29"))
		return false
	}
	return true
}

// Entrust records that the actor's merchant entrusts an agent under a signed agreement. The
// merchant must be active and the agent active; the agreement number is unique per agent; and a
// merchant never has two open (not ended, overlapping) entrustments with the same agent. The
// merchant's row is locked for the check, so two concurrent requests cannot both pass it.
func (s *Service) Entrust(ctx context.Context, actor Actor, in EntrustmentInput) (*models.Entrustment, error) {
	if err := actor.Require(ActEntrustmentManage); err != nil {
		return nil, err
	}
	clean, err := checkEntrustment(in, s.EntrustmentToday())
	if err != nil {
		return nil, err
	}
	now := s.now()
	var e models.Entrustment
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := requireActiveParty(tx, actor, apperr.T("entrust an agent", "委托外贸代理")); err != nil {
			return err
		}
		var agent models.Agent
		if err := tx.Where("id = ? AND status = ?", clean.AgentID, "active").Take(&agent).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return apperr.Field("agent_id", apperr.T("Choose an active agent from the list", "请从列表中选择一个正常经营的外贸代理"))
			}
			return err
		}
		var fe apperr.Fields
		var taken int64
		if err := tx.Model(&models.Entrustment{}).Where("agent_id = ? AND agreement_no = ?", agent.ID, clean.AgreementNo).Count(&taken).Error; err != nil {
			return err
		}
		if taken > 0 {
			fe.Add("agreement_no", errAgreementTaken)
		}
		end := clean.EndsOn
		if end == "" {
			end = "9999-12-31"
		}
		var open []models.Entrustment
		if err := tx.Where("merchant_id = ? AND agent_id = ?", actor.MerchantID, agent.ID).
			Where(entrustmentOverlaps, end, clean.StartsOn).Order("id").Limit(1).Find(&open).Error; err != nil {
			return err
		}
		if len(open) > 0 {
			o := open[0]
			fe.Add("agent_id", apperr.Tf("You already entrust this agent under agreement %s (from %s%s). End it first, or start the new agreement after it ends.",
				"您已以协议 %s 委托该代理（自 %s 起%s），请先终止该协议，或将新协议的开始日期定在其结束之后。",
				o.AgreementNo, o.StartsOn, entrustmentUntil(o.EndsOn)))
		}
		if err := fe.Err(); err != nil {
			return err
		}
		uid := actor.UserID
		e = models.Entrustment{MerchantID: actor.MerchantID, AgentID: agent.ID, AgreementNo: clean.AgreementNo,
			StartsOn: clean.StartsOn, EndsOn: clean.EndsOn, CreatedByUserID: &uid, Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&e).Error; err != nil {
			if models.IsUniqueViolation(err) { // the same number, registered concurrently
				return apperr.Field("agreement_no", errAgreementTaken)
			}
			return err
		}
		return s.audit(ctx, tx, actor, "entrustment", strconv.FormatInt(e.ID, 10), "create", nil, entrustmentAudit(&e))
	})
	if err != nil {
		return nil, apperr.Wrap(err, "entrust agent")
	}
	return &e, nil
}

var errAgreementTaken = apperr.T("This agent already has an agreement with this number; check the number on the signed agreement",
	"该代理已有相同编号的协议，请核对已签协议上的编号")

// entrustmentUntil is the " until DATE" part of a message (empty for open-ended agreements).
func entrustmentUntil(endsOn string) string {
	if endsOn == "" {
		return ""
	}
	return " – " + endsOn
}

// EndEntrustment ends one of the actor's merchant's entrustments, with a reason; from then on the
// agent no longer handles the merchant's goods. Another merchant's entrustment does not exist
// for the actor; an entrustment already ended is a conflict.
func (s *Service) EndEntrustment(ctx context.Context, actor Actor, id int64, reason string) (*models.Entrustment, error) {
	if err := actor.Require(ActEntrustmentManage); err != nil {
		return nil, err
	}
	reason = partyText(reason)
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return nil, apperr.Field("reason", apperr.T("Say why the entrustment ends, e.g. the agreement was terminated", "请说明终止委托的原因，例如协议已解除"))
	case n > 500:
		return nil, apperr.Field("reason", apperr.T("Use at most 500 characters", "最多 500 个字符"))
	}
	now := s.now()
	var e models.Entrustment
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ? AND merchant_id = ?", id, actor.MerchantID).Take(&e).Error; err != nil {
			return models.Translate(err, entrustmentNoun)
		}
		if e.EndedAt != nil {
			return errEntrustmentEnded(e.EndedAt)
		}
		old := entrustmentAudit(&e)
		res := tx.Model(&models.Entrustment{}).Where("id = ? AND ended_at IS NULL", e.ID).Updates(map[string]any{
			"ended_at": now, "end_reason": reason, "version": gorm.Expr("version + 1"), "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errEntrustmentEnded(nil)
		}
		e.EndedAt, e.EndReason, e.Version, e.UpdatedAt = &now, reason, e.Version+1, now
		return s.audit(ctx, tx, actor, "entrustment", strconv.FormatInt(e.ID, 10), "end", old, entrustmentAudit(&e))
	})
	if err != nil {
		return nil, apperr.Wrap(err, "end entrustment")
	}
	return &e, nil
}

func errEntrustmentEnded(at *time.Time) error {
	if at == nil {
		return apperr.New(apperr.Conflict, apperr.T("This entrustment has already been ended", "该委托已终止"))
	}
	day := at.In(MarketZone).Format(dateLayout)
	return apperr.New(apperr.Conflict, apperr.Tf("This entrustment was already ended on %s", "该委托已于 %s 终止", day))
}

// entrustmentAudit is what the audit log keeps of an entrustment.
func entrustmentAudit(e *models.Entrustment) map[string]any {
	return map[string]any{"merchant_id": e.MerchantID, "agent_id": e.AgentID, "agreement_no": e.AgreementNo,
		"starts_on": e.StartsOn, "ends_on": e.EndsOn, "ended_at": e.EndedAt, "end_reason": e.EndReason, "version": e.Version}
}
