package workflow

import (
	"context"
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"mpt/models"
	"mpt/workflow/apperr"
)

// Document types of a buyer's identity document.
const (
	DocPassport = "passport"
	DocIDCard   = "id_card"
	DocOther    = "other"
)

// DocTypes lists the document types in display order.
var DocTypes = []string{DocPassport, DocIDCard, DocOther}

// BuyerInput is what a merchant or an agent gives to register a foreign buyer (DOMAIN §2: name,
// nationality, passport or ID number, contact). It has no id, owner or version: those come from
// the actor and the database, never from input.
type BuyerInput struct {
	Name        string
	Nationality string // ISO 3166 alpha-2
	DocType     string // passport (default), id_card, other
	DocNumber   string
	Phone       string
	Email       string
	Address     string
}

// BuyerOutcome says what RegisterBuyer did.
type BuyerOutcome int

// The outcomes of registering a buyer.
const (
	BuyerCreated       BuyerOutcome = iota + 1 // a new buyer, now in the actor's list
	BuyerLinked                                // the person was already registered by someone else; now also in the actor's list
	BuyerAlreadyListed                         // the person was already in the actor's list; nothing changed
)

// BuyerRegistration is the result of RegisterBuyer.
type BuyerRegistration struct {
	Buyer   models.Buyer
	Outcome BuyerOutcome
}

// LinkedExisting reports whether the buyer existed before this registration.
func (r BuyerRegistration) LinkedExisting() bool { return r.Outcome != BuyerCreated }

// Message tells the user what happened, in both languages.
func (r BuyerRegistration) Message() apperr.Text {
	switch r.Outcome {
	case BuyerLinked:
		return apperr.T("This buyer was already registered; it is now in your list. The registered details were kept.",
			"该采购商已登记过，现已加入您的采购商列表，原登记信息保持不变。")
	case BuyerAlreadyListed:
		return apperr.T("This buyer is already in your list; nothing was changed.", "该采购商已在您的列表中，未作更改。")
	}
	return apperr.T("Buyer registered", "采购商已登记")
}

// NormalizeDocNumber is the canonical form of a passport or ID number, the second half of a
// buyer's identity: full-width characters made half-width, letters upper-cased, and every space
// and hyphen removed, so "p 123-4567" and "P1234567" are the same document.
func NormalizeDocNumber(raw string) string {
	v := normalize(raw)
	return strings.Map(func(r rune) rune {
		if isBlank(r) || r == '-' || unicode.Is(unicode.Pd, r) {
			return -1
		}
		return r
	}, v)
}

// MaskDocument hides the middle of a document number for lists (P1234567 → P12****67): document
// numbers are personal data, shown in full only on a buyer's own page. The mask has a fixed
// width so it does not reveal the length either.
func MaskDocument(doc string) string {
	rs := []rune(doc)
	switch {
	case len(rs) >= 7:
		return string(rs[:3]) + "****" + string(rs[len(rs)-2:])
	case len(rs) >= 3:
		return string(rs[:1]) + "****" + string(rs[len(rs)-1:])
	}
	return "****"
}

// checkBuyer normalises and checks a registration, reporting every wrong field at once.
func (s *Service) checkBuyer(in BuyerInput) (BuyerInput, error) {
	var fe apperr.Fields
	out := BuyerInput{
		Name:      partyText(in.Name),
		DocType:   strings.TrimSpace(in.DocType),
		DocNumber: NormalizeDocNumber(in.DocNumber),
	}
	switch n := utf8.RuneCountInString(out.Name); {
	case n == 0:
		fe.Add("name", apperr.T("Enter the buyer's name as on the document", "请填写采购商姓名（与证件一致）"))
	case n > 200:
		fe.Add("name", apperr.T("Use at most 200 characters", "最多 200 个字符"))
	}
	if v := CheckCountry(s.ref, in.Nationality); v.OK {
		out.Nationality = v.Value
	} else {
		fe.Add("nationality", v.Problem)
	}
	if out.DocType == "" {
		out.DocType = DocPassport
	}
	if !buyerDocType(out.DocType) {
		fe.Add("doc_type", apperr.T("Choose passport, ID card or other", "请选择护照、身份证或其他"))
	}
	if why, bad := buyerDocCheck(out.DocNumber); bad {
		fe.Add("doc_number", why)
	}
	contact, cfe := buyerContactCheck(in.Phone, in.Email, in.Address)
	fe = append(fe, cfe...)
	out.Phone, out.Email, out.Address = contact.Phone, contact.Email, contact.Address
	return out, fe.Err()
}

