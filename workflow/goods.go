package workflow

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
)

// ---- Rules over plain values (DOMAIN §4, §8) -------------------------------------------------

// GoodsStatuses lists the goods statuses in the order of their life: new goods wait for
// recognition (商品认定) by market supervision, a brand watch-list hit holds them.
var GoodsStatuses = []string{models.GoodsPending, models.GoodsHeld, models.GoodsRecognised, models.GoodsRejected}

// GoodsStatusText names a goods status in both languages, for messages.
func GoodsStatusText(status string) apperr.Text {
	switch status {
	case models.GoodsPending:
		return apperr.T("waiting for recognition", "待认定")
	case models.GoodsHeld:
		return apperr.T("held for review", "暂扣待核")
	case models.GoodsRecognised:
		return apperr.T("recognised", "已认定")
	case models.GoodsRejected:
		return apperr.T("rejected", "已驳回")
	}
	return apperr.T(status, status)
}

// HSPrefixMatch returns the entry of an HS prefix list (models.ListIneligible or
// models.ListNotSimplifiable) that a code falls under: the longest prefix that starts the code,
// so a full code's own reason beats its heading's, and a heading's beats its chapter's.
func HSPrefixMatch(prefixes []models.HSPrefix, list, hs string) (models.HSPrefix, bool) {
	var best models.HSPrefix
	found := false
	for _, p := range prefixes {
		if p.List != list || p.Prefix == "" || !strings.HasPrefix(hs, p.Prefix) {
			continue
		}
		if !found || len(p.Prefix) > len(best.Prefix) || (len(p.Prefix) == len(best.Prefix) && p.ID < best.ID) {
			best, found = p, true
		}
	}
	return best, found
}

// IneligibleReason says why goods with an HS code may never be exported under market
// procurement (mode 1039): prohibited, restricted, licensed or dual-use goods on the admins'
// "ineligible" prefix list (DOMAIN §4). ok is false when the code is on no such entry.
func IneligibleReason(prefixes []models.HSPrefix, hs string) (apperr.Text, bool) {
	p, ok := HSPrefixMatch(prefixes, models.ListIneligible, hs)
	if !ok {
		return apperr.Text{}, false
	}
	en, zh := hsPrefixName(p.Prefix)
	return apperr.Tf("%[1]s cannot be exported under market procurement (1039): %[2]s is on the ineligible list: %[4]s",
		"%[1]s 不能以市场采购贸易方式（1039）出口：%[3]s 列入不适用清单：%[5]s", hs, en, zh, p.ReasonEn, p.ReasonZh), true
}

// NotSimplifiableReason says why goods with an HS code are always declared item by item
// (export duty or statutory inspection, DOMAIN §4); ok is false when the code may be merged.
func NotSimplifiableReason(prefixes []models.HSPrefix, hs string) (apperr.Text, bool) {
	p, ok := HSPrefixMatch(prefixes, models.ListNotSimplifiable, hs)
	if !ok {
		return apperr.Text{}, false
	}
	en, zh := hsPrefixName(p.Prefix)
	return apperr.Tf("Declared item by item, never merged (%[1]s: %[3]s)", "逐项申报，不可简化归并（%[2]s：%[4]s）",
		en, zh, p.ReasonEn, p.ReasonZh), true
}

// hsPrefixName names a list entry by what it covers: a chapter, a heading, or codes.
func hsPrefixName(p string) (en, zh string) {
	switch len(p) {
	case 2:
		return "chapter " + p, "第 " + p + " 章"
	case 4:
		return "heading " + p, "品目 " + p
	case 6:
		return "subheading " + p, "子目 " + p
	}
	return "code " + p, "编码 " + p
}

// BrandHit finds the watched brand (protected trademark, DOMAIN §8) that a goods brand names.
// Brands are compared as BrandKey compares them (lower case, no spaces), with full-width
// letters folded and punctuation and symbols removed as well, so "HELLO-KITTY" and "Disney®"
// hit; a watched brand contained in a longer brand hits too ("Disney Frozen"). When several
// hit, the longest watched brand wins. Containment can hold an innocent brand for review
// ("Applewood" contains "apple"): a review costs an officer a minute, a missed trademark a
// seizure.
func BrandHit(watches []models.BrandWatch, brand string) (models.BrandWatch, bool) {
	key := brandMatchKey(brand)
	if key == "" {
		return models.BrandWatch{}, false
	}
	var best models.BrandWatch
	bestLen := 0
	for _, w := range watches {
		wk := brandMatchKey(w.Brand)
		if wk == "" {
			wk = brandMatchKey(w.BrandKey)
		}
		if wk == "" || !strings.Contains(key, wk) {
			continue
		}
		if len(wk) > bestLen || (len(wk) == bestLen && w.ID < best.ID) {
			best, bestLen = w, len(wk)
		}
	}
	return best, bestLen > 0
}

// brandMatchKey is BrandKey over width-folded text with punctuation and symbols removed.
func brandMatchKey(brand string) string {
	return BrandKey(strings.Map(func(r rune) rune {
		r = foldWidth(r)
		if unicode.IsPunct(r) || unicode.IsSymbol(r) {
			return -1
		}
		return r
	}, brand))
}

// foldWidth turns full-width ASCII (U+FF01..U+FF5E) and the ideographic space, which Chinese
// input methods produce, into their half-width forms.
func foldWidth(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	}
	return r
}

// BrandHoldText is the reason goods naming a watched brand are held.
func BrandHoldText(w models.BrandWatch) apperr.Text {
	if w.Holder == "" {
		return apperr.Tf("Brand watch list: %s", "品牌监控名单：%s", w.Brand)
	}
	return apperr.Tf("Brand watch list: %s (%s)", "品牌监控名单：%s（%s）", w.Brand, w.Holder)
}

// bilingual is how reasons the system writes are stored: Chinese, then English, so the
// record reads the same to every officer and API client.
func bilingual(t apperr.Text) string { return t.Zh + " / " + t.En }

