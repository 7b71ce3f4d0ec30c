package workflow

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// MerchantRegistration is what a stall-holder submits to register itself on the platform (备案,
// DOMAIN §2): the business, its stall in Yiwu International Trade City, and the first login of
// its account. It is copied field by field from the request; it never carries an id, a status
// or a credit class, which only the platform sets.
type MerchantRegistration struct {
	Name        string // business name in Chinese, as on the business licence
	NameEn      string // English name, optional
	USCC        string // unified social credit code (GB 32100-2015)
	District    string // market district "1"…"5"
	Gate        string
	Floor       string
	Street      string
	Booth       string
	StallRaw    string // the stall location as the merchant writes it
	LegalRep    string // legal representative (经营者 / 法定代表人)
	Phone       string
	BankName    string
	BankAccount string

	Username        string
	DisplayName     string
	Password        string
	PasswordConfirm string
	Lang            string // the interface language the user registered in, kept as their preference
}

// RegisteredMerchant is a new merchant and its first user, and the verdict on its USCC (a
// check-character mismatch is accepted and flagged for manual review).
type RegisteredMerchant struct {
	Merchant models.Merchant
	User     models.User
	USCC     Verdict
}

// MerchantDistricts are the five districts of Yiwu International Trade City (国际商贸城一区…五区).
var MerchantDistricts = []string{"1", "2", "3", "4", "5"}

// RegisterMerchant registers a stall-holder and its first user in one transaction, waiting for
// approval by market supervision (status pending, credit class B). The USCC is checked by
// GB 32100-2015; a code failing only its check character is accepted and marked for manual
// review (DOMAIN §6.1). A USCC or username already registered is refused on that field.
func (s *Service) RegisterMerchant(ctx context.Context, actor Actor, in MerchantRegistration) (*RegisteredMerchant, error) {
	if err := actor.Require(ActMerchantRegister); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	verdict := CheckUSCC(in.USCC)
	if !verdict.OK && !verdict.NeedsReview {
		fe.Add("uscc", verdict.Problem)
	}
	m := models.Merchant{
		USCC:        verdict.Value,
		Name:        regText(&fe, "name", in.Name, true, 100, nameBusiness),
		NameEn:      regText(&fe, "name_en", in.NameEn, false, 200, nameBusinessEn),
		District:    strings.TrimSpace(in.District),
		Gate:        regText(&fe, "gate", normalize(in.Gate), false, 20, nameGate),
		Floor:       regText(&fe, "floor", normalize(in.Floor), false, 20, nameFloor),
		Street:      regText(&fe, "street", normalize(in.Street), false, 20, nameStreet),
		Booth:       regText(&fe, "booth", normalize(in.Booth), true, 20, nameBooth),
		StallRaw:    regText(&fe, "stall_raw", in.StallRaw, false, 200, nameStallRaw),
		LegalRep:    regText(&fe, "legal_rep", in.LegalRep, true, 50, nameLegalRep),
		Phone:       regPhone(&fe, "phone", in.Phone, true),
		BankName:    regText(&fe, "bank_name", in.BankName, false, 100, nameBankName),
		BankAccount: regBankAccount(&fe, "bank_account", in.BankAccount),
		Status:      models.MerchantPending,
		CreditClass: models.CreditB,
		USCCReview:  verdict.NeedsReview,
		Version:     1,
	}
	if !slices.Contains(MerchantDistricts, m.District) {
		fe.Add("district", apperr.T("Choose the market district (1–5)", "请选择市场区域（一区至五区）"))
	}
	if (m.BankName == "") != (m.BankAccount == "") {
		if m.BankName == "" {
			fe.Add("bank_name", apperr.T("Enter the bank of the account", "请填写开户银行"))
		} else {
			fe.Add("bank_account", apperr.T("Enter the account number, or leave the bank empty too", "请填写银行账号，或同时清空开户银行"))
		}
	}
	u, hash, err := s.regUser(&fe, in.Username, in.DisplayName, in.Password, in.PasswordConfirm, in.LegalRep)
	if err != nil {
		return nil, err
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	m.CreatedAt, m.UpdatedAt = now, now
	u.PasswordHash, u.Role, u.Lang, u.Version = hash, models.RoleMerchant, regLang(in.Lang), 1
	u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt = now, now, &now

	err = s.tx(ctx, func(tx *gorm.DB) error {
		var dup apperr.Fields
		if taken, err := regTaken(tx, &models.Merchant{}, "uscc", m.USCC, 0); err != nil {
			return err
		} else if taken {
			dup.Add("uscc", errRegUSCCTaken)
		}
		if taken, err := regTaken(tx, &models.User{}, "username", u.Username, 0); err != nil {
			return err
		} else if taken {
			dup.Add("username", errRegUsernameTaken)
		}
		if err := dup.Err(); err != nil {
			return err
		}
		if err := tx.Create(&m).Error; err != nil {
			return regDuplicate(err, "uscc", errRegUSCCTaken)
		}
		u.MerchantID = &m.ID
		if err := tx.Create(&u).Error; err != nil {
			return regDuplicate(err, "username", errRegUsernameTaken)
		}
		by := actor
		if by.Anonymous() {
			by = actorOf(&u) // a self-registration is the new user's own act
		}
		if err := s.audit(ctx, tx, by, "merchant", strconv.FormatInt(m.ID, 10), "register", nil, merchantAudit(&m)); err != nil {
			return err
		}
		mid := strconv.FormatInt(m.ID, 10)
		if err := s.notify(tx, by, Notice{Kind: "merchant.registered", Roles: []string{models.RoleSupervision},
			Text: apperr.Tf("New merchant registration waits for approval: %[1]s (%[2]s)", "新经营户登记待审核：%[1]s（%[2]s）", m.Name, m.USCC),
			Link: "/merchants/" + mid, Entity: "merchant", EntityID: mid}); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "user", strconv.FormatInt(u.ID, 10), "create", nil, regUserAudit(&u))
	})
	if err != nil {
		return nil, apperr.Wrap(err, "register merchant")
	}
	return &RegisteredMerchant{Merchant: m, User: u, USCC: verdict}, nil
}