func buyerDocType(t string) bool {
	for _, d := range DocTypes {
		if d == t {
			return true
		}
	}
	return false
}

// buyerDocCheck: 5 to 30 letters and digits once spaces and hyphens are gone.
func buyerDocCheck(doc string) (apperr.Text, bool) {
	rs := []rune(doc)
	if len(rs) == 0 {
		return apperr.T("Enter the passport or ID number", "请填写护照或证件号码"), true
	}
	for i, r := range rs {
		if !isDigit(r) && !isLetter(r) {
			return apperr.Tf("Use letters and digits only; %[1]q at position %[2]d is neither",
				"只能包含字母和数字，第 %[2]d 位的 %[1]q 不是字母或数字", r, i+1), true
		}
	}
	if len(rs) < 5 || len(rs) > 30 {
		return apperr.Tf("The document number has %d characters; it should have 5 to 30 letters and digits",
			"证件号码为 %d 位，应为 5 至 30 位字母和数字", len(rs)), true
	}
	return apperr.Text{}, false
}

// BuyerContact is the part of a buyer that the registering merchant or agent may change later.
type BuyerContact struct {
	Phone, Email, Address string
}

// buyerContactCheck normalises and checks the contact fields (all optional).
func buyerContactCheck(phone, email, address string) (BuyerContact, apperr.Fields) {
	var fe apperr.Fields
	c := BuyerContact{Phone: partyText(normalize(phone)), Email: strings.ToLower(strings.TrimSpace(email)), Address: partyText(address)}
	if c.Phone != "" {
		odd := strings.IndexFunc(c.Phone, func(r rune) bool { return !isDigit(r) && !strings.ContainsRune("+-() ", r) })
		digits := len(strings.Map(func(r rune) rune {
			if isDigit(r) {
				return r
			}
			return -1
		}, c.Phone))
		switch {
		case odd >= 0:
			fe.Add("phone", apperr.T("Use digits, spaces and + - ( ) only, e.g. +971 50 123 4567", "只能包含数字、空格和 + - ( )，例如 +971 50 123 4567"))
		case digits < 6 || digits > 20:
			fe.Add("phone", apperr.T("Enter a phone number of 6 to 20 digits with the country code, e.g. +971 50 123 4567", "请填写 6 至 20 位数字的电话号码并带国家代码，例如 +971 50 123 4567"))
		}
	}
	if c.Email != "" {
		a, err := mail.ParseAddress(c.Email)
		if err != nil || a.Address != c.Email || len(c.Email) > 200 {
			fe.Add("email", apperr.T("Enter an e-mail address such as name@example.com", "请输入电子邮箱，例如 name@example.com"))
		}
	}
	if utf8.RuneCountInString(c.Address) > 300 {
		fe.Add("address", apperr.T("Use at most 300 characters", "最多 300 个字符"))
	}
	return c, fe
}

// partyText trims a text and turns every run of white space inside it into one space.
func partyText(s string) string { return strings.Join(strings.FieldsFunc(s, isBlank), " ") }

// partyInactive is the refusal for a merchant or agent whose business is not active.
func partyInactive(what apperr.Text, status string) error {
	st := partyStatus(status)
	return apperr.New(apperr.Forbidden, apperr.Tf("Your business is not active (it is %[3]s), so it may not %[1]s",
		"您的主体当前状态为“%[4]s”，不能%[2]s", what.En, what.Zh, st.En, st.Zh))
}

