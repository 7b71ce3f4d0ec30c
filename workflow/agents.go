package workflow

import (
	"context"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// Agent statuses: an agent is active, or suspended from consolidating and declaring.
const (
	AgentActive    = "active"
	AgentSuspended = "suspended"
)

// AgentRegistration is what an admin enters to register a foreign-trade agent (市场采购贸易经营者,
// DOMAIN §2) and its first user. It never carries an id, a status or a credit class.
type AgentRegistration struct {
	USCC          string // unified social credit code (GB 32100-2015)
	CustomsCode   string // 10-character customs registration code (海关注册编码)
	CommerceRegNo string // commerce-bureau operator registration number (对外贸易经营者备案)
	Name          string
	NameEn        string
	Address       string
	Contact       string
	Phone         string

	Username        string
	DisplayName     string
	Password        string
	PasswordConfirm string
}

// AgentUpdate is an admin's edit of an agent: everything but the USCC, which identifies it, with
// the version the admin saw (optimistic locking).
type AgentUpdate struct {
	CustomsCode   string
	CommerceRegNo string
	Name          string
	NameEn        string
	Address       string
	Contact       string
	Phone         string
	Version       int64
}

// RegisteredAgent is a new agent, its first user, and the verdict on its USCC.
type RegisteredAgent struct {
	Agent models.Agent
	User  models.User
	USCC  Verdict
}

var (
	agentNoun             = apperr.T("Agent", "代理企业")
	nameAgent             = apperr.T("company name", "企业名称")
	nameAddress           = apperr.T("address", "地址")
	nameContact           = apperr.T("contact person", "联系人")
	nameCommerceRegNo     = apperr.T("commerce registration number", "对外贸易经营者备案登记号")
	errRegAgentUSCCTaken  = apperr.T("An agent with this unified social credit code is already registered", "已有代理企业使用该统一社会信用代码")
	errRegCustomsTaken    = apperr.T("Another agent already has this customs code", "该海关编码已被其他代理企业使用")
	errRegCommerceTaken   = apperr.T("Another agent already has this commerce registration number", "该备案登记号已被其他代理企业使用")
	errRegAgentNotChanged = apperr.New(apperr.Conflict, apperr.T(
		"This agent was changed by someone else since you opened it. Reload the page and make your change again.",
		"该代理企业在您打开后已被他人修改。请刷新页面后重新修改。"))
)

// RegisterAgent registers an agent and its first user (role agent) in one transaction. The
// USCC is checked by GB 32100-2015 (a check-character mismatch is accepted and flagged for
// review); the customs code must be exactly 10 letters or digits; USCC, customs code, commerce
// registration number and username must be new.
func (s *Service) RegisterAgent(ctx context.Context, actor Actor, in AgentRegistration) (*RegisteredAgent, error) {
	if err := actor.Require(ActAgentManage); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	verdict := CheckUSCC(in.USCC)
	if !verdict.OK && !verdict.NeedsReview {
		fe.Add("uscc", verdict.Problem)
	}
	a := models.Agent{USCC: verdict.Value, Status: AgentActive, CreditClass: models.CreditB, USCCReview: verdict.NeedsReview, Version: 1}
	agentFields(&fe, &a, in.CustomsCode, in.CommerceRegNo, in.Name, in.NameEn, in.Address, in.Contact, in.Phone)
	u, hash, err := s.regUser(&fe, in.Username, in.DisplayName, in.Password, in.PasswordConfirm, in.Contact)
	if err != nil {
		return nil, err
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	a.CreatedAt, a.UpdatedAt = now, now
	u.PasswordHash, u.Role, u.Version = hash, models.RoleAgent, 1
	u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt = now, now, &now
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := agentDuplicates(tx, &a, 0, &u); err != nil {
			return err
		}
		if err := tx.Create(&a).Error; err != nil {
			return regDuplicate(err, "uscc", errRegAgentUSCCTaken)
		}
		u.AgentID = &a.ID
		if err := tx.Create(&u).Error; err != nil {
			return regDuplicate(err, "username", errRegUsernameTaken)
		}
		if err := s.audit(ctx, tx, actor, "agent", strconv.FormatInt(a.ID, 10), "create", nil, agentAudit(&a)); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "user", strconv.FormatInt(u.ID, 10), "create", nil, regUserAudit(&u))
	})
	if err != nil {
		return nil, apperr.Wrap(err, "register agent")
	}
	return &RegisteredAgent{Agent: a, User: u, USCC: verdict}, nil
}