var (
	errRegUSCCTaken     = apperr.T("This unified social credit code is already registered", "该统一社会信用代码已登记")
	errRegUsernameTaken = apperr.T("This username is taken; choose another", "该用户名已被使用，请另选一个")
)

// MerchantFilter selects merchants for the list and the approval queue.
type MerchantFilter struct {
	Status   string // one of the merchant statuses, or "" for all
	District string // "1"…"5", or "" for all
	Query    string // part of the Chinese or English name, or of the USCC
	Page     int    // 1-based
}

// MerchantsPerPage is the size of a page of the merchant list.
const MerchantsPerPage = 50

// MerchantList is one page of merchants.
type MerchantList struct {
	Merchants []models.Merchant
	Total     int64
	Page      int
	Pages     int
	PerPage   int
}

// MerchantStatuses lists every merchant status in the order of their life (DOMAIN §8).
var MerchantStatuses = []string{models.MerchantPending, models.MerchantActive, models.MerchantRejected,
	models.MerchantAbnormal, models.MerchantSuspended, models.MerchantBlacklisted}

// Merchants lists the merchants the actor may see: everything for officers, auditors and
// admins, the merchants entrusting it for an agent, itself for a merchant. The approval queue
// is Status pending, oldest first; otherwise the newest registrations come first.
func (s *Service) Merchants(ctx context.Context, actor Actor, f MerchantFilter) (*MerchantList, error) {
	if err := actor.Require(ActMerchantList); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	if f.Status != "" && !slices.Contains(MerchantStatuses, f.Status) {
		fe.Add("status", apperr.T("Choose a status from the list", "请从列表中选择状态"))
	}
	if f.District != "" && !slices.Contains(MerchantDistricts, f.District) {
		fe.Add("district", apperr.T("Choose a district from the list", "请从列表中选择区域"))
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	query := func() *gorm.DB {
		q := models.MerchantsScoped(s.db.WithContext(ctx).Model(&models.Merchant{}), actor.Scope())
		if f.Status != "" {
			q = q.Where("merchants.status = ?", f.Status)
		}
		if f.District != "" {
			q = q.Where("merchants.district = ?", f.District)
		}
		if text := strings.TrimSpace(f.Query); text != "" {
			like := regLike(text)
			q = q.Where("(merchants.name LIKE ? ESCAPE '!' OR LOWER(merchants.name_en) LIKE ? ESCAPE '!' OR merchants.uscc LIKE ? ESCAPE '!')",
				like, strings.ToLower(like), regLike(normalize(text)))
		}
		return q
	}
	out := &MerchantList{PerPage: MerchantsPerPage, Page: max(f.Page, 1)}
	if err := query().Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count merchants")
	}
	out.Pages = int((out.Total + MerchantsPerPage - 1) / MerchantsPerPage)
	order := "merchants.id DESC"
	if f.Status == models.MerchantPending {
		order = "merchants.created_at ASC, merchants.id ASC"
	}
	err := query().Order(order).Limit(MerchantsPerPage).Offset((out.Page - 1) * MerchantsPerPage).Find(&out.Merchants).Error
	return out, apperr.Wrap(err, "list merchants")
}

