package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"mpt/models"
	"mpt/workflow/apperr"
)

// Settings is the typed form of the admin-maintained configuration (DOMAIN §4, §5.1). Read it
// with Service.Settings; a key that is not stored yet takes its default.
type Settings struct {
	CapUSD        models.Money // value cap per declaration in USD, inclusive (GACC 2019 No. 221: 150,000.00)
	ItemLimit     int          // at most this many items per declaration (not confirmed; default 50)
	CustomsOffice string       // 4-digit customs office code of declaration numbers
	TaxDueDay     int          // default VAT exemption filing due day of the month (normally the 15th)
	// SpotCheckMinPermille is the least share of active merchants a spot-check campaign draws,
	// per mille (DOMAIN §8: at least 5% a year).
	SpotCheckMinPermille int
	// FXUnallocatedDays is how long received money may stay unallocated before it is flagged.
	FXUnallocatedDays int
}

// DefaultSettings are the values used for keys that are not stored: the USD 150,000.00 cap,
// 50 items, office 2933 (the `mpt migrate` default) and the 15th.
func DefaultSettings() Settings {
	return Settings{CapUSD: 150_000_00, ItemLimit: 50, CustomsOffice: "2933", TaxDueDay: 15, SpotCheckMinPermille: 50, FXUnallocatedDays: 30}
}

// Limits of the settings an admin may enter.
const (
	MaxItemLimit = 999 // a declaration's item list is numbered with three digits
	MaxTaxDueDay = 28  // the default due day exists in every month
)

// Settings returns the current configuration, with defaults for keys that are not stored. A
// stored value that cannot be read is an internal error: only SetSettings writes them.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	var rows []models.Setting
	if err := s.db.WithContext(ctx).Find(&rows).Error; err != nil {
		return Settings{}, apperr.Wrap(err, "load settings")
	}
	out := DefaultSettings()
	for _, r := range rows {
		var err error
		switch r.Key {
		case models.SettingCapUSD:
			out.CapUSD, err = models.ParseMoney(r.Value)
		case models.SettingItemLimit:
			out.ItemLimit, err = strconv.Atoi(r.Value)
		case models.SettingCustomsOffice:
			out.CustomsOffice = r.Value
		case models.SettingTaxDueDay:
			out.TaxDueDay, err = strconv.Atoi(r.Value)
		case models.SettingSpotCheckMinPermille:
			out.SpotCheckMinPermille, err = strconv.Atoi(r.Value)
		case models.SettingFXUnallocatedDays:
			out.FXUnallocatedDays, err = strconv.Atoi(r.Value)
		}
		if err != nil {
			return Settings{}, apperr.Wrap(err, "setting "+r.Key)
		}
	}
	return out, nil
}

// SettingsInput is what an admin submits on the settings page, as typed.
type SettingsInput struct {
	CapUSD        string // decimal USD, e.g. "150000.00"
	ItemLimit     string // 1–999
	CustomsOffice string // 4 digits, not 0000
	TaxDueDay     string // 1–28
	// SpotCheckMinPermille is 1–1000; FXUnallocatedDays 1–365. Empty keeps the current value
	// (callers from before these settings existed).
	SpotCheckMinPermille string
	FXUnallocatedDays    string
	// Revision is the settings' revision the admin saw (SettingsOverview.Revision): a save over
	// settings another admin changed meanwhile is a conflict, never a silent overwrite of the
	// other's change. Empty skips the check (callers without a form, such as tools).
	Revision string
}