// partyStatus names a merchant's or agent's status in both languages (DOMAIN §8).
func partyStatus(status string) apperr.Text {
	switch status {
	case models.MerchantPending:
		return apperr.T("waiting for approval", "待审核")
	case models.MerchantRejected:
		return apperr.T("rejected", "已驳回")
	case models.MerchantAbnormal:
		return apperr.T("listed as abnormal", "经营异常")
	case models.MerchantSuspended:
		return apperr.T("suspended", "暂停经营")
	case models.MerchantBlacklisted:
		return apperr.T("on the list of serious violators", "列入严重违法失信名单")
	}
	return apperr.T(status, status)
}

// requireActiveParty checks, inside tx, that the actor's merchant or agent is active: a pending,
// rejected, abnormal, suspended or blacklisted business registers nothing new (DOMAIN §8).
// The business's row is locked (FOR UPDATE on PostgreSQL; SQLite writers are serialised anyway),
// so its status cannot change under the caller and its own writes here run one at a time.
func requireActiveParty(tx *gorm.DB, actor Actor, what apperr.Text) error {
	var row struct{ Status string }
	var q *gorm.DB
	switch {
	case actor.Role == models.RoleMerchant && actor.MerchantID > 0:
		q = tx.Model(&models.Merchant{}).Where("id = ?", actor.MerchantID)
	case actor.Role == models.RoleAgent && actor.AgentID > 0:
		q = tx.Model(&models.Agent{}).Where("id = ?", actor.AgentID)
	default:
		return apperr.New(apperr.Forbidden, apperr.T("Only a merchant's or an agent's users may do this", "只有市场经营户或外贸代理的用户可以执行此操作"))
	}
	err := q.Clauses(clause.Locking{Strength: "UPDATE"}).Select("status").Take(&row).Error
	if err != nil {
		return models.Translate(err, apperr.T("Business", "主体"))
	}
	if row.Status != models.MerchantActive { // agents use the same word
		return partyInactive(what, row.Status)
	}
	return nil
}

// buyerLinkFor is the link putting a buyer in the actor's list.
func buyerLinkFor(actor Actor, buyerID int64, now time.Time) *models.BuyerLink {
	l := &models.BuyerLink{BuyerID: buyerID, CreatedByUserID: actor.UserID, CreatedAt: now}
	if actor.Role == models.RoleMerchant {
		l.MerchantID = &actor.MerchantID
	} else {
		l.AgentID = &actor.AgentID
	}
	return l
}

// RegisterBuyer registers a foreign buyer for the actor's merchant or agent. Buyers are unique on
// nationality + document number (normalised): when the person is already registered, no second
// buyer is made and the registered details are not overwritten; the existing buyer is linked to
// the actor's business instead. Two concurrent registrations of the same person end as one buyer:
// the loser hits the unique index and retries as a link.
func (s *Service) RegisterBuyer(ctx context.Context, actor Actor, in BuyerInput) (*BuyerRegistration, error) {
	if err := actor.Require(ActBuyerCreate); err != nil {
		return nil, err
	}
	clean, err := s.checkBuyer(in)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		reg, err := s.registerBuyerOnce(ctx, actor, clean)
		if err != nil && models.IsUniqueViolation(err) && attempt < 3 {
			continue // a concurrent registration of the same person won: link to it
		}
		if err != nil {
			return nil, models.Translate(err, apperr.T("Buyer", "采购商"))
		}
		return reg, nil
	}
}