// MerchantStatusEntry is one change in a merchant's status history, with who made it.
type MerchantStatusEntry struct {
	ID         int64
	FromStatus string
	ToStatus   string
	Reason     string
	ActorName  string
	CreatedAt  time.Time
}

// EntrustedAgent is an agent a merchant has entrusted with its exports (委托代理出口).
type EntrustedAgent struct {
	AgentID     int64
	AgentName   string
	AgreementNo string
	StartsOn    string
	EndsOn      string
	Ended       bool
}

// MerchantDetail is a merchant with its status history and the agents it entrusts.
type MerchantDetail struct {
	Merchant models.Merchant
	History  []MerchantStatusEntry // newest first
	Agents   []EntrustedAgent
}

var merchantNoun = apperr.T("Merchant", "经营户")

// Merchant returns one merchant the actor may see. A merchant sees only itself and an agent only
// the merchants entrusting it; any other id answers NotFound, so existence does not leak. An
// agent sees only its own entrustment among the merchant's agents.
func (s *Service) Merchant(ctx context.Context, actor Actor, id int64) (*MerchantDetail, error) {
	if err := actor.Require(ActMerchantView); err != nil {
		return nil, err
	}
	d := &MerchantDetail{}
	db := s.db.WithContext(ctx)
	if err := s.scopedMerchant(db, actor, id, &d.Merchant); err != nil {
		return nil, err
	}
	err := db.Table("merchant_status_changes AS c").
		Select("c.id, c.from_status, c.to_status, c.reason, COALESCE(u.display_name, '') AS actor_name, c.created_at").
		Joins("LEFT JOIN users u ON u.id = c.actor_user_id").
		Where("c.merchant_id = ?", id).Order("c.created_at DESC, c.id DESC").Scan(&d.History).Error
	if err != nil {
		return nil, apperr.Wrap(err, "load merchant history")
	}
	q := db.Table("entrustments AS e").
		Select("e.agent_id, a.name AS agent_name, e.agreement_no, e.starts_on, e.ends_on, e.ended_at IS NOT NULL AS ended").
		Joins("JOIN agents a ON a.id = e.agent_id").Where("e.merchant_id = ?", id)
	if sc := actor.Scope(); sc.AgentID > 0 {
		q = q.Where("e.agent_id = ?", sc.AgentID)
	}
	if err := q.Order("e.ended_at IS NOT NULL, e.starts_on DESC, e.id").Scan(&d.Agents).Error; err != nil {
		return nil, apperr.Wrap(err, "load entrusted agents")
	}
	return d, nil
}

// scopedMerchant loads a merchant inside the actor's scope, NotFound otherwise.
func (s *Service) scopedMerchant(db *gorm.DB, actor Actor, id int64, m *models.Merchant) error {
	err := models.MerchantsScoped(db.Model(&models.Merchant{}), actor.Scope()).Where("merchants.id = ?", id).Take(m).Error
	return models.Translate(err, merchantNoun)
}

// merchantTransitions are the status changes market supervision may make after approval
// (DOMAIN §8): an active merchant may be listed abnormal (经营异常), suspended or blacklisted
// (严重违法失信名单); abnormal and suspended merchants return to active or are blacklisted; a
// blacklisted merchant returns only to active. Every change needs a reason.
var merchantTransitions = map[string][]string{
	models.MerchantActive:      {models.MerchantAbnormal, models.MerchantSuspended, models.MerchantBlacklisted},
	models.MerchantAbnormal:    {models.MerchantActive, models.MerchantBlacklisted},
	models.MerchantSuspended:   {models.MerchantActive, models.MerchantBlacklisted},
	models.MerchantBlacklisted: {models.MerchantActive},
}

// MerchantStatusTargets lists the statuses a merchant in status from may be changed to with
// ChangeMerchantStatus (approval and rejection of a pending one are separate).
func MerchantStatusTargets(from string) []string {
	return slices.Clone(merchantTransitions[from])
}