// SettingsRevision identifies the stored values of the settings admins maintain (a hash of
// keys and values): the settings table's optimistic lock, as a version column is a row's.
func settingsRevision(rows []models.Setting) string {
	sorted := slices.Clone(rows)
	slices.SortFunc(sorted, func(a, b models.Setting) int { return strings.Compare(a.Key, b.Key) })
	h := sha256.New()
	for _, r := range sorted {
		h.Write([]byte(r.Key + "\x00" + r.Value + "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

var errSettingsChanged = apperr.New(apperr.Conflict, apperr.T("Another admin changed the settings meanwhile; reload the page and make your change again",
	"其他管理员已修改设置，请刷新页面后重新修改"))

// settingValues checks the input and returns each key's stored text.
func (in SettingsInput) settingValues() (map[string]string, error) {
	var fe apperr.Fields
	out := map[string]string{}
	if m, err := models.ParseMoney(in.CapUSD); err != nil || m <= 0 {
		fe.Add("cap_usd", apperr.T("Enter an amount in US dollars above zero with at most 2 decimals, e.g. 150000.00",
			"请输入大于 0 的美元金额，最多两位小数，例如 150000.00"))
	} else {
		out[models.SettingCapUSD] = m.String()
	}
	if n, err := strconv.Atoi(strings.TrimSpace(in.ItemLimit)); err != nil || n < 1 || n > MaxItemLimit {
		fe.Add("item_limit", apperr.Tf("Enter a whole number from 1 to %d", "请输入 1 到 %d 之间的整数", MaxItemLimit))
	} else {
		out[models.SettingItemLimit] = strconv.Itoa(n)
	}
	office := normalize(in.CustomsOffice)
	if len(office) != 4 || strings.Trim(office, "0123456789") != "" || office == "0000" {
		fe.Add("customs_office", apperr.T("Enter the 4-digit customs office code (not 0000), e.g. 2933",
			"请输入 4 位海关关区代码（不能为 0000），例如 2933"))
	} else {
		out[models.SettingCustomsOffice] = office
	}
	if n, err := strconv.Atoi(strings.TrimSpace(in.TaxDueDay)); err != nil || n < 1 || n > MaxTaxDueDay {
		fe.Add("tax_due_day", apperr.Tf("Enter a day from 1 to %d (a day every month has); move single months under Tax due days",
			"请输入 1 到 %d 之间的日期（每个月都有的日期）；个别月份的调整请在“申报截止日”中设置", MaxTaxDueDay))
	} else {
		out[models.SettingTaxDueDay] = strconv.Itoa(n)
	}
	if v := strings.TrimSpace(in.SpotCheckMinPermille); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 1000 {
			fe.Add("spot_check_min_permille", apperr.T("Enter the least share per mille of active merchants a spot check draws, 1–1000, e.g. 50 for 5%",
				"请输入双随机抽查的最低抽取比例（千分比，1–1000），例如 50 即 5%"))
		} else {
			out[models.SettingSpotCheckMinPermille] = strconv.Itoa(n)
		}
	}
	if v := strings.TrimSpace(in.FXUnallocatedDays); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 365 {
			fe.Add("fx_unallocated_days", apperr.T("Enter a number of days from 1 to 365", "请输入 1 到 365 之间的天数"))
		} else {
			out[models.SettingFXUnallocatedDays] = strconv.Itoa(n)
		}
	}
	return out, fe.Err()
}

// settingAudit is the audit form of one setting's value.
type settingAudit struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// SetSettings stores the settings an admin changed. Unchanged values are left alone; each
// changed key is audited with its old and new value, all in one transaction. It returns how
// many keys changed.
func (s *Service) SetSettings(ctx context.Context, actor Actor, in SettingsInput) (int, error) {
	if err := actor.Require(ActSettingsManage); err != nil {
		return 0, err
	}
	values, err := in.settingValues()
	if err != nil {
		return 0, err
	}
	now := s.now()
	changed := 0
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var rows []models.Setting
		// Locked (FOR UPDATE on PostgreSQL; SQLite writers are serialised anyway), so a second
		// save waits for the first and then sees its values.
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("key IN ?", settingKeys).Find(&rows).Error; err != nil {
			return err
		}
		if in.Revision != "" && in.Revision != settingsRevision(rows) {
			return errSettingsChanged
		}
		old := map[string]*models.Setting{}
		for i := range rows {
			old[rows[i].Key] = &rows[i]
		}
		for _, key := range settingKeys {
			value, given := values[key]
			if !given {
				continue // left empty: kept as it is
			}
			prev := old[key]
			if prev != nil && prev.Value == value {
				continue
			}
			row := models.Setting{Key: key, Value: value, UpdatedByUserID: actorUserRef(actor), UpdatedAt: now}
			var before any
			if prev != nil {
				before = settingAudit{Key: key, Value: prev.Value}
				if err := tx.Model(&models.Setting{}).Where("key = ?", key).Updates(map[string]any{
					"value": value, "updated_by_user_id": row.UpdatedByUserID, "updated_at": now}).Error; err != nil {
					return err
				}
			} else if err := tx.Create(&row).Error; models.IsUniqueViolation(err) {
				return errSettingsChanged // another admin stored it first
			} else if err != nil {
				return err
			}
			if err := s.audit(ctx, tx, actor, "setting", key, "update", before, settingAudit{Key: key, Value: value}); err != nil {
				return err
			}
			changed++
		}
		return nil
	})
	return changed, apperr.Wrap(err, "save settings")
}

// settingKeys are the settings admins maintain, in display order.
var settingKeys = []string{models.SettingCapUSD, models.SettingItemLimit, models.SettingCustomsOffice, models.SettingTaxDueDay,
	models.SettingSpotCheckMinPermille, models.SettingFXUnallocatedDays}

// SettingRow is one setting as the settings page shows it: its value and who last set it.
type SettingRow struct {
	Key       string
	Value     string
	Default   bool // not stored: the default applies
	UpdatedAt time.Time
	UpdatedBy string // username, "" for a seeded value
}

// Change is one audited change as admin pages list it.
type Change struct {
	At       time.Time
	EntityID string
	Action   string
	By       string // username, "" for the system
	Old, New string // the values, as "key: value" text
}

// SettingsOverview is what the settings page shows: the values, their last change and the
// history of changes.
type SettingsOverview struct {
	Current Settings
	// Revision identifies the stored values; the settings form sends it back (SettingsInput).
	Revision string
	Rows     []SettingRow
	History  []Change
}

