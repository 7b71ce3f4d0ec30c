package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// The stored form of a rule set (DOMAIN §7): risk_rule_sets.rules_json holds the rules and the
// norms of HS headings as {"rules": [RiskRule...], "norms": {"9503": HSNorm...}}, and
// min_rates_json the per-mille random rates as {"red": 20, "yellow": 30, "blue": 20}. Versions
// are never edited: publishing inserts the next version and makes it the only active one.

// rulesDocument is the JSON of risk_rule_sets.rules_json.
type rulesDocument struct {
	Rules []RiskRule        `json:"rules"`
	Norms map[string]HSNorm `json:"norms"`
}

var ruleSetNoun = apperr.T("Risk rule set", "风险规则集")

// StoredRuleSet is one stored version of the rules: its row, its decoded rules and who published it.
type StoredRuleSet struct {
	models.RiskRuleSet
	Set       RuleSet
	CreatedBy string // username of the publisher; "" for the seeded version
}

// RulesText is the rules and norms as the indented JSON an admin edits.
func (r StoredRuleSet) RulesText() string {
	return RulesDocumentText(r.Set)
}

// RulesDocumentText renders the rules and norms of a rule set as indented JSON.
func RulesDocumentText(rs RuleSet) string {
	doc := rulesDocument{Rules: rs.Rules, Norms: rs.Norms}
	if doc.Rules == nil {
		doc.Rules = []RiskRule{}
	}
	if doc.Norms == nil {
		doc.Norms = map[string]HSNorm{}
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return string(b)
}

// decodeRuleSet reads a stored version.
func decodeRuleSet(row models.RiskRuleSet) (RuleSet, error) {
	rs := RuleSet{Version: row.Version, MinRates: map[string]int{}, Norms: map[string]HSNorm{}}
	text := strings.TrimSpace(row.RulesJSON)
	if strings.HasPrefix(text, "[") { // the bare rule list of an empty schema default
		if err := json.Unmarshal([]byte(text), &rs.Rules); err != nil {
			return RuleSet{}, apperr.Wrap(err, "rules of rule set "+strconv.Itoa(row.Version))
		}
	} else if text != "" {
		var doc rulesDocument
		if err := json.Unmarshal([]byte(text), &doc); err != nil {
			return RuleSet{}, apperr.Wrap(err, "rules of rule set "+strconv.Itoa(row.Version))
		}
		rs.Rules = doc.Rules
		if doc.Norms != nil {
			rs.Norms = doc.Norms
		}
	}
	if t := strings.TrimSpace(row.MinRatesJSON); t != "" {
		if err := json.Unmarshal([]byte(t), &rs.MinRates); err != nil {
			return RuleSet{}, apperr.Wrap(err, "rates of rule set "+strconv.Itoa(row.Version))
		}
	}
	return rs, nil
}

// activeRuleSet loads the active version inside tx.
func activeRuleSet(tx *gorm.DB) (RuleSet, error) {
	var row models.RiskRuleSet
	err := tx.Where("active = ?", true).Order("version DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return RuleSet{}, apperr.New(apperr.Conflict, apperr.T("No risk rule set is active: an administrator must publish one",
			"没有生效的风险规则集，请管理员发布"))
	}
	if err != nil {
		return RuleSet{}, apperr.Wrap(err, "load active rule set")
	}
	return decodeRuleSet(row)
}

// ruleSetByVersion loads one version inside tx.
func ruleSetByVersion(tx *gorm.DB, version int) (models.RiskRuleSet, RuleSet, error) {
	var row models.RiskRuleSet
	if err := tx.Where("version = ?", version).Take(&row).Error; err != nil {
		return row, RuleSet{}, models.Translate(err, ruleSetNoun)
	}
	rs, err := decodeRuleSet(row)
	return row, rs, err
}

// stored wraps rows with their decoded rules and publishers' names.
func (s *Service) stored(ctx context.Context, rows []models.RiskRuleSet) ([]StoredRuleSet, error) {
	out, err := namedBy(ctx, s, rows, func(r models.RiskRuleSet) *int64 { return r.CreatedByUserID },
		func(r models.RiskRuleSet, name string) StoredRuleSet {
			return StoredRuleSet{RiskRuleSet: r, CreatedBy: name}
		})
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Set, err = decodeRuleSet(out[i].RiskRuleSet); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ActiveRuleSet is the version routing uses now.
func (s *Service) ActiveRuleSet(ctx context.Context, actor Actor) (*StoredRuleSet, error) {
	if err := actor.Require(ActRiskRulesView); err != nil {
		return nil, err
	}
	var rows []models.RiskRuleSet
	if err := s.db.WithContext(ctx).Where("active = ?", true).Order("version DESC").Limit(1).Find(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "load active rule set")
	}
	if len(rows) == 0 {
		return nil, apperr.New(apperr.NotFound, apperr.T("No risk rule set is active", "没有生效的风险规则集"))
	}
	out, err := s.stored(ctx, rows)
	if err != nil {
		return nil, err
	}
	return &out[0], nil
}

// RuleSets lists every version, newest first.
func (s *Service) RuleSets(ctx context.Context, actor Actor) ([]StoredRuleSet, error) {
	if err := actor.Require(ActRiskRulesView); err != nil {
		return nil, err
	}
	var rows []models.RiskRuleSet
	if err := s.db.WithContext(ctx).Order("version DESC").Find(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "list rule sets")
	}
	return s.stored(ctx, rows)
}