// MerchantDecision is a market-supervision decision on a merchant: the status to move to (for
// ChangeMerchantStatus), the reason, and the version of the merchant the officer saw.
type MerchantDecision struct {
	To      string
	Reason  string
	Version int64
}

// ApproveMerchant approves a pending registration: the merchant becomes active and may
// register transactions. The reason (a note) is optional.
func (s *Service) ApproveMerchant(ctx context.Context, actor Actor, id int64, d MerchantDecision) (*models.Merchant, error) {
	d.To = models.MerchantActive
	return s.decideMerchant(ctx, actor, ActMerchantApprove, "approve", id, d, false)
}

// RejectMerchant refuses a pending registration, with the reason the merchant will see.
func (s *Service) RejectMerchant(ctx context.Context, actor Actor, id int64, d MerchantDecision) (*models.Merchant, error) {
	d.To = models.MerchantRejected
	return s.decideMerchant(ctx, actor, ActMerchantApprove, "reject", id, d, true)
}

// ChangeMerchantStatus moves an approved merchant to abnormal, suspended or blacklisted, or
// back to active, always with a reason (DOMAIN §8; allowed moves in merchantTransitions).
func (s *Service) ChangeMerchantStatus(ctx context.Context, actor Actor, id int64, d MerchantDecision) (*models.Merchant, error) {
	return s.decideMerchant(ctx, actor, ActMerchantStatus, "status", id, d, true)
}

// decideMerchant makes one status change: it checks the move is allowed from the current
// status and the officer saw the current version (optimistic locking), then writes the new
// status, a history row and an audit entry in one transaction.
func (s *Service) decideMerchant(ctx context.Context, actor Actor, act Action, kind string, id int64, d MerchantDecision, needReason bool) (*models.Merchant, error) {
	if err := actor.Require(act); err != nil {
		return nil, err
	}
	var out models.Merchant
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var m models.Merchant
		if err := s.scopedMerchant(tx, actor, id, &m); err != nil {
			return err
		}
		var fe apperr.Fields
		d.Reason = strings.TrimSpace(d.Reason)
		switch n := utf8.RuneCountInString(d.Reason); {
		case n == 0 && needReason:
			fe.Add("reason", apperr.T("Give the reason; the merchant will see it", "请填写原因，经营户将看到该原因"))
		case n > 500:
			fe.Add("reason", apperr.T("Use at most 500 characters", "最多 500 个字符"))
		}
		if kind == "status" {
			switch {
			case strings.TrimSpace(d.To) == "":
				fe.Add("to", apperr.T("Choose the new status", "请选择新状态"))
			case !slices.Contains(MerchantStatuses, d.To):
				fe.Add("to", apperr.T("Choose a status from the list", "请从列表中选择状态"))
			}
		}
		if d.Version <= 0 {
			fe.Add("version", apperr.T("Send the version of the merchant you last saw", "请提交您看到的经营户版本号"))
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if d.Version != m.Version {
			return errMerchantChanged
		}
		if err := merchantMoveAllowed(kind, m.Status, d.To); err != nil {
			return err
		}
		now := s.now()
		set := map[string]any{"status": d.To, "status_reason": d.Reason, "version": gorm.Expr("version + 1"), "updated_at": now}
		if kind == "approve" {
			set["approved_at"], set["approved_by"] = now, regUserRef(actor)
		}
		res := tx.Model(&models.Merchant{}).Where("id = ? AND version = ?", m.ID, m.Version).Updates(set)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errMerchantChanged
		}
		change := models.MerchantStatusChange{MerchantID: m.ID, FromStatus: m.Status, ToStatus: d.To,
			Reason: d.Reason, ActorUserID: regUserRef(actor), CreatedAt: now}
		if err := tx.Create(&change).Error; err != nil {
			return err
		}
		if err := tx.Where("id = ?", m.ID).Take(&out).Error; err != nil {
			return err
		}
		if err := s.holdOpenTransactions(ctx, tx, actor, m.ID, m.Status, d.To, d.Reason); err != nil {
			return err
		}
		if err := s.notify(tx, actor, merchantDecisionNotice(kind, &out)); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "merchant", strconv.FormatInt(m.ID, 10), kind,
			map[string]any{"status": m.Status, "status_reason": m.StatusReason, "version": m.Version},
			map[string]any{"status": out.Status, "status_reason": out.StatusReason, "version": out.Version})
	})
	if err != nil {
		return nil, apperr.Wrap(err, "change merchant status")
	}
	return &out, nil
}