// SettingsOverview returns the settings with who changed them when, for admins and auditors.
func (s *Service) SettingsOverview(ctx context.Context, actor Actor) (*SettingsOverview, error) {
	if err := actor.Require(ActSettingsView); err != nil {
		return nil, err
	}
	cur, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	var rows []models.Setting
	if err := s.db.WithContext(ctx).Where("key IN ?", settingKeys).Find(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "load settings")
	}
	byKey := map[string]models.Setting{}
	revision := settingsRevision(rows)
	var ids []int64
	for _, r := range rows {
		byKey[r.Key] = r
		if r.UpdatedByUserID != nil {
			ids = append(ids, *r.UpdatedByUserID)
		}
	}
	names, err := s.usernames(ctx, ids)
	if err != nil {
		return nil, err
	}
	def := DefaultSettings()
	defaults := map[string]string{
		models.SettingCapUSD: def.CapUSD.String(), models.SettingItemLimit: strconv.Itoa(def.ItemLimit),
		models.SettingCustomsOffice: def.CustomsOffice, models.SettingTaxDueDay: strconv.Itoa(def.TaxDueDay),
		models.SettingSpotCheckMinPermille: strconv.Itoa(def.SpotCheckMinPermille),
		models.SettingFXUnallocatedDays:    strconv.Itoa(def.FXUnallocatedDays),
	}
	out := &SettingsOverview{Current: cur, Revision: revision}
	for _, key := range settingKeys {
		r, ok := byKey[key]
		if !ok {
			out.Rows = append(out.Rows, SettingRow{Key: key, Value: defaults[key], Default: true})
			continue
		}
		row := SettingRow{Key: key, Value: r.Value, UpdatedAt: r.UpdatedAt}
		if r.UpdatedByUserID != nil {
			row.UpdatedBy = names[*r.UpdatedByUserID]
		}
		out.Rows = append(out.Rows, row)
	}
	out.History, err = s.changes(ctx, "setting", nil, 50)
	return out, err
}

// changes lists the latest audited changes of an entity (of some of its ids, when given),
// newest first.
func (s *Service) changes(ctx context.Context, entity string, ids []string, limit int) ([]Change, error) {
	q := s.db.WithContext(ctx).Where("entity = ?", entity)
	if ids != nil {
		q = q.Where("entity_id IN ?", ids)
	}
	var rows []models.AuditEntry
	if err := q.Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "load changes")
	}
	var actors []int64
	for _, r := range rows {
		if r.ActorUserID != nil {
			actors = append(actors, *r.ActorUserID)
		}
	}
	names, err := s.usernames(ctx, actors)
	if err != nil {
		return nil, err
	}
	out := make([]Change, 0, len(rows))
	for _, r := range rows {
		c := Change{At: r.At, EntityID: r.EntityID, Action: r.Action, Old: auditText(r.OldJSON), New: auditText(r.NewJSON)}
		if r.ActorUserID != nil {
			c.By = names[*r.ActorUserID]
		}
		out = append(out, c)
	}
	return out, nil
}

// auditText shows an audit value as "key: value" pairs, or the JSON as stored when it is not an
// object of plain values.
func auditText(raw string) string {
	if raw == "" {
		return ""
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return raw
	}
	if v, ok := m["value"]; ok && len(m) == 2 { // a setting: {"key": …, "value": …}
		if s, ok := v.(string); ok {
			return s
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteString(": ")
		switch v := m[k].(type) {
		case string:
			b.WriteString(v)
		case nil:
			b.WriteString("–")
		default:
			j, _ := json.Marshal(v)
			b.Write(j)
		}
	}
	return b.String()
}

// usernames maps user ids to usernames.
// namedBy turns rows into view rows carrying the username of the user each row names (its
// author or last editor), with one query for all the names.
func namedBy[R, O any](ctx context.Context, s *Service, rows []R, by func(R) *int64, wrap func(R, string) O) ([]O, error) {
	var ids []int64
	for _, r := range rows {
		if id := by(r); id != nil {
			ids = append(ids, *id)
		}
	}
	names, err := s.usernames(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]O, len(rows))
	for i, r := range rows {
		name := ""
		if id := by(r); id != nil {
			name = names[*id]
		}
		out[i] = wrap(r, name)
	}
	return out, nil
}

func (s *Service) usernames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID       int64
		Username string
	}
	if err := s.db.WithContext(ctx).Model(&models.User{}).Select("id, username").Where("id IN ?", uniqueIDs(ids)).Find(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "load usernames")
	}
	for _, r := range rows {
		out[r.ID] = r.Username
	}
	return out, nil
}

func uniqueIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// actorUserRef is the actor's user id as a nullable column value.
func actorUserRef(actor Actor) *int64 {
	if actor.UserID == 0 {
		return nil
	}
	id := actor.UserID
	return &id
}

// noSuchRow reports gorm's record-not-found.
func noSuchRow(err error) bool { return errors.Is(err, gorm.ErrRecordNotFound) }
