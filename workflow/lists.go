package workflow

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
)

// ---- Tax due day per month (DOMAIN §5.1) ----------------------------------------------------

// TaxDueDayRow is a month whose VAT exemption filing due day was moved.
type TaxDueDayRow struct {
	models.TaxDueDay
	UpdatedBy string // username
}

// TaxDueDays lists the months with a moved due day, latest month first.
func (s *Service) TaxDueDays(ctx context.Context, actor Actor) ([]TaxDueDayRow, error) {
	if err := actor.Require(ActSettingsView); err != nil {
		return nil, err
	}
	var rows []models.TaxDueDay
	if err := s.db.WithContext(ctx).Order("month DESC").Find(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "list tax due days")
	}
	return namedBy(ctx, s, rows, func(r models.TaxDueDay) *int64 { return r.UpdatedByUserID }, func(r models.TaxDueDay, by string) TaxDueDayRow {
		return TaxDueDayRow{TaxDueDay: r, UpdatedBy: by}
	})
}

// TaxDueDayFor returns the day of a filing month (YYYY-MM) by which VAT exemption filings are
// due: the month's moved day when an admin set one, else the default due day (DOMAIN §5.1).
func (s *Service) TaxDueDayFor(ctx context.Context, month string) (int, error) {
	var row models.TaxDueDay
	err := s.db.WithContext(ctx).Where("month = ?", month).Take(&row).Error
	if err == nil {
		return row.Day, nil
	}
	if !noSuchRow(err) {
		return 0, apperr.Wrap(err, "load tax due day")
	}
	set, err := s.Settings(ctx)
	return set.TaxDueDay, err
}

// TaxDueDayInput moves the due day of one filing month.
type TaxDueDayInput struct {
	Month string // YYYY-MM: the month in which the filing is due (the month after export)
	Day   string // a day of that month
}

type taxDueDayAudit struct {
	Month string `json:"month"`
	Day   int    `json:"day"`
}

// SetTaxDueDay sets (or replaces) the due day of a filing month; the day must exist in that month.
func (s *Service) SetTaxDueDay(ctx context.Context, actor Actor, in TaxDueDayInput) error {
	if err := actor.Require(ActSettingsManage); err != nil {
		return err
	}
	var fe apperr.Fields
	month, ok := ParseMonth(in.Month)
	if !ok {
		fe.Add("month", monthProblem())
	}
	day, err := strconv.Atoi(strings.TrimSpace(in.Day))
	switch {
	case err != nil || day < 1 || day > 31:
		fe.Add("day", apperr.T("Enter a day from 1 to 31", "请输入 1 到 31 之间的日期"))
	case ok && day > DaysIn(month):
		fe.Add("day", apperr.Tf("%s has only %d days", "%s 只有 %d 天", month, DaysIn(month)))
	}
	if err := fe.Err(); err != nil {
		return err
	}
	now := s.now()
	return apperr.Wrap(s.tx(ctx, func(tx *gorm.DB) error {
		var prev models.TaxDueDay
		err := tx.Where("month = ?", month).Take(&prev).Error
		var before any
		switch {
		case err == nil:
			if prev.Day == day {
				return apperr.Field("day", apperr.Tf("The due day of %s is already the %d", "%s 的截止日已是 %d 日", month, day))
			}
			before = taxDueDayAudit{Month: month, Day: prev.Day}
			err = tx.Model(&models.TaxDueDay{}).Where("month = ?", month).
				Updates(map[string]any{"day": day, "updated_by_user_id": actorUserRef(actor), "updated_at": now}).Error
		case noSuchRow(err):
			err = tx.Create(&models.TaxDueDay{Month: month, Day: day, UpdatedByUserID: actorUserRef(actor), UpdatedAt: now}).Error
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "tax_due_day", month, "set", before, taxDueDayAudit{Month: month, Day: day})
	}), "set tax due day")
}