// merchantDecisionNotice tells the merchant's users about a decision on their registration or
// status, with the reason they are to read.
func merchantDecisionNotice(kind string, m *models.Merchant) Notice {
	id := strconv.FormatInt(m.ID, 10)
	n := Notice{Link: "/merchants/" + id, Entity: "merchant", EntityID: id, MerchantIDs: []int64{m.ID},
		Data: map[string]any{"merchant_id": m.ID, "status": m.Status}}
	switch kind {
	case "approve":
		n.Kind = "merchant.approved"
		n.Text = apperr.T("Your registration was approved: you may now register goods and transactions",
			"您的登记已获批准，现在可以登记商品和交易")
	case "reject":
		n.Kind = "merchant.rejected"
		n.Text = apperr.Tf("Your registration was rejected: %s", "您的登记被驳回：%s", m.StatusReason)
	default:
		st := MerchantStatusText(m.Status)
		n.Kind = "merchant.status_changed"
		n.Text = apperr.Tf("Market supervision changed your status to %[1]s: %[3]s", "市场监管部门已将您的经营状态变更为%[2]s：%[3]s",
			st.En, st.Zh, m.StatusReason)
	}
	return n
}

var errMerchantChanged = apperr.New(apperr.Conflict, apperr.T(
	"This merchant was changed by someone else since you opened it. Reload the page, check its current state and try again.",
	"该经营户在您打开后已被他人修改。请刷新页面，核对当前状态后重试。"))

// merchantMoveAllowed checks a status change against the rules: approval and rejection apply
// to pending registrations only; other moves follow merchantTransitions.
func merchantMoveAllowed(kind, from, to string) error {
	if kind == "approve" || kind == "reject" {
		if from != models.MerchantPending {
			return apperr.New(apperr.Conflict, apperr.Tf(
				"This merchant is no longer waiting for approval: it is %[1]s",
				"该经营户已不在待审核状态：当前为%[2]s", MerchantStatusText(from).En, MerchantStatusText(from).Zh))
		}
		return nil
	}
	allowed := merchantTransitions[from]
	if slices.Contains(allowed, to) {
		return nil
	}
	if len(allowed) == 0 {
		return apperr.Field("to", apperr.Tf(
			"A merchant that is %[1]s cannot have its status changed here; a pending registration is approved or rejected",
			"%[2]s的经营户不能在此变更状态；待审核的登记应予以批准或驳回", MerchantStatusText(from).En, MerchantStatusText(from).Zh))
	}
	var en, zh []string
	for _, s := range allowed {
		en, zh = append(en, MerchantStatusText(s).En), append(zh, MerchantStatusText(s).Zh)
	}
	return apperr.Field("to", apperr.T(
		"A merchant that is "+MerchantStatusText(from).En+" can only become: "+strings.Join(en, ", "),
		MerchantStatusText(from).Zh+"的经营户只能变更为："+strings.Join(zh, "、")))
}

// MerchantStatusText names a merchant status in both languages, for messages.
func MerchantStatusText(status string) apperr.Text {
	switch status {
	case models.MerchantPending:
		return apperr.T("pending approval", "待审核")
	case models.MerchantActive:
		return apperr.T("active", "正常")
	case models.MerchantRejected:
		return apperr.T("rejected", "已驳回")
	case models.MerchantAbnormal:
		return apperr.T("listed as abnormal", "经营异常")
	case models.MerchantSuspended:
		return apperr.T("suspended", "暂停经营")
	case models.MerchantBlacklisted:
		return apperr.T("blacklisted", "列入严重违法失信名单")
	}
	return apperr.T(status, status)
}

// merchantAudit is what the audit log keeps of a new merchant.
func merchantAudit(m *models.Merchant) map[string]any {
	return map[string]any{"uscc": m.USCC, "name": m.Name, "name_en": m.NameEn, "district": m.District,
		"booth": m.Booth, "status": m.Status, "credit_class": m.CreditClass, "uscc_review": m.USCCReview}
}

// regUserAudit is what the audit log keeps of a new user (never the password hash).
func regUserAudit(u *models.User) map[string]any {
	return map[string]any{"username": u.Username, "display_name": u.DisplayName, "role": u.Role,
		"merchant_id": u.MerchantID, "agent_id": u.AgentID}
}