// GoodsInput is goods as a merchant registers or changes them: copied field by field from a
// form or an API request. It carries no id, owner, status or review: the platform sets those.
type GoodsInput struct {
	SKU             string // the merchant's own goods code, unique within the merchant
	NameZh          string
	NameEn          string // at least one of the two names
	HSCode          string // 10 digits (DOMAIN §6.3)
	Spec            string // model / spec (申报要素)
	Producer        string
	Branded         bool
	Brand           string // required when Branded, empty otherwise
	LegalUnit       string // customs unit code (DOMAIN §6.4)
	SecondUnit      string // optional second legal unit
	TransactionUnit string // the unit the merchant sells in
	Version         int64  // UpdateGoods: the version the merchant saw (optimistic locking)
	IdempotencyKey  string // CreateGoods from the API: the request's Idempotency-Key header
}

// Field names of the goods form, in messages.
var (
	nameGoodsSKU  = apperr.T("SKU", "商品货号")
	nameGoodsZh   = apperr.T("Chinese name", "中文名称")
	nameGoodsEn   = apperr.T("English name", "英文名称")
	nameGoodsSpec = apperr.T("spec / model", "规格型号")
	nameProducer  = apperr.T("producer", "生产厂家")
	nameBrand     = apperr.T("brand", "品牌")
)

// CheckGoods checks and normalises goods input against the reference data: SKU, at least
// one name, a valid 10-digit HS code, brand only (and always) for branded goods, and known
// customs units. Database rules (duplicate SKU, the prefix lists, the brand watch list) are
// the use cases' job. The returned goods hold the normalised values.
func CheckGoods(ref *refdata.Set, in GoodsInput) (models.Goods, apperr.Fields) {
	var fe apperr.Fields
	g := models.Goods{
		SKU:      goodsText(&fe, "sku", foldText(in.SKU), true, 40, nameGoodsSKU),
		NameZh:   goodsText(&fe, "name_zh", in.NameZh, false, 100, nameGoodsZh),
		NameEn:   goodsText(&fe, "name_en", foldText(in.NameEn), false, 200, nameGoodsEn),
		Spec:     goodsText(&fe, "spec", in.Spec, false, 200, nameGoodsSpec),
		Producer: goodsText(&fe, "producer", in.Producer, false, 100, nameProducer),
		Branded:  in.Branded,
		Brand:    goodsText(&fe, "brand", in.Brand, false, 100, nameBrand),
	}
	if g.NameZh == "" && g.NameEn == "" {
		fe.Add("name_zh", apperr.T("Enter the Chinese name, the English name or both", "请填写中文名称或英文名称（或两者）"))
	}
	if v := CheckHSCode(ref, in.HSCode); v.OK {
		g.HSCode = v.Value
	} else {
		g.HSCode = v.Value
		fe.Add("hs_code", v.Problem)
	}
	switch {
	case g.Branded && g.Brand == "":
		fe.Add("brand", apperr.T("Enter the brand shown on the goods, or untick 'branded goods'", "请填写商品上的品牌，或取消勾选“品牌商品”"))
	case !g.Branded && g.Brand != "":
		fe.Add("brand", apperr.T("Tick 'branded goods' for goods with a brand, or clear the brand", "有品牌的商品请勾选“品牌商品”，否则请清空品牌"))
	}
	g.LegalUnit = goodsUnit(ref, &fe, "legal_unit", in.LegalUnit, true)
	g.SecondUnit = goodsUnit(ref, &fe, "second_unit", in.SecondUnit, false)
	g.TransactionUnit = goodsUnit(ref, &fe, "transaction_unit", in.TransactionUnit, true)
	if g.SecondUnit != "" && g.SecondUnit == g.LegalUnit {
		fe.Add("second_unit", apperr.T("The second unit must differ from the legal unit; leave it empty if there is none",
			"第二法定单位不能与法定单位相同；没有第二单位时请留空"))
	}
	return g, fe
}

// foldText folds full-width ASCII (from Chinese input methods) into half-width.
func foldText(s string) string { return strings.Map(foldWidth, s) }

// goodsText trims a text field, collapses runs of white space and checks its length.
func goodsText(fe *apperr.Fields, field, v string, required bool, maxRunes int, name apperr.Text) string {
	return regText(fe, field, strings.Join(strings.Fields(v), " "), required, maxRunes, name)
}

// goodsUnit checks a customs unit code against the unit table.
func goodsUnit(ref *refdata.Set, fe *apperr.Fields, field, raw string, required bool) string {
	v := normalize(raw)
	if v == "" {
		if required {
			fe.Add(field, apperr.T("Choose a unit from the list", "请从列表中选择计量单位"))
		}
		return v
	}
	if _, ok := ref.Unit(v); !ok {
		fe.Add(field, apperr.Tf("%s is not a customs unit code; choose a unit from the list", "%s 不是海关计量单位代码，请从列表中选择", v))
	}
	return v
}

// recognitionFields lists what a recognition decision looked at: changing any of them sends
// recognised goods back to market supervision.
func recognitionFields(a, b *models.Goods) (en, zh []string) {
	add := func(changed bool, name apperr.Text) {
		if changed {
			en, zh = append(en, name.En), append(zh, name.Zh)
		}
	}
	add(a.HSCode != b.HSCode, apperr.T("HS code", "商品编码"))
	add(a.NameZh != b.NameZh, nameGoodsZh)
	add(a.NameEn != b.NameEn, nameGoodsEn)
	add(a.Branded != b.Branded || a.Brand != b.Brand, nameBrand)
	add(a.Spec != b.Spec, nameGoodsSpec)
	return en, zh
}