// DeleteTaxDueDay removes a month's moved due day, so the default applies again.
func (s *Service) DeleteTaxDueDay(ctx context.Context, actor Actor, month string) error {
	if err := actor.Require(ActSettingsManage); err != nil {
		return err
	}
	return apperr.Wrap(s.tx(ctx, func(tx *gorm.DB) error {
		var prev models.TaxDueDay
		if err := tx.Where("month = ?", month).Take(&prev).Error; err != nil {
			return models.Translate(err, apperr.T("Tax due day", "申报截止日"))
		}
		if err := tx.Where("month = ?", month).Delete(&models.TaxDueDay{}).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "tax_due_day", month, "delete", taxDueDayAudit{Month: month, Day: prev.Day}, nil)
	}), "delete tax due day")
}

// ---- HS prefix lists (DOMAIN §4) -------------------------------------------------------------

// HSLists are the two admin-maintained prefix lists, in display order.
var HSLists = []string{models.ListIneligible, models.ListNotSimplifiable}

// HSPrefixRow is an entry of an HS prefix list with the HS 2022 description of its code.
type HSPrefixRow struct {
	models.HSPrefix
	Description string // English HS 2022 label of the chapter, heading or subheading
	CreatedBy   string // username; "" for a seeded entry
}

// HSPrefixes lists the entries of one list by prefix.
func (s *Service) HSPrefixes(ctx context.Context, actor Actor, list string) ([]HSPrefixRow, error) {
	if err := actor.Require(ActSettingsView); err != nil {
		return nil, err
	}
	if !slices.Contains(HSLists, list) {
		return nil, apperr.Field("list", errHSList)
	}
	var rows []models.HSPrefix
	if err := s.db.WithContext(ctx).Where("list = ?", list).Order("prefix").Find(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "list HS prefixes")
	}
	return namedBy(ctx, s, rows, func(r models.HSPrefix) *int64 { return r.CreatedByUserID }, func(r models.HSPrefix, by string) HSPrefixRow {
		row := HSPrefixRow{HSPrefix: r, CreatedBy: by}
		if e, ok := hsEntryOf(s.ref, r.Prefix); ok {
			row.Description = e.Description
		}
		return row
	})
}

var errHSList = apperr.T("Choose the ineligible or the not-simplifiable list", "请选择“不适用市场采购”或“不可简化申报”清单")

// hsEntryOf returns the HS 2022 entry a prefix names: its chapter, heading or subheading (for 8
// and 10 digits, the subheading of the first six).
func hsEntryOf(ref *refdata.Set, prefix string) (refdata.HSEntry, bool) {
	switch len(prefix) {
	case 2:
		return ref.HSChapter(prefix)
	case 4:
		return ref.HSHeading(prefix)
	case 6, 8, 10:
		return ref.HSSubheading(prefix[:6])
	}
	return refdata.HSEntry{}, false
}

// HSPrefixInput is an entry an admin adds to an HS prefix list.
type HSPrefixInput struct {
	List     string // models.ListIneligible or models.ListNotSimplifiable
	Prefix   string // 2, 4, 6, 8 or 10 digits; dots and spaces are removed
	ReasonEn string
	ReasonZh string
}

type hsPrefixAudit struct {
	List     string `json:"list"`
	Prefix   string `json:"prefix"`
	ReasonEn string `json:"reason_en"`
	ReasonZh string `json:"reason_zh"`
}