// Field names of the registration forms, in messages.
var (
	nameBusiness   = apperr.T("business name", "经营户名称")
	nameBusinessEn = apperr.T("English name", "英文名称")
	nameGate       = apperr.T("gate", "门号")
	nameFloor      = apperr.T("floor", "楼层")
	nameStreet     = apperr.T("street", "街")
	nameBooth      = apperr.T("booth number", "商位号")
	nameStallRaw   = apperr.T("stall location", "商位地址")
	nameLegalRep   = apperr.T("legal representative", "经营者（法定代表人）")
	nameBankName   = apperr.T("bank", "开户银行")
	nameDisplay    = apperr.T("display name", "显示名称")
)

// regText trims a text field and checks it is present (when required) and not too long.
func regText(fe *apperr.Fields, field, v string, required bool, maxRunes int, name apperr.Text) string {
	v = strings.TrimSpace(v)
	switch n := utf8.RuneCountInString(v); {
	case n == 0 && required:
		fe.Add(field, apperr.T("Enter the "+name.En, "请填写"+name.Zh))
	case n > maxRunes:
		fe.Add(field, apperr.Tf("The %[1]s has %[3]d characters; use at most %[4]d", "%[2]s为 %[3]d 个字符，最多 %[4]d 个",
			name.En, name.Zh, n, maxRunes))
	case strings.ContainsFunc(v, regControl):
		fe.Add(field, apperr.T("The "+name.En+" contains characters that cannot be used", name.Zh+"包含无法使用的字符"))
	}
	return v
}

// regControl reports control characters, which no name or address needs.
func regControl(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }

// regPhone checks a phone number: digits with optional +, spaces, hyphens and brackets, 7–15
// digits in all (ITU-T E.164 allows at most 15).
func regPhone(fe *apperr.Fields, field, raw string, required bool) string {
	v := normalize(raw)
	if v == "" {
		if required {
			fe.Add(field, apperr.T("Enter a phone number", "请填写联系电话"))
		}
		return v
	}
	digits := 0
	for _, r := range v {
		switch {
		case isDigit(r):
			digits++
		case strings.ContainsRune("+- ()", r):
		default:
			fe.Add(field, apperr.T("Use digits only (with +, spaces or hyphens), e.g. 13800000000 or 0579-85000000",
				"只能填写数字（可含 +、空格或连字符），例如 13800000000 或 0579-85000000"))
			return v
		}
	}
	if digits < 7 || digits > 15 {
		fe.Add(field, apperr.Tf("A phone number has 7 to 15 digits; this one has %d", "电话号码应为 7 至 15 位数字，当前为 %d 位", digits))
	}
	return v
}

// regBankAccount checks a bank account number: 8–32 digits; spaces and hyphens, which people
// type to group digits, are removed.
func regBankAccount(fe *apperr.Fields, field, raw string) string {
	v := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, normalize(raw))
	if v == "" {
		return v
	}
	if pos, r := firstNot([]rune(v), 1, utf8.RuneCountInString(v), isDigit); pos > 0 {
		fe.Add(field, nameBankAccountDigits(pos, r))
	} else if n := len(v); n < 8 || n > 32 {
		fe.Add(field, apperr.Tf("A bank account number has 8 to 32 digits; this one has %d", "银行账号应为 8 至 32 位数字，当前为 %d 位", n))
	}
	return v
}

func nameBankAccountDigits(pos int, r rune) apperr.Text {
	return idName{"bank account number", "银行账号"}.notDigit(pos, r)
}

// regUser checks the first user of a new merchant or agent: username, display name (defaulting
// to fallback), and the password against the password rules, and returns it with its hash.
func (s *Service) regUser(fe *apperr.Fields, username, display, password, confirm, fallback string) (models.User, string, error) {
	u := models.User{Username: regUsername(fe, "username", username)}
	u.DisplayName = regText(fe, "display_name", display, false, 60, nameDisplay)
	if u.DisplayName == "" {
		u.DisplayName = strings.TrimSpace(fallback) // a legal representative or contact: at most 50 characters
	}
	var hash string
	if err := checkPassword("password", password); err != nil {
		*fe = append(*fe, apperr.As(err).Fields...)
	} else if password != confirm {
		fe.Add("password_confirm", apperr.T("The two passwords differ", "两次输入的密码不一致"))
	} else if len(*fe) == 0 { // hash only input that will be stored: bcrypt is slow on purpose
		h, err := HashPassword(password, s.Policy.BcryptCost)
		if err != nil {
			return u, "", err
		}
		hash = h
	}
	return u, hash, nil
}