// UpdateAgent changes an agent's registration details (not its USCC) if it is still at the
// version the admin saw.
func (s *Service) UpdateAgent(ctx context.Context, actor Actor, id int64, in AgentUpdate) (*models.Agent, error) {
	if err := actor.Require(ActAgentManage); err != nil {
		return nil, err
	}
	var out models.Agent
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var old models.Agent
		if err := agentsScoped(tx.Model(&models.Agent{}), actor.Scope()).Where("agents.id = ?", id).Take(&old).Error; err != nil {
			return models.Translate(err, agentNoun)
		}
		a := old
		var fe apperr.Fields
		agentFields(&fe, &a, in.CustomsCode, in.CommerceRegNo, in.Name, in.NameEn, in.Address, in.Contact, in.Phone)
		if in.Version <= 0 {
			fe.Add("version", apperr.T("Send the version of the agent you last saw", "请提交您看到的代理企业版本号"))
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if in.Version != old.Version {
			return errRegAgentNotChanged
		}
		if err := agentDuplicates(tx, &a, a.ID, nil); err != nil {
			return err
		}
		res := tx.Model(&models.Agent{}).Where("id = ? AND version = ?", id, old.Version).Updates(map[string]any{
			"customs_code": a.CustomsCode, "commerce_reg_no": a.CommerceRegNo, "name": a.Name, "name_en": a.NameEn,
			"address": a.Address, "contact": a.Contact, "phone": a.Phone,
			"version": gorm.Expr("version + 1"), "updated_at": s.now(),
		})
		if res.Error != nil {
			return regDuplicate(res.Error, "customs_code", errRegCustomsTaken)
		}
		if res.RowsAffected == 0 {
			return errRegAgentNotChanged
		}
		if err := tx.Where("id = ?", id).Take(&out).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "agent", strconv.FormatInt(id, 10), "update", agentAudit(&old), agentAudit(&out))
	})
	if err != nil {
		return nil, apperr.Wrap(err, "update agent")
	}
	return &out, nil
}

// agentFields checks and copies the editable fields of an agent.
func agentFields(fe *apperr.Fields, a *models.Agent, customsCode, commerceRegNo, name, nameEn, address, contact, phone string) {
	a.CustomsCode = regCustomsCode(fe, "customs_code", customsCode)
	a.CommerceRegNo = regText(fe, "commerce_reg_no", normalize(commerceRegNo), true, 40, nameCommerceRegNo)
	a.Name = regText(fe, "name", name, true, 100, nameAgent)
	a.NameEn = regText(fe, "name_en", nameEn, false, 200, nameBusinessEn)
	a.Address = regText(fe, "address", address, false, 200, nameAddress)
	a.Contact = regText(fe, "contact", contact, true, 50, nameContact)
	a.Phone = regPhone(fe, "phone", phone, true)
}

// regCustomsCode checks an agent's customs registration code (海关注册编码): exactly 10 letters
// or digits, kept in upper case. It records a problem in fe under field and returns the
// normalised code.
func regCustomsCode(fe *apperr.Fields, field, raw string) string {
	v := normalize(raw)
	n := len([]rune(v))
	switch {
	case n == 0:
		fe.Add(field, apperr.T("Enter the 10-character customs code", "请填写 10 位海关编码"))
	case n != 10:
		fe.Add(field, apperr.Tf("The customs code has %d characters; it must have exactly 10", "海关编码为 %d 位，应为 10 位", n))
	default:
		if pos, r := firstNot([]rune(v), 1, 10, func(r rune) bool { return isDigit(r) || isLetter(r) }); pos > 0 {
			fe.Add(field, apperr.Tf("The customs code has only letters and digits; %[1]q at position %[2]d is neither",
				"海关编码只含字母和数字，第 %[2]d 位的 %[1]q 不符合", r, pos))
		}
	}
	return v
}

// agentDuplicates reports, as field errors, which unique values of an agent (and its new user)
// another row already has.
func agentDuplicates(tx *gorm.DB, a *models.Agent, exceptID int64, u *models.User) error {
	var fe apperr.Fields
	checks := []struct {
		column, value, field string
		text                 apperr.Text
	}{
		{"customs_code", a.CustomsCode, "customs_code", errRegCustomsTaken},
		{"commerce_reg_no", a.CommerceRegNo, "commerce_reg_no", errRegCommerceTaken},
	}
	if exceptID == 0 {
		checks = append(checks, struct {
			column, value, field string
			text                 apperr.Text
		}{"uscc", a.USCC, "uscc", errRegAgentUSCCTaken})
	}
	for _, c := range checks {
		taken, err := regTaken(tx, &models.Agent{}, c.column, c.value, exceptID)
		if err != nil {
			return err
		}
		if taken {
			fe.Add(c.field, c.text)
		}
	}
	if u != nil {
		taken, err := regTaken(tx, &models.User{}, "username", u.Username, 0)
		if err != nil {
			return err
		}
		if taken {
			fe.Add("username", errRegUsernameTaken)
		}
	}
	return fe.Err()
}