// AddHSPrefix adds a chapter, heading or code to a list. Its first 2, 4 and 6 digits must be a
// real HS 2022 chapter, heading and subheading; both reasons are required, as lines blocked or
// set aside by the entry show them to the user in their language.
func (s *Service) AddHSPrefix(ctx context.Context, actor Actor, in HSPrefixInput) (*models.HSPrefix, error) {
	if err := actor.Require(ActSettingsManage); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	if !slices.Contains(HSLists, in.List) {
		fe.Add("list", errHSList)
	}
	prefix := strings.NewReplacer(".", "", " ", "").Replace(normalize(in.Prefix))
	if p := hsPrefixProblem(s.ref, prefix); !p.IsZero() {
		fe.Add("prefix", p)
	}
	reasonEn, reasonZh := strings.TrimSpace(in.ReasonEn), strings.TrimSpace(in.ReasonZh)
	if reasonEn == "" || utf8.RuneCountInString(reasonEn) > 200 {
		fe.Add("reason_en", apperr.T("Give the reason in English, at most 200 characters", "请填写英文原因，最多 200 个字符"))
	}
	if reasonZh == "" || utf8.RuneCountInString(reasonZh) > 200 {
		fe.Add("reason_zh", apperr.T("Give the reason in Chinese, at most 200 characters", "请填写中文原因，最多 200 个字符"))
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	row := models.HSPrefix{List: in.List, Prefix: prefix, ReasonEn: reasonEn, ReasonZh: reasonZh,
		CreatedByUserID: actorUserRef(actor), CreatedAt: s.now()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&models.HSPrefix{}).Where("list = ? AND prefix = ?", in.List, prefix).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return errHSPrefixListed
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "hs_prefix", strconv.FormatInt(row.ID, 10), "create", nil,
			hsPrefixAudit{List: row.List, Prefix: row.Prefix, ReasonEn: row.ReasonEn, ReasonZh: row.ReasonZh})
	})
	if models.IsUniqueViolation(err) {
		return nil, errHSPrefixListed
	}
	if err != nil {
		return nil, apperr.Wrap(err, "add HS prefix")
	}
	return &row, nil
}

var errHSPrefixListed = apperr.Field("prefix", apperr.T("This prefix is already on the list", "该编码前缀已在清单中"))

// hsPrefixProblem checks a prefix: digits only, 2, 4, 6, 8 or 10 of them, naming a real HS 2022
// chapter, heading and subheading. A zero Text means it is fine.
func hsPrefixProblem(ref *refdata.Set, p string) apperr.Text {
	if p == "" {
		return apperr.T("Enter an HS chapter (2 digits), heading (4), subheading (6) or code (8 or 10)",
			"请填写 HS 章（2 位）、品目（4 位）、子目（6 位）或编码（8 或 10 位）")
	}
	if pos, r := firstNot([]rune(p), 1, utf8.RuneCountInString(p), isDigit); pos > 0 {
		return nameHS().notDigit(pos, r)
	}
	switch len(p) {
	case 2, 4, 6, 8, 10:
	default:
		return apperr.Tf("The prefix has %d digits; use 2 (chapter), 4 (heading), 6 (subheading), 8 or 10",
			"前缀为 %d 位，请使用 2 位（章）、4 位（品目）、6 位（子目）、8 位或 10 位", len(p))
	}
	if _, ok := ref.HSChapter(p[:2]); !ok {
		return apperr.Tf("Chapter %s does not exist in HS 2022", "HS 2022 中没有第 %s 章", p[:2])
	}
	if len(p) >= 4 {
		if _, ok := ref.HSHeading(p[:4]); !ok {
			return apperr.Tf("Heading %s does not exist in HS 2022", "HS 2022 中没有 %s 品目", p[:4])
		}
	}
	if len(p) >= 6 {
		if _, ok := ref.HSSubheading(p[:6]); !ok {
			return hsNotSubheading(ref, p[:6])
		}
	}
	return apperr.Text{}
}

// DeleteHSPrefix removes an entry from its list.
func (s *Service) DeleteHSPrefix(ctx context.Context, actor Actor, id int64) (*models.HSPrefix, error) {
	if err := actor.Require(ActSettingsManage); err != nil {
		return nil, err
	}
	var prev models.HSPrefix
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Take(&prev).Error; err != nil {
			return models.Translate(err, apperr.T("HS prefix", "HS 编码前缀"))
		}
		if err := tx.Where("id = ?", id).Delete(&models.HSPrefix{}).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "hs_prefix", strconv.FormatInt(id, 10), "delete",
			hsPrefixAudit{List: prev.List, Prefix: prev.Prefix, ReasonEn: prev.ReasonEn, ReasonZh: prev.ReasonZh}, nil)
	})
	if err != nil {
		return nil, apperr.Wrap(err, "delete HS prefix")
	}
	return &prev, nil
}

// ---- Brand watch list (DOMAIN §8) ------------------------------------------------------------