// regUsername checks a username: 3–32 lower-case letters, digits, '.', '_' or '-', starting
// with a letter or digit. Logins compare usernames in lower case.
func regUsername(fe *apperr.Fields, field, raw string) string {
	v := strings.ToLower(strings.TrimSpace(raw))
	switch n := utf8.RuneCountInString(v); {
	case n == 0:
		fe.Add(field, apperr.T("Choose a username for logging in", "请设置登录用户名"))
		return v
	case n < 3 || n > 32:
		fe.Add(field, apperr.T("Use 3 to 32 characters", "用户名应为 3 至 32 个字符"))
		return v
	}
	for i, r := range v {
		if !(isDigit(r) || ('a' <= r && r <= 'z') || (i > 0 && strings.ContainsRune("._-", r))) {
			fe.Add(field, apperr.T("Use only lower-case letters a–z, digits, '.', '_' or '-', starting with a letter or digit",
				"只能使用小写字母 a–z、数字、'.'、'_' 或 '-'，并以字母或数字开头"))
			break
		}
	}
	return v
}

// regLang keeps a supported interface language, or none.
func regLang(lang string) string {
	switch {
	case strings.HasPrefix(strings.ToLower(lang), "zh"):
		return "zh-CN"
	case strings.HasPrefix(strings.ToLower(lang), "en"):
		return "en"
	}
	return ""
}

// regTaken reports whether a row other than exceptID already has value in a unique column.
func regTaken(tx *gorm.DB, model any, column, value string, exceptID int64) (bool, error) {
	var n int64
	q := tx.Model(model).Where(column+" = ?", value)
	if exceptID != 0 {
		q = q.Where("id <> ?", exceptID)
	}
	err := q.Count(&n).Error
	return n > 0, err
}

// regDuplicate turns a unique violation (a concurrent registration won the race) into a field
// error; other errors pass through.
func regDuplicate(err error, field string, text apperr.Text) error {
	if models.IsUniqueViolation(err) {
		return apperr.Field(field, text)
	}
	return err
}

// regUserRef is the actor's user id for a foreign key, nil for nobody.
func regUserRef(a Actor) *int64 {
	if a.UserID == 0 {
		return nil
	}
	id := a.UserID
	return &id
}

// regLike makes a LIKE pattern matching text anywhere, escaping LIKE's wildcards with '!'.
func regLike(text string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return "%" + r.Replace(text) + "%"
}

// holdOpenTransactions applies DOMAIN §8: a merchant who turns abnormal or worse has its open
// (registered, not yet consolidated) transactions held for review; when it is active again they
// return to registered. Each held or released transaction is audited.
func (s *Service) holdOpenTransactions(ctx context.Context, tx *gorm.DB, actor Actor, merchantID int64, from, to, reason string) error {
	troubled := func(st string) bool {
		return st == models.MerchantAbnormal || st == models.MerchantSuspended || st == models.MerchantBlacklisted
	}
	var fromStatus, toStatus, why string
	switch {
	case troubled(to) && !troubled(from):
		fromStatus, toStatus = models.TransactionRegistered, models.TransactionHeld
		why = "merchant " + to + ": " + reason
	case to == models.MerchantActive && troubled(from):
		fromStatus, toStatus = models.TransactionHeld, models.TransactionRegistered
	default:
		return nil
	}
	var ids []int64
	q := tx.Model(&models.Transaction{}).Where("merchant_id = ? AND status = ?", merchantID, fromStatus)
	if toStatus == models.TransactionHeld {
		q = q.Where("NOT EXISTS (SELECT 1 FROM transaction_lines l JOIN consolidation_lines cl ON cl.transaction_line_id = l.id WHERE l.transaction_id = transactions.id)")
	}
	if err := q.Pluck("id", &ids).Error; err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	now := s.now()
	if err := tx.Model(&models.Transaction{}).Where("id IN ?", ids).Updates(map[string]any{
		"status": toStatus, "status_reason": why, "version": gorm.Expr("version + 1"), "updated_at": now,
	}).Error; err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.audit(ctx, tx, actor, "transaction", strconv.FormatInt(id, 10), "merchant_status_"+toStatus,
			map[string]string{"status": fromStatus}, map[string]string{"status": toStatus, "reason": why}); err != nil {
			return err
		}
	}
	return nil
}