// RuleSetVersion is one version of the rules.
func (s *Service) RuleSetVersion(ctx context.Context, actor Actor, version int) (*StoredRuleSet, error) {
	if err := actor.Require(ActRiskRulesView); err != nil {
		return nil, err
	}
	row, _, err := ruleSetByVersion(s.db.WithContext(ctx), version)
	if err != nil {
		return nil, err
	}
	out, err := s.stored(ctx, []models.RiskRuleSet{row})
	if err != nil {
		return nil, err
	}
	return &out[0], nil
}

// RuleSetInput is a new version as an admin submits it.
type RuleSetInput struct {
	RulesJSON string            // {"rules": [...], "norms": {...}}
	MinRates  map[string]string // lane (red, yellow, blue) → per mille, as typed
	Note      string            // why the rules change
}

// MaxRuleSetNote is the longest note of a version, in characters.
const MaxRuleSetNote = 500

// ParseRuleSet reads and checks an input into a rule set; every problem names its field
// (rules_json, rules[3].factor, min_rates.red, note).
func (in RuleSetInput) ParseRuleSet() (RuleSet, error) {
	var fs apperr.Fields
	rs := RuleSet{MinRates: map[string]int{}, Norms: map[string]HSNorm{}}
	dec := json.NewDecoder(bytes.NewReader([]byte(in.RulesJSON)))
	dec.DisallowUnknownFields()
	var doc rulesDocument
	if err := dec.Decode(&doc); err != nil {
		fs.Add("rules_json", apperr.Tf("The rules are not valid JSON of the form {\"rules\": [...], \"norms\": {...}}: %v",
			"规则不是 {\"rules\": [...], \"norms\": {...}} 格式的有效 JSON：%v", err))
	} else if dec.More() {
		fs.Add("rules_json", apperr.T("Give one JSON object only", "只能填写一个 JSON 对象"))
	} else {
		rs.Rules = doc.Rules
		if doc.Norms != nil {
			rs.Norms = doc.Norms
		}
	}
	for _, lane := range []string{LaneRed, LaneYellow, LaneBlue} {
		v := strings.TrimSpace(in.MinRates[lane])
		if v == "" {
			v = "0"
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			fs.Add("min_rates."+lane, apperr.T("Give a whole number of per mille from 0 to 1000", "请填写 0 至 1000 之间的整数千分比"))
			continue
		}
		rs.MinRates[lane] = n
	}
	for lane := range in.MinRates {
		if lane != LaneRed && lane != LaneYellow && lane != LaneBlue {
			fs.Add("min_rates."+lane, apperr.T("Random rates are set for red, yellow and blue only", "随机比例只可设置红、黄、蓝三个通道"))
		}
	}
	note := strings.TrimSpace(in.Note)
	switch {
	case note == "":
		fs.Add("note", apperr.T("Say why the rules change", "请说明修改规则的原因"))
	case utf8.RuneCountInString(note) > MaxRuleSetNote:
		fs.Add("note", apperr.Tf("Keep the note within %d characters", "说明不得超过 %d 个字符", MaxRuleSetNote))
	}
	if err := rs.Check(); err != nil {
		fs = append(fs, apperr.As(err).Fields...)
	}
	return rs, fs.Err()
}

// PublishRuleSet checks a new version of the rules and publishes it: it is inserted as the next
// version (the highest plus one), active, and the version active until now is deactivated, in
// one transaction with its audit entry (old active version → new). Published versions are never
// edited, so every decision can be replayed against the version it used. Two admins publishing
// at once: one of them gets a conflict.
func (s *Service) PublishRuleSet(ctx context.Context, actor Actor, in RuleSetInput) (*models.RiskRuleSet, error) {
	if err := actor.Require(ActRiskRulesManage); err != nil {
		return nil, err
	}
	rs, err := in.ParseRuleSet()
	if err != nil {
		return nil, err
	}
	if rs.Rules == nil {
		rs.Rules = []RiskRule{}
	}
	rulesJSON, err := json.Marshal(rulesDocument{Rules: rs.Rules, Norms: rs.Norms})
	if err != nil {
		return nil, apperr.Wrap(err, "encode rules")
	}
	ratesJSON, err := json.Marshal(rs.MinRates)
	if err != nil {
		return nil, apperr.Wrap(err, "encode rates")
	}
	now := s.now()
	row := models.RiskRuleSet{RulesJSON: string(rulesJSON), MinRatesJSON: string(ratesJSON),
		Note: strings.TrimSpace(in.Note), Active: true, CreatedAt: now}
	if actor.UserID != 0 {
		id := actor.UserID
		row.CreatedByUserID = &id
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var prev struct{ Max, Active int }
		if err := tx.Raw(`SELECT COALESCE(MAX(version), 0) AS max,
			COALESCE(MAX(CASE WHEN active THEN version END), 0) AS active FROM risk_rule_sets`).Scan(&prev).Error; err != nil {
			return apperr.Wrap(err, "read versions")
		}
		row.Version = prev.Max + 1
		if err := tx.Model(&models.RiskRuleSet{}).Where("active = ?", true).Update("active", false).Error; err != nil {
			return apperr.Wrap(err, "deactivate rule set")
		}
		if err := tx.Create(&row).Error; err != nil {
			return models.Translate(err, ruleSetNoun)
		}
		return s.audit(ctx, tx, actor, "risk_rule_set", strconv.Itoa(row.Version), "publish",
			map[string]any{"active_version": prev.Active},
			map[string]any{"active_version": row.Version, "note": row.Note, "rules_json": row.RulesJSON, "min_rates_json": row.MinRatesJSON})
	})
	if err != nil {
		return nil, err
	}
	return &row, nil
}