// BrandKey is how brands are compared: lower-cased, with every space removed, so "Hello Kitty",
// "HELLO KITTY" and "HelloKitty" are one brand.
func BrandKey(brand string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u200B' || r == '\uFEFF' {
			return -1
		}
		return unicode.ToLower(r)
	}, brand)
}

// BrandRow is a watched brand with who added it.
type BrandRow struct {
	models.BrandWatch
	CreatedBy string // username; "" for a seeded entry
}

// BrandWatches lists the watched brands by name.
func (s *Service) BrandWatches(ctx context.Context, actor Actor) ([]BrandRow, error) {
	if err := actor.Require(ActSettingsView); err != nil {
		return nil, err
	}
	var rows []models.BrandWatch
	if err := s.db.WithContext(ctx).Order("brand_key").Find(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "list brands")
	}
	return namedBy(ctx, s, rows, func(r models.BrandWatch) *int64 { return r.CreatedByUserID }, func(r models.BrandWatch, by string) BrandRow {
		return BrandRow{BrandWatch: r, CreatedBy: by}
	})
}

// BrandInput is a protected trademark an admin adds to the watch list.
type BrandInput struct {
	Brand  string
	Holder string // the trademark holder
	Note   string
}

type brandAudit struct {
	Brand    string `json:"brand"`
	BrandKey string `json:"brand_key"`
	Holder   string `json:"holder"`
	Note     string `json:"note"`
}

// AddBrandWatch adds a brand; one already listed under the same key is a field error.
func (s *Service) AddBrandWatch(ctx context.Context, actor Actor, in BrandInput) (*models.BrandWatch, error) {
	if err := actor.Require(ActSettingsManage); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	brand := strings.Join(strings.Fields(in.Brand), " ")
	holder, note := strings.TrimSpace(in.Holder), strings.TrimSpace(in.Note)
	if brand == "" || utf8.RuneCountInString(brand) > 100 {
		fe.Add("brand", apperr.T("Enter the brand as it appears on goods, at most 100 characters", "请填写商品上出现的品牌名称，最多 100 个字符"))
	}
	if utf8.RuneCountInString(holder) > 200 {
		fe.Add("holder", apperr.T("Use at most 200 characters", "最多 200 个字符"))
	}
	if utf8.RuneCountInString(note) > 500 {
		fe.Add("note", apperr.T("Use at most 500 characters", "最多 500 个字符"))
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	row := models.BrandWatch{Brand: brand, BrandKey: BrandKey(brand), Holder: holder, Note: note,
		CreatedByUserID: actorUserRef(actor), CreatedAt: s.now()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var dup models.BrandWatch
		err := tx.Where("brand_key = ?", row.BrandKey).Take(&dup).Error
		if err == nil {
			return brandListed(dup.Brand)
		}
		if !noSuchRow(err) {
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "brand_watch", strconv.FormatInt(row.ID, 10), "create", nil,
			brandAudit{Brand: row.Brand, BrandKey: row.BrandKey, Holder: row.Holder, Note: row.Note})
	})
	if models.IsUniqueViolation(err) {
		return nil, brandListed(brand)
	}
	if err != nil {
		return nil, apperr.Wrap(err, "add brand")
	}
	return &row, nil
}

func brandListed(as string) error {
	return apperr.Field("brand", apperr.Tf("This brand is already on the watch list as %q", "该品牌已在监控名单中（%q）", as))
}

// DeleteBrandWatch removes a brand from the watch list.
func (s *Service) DeleteBrandWatch(ctx context.Context, actor Actor, id int64) (*models.BrandWatch, error) {
	if err := actor.Require(ActSettingsManage); err != nil {
		return nil, err
	}
	var prev models.BrandWatch
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Take(&prev).Error; err != nil {
			return models.Translate(err, apperr.T("Brand", "品牌"))
		}
		if err := tx.Where("id = ?", id).Delete(&models.BrandWatch{}).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "brand_watch", strconv.FormatInt(id, 10), "delete",
			brandAudit{Brand: prev.Brand, BrandKey: prev.BrandKey, Holder: prev.Holder, Note: prev.Note}, nil)
	})
	if err != nil {
		return nil, apperr.Wrap(err, "delete brand")
	}
	return &prev, nil
}