// sameGoods reports whether two goods carry the same registration (what a merchant enters).
func sameGoods(a, b *models.Goods) bool {
	return a.SKU == b.SKU && a.NameZh == b.NameZh && a.NameEn == b.NameEn && a.HSCode == b.HSCode &&
		a.Spec == b.Spec && a.Producer == b.Producer && a.Branded == b.Branded && a.Brand == b.Brand &&
		a.LegalUnit == b.LegalUnit && a.SecondUnit == b.SecondUnit && a.TransactionUnit == b.TransactionUnit
}

// ---- Why goods wait -------------------------------------------------------------------------

// Why goods wait in the recognition queue.
const (
	WaitNew         = "new"         // registered, never decided
	WaitBrand       = "brand"       // held: the brand is on the watch list
	WaitHeld        = "held"        // held by an officer
	WaitChanged     = "changed"     // changed after recognition (or while held)
	WaitResubmitted = "resubmitted" // changed after rejection
)

// GoodsWait says why goods wait for market supervision.
type GoodsWait struct {
	Kind   string      // one of the Wait… constants
	Text   apperr.Text // the reason, for people
	Detail string      // the stored reason of the last change, when there is one
}

// WhyGoodsWait explains why pending or held goods wait, from the goods, their latest review
// row (nil for none) and the brand watch list. Goods that do not wait get the zero GoodsWait.
func WhyGoodsWait(g *models.Goods, last *models.GoodsReview, watches []models.BrandWatch) GoodsWait {
	switch g.Status {
	case models.GoodsHeld:
		if last != nil && last.ActorUserID != nil && last.ToStatus == models.GoodsHeld {
			return GoodsWait{Kind: WaitHeld, Text: apperr.Tf("Held by market supervision: %s", "市场监管暂扣：%s", g.StatusReason)}
		}
		if w, hit := BrandHit(watches, g.Brand); g.Branded && hit {
			return GoodsWait{Kind: WaitBrand, Text: BrandHoldText(w)}
		}
		return GoodsWait{Kind: WaitBrand, Text: apperr.T(g.StatusReason, g.StatusReason)}
	case models.GoodsPending:
		if last == nil || last.ToStatus != models.GoodsPending {
			return GoodsWait{Kind: WaitNew, Text: apperr.T("New goods", "新登记商品")}
		}
		switch last.FromStatus {
		case models.GoodsRecognised:
			return GoodsWait{Kind: WaitChanged, Text: apperr.T("Changed after recognition", "认定后被修改"), Detail: last.Reason}
		case models.GoodsRejected:
			return GoodsWait{Kind: WaitResubmitted, Text: apperr.T("Changed after rejection", "驳回后修改并重新提交"), Detail: last.Reason}
		case models.GoodsHeld:
			return GoodsWait{Kind: WaitChanged, Text: apperr.T("Changed while held", "暂扣期间被修改"), Detail: last.Reason}
		}
		return GoodsWait{Kind: WaitNew, Text: apperr.T("New goods", "新登记商品")}
	}
	return GoodsWait{}
}

// ---- Reading --------------------------------------------------------------------------------

// GoodsFilter selects goods for the catalogue list.
type GoodsFilter struct {
	Status  string // one of GoodsStatuses, or "" for all
	Chapter string // HS chapter (2 digits), or "" for all
	Query   string // part of the SKU, the Chinese or the English name
	Page    int    // 1-based
}

// GoodsPerPage is the size of a page of goods.
const GoodsPerPage = 50

// GoodsRow is goods with the name of their merchant.
type GoodsRow struct {
	models.Goods
	MerchantName string
}

// GoodsList is one page of goods.
type GoodsList struct {
	Rows    []GoodsRow
	Total   int64
	Page    int
	Pages   int
	PerPage int
}

var goodsNoun = apperr.T("Goods", "商品")