func (s *Service) registerBuyerOnce(ctx context.Context, actor Actor, in BuyerInput) (*BuyerRegistration, error) {
	now := s.now()
	reg := &BuyerRegistration{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := requireActiveParty(tx, actor, apperr.T("register buyers", "登记采购商")); err != nil {
			return err
		}
		b := &reg.Buyer
		err := tx.Where("nationality = ? AND doc_number = ?", in.Nationality, in.DocNumber).Take(b).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			uid := actor.UserID
			*b = models.Buyer{Name: in.Name, Nationality: in.Nationality, DocType: in.DocType, DocNumber: in.DocNumber,
				Phone: in.Phone, Email: in.Email, Address: in.Address, CreatedByUserID: &uid, Version: 1,
				CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(b).Error; err != nil {
				return err // a unique violation here is retried as a link
			}
			reg.Outcome = BuyerCreated
			if err := s.audit(ctx, tx, actor, "buyer", strconv.FormatInt(b.ID, 10), "create", nil, buyerAudit(b)); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			reg.Outcome = BuyerAlreadyListed
		}
		link := buyerLinkFor(actor, b.ID, now)
		added, err := models.LinkBuyer(tx, link)
		if err != nil {
			return err
		}
		if added && reg.Outcome == BuyerAlreadyListed {
			reg.Outcome = BuyerLinked
		}
		if !added {
			return nil
		}
		return s.audit(ctx, tx, actor, "buyer_link", strconv.FormatInt(link.ID, 10), "create", nil, map[string]any{
			"buyer_id": b.ID, "merchant_id": link.MerchantID, "agent_id": link.AgentID})
	})
	if err != nil {
		return nil, err
	}
	return reg, nil
}

// buyerAudit is what the audit log keeps of a buyer.
func buyerAudit(b *models.Buyer) map[string]any {
	return map[string]any{"name": b.Name, "nationality": b.Nationality, "doc_type": b.DocType, "doc_number": b.DocNumber,
		"phone": b.Phone, "email": b.Email, "address": b.Address, "version": b.Version}
}

// BuyerQuery filters and pages the buyer list.
type BuyerQuery struct {
	Q       string // part of the name, or the start of the document number
	Country string // ISO 3166 alpha-2, "" for any
	Page    int    // 1-based
	PerPage int    // default 25, at most 100
}

// BuyerSummary is a buyer as lists show it: the document number masked (personal data).
type BuyerSummary struct {
	ID          int64
	Name        string
	Nationality string
	DocType     string
	DocMasked   string
	CreatedAt   time.Time
}

// BuyerList is one page of buyers.
type BuyerList struct {
	Buyers  []BuyerSummary
	Total   int64
	Page    int
	PerPage int
}

// Pages is the number of pages.
func (l BuyerList) Pages() int { return partyPages(l.Total, l.PerPage) }

func partyPages(total int64, per int) int {
	if per <= 0 || total == 0 {
		return 1
	}
	return int((total + int64(per) - 1) / int64(per))
}

// partyPaging applies the defaults and limits of paging.
func partyPaging(page, per int) (int, int) {
	if per <= 0 {
		per = 25
	}
	per = min(per, 100)
	return max(page, 1), per
}

// partyLike escapes the LIKE wildcards of a search text (used with ESCAPE '\').
var partyLike = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Buyers lists the buyers the actor may see, by name: a merchant's or agent's users those linked
// to their business; customs, FX, auditors and admins all of them.
func (s *Service) Buyers(ctx context.Context, actor Actor, q BuyerQuery) (*BuyerList, error) {
	if err := actor.Require(ActBuyerList); err != nil {
		return nil, err
	}
	page, per := partyPaging(q.Page, q.PerPage)
	var conds []func(*gorm.DB) *gorm.DB
	if c := strings.TrimSpace(q.Country); c != "" {
		v := CheckCountry(s.ref, c)
		if !v.OK {
			return nil, apperr.Field("country", v.Problem)
		}
		conds = append(conds, func(db *gorm.DB) *gorm.DB { return db.Where("buyers.nationality = ?", v.Value) })
	}
	if text := partyText(q.Q); text != "" {
		name := "%" + partyLike.Replace(strings.ToLower(text)) + "%"
		doc := partyLike.Replace(NormalizeDocNumber(text)) + "%"
		conds = append(conds, func(db *gorm.DB) *gorm.DB {
			return db.Where(`(LOWER(buyers.name) LIKE ? ESCAPE '\' OR buyers.doc_number LIKE ? ESCAPE '\')`, name, doc)
		})
	}
	// query builds a fresh statement each time: a GORM chain is not reused after Count.
	query := func() *gorm.DB {
		db := models.BuyersScoped(s.db.WithContext(ctx).Model(&models.Buyer{}), actor.Scope())
		return db.Scopes(conds...)
	}
	out := &BuyerList{Page: page, PerPage: per}
	if err := query().Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count buyers")
	}
	var rows []models.Buyer
	if err := query().Order("buyers.name, buyers.id").Offset((page - 1) * per).Limit(per).Find(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "list buyers")
	}
	for _, b := range rows {
		out.Buyers = append(out.Buyers, BuyerSummary{ID: b.ID, Name: b.Name, Nationality: b.Nationality, DocType: b.DocType,
			DocMasked: MaskDocument(b.DocNumber), CreatedAt: b.CreatedAt})
	}
	return out, nil
}