// agentsScoped limits a query on agents to those the scope may see: all for officers, auditors
// and admins; for a merchant the active agents (whom it may choose to entrust) and those it
// entrusts; for an agent itself.
func agentsScoped(q *gorm.DB, sc models.Scope) *gorm.DB {
	switch {
	case sc.All:
		return q
	case sc.MerchantID > 0:
		return q.Where("(agents.status = ? OR agents.id IN (SELECT e.agent_id FROM entrustments e WHERE e.merchant_id = ?))", AgentActive, sc.MerchantID)
	case sc.AgentID > 0:
		return q.Where("agents.id = ?", sc.AgentID)
	}
	return q.Where("1 = 0")
}

// AgentFilter selects agents for the list.
type AgentFilter struct {
	Query string // part of the name, English name, USCC or customs code
	Page  int    // 1-based
}

// AgentList is one page of agents.
type AgentList struct {
	Agents  []models.Agent
	Total   int64
	Page    int
	Pages   int
	PerPage int
}

// Agents lists the agents the actor may see, by name: merchants see the active agents they may
// entrust, auditors and admins every agent.
func (s *Service) Agents(ctx context.Context, actor Actor, f AgentFilter) (*AgentList, error) {
	if err := actor.Require(ActAgentList); err != nil {
		return nil, err
	}
	query := func() *gorm.DB {
		q := agentsScoped(s.db.WithContext(ctx).Model(&models.Agent{}), actor.Scope())
		if text := strings.TrimSpace(f.Query); text != "" {
			like := regLike(text)
			code := regLike(normalize(text))
			q = q.Where("(agents.name LIKE ? ESCAPE '!' OR LOWER(agents.name_en) LIKE ? ESCAPE '!' OR agents.uscc LIKE ? ESCAPE '!' OR agents.customs_code LIKE ? ESCAPE '!')",
				like, strings.ToLower(like), code, code)
		}
		return q
	}
	out := &AgentList{PerPage: MerchantsPerPage, Page: max(f.Page, 1)}
	if err := query().Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count agents")
	}
	out.Pages = int((out.Total + MerchantsPerPage - 1) / MerchantsPerPage)
	err := query().Order("agents.name, agents.id").Limit(MerchantsPerPage).Offset((out.Page - 1) * MerchantsPerPage).Find(&out.Agents).Error
	return out, apperr.Wrap(err, "list agents")
}

// EntrustingMerchant is a merchant that entrusts an agent with its exports.
type EntrustingMerchant struct {
	MerchantID  int64
	Name        string
	USCC        string
	Status      string
	AgreementNo string
	StartsOn    string
	EndsOn      string
	Ended       bool
}

// AgentDetail is an agent with the merchants entrusting it. Merchants are listed only for the
// agent itself, auditors and admins: one merchant never learns another's agent agreements.
type AgentDetail struct {
	Agent     models.Agent
	Merchants []EntrustingMerchant
}

// Agent returns one agent the actor may see; any other id answers NotFound.
func (s *Service) Agent(ctx context.Context, actor Actor, id int64) (*AgentDetail, error) {
	if err := actor.Require(ActAgentView); err != nil {
		return nil, err
	}
	d := &AgentDetail{}
	db := s.db.WithContext(ctx)
	if err := agentsScoped(db.Model(&models.Agent{}), actor.Scope()).Where("agents.id = ?", id).Take(&d.Agent).Error; err != nil {
		return nil, models.Translate(err, agentNoun)
	}
	if sc := actor.Scope(); sc.All || sc.AgentID == id {
		err := db.Table("entrustments AS e").
			Select("e.merchant_id, m.name, m.uscc, m.status, e.agreement_no, e.starts_on, e.ends_on, e.ended_at IS NOT NULL AS ended").
			Joins("JOIN merchants m ON m.id = e.merchant_id").Where("e.agent_id = ?", id).
			Order("e.ended_at IS NOT NULL, m.name, e.id").Scan(&d.Merchants).Error
		if err != nil {
			return nil, apperr.Wrap(err, "load entrusting merchants")
		}
	}
	return d, nil
}

// agentAudit is what the audit log keeps of an agent.
func agentAudit(a *models.Agent) map[string]any {
	return map[string]any{"uscc": a.USCC, "customs_code": a.CustomsCode, "commerce_reg_no": a.CommerceRegNo,
		"name": a.Name, "name_en": a.NameEn, "address": a.Address, "contact": a.Contact, "phone": a.Phone,
		"status": a.Status, "uscc_review": a.USCCReview, "version": a.Version}
}