// GoodsList lists the goods the actor may see, newest first: a merchant its own catalogue, an
// agent the catalogues of the merchants entrusting it, officers, auditors and admins all.
func (s *Service) GoodsList(ctx context.Context, actor Actor, f GoodsFilter) (*GoodsList, error) {
	if err := actor.Require(ActGoodsList); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	if f.Status != "" && !slices.Contains(GoodsStatuses, f.Status) {
		fe.Add("status", apperr.T("Choose a status from the list", "请从列表中选择状态"))
	}
	chapter := normalize(f.Chapter)
	if chapter != "" {
		if _, ok := s.ref.HSChapter(chapter); !ok {
			fe.Add("chapter", apperr.T("Choose an HS chapter from the list", "请从列表中选择 HS 章"))
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	query := func() *gorm.DB {
		q := models.MerchantColumnScoped(s.db.WithContext(ctx).Table("goods"), "goods", actor.Scope())
		if f.Status != "" {
			q = q.Where("goods.status = ?", f.Status)
		}
		if chapter != "" {
			cond, args := hsPrefixCond(chapter)
			q = q.Where(cond, args...)
		}
		if text := strings.TrimSpace(f.Query); text != "" {
			like := regLike(text)
			folded := strings.ToLower(regLike(foldText(text)))
			q = q.Where("(LOWER(goods.sku) LIKE ? ESCAPE '!' OR goods.name_zh LIKE ? ESCAPE '!' OR LOWER(goods.name_en) LIKE ? ESCAPE '!')",
				folded, like, folded)
		}
		return q
	}
	out := &GoodsList{PerPage: GoodsPerPage, Page: max(f.Page, 1)}
	if err := query().Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count goods")
	}
	out.Pages = int((out.Total + GoodsPerPage - 1) / GoodsPerPage)
	err := query().Select("goods.*, merchants.name AS merchant_name").
		Joins("JOIN merchants ON merchants.id = goods.merchant_id").
		Order("goods.id DESC").Limit(GoodsPerPage).Offset((out.Page - 1) * GoodsPerPage).Scan(&out.Rows).Error
	return out, apperr.Wrap(err, "list goods")
}

// HSContext is an HS code with the HS 2022 entries above it, for showing what a code means.
type HSContext struct {
	Code       string // as given: 2 to 10 digits
	Section    string // the section's name
	Chapter    refdata.HSEntry
	Heading    refdata.HSEntry // zero when the code is shorter than 4 digits or unknown
	Subheading refdata.HSEntry // zero when the code is shorter than 6 digits or unknown
}

// Description is the most precise HS 2022 description known for the code.
func (h HSContext) Description() string {
	for _, e := range []refdata.HSEntry{h.Subheading, h.Heading, h.Chapter} {
		if e.Description != "" {
			return e.Description
		}
	}
	return ""
}

// hsContextOf looks up the chapter, heading and subheading of a code of digits.
func hsContextOf(ref *refdata.Set, code string) HSContext {
	h := HSContext{Code: code}
	if len(code) >= 2 {
		h.Chapter, _ = ref.HSChapter(code[:2])
		if name, ok := ref.HSSection(h.Chapter.Section); ok {
			h.Section = name
		}
	}
	if len(code) >= 4 {
		h.Heading, _ = ref.HSHeading(code[:4])
	}
	if len(code) >= 6 {
		h.Subheading, _ = ref.HSSubheading(code[:6])
	}
	return h
}

// GoodsReviewEntry is one step of goods' recognition history, with who took it.
type GoodsReviewEntry struct {
	ID          int64
	FromStatus  string
	ToStatus    string
	Reason      string
	ActorUserID *int64 // nil for the system (a brand watch-list hold)
	ActorName   string
	CreatedAt   time.Time
}

// GoodsDetail is goods with everything a page about them shows.
type GoodsDetail struct {
	Goods           models.Goods
	MerchantName    string
	MerchantStatus  string
	HS              HSContext
	Ineligible      apperr.Text // zero when the code is eligible
	NotSimplifiable apperr.Text // zero when the code may be merged
	Wait            GoodsWait   // zero unless pending or held
	History         []GoodsReviewEntry
}

// GoodsDetail returns goods the actor may see, with their HS context, eligibility notes and
// recognition history. Goods of a merchant outside the actor's scope are NotFound.
func (s *Service) GoodsDetail(ctx context.Context, actor Actor, id int64) (*GoodsDetail, error) {
	if err := actor.Require(ActGoodsView); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	d := &GoodsDetail{}
	if err := s.scopedGoods(db, actor, id, &d.Goods); err != nil {
		return nil, err
	}
	var m models.Merchant
	if err := db.Select("name, status").Where("id = ?", d.Goods.MerchantID).Take(&m).Error; err != nil {
		return nil, apperr.Wrap(err, "load goods merchant")
	}
	d.MerchantName, d.MerchantStatus = m.Name, m.Status
	prefixes, watches, err := goodsLists(db)
	if err != nil {
		return nil, err
	}
	d.HS = hsContextOf(s.ref, d.Goods.HSCode)
	d.Ineligible, _ = IneligibleReason(prefixes, d.Goods.HSCode)
	d.NotSimplifiable, _ = NotSimplifiableReason(prefixes, d.Goods.HSCode)
	err = db.Table("goods_reviews AS r").
		Select("r.id, r.from_status, r.to_status, r.reason, r.actor_user_id, COALESCE(u.display_name, '') AS actor_name, r.created_at").
		Joins("LEFT JOIN users u ON u.id = r.actor_user_id").
		Where("r.goods_id = ?", id).Order("r.id DESC").Scan(&d.History).Error
	if err != nil {
		return nil, apperr.Wrap(err, "load goods history")
	}
	var last *models.GoodsReview
	if len(d.History) > 0 {
		h := d.History[0]
		last = &models.GoodsReview{FromStatus: h.FromStatus, ToStatus: h.ToStatus, Reason: h.Reason, ActorUserID: h.ActorUserID}
	}
	d.Wait = WhyGoodsWait(&d.Goods, last, watches)
	return d, nil
}

// scopedGoods loads goods inside the actor's scope, NotFound otherwise, so that the existence
// of another merchant's goods does not leak.
func (s *Service) scopedGoods(db *gorm.DB, actor Actor, id int64, g *models.Goods) error {
	err := models.MerchantColumnScoped(db.Model(&models.Goods{}), "goods", actor.Scope()).Where("goods.id = ?", id).Take(g).Error
	return models.Translate(err, goodsNoun)
}

// goodsLists loads the HS prefix lists and the brand watch list (small admin-kept tables).
func goodsLists(db *gorm.DB) ([]models.HSPrefix, []models.BrandWatch, error) {
	var prefixes []models.HSPrefix
	if err := db.Order("id").Find(&prefixes).Error; err != nil {
		return nil, nil, apperr.Wrap(err, "load HS prefix lists")
	}
	var watches []models.BrandWatch
	if err := db.Order("id").Find(&watches).Error; err != nil {
		return nil, nil, apperr.Wrap(err, "load brand watch list")
	}
	return prefixes, watches, nil
}

// ---- Registering and changing goods ---------------------------------------------------------

// GoodsSaved is goods after a create or an update.
type GoodsSaved struct {
	Goods     models.Goods
	Replayed  bool // CreateGoods: an API retry answered with the goods its first attempt created
	Unchanged bool // UpdateGoods: the form changed nothing
	Requeued  bool // UpdateGoods: recognised goods went back to market supervision
}

// goodsAudit is what the audit log keeps of goods.
func goodsAudit(g *models.Goods) map[string]any {
	return map[string]any{"merchant_id": g.MerchantID, "sku": g.SKU, "name_zh": g.NameZh, "name_en": g.NameEn,
		"hs_code": g.HSCode, "spec": g.Spec, "producer": g.Producer, "branded": g.Branded, "brand": g.Brand,
		"legal_unit": g.LegalUnit, "second_unit": g.SecondUnit, "transaction_unit": g.TransactionUnit,
		"status": g.Status, "status_reason": g.StatusReason, "version": g.Version}
}

// goodsManager checks the actor may keep a catalogue: a merchant's user.
func goodsManager(actor Actor) error {
	if err := actor.Require(ActGoodsManage); err != nil {
		return err
	}
	if actor.MerchantID == 0 {
		return apperr.New(apperr.Forbidden, apperr.T("Only a merchant's users keep its goods catalogue", "只有经营户的用户可以维护其商品备案"))
	}
	return nil
}

// goodsMerchantActive refuses goods registration for a merchant that is not active (DOMAIN §8:
// pending, rejected, abnormal, suspended and blacklisted merchants may not register goods).
func goodsMerchantActive(db *gorm.DB, merchantID int64) error {
	var m models.Merchant
	if err := db.Select("id, status").Where("id = ?", merchantID).Take(&m).Error; err != nil {
		return models.Translate(err, merchantNoun)
	}
	switch m.Status {
	case models.MerchantActive:
		return nil
	case models.MerchantPending:
		return apperr.New(apperr.Forbidden, apperr.T(
			"Your merchant registration is waiting for approval by market supervision; goods can be registered once it is approved",
			"您的经营户登记正在等待市场监管部门审核，审核通过后才能进行商品备案"))
	}
	st := MerchantStatusText(m.Status)
	return apperr.New(apperr.Forbidden, apperr.Tf(
		"Your merchant is %[1]s; only an active merchant may register or change goods. Contact market supervision",
		"您的经营户状态为“%[2]s”，只有状态正常的经营户才能登记或修改商品备案，请联系市场监管部门", st.En, st.Zh))
}

// GoodsRegistrationOpen reports whether the actor may register goods now: nil for a user of an
// active merchant, the reason otherwise (for the form to show before anything is typed).
func (s *Service) GoodsRegistrationOpen(ctx context.Context, actor Actor) error {
	if err := goodsManager(actor); err != nil {
		return err
	}
	return goodsMerchantActive(s.db.WithContext(ctx), actor.MerchantID)
}

func errSKUTaken(sku string) apperr.Text {
	return apperr.Tf("Your catalogue already has goods with SKU %s; use another SKU or edit those goods",
		"您的商品备案中已有货号为 %s 的商品，请使用其他货号或修改该商品", sku)
}

// CreateGoods registers goods in the actor's merchant's catalogue (商品备案, DOMAIN §3 step 1).
// The merchant must be active. An HS code on the ineligible list is refused with the list's
// reason (DOMAIN §4). Branded goods naming a watched brand are saved held, with the brand and
// its holder as the reason and a review row; all other goods wait for recognition (pending).
//
// Idempotent retries: there is no idempotency table yet, so (merchant, SKU) is the natural key.
// A create carrying an Idempotency-Key whose SKU already exists is answered with the existing
// goods (Replayed) when the same user created them with the same key (the key is kept in the
// create's audit entry) and every field is identical; otherwise it is a Conflict. A create
// without a key and an existing SKU is a field error on sku. A general idempotency table (key,
// user, request hash, response) can replace this with a migration later.
func (s *Service) CreateGoods(ctx context.Context, actor Actor, in GoodsInput) (*GoodsSaved, error) {
	if err := goodsManager(actor); err != nil {
		return nil, err
	}
	g, fe := CheckGoods(s.ref, in)
	key := strings.TrimSpace(in.IdempotencyKey)
	now := s.now()
	out := &GoodsSaved{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := goodsMerchantActive(tx, actor.MerchantID); err != nil {
			return err
		}
		if !hasField(fe, "sku") {
			var existing models.Goods
			err := tx.Where("merchant_id = ? AND sku = ?", actor.MerchantID, g.SKU).Take(&existing).Error
			switch {
			case err == nil && key != "" && len(fe) == 0:
				return s.goodsReplay(tx, actor, key, &g, &existing, out)
			case err == nil:
				fe.Add("sku", errSKUTaken(g.SKU))
			case !noSuchRow(err):
				return err
			}
		}
		prefixes, watches, err := goodsLists(tx)
		if err != nil {
			return err
		}
		if !hasField(fe, "hs_code") {
			if why, bad := IneligibleReason(prefixes, g.HSCode); bad {
				fe.Add("hs_code", why)
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		g.MerchantID, g.Status, g.Version, g.CreatedAt, g.UpdatedAt = actor.MerchantID, models.GoodsPending, 1, now, now
		w, hit := BrandHit(watches, g.Brand)
		if g.Branded && hit {
			g.Status, g.StatusReason = models.GoodsHeld, bilingual(BrandHoldText(w))
		}
		if err := tx.Create(&g).Error; err != nil {
			return err
		}
		if g.Status == models.GoodsHeld {
			review := models.GoodsReview{GoodsID: g.ID, FromStatus: models.GoodsPending, ToStatus: models.GoodsHeld,
				Reason: g.StatusReason, CreatedAt: now} // the brand check's hold: no human actor
			if err := tx.Create(&review).Error; err != nil {
				return err
			}
			if err := s.notify(tx, actor, brandHoldNotice(&g, w)); err != nil {
				return err
			}
		}
		rec := goodsAudit(&g)
		if key != "" {
			rec["idempotency_key"] = key
		}
		out.Goods = g
		return s.audit(ctx, tx, actor, "goods", strconv.FormatInt(g.ID, 10), "create", nil, rec)
	})
	if models.IsUniqueViolation(err) {
		// A concurrent create with the same SKU won: a retry of it is answered as a replay.
		if key == "" {
			return nil, apperr.Field("sku", errSKUTaken(g.SKU))
		}
		out = &GoodsSaved{}
		err = s.tx(ctx, func(tx *gorm.DB) error {
			var existing models.Goods
			if err := tx.Where("merchant_id = ? AND sku = ?", actor.MerchantID, g.SKU).Take(&existing).Error; err != nil {
				return err
			}
			return s.goodsReplay(tx, actor, key, &g, &existing, out)
		})
	}
	if err != nil {
		return nil, apperr.Wrap(err, "create goods")
	}
	return out, nil
}

// goodsReplay answers a create whose SKU exists: the existing goods when the same user created
// them with the same Idempotency-Key and the same fields, a Conflict otherwise.
func (s *Service) goodsReplay(tx *gorm.DB, actor Actor, key string, g, existing *models.Goods, out *GoodsSaved) error {
	var entry models.AuditEntry
	err := tx.Where("entity = ? AND entity_id = ? AND action = ?", "goods", strconv.FormatInt(existing.ID, 10), "create").
		Order("id").Take(&entry).Error
	if err != nil && !noSuchRow(err) {
		return err
	}
	var created struct {
		IdempotencyKey string `json:"idempotency_key"`
	}
	if entry.NewJSON != "" {
		_ = json.Unmarshal([]byte(entry.NewJSON), &created)
	}
	sameRequest := created.IdempotencyKey == key && entry.ActorUserID != nil && *entry.ActorUserID == actor.UserID
	switch {
	case sameRequest && sameGoods(g, existing):
		out.Goods, out.Replayed = *existing, true
		return nil
	case sameRequest:
		return apperr.New(apperr.Conflict, apperr.Tf(
			"This Idempotency-Key was already used to create goods %[1]s with different values; send a new key for a new request",
			"该 Idempotency-Key 已用于创建货号为 %[1]s 的商品，但内容不同；新的请求请使用新的 Idempotency-Key", existing.SKU))
	}
	return apperr.New(apperr.Conflict, errSKUTaken(existing.SKU))
}

// hasField reports whether a field already has a problem.
func hasField(fe apperr.Fields, field string) bool {
	return slices.ContainsFunc(fe, func(f apperr.FieldError) bool { return f.Field == field })
}

// goodsDecisionNotice tells the merchant's users that market supervision recognised, refused
// or held their goods, with the reason.
func goodsDecisionNotice(g *models.Goods, reason string) Notice {
	id := strconv.FormatInt(g.ID, 10)
	n := Notice{Kind: "goods." + g.Status, Link: "/goods/" + id, Entity: "goods", EntityID: id, MerchantIDs: []int64{g.MerchantID},
		Data: map[string]any{"goods_id": g.ID, "sku": g.SKU, "status": g.Status}}
	switch g.Status {
	case models.GoodsRecognised:
		n.Text = apperr.Tf("Goods %[1]s (%[2]s) were recognised: they may be traded under market procurement",
			"商品 %[1]s（%[2]s）已通过认定，可按市场采购方式交易", g.SKU, g.NameZh)
	case models.GoodsRejected:
		n.Text = apperr.Tf("Goods %[1]s (%[2]s) were refused: %[3]s", "商品 %[1]s（%[2]s）被驳回：%[3]s", g.SKU, g.NameZh, reason)
	default:
		n.Text = apperr.Tf("Goods %[1]s (%[2]s) are held for review: %[3]s", "商品 %[1]s（%[2]s）被暂扣待核：%[3]s", g.SKU, g.NameZh, reason)
	}
	return n
}

// brandHoldNotice tells market supervision that goods naming a watched brand were held.
func brandHoldNotice(g *models.Goods, w models.BrandWatch) Notice {
	id := strconv.FormatInt(g.ID, 10)
	return Notice{Kind: "goods.brand_hold", Roles: []string{models.RoleSupervision}, Link: "/goods/" + id,
		Entity: "goods", EntityID: id,
		Text: apperr.Tf("Goods %[1]s (%[2]s) were held: the brand %[3]s is on the watch list",
			"商品 %[1]s（%[2]s）已暂扣：品牌“%[3]s”在监控名单中", g.SKU, g.NameZh, w.Brand)}
}

var errGoodsChanged = apperr.New(apperr.Conflict, apperr.T(
	"These goods were changed by someone else since you opened them. Reload the page, check the current values and try again.",
	"该商品在您打开后已被他人修改。请刷新页面，核对当前内容后重试。"))

// UpdateGoods changes goods of the actor's merchant, which must be active, if the merchant saw
// the current version (optimistic locking). The ineligible list and the brand watch list are
// checked again. Changing the HS code, a name, the brand or the spec of recognised, held or
// rejected goods sends them back to market supervision: pending, or held on a brand hit, with
// a review row saying what changed. Other changes keep the status.
func (s *Service) UpdateGoods(ctx context.Context, actor Actor, id int64, in GoodsInput) (*GoodsSaved, error) {
	if err := goodsManager(actor); err != nil {
		return nil, err
	}
	g, fe := CheckGoods(s.ref, in)
	if in.Version <= 0 {
		fe.Add("version", apperr.T("Send the version of the goods you last saw", "请提交您看到的商品版本号"))
	}
	now := s.now()
	out := &GoodsSaved{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var old models.Goods
		if err := tx.Where("id = ? AND merchant_id = ?", id, actor.MerchantID).Take(&old).Error; err != nil {
			return models.Translate(err, goodsNoun)
		}
		if err := goodsMerchantActive(tx, actor.MerchantID); err != nil {
			return err
		}
		if in.Version > 0 && in.Version != old.Version {
			return errGoodsChanged
		}
		if !hasField(fe, "sku") && g.SKU != old.SKU {
			var n int64
			if err := tx.Model(&models.Goods{}).Where("merchant_id = ? AND sku = ? AND id <> ?", actor.MerchantID, g.SKU, id).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				fe.Add("sku", errSKUTaken(g.SKU))
			}
		}
		prefixes, watches, err := goodsLists(tx)
		if err != nil {
			return err
		}
		if !hasField(fe, "hs_code") {
			if why, bad := IneligibleReason(prefixes, g.HSCode); bad {
				fe.Add("hs_code", why)
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if sameGoods(&g, &old) {
			out.Goods, out.Unchanged = old, true
			return nil
		}
		g.ID, g.MerchantID, g.Status, g.StatusReason = old.ID, old.MerchantID, old.Status, old.StatusReason
		g.ReviewedAt, g.ReviewedBy, g.CreatedAt = old.ReviewedAt, old.ReviewedBy, old.CreatedAt
		g.Version, g.UpdatedAt = old.Version+1, now
		var reviews []models.GoodsReview
		if en, zh := recognitionFields(&old, &g); len(en) > 0 {
			g.Status, g.StatusReason = models.GoodsPending, ""
			if old.Status != models.GoodsPending {
				// Back to the queue, saying what changed, as the merchant's act.
				reviews = append(reviews, models.GoodsReview{GoodsID: id, FromStatus: old.Status, ToStatus: models.GoodsPending,
					Reason: bilingual(goodsChangedText(old.Status, en, zh)), ActorUserID: actorUserRef(actor), CreatedAt: now})
			}
			if w, hit := BrandHit(watches, g.Brand); g.Branded && hit {
				g.Status, g.StatusReason = models.GoodsHeld, bilingual(BrandHoldText(w))
				reviews = append(reviews, models.GoodsReview{GoodsID: id, FromStatus: models.GoodsPending, ToStatus: models.GoodsHeld,
					Reason: g.StatusReason, CreatedAt: now}) // the brand check's hold: no human actor
			}
			out.Requeued = old.Status == models.GoodsRecognised
		}
		res := tx.Model(&models.Goods{}).Where("id = ? AND version = ?", id, old.Version).Updates(map[string]any{
			"sku": g.SKU, "name_zh": g.NameZh, "name_en": g.NameEn, "hs_code": g.HSCode, "spec": g.Spec,
			"producer": g.Producer, "branded": g.Branded, "brand": g.Brand, "legal_unit": g.LegalUnit,
			"second_unit": g.SecondUnit, "transaction_unit": g.TransactionUnit, "status": g.Status,
			"status_reason": g.StatusReason, "version": g.Version, "updated_at": now,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errGoodsChanged
		}
		for i := range reviews {
			if err := tx.Create(&reviews[i]).Error; err != nil {
				return err
			}
			if reviews[i].ToStatus == models.GoodsHeld && reviews[i].ActorUserID == nil {
				w, _ := BrandHit(watches, g.Brand)
				if err := s.notify(tx, actor, brandHoldNotice(&g, w)); err != nil {
					return err
				}
			}
		}
		out.Goods = g
		return s.audit(ctx, tx, actor, "goods", strconv.FormatInt(id, 10), "update", goodsAudit(&old), goodsAudit(&g))
	})
	if models.IsUniqueViolation(err) {
		return nil, apperr.Field("sku", errSKUTaken(g.SKU))
	}
	if err != nil {
		return nil, apperr.Wrap(err, "update goods")
	}
	return out, nil
}

// goodsChangedText says which fields recognition looked at were changed, and from what status.
func goodsChangedText(from string, en, zh []string) apperr.Text {
	fields := apperr.T(strings.Join(en, ", "), strings.Join(zh, "、"))
	switch from {
	case models.GoodsRejected:
		return apperr.T("Changed after rejection: "+fields.En, "驳回后修改："+fields.Zh)
	case models.GoodsHeld:
		return apperr.T("Changed while held: "+fields.En, "暂扣期间修改："+fields.Zh)
	}
	return apperr.T("Changed after recognition: "+fields.En, "认定后修改："+fields.Zh)
}

// ---- Recognition by market supervision (商品认定) -------------------------------------------

// GoodsQueueFilter selects the recognition queue.
type GoodsQueueFilter struct {
	Status string // pending or held, "" for both
	Page   int
}

// GoodsQueueItem is goods waiting for market supervision, with why and what to look at.
type GoodsQueueItem struct {
	Goods           models.Goods
	MerchantName    string
	HS              HSContext
	Wait            GoodsWait
	Ineligible      apperr.Text
	NotSimplifiable apperr.Text
}

// GoodsQueue is one page of the recognition queue.
type GoodsQueue struct {
	Items   []GoodsQueueItem
	Total   int64
	Page    int
	Pages   int
	PerPage int
}

// GoodsQueue lists pending and held goods for market supervision, longest waiting first, each
// with why it waits (new goods, a brand watch-list hit, changed after recognition, …), its
// merchant, its HS code and description, and the ineligible and not-simplifiable notes.
func (s *Service) GoodsQueue(ctx context.Context, actor Actor, f GoodsQueueFilter) (*GoodsQueue, error) {
	if err := actor.Require(ActGoodsRecognise); err != nil {
		return nil, err
	}
	statuses := []string{models.GoodsPending, models.GoodsHeld}
	if f.Status != "" {
		if !slices.Contains(statuses, f.Status) {
			return nil, apperr.Field("status", apperr.T("Choose waiting for recognition or held", "请选择“待认定”或“暂扣待核”"))
		}
		statuses = []string{f.Status}
	}
	db := s.db.WithContext(ctx)
	query := func() *gorm.DB {
		return models.MerchantColumnScoped(db.Table("goods"), "goods", actor.Scope()).Where("goods.status IN ?", statuses)
	}
	out := &GoodsQueue{PerPage: GoodsPerPage, Page: max(f.Page, 1)}
	if err := query().Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count goods queue")
	}
	out.Pages = int((out.Total + GoodsPerPage - 1) / GoodsPerPage)
	var rows []GoodsRow
	err := query().Select("goods.*, merchants.name AS merchant_name").
		Joins("JOIN merchants ON merchants.id = goods.merchant_id").
		Order("goods.updated_at ASC, goods.id ASC").Limit(GoodsPerPage).Offset((out.Page - 1) * GoodsPerPage).Scan(&rows).Error
	if err != nil {
		return nil, apperr.Wrap(err, "list goods queue")
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	last := map[int64]*models.GoodsReview{}
	if len(ids) > 0 {
		var reviews []models.GoodsReview
		if err := db.Where("goods_id IN ?", ids).Order("id").Find(&reviews).Error; err != nil {
			return nil, apperr.Wrap(err, "load goods reviews")
		}
		for i := range reviews {
			last[reviews[i].GoodsID] = &reviews[i]
		}
	}
	prefixes, watches, err := goodsLists(db)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		item := GoodsQueueItem{Goods: r.Goods, MerchantName: r.MerchantName, HS: hsContextOf(s.ref, r.HSCode),
			Wait: WhyGoodsWait(&r.Goods, last[r.ID], watches)}
		item.Ineligible, _ = IneligibleReason(prefixes, r.HSCode)
		item.NotSimplifiable, _ = NotSimplifiableReason(prefixes, r.HSCode)
		out.Items = append(out.Items, item)
	}
	return out, nil
}

// GoodsDecision is market supervision's decision on goods: the reason (required to reject or
// hold; a note when recognising) and the version of the goods the officer saw.
type GoodsDecision struct {
	Reason  string
	Version int64
}

// The kinds of recognition decision and the statuses each may be taken from.
const (
	GoodsRecognise = "recognise"
	GoodsReject    = "reject"
	GoodsHold      = "hold"
)

var goodsDecisions = map[string]struct {
	to         string
	from       []string
	needReason bool
}{
	GoodsRecognise: {models.GoodsRecognised, []string{models.GoodsPending, models.GoodsHeld}, false},
	GoodsReject:    {models.GoodsRejected, []string{models.GoodsPending, models.GoodsHeld, models.GoodsRecognised}, true},
	GoodsHold:      {models.GoodsHeld, []string{models.GoodsPending, models.GoodsRecognised}, true},
}

// GoodsDecisionAllowed reports whether a decision may be taken on goods in a status.
func GoodsDecisionAllowed(kind, status string) bool {
	d, ok := goodsDecisions[kind]
	return ok && slices.Contains(d.from, status)
}

// RecogniseGoods recognises pending or held goods (商品认定): they may then be traded under
// market procurement. Goods whose HS code is now on the ineligible list cannot be recognised.
func (s *Service) RecogniseGoods(ctx context.Context, actor Actor, id int64, d GoodsDecision) (*models.Goods, error) {
	return s.decideGoods(ctx, actor, GoodsRecognise, id, d)
}

// RejectGoods refuses goods (or withdraws a recognition), with the reason the merchant sees.
func (s *Service) RejectGoods(ctx context.Context, actor Actor, id int64, d GoodsDecision) (*models.Goods, error) {
	return s.decideGoods(ctx, actor, GoodsReject, id, d)
}

// HoldGoods holds pending or recognised goods for review, with the reason.
func (s *Service) HoldGoods(ctx context.Context, actor Actor, id int64, d GoodsDecision) (*models.Goods, error) {
	return s.decideGoods(ctx, actor, GoodsHold, id, d)
}

// decideGoods takes one decision: the move must be allowed from the current status and the
// officer must have seen the current version; the goods, a review row (from, to, reason,
// officer) and an audit entry are written in one transaction.
func (s *Service) decideGoods(ctx context.Context, actor Actor, kind string, id int64, d GoodsDecision) (*models.Goods, error) {
	if err := actor.Require(ActGoodsRecognise); err != nil {
		return nil, err
	}
	rule := goodsDecisions[kind]
	var out models.Goods
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var g models.Goods
		if err := s.scopedGoods(tx, actor, id, &g); err != nil {
			return err
		}
		var fe apperr.Fields
		reason := strings.TrimSpace(d.Reason)
		switch n := utf8.RuneCountInString(reason); {
		case n == 0 && rule.needReason:
			fe.Add("reason", apperr.T("Give the reason; the merchant will see it", "请填写原因，经营户将看到该原因"))
		case n > 500:
			fe.Add("reason", apperr.T("Use at most 500 characters", "最多 500 个字符"))
		}
		if d.Version <= 0 {
			fe.Add("version", apperr.T("Send the version of the goods you last saw", "请提交您看到的商品版本号"))
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if d.Version != g.Version {
			return errGoodsChanged
		}
		if !slices.Contains(rule.from, g.Status) {
			st := GoodsStatusText(g.Status)
			return apperr.New(apperr.Conflict, apperr.Tf("This decision cannot be taken on goods that are %[1]s",
				"该商品当前为“%[2]s”，不能作出此决定", st.En, st.Zh))
		}
		if kind == GoodsRecognise {
			prefixes, _, err := goodsLists(tx)
			if err != nil {
				return err
			}
			if why, bad := IneligibleReason(prefixes, g.HSCode); bad {
				return apperr.New(apperr.Invalid, apperr.T(why.En+". Reject the goods instead.", why.Zh+"。请驳回该商品。"))
			}
		}
		now := s.now()
		statusReason := reason
		if kind == GoodsRecognise {
			statusReason = ""
		}
		res := tx.Model(&models.Goods{}).Where("id = ? AND version = ?", g.ID, g.Version).Updates(map[string]any{
			"status": rule.to, "status_reason": statusReason, "reviewed_at": now, "reviewed_by": actorUserRef(actor),
			"version": gorm.Expr("version + 1"), "updated_at": now,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errGoodsChanged
		}
		review := models.GoodsReview{GoodsID: g.ID, FromStatus: g.Status, ToStatus: rule.to, Reason: reason,
			ActorUserID: actorUserRef(actor), CreatedAt: now}
		if err := tx.Create(&review).Error; err != nil {
			return err
		}
		if err := tx.Where("id = ?", g.ID).Take(&out).Error; err != nil {
			return err
		}
		if err := s.notify(tx, actor, goodsDecisionNotice(&out, reason)); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "goods", strconv.FormatInt(g.ID, 10), kind,
			map[string]any{"status": g.Status, "status_reason": g.StatusReason, "version": g.Version},
			map[string]any{"status": out.Status, "status_reason": out.StatusReason, "version": out.Version, "reason": reason})
	})
	if err != nil {
		return nil, apperr.Wrap(err, "decide goods")
	}
	return &out, nil
}