// BuyerParty is a merchant or agent that has a buyer in its list.
type BuyerParty struct {
	MerchantID, AgentID int64
	Name                string
	Since               time.Time
}

// BuyerDetail is one buyer in full, for those who may see it.
type BuyerDetail struct {
	Buyer   models.Buyer
	CanEdit bool         // the actor's business registered the buyer and may change its contact details
	Listed  *time.Time   // when the buyer entered the actor's list (merchants and agents)
	Parties []BuyerParty // who has the buyer in its list; shown to officers, auditors and admins only
}

var buyerNoun = apperr.T("Buyer", "采购商")

// scopedBuyer loads a buyer the actor may see; any other buyer is "not found", so that its
// existence does not leak.
func (s *Service) scopedBuyer(db *gorm.DB, actor Actor, id int64) (models.Buyer, error) {
	var b models.Buyer
	err := models.BuyersScoped(db.Model(&models.Buyer{}), actor.Scope()).Where("buyers.id = ?", id).Take(&b).Error
	return b, models.Translate(err, buyerNoun)
}

// Buyer returns one buyer, with its full document number, to a user who may see it.
func (s *Service) Buyer(ctx context.Context, actor Actor, id int64) (*BuyerDetail, error) {
	if err := actor.Require(ActBuyerView); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	b, err := s.scopedBuyer(db, actor, id)
	if err != nil {
		return nil, err
	}
	d := &BuyerDetail{Buyer: b}
	sc := actor.Scope()
	if sc.All {
		var rows []struct {
			MerchantID, AgentID *int64
			MerchantName        *string
			AgentName           *string
			CreatedAt           time.Time
		}
		err := db.Table("buyer_links bl").
			Select("bl.merchant_id, bl.agent_id, m.name AS merchant_name, a.name AS agent_name, bl.created_at").
			Joins("LEFT JOIN merchants m ON m.id = bl.merchant_id").
			Joins("LEFT JOIN agents a ON a.id = bl.agent_id").
			Where("bl.buyer_id = ?", id).Order("bl.created_at, bl.id").Scan(&rows).Error
		if err != nil {
			return nil, apperr.Wrap(err, "buyer links")
		}
		for _, r := range rows {
			p := BuyerParty{Since: r.CreatedAt}
			if r.MerchantID != nil {
				p.MerchantID, p.Name = *r.MerchantID, partyDeref(r.MerchantName)
			} else if r.AgentID != nil {
				p.AgentID, p.Name = *r.AgentID, partyDeref(r.AgentName)
			}
			d.Parties = append(d.Parties, p)
		}
		return d, nil
	}
	var link models.BuyerLink
	if err := partyLink(db, actor, id).Take(&link).Error; err == nil {
		d.Listed = &link.CreatedAt
	} else if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.Wrap(err, "buyer link")
	}
	registrar, err := s.buyerRegistrar(db, actor, &b)
	if err != nil {
		return nil, err
	}
	d.CanEdit = registrar && actor.Can(ActBuyerCreate)
	return d, nil
}

func partyDeref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// partyLink selects the link of a buyer to the actor's merchant or agent.
func partyLink(db *gorm.DB, actor Actor, buyerID int64) *gorm.DB {
	q := db.Model(&models.BuyerLink{}).Where("buyer_id = ?", buyerID)
	if actor.Role == models.RoleMerchant {
		return q.Where("merchant_id = ?", actor.MerchantID)
	}
	return q.Where("agent_id = ?", actor.AgentID)
}

// buyerRegistrar reports whether the actor's merchant or agent is the business whose user registered
// the buyer: only that business may change the buyer's contact details.
func (s *Service) buyerRegistrar(db *gorm.DB, actor Actor, b *models.Buyer) (bool, error) {
	if b.CreatedByUserID == nil || (actor.Role != models.RoleMerchant && actor.Role != models.RoleAgent) {
		return false, nil
	}
	var u models.User
	if err := db.Select("id, merchant_id, agent_id").Where("id = ?", *b.CreatedByUserID).Take(&u).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return false, nil
		}
		return false, apperr.Wrap(err, "buyer registrar")
	}
	if actor.Role == models.RoleMerchant {
		return u.MerchantID != nil && *u.MerchantID == actor.MerchantID, nil
	}
	return u.AgentID != nil && *u.AgentID == actor.AgentID, nil
}

// BuyerContactInput changes a buyer's contact details. Version is the version the user saw
// (optimistic locking): a buyer changed meanwhile is a conflict, never silently overwritten.
type BuyerContactInput struct {
	ID      int64
	Version int64
	BuyerContact
}

// UpdateBuyerContact changes the phone, e-mail and address of a buyer. Name, nationality and
// document are the buyer's identity (the key that deduplicates it) and are never changed. Only
// the merchant or agent that registered the buyer may do it; to others in whose list it is, it is
// forbidden, and to the rest it does not exist.
func (s *Service) UpdateBuyerContact(ctx context.Context, actor Actor, in BuyerContactInput) (*models.Buyer, error) {
	if err := actor.Require(ActBuyerCreate); err != nil {
		return nil, err
	}
	c, fe := buyerContactCheck(in.Phone, in.Email, in.Address)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	var b models.Buyer
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		if b, err = s.scopedBuyer(tx, actor, in.ID); err != nil {
			return err
		}
		registrar, err := s.buyerRegistrar(tx, actor, &b)
		if err != nil {
			return err
		}
		if !registrar {
			return apperr.New(apperr.Forbidden, apperr.T("Only the business that registered this buyer may change its contact details",
				"只有登记该采购商的主体可以修改其联系方式"))
		}
		if b.Version != in.Version {
			return errBuyerChanged
		}
		old := BuyerContact{Phone: b.Phone, Email: b.Email, Address: b.Address}
		res := tx.Model(&models.Buyer{}).Where("id = ? AND version = ?", b.ID, in.Version).Updates(map[string]any{
			"phone": c.Phone, "email": c.Email, "address": c.Address, "version": gorm.Expr("version + 1"), "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errBuyerChanged
		}
		b.Phone, b.Email, b.Address, b.Version, b.UpdatedAt = c.Phone, c.Email, c.Address, b.Version+1, now
		return s.audit(ctx, tx, actor, "buyer", strconv.FormatInt(b.ID, 10), "update_contact", buyerContactAudit(old), buyerContactAudit(c))
	})
	if err != nil {
		return nil, apperr.Wrap(err, "update buyer")
	}
	return &b, nil
}

var errBuyerChanged = apperr.New(apperr.Conflict, apperr.T("Someone changed this buyer meanwhile. Reload the page and make your change again.",
	"该采购商信息已被他人修改，请刷新页面后重新修改。"))

func buyerContactAudit(c BuyerContact) map[string]string {
	return map[string]string{"phone": c.Phone, "email": c.Email, "address": c.Address}
}
