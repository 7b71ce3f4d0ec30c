package workflow

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// PartyEvent is one step in the life of a merchant or an agent: when, who, what, and the
// detail recorded with it (DOMAIN §9: who did what, when).
type PartyEvent struct {
	At        time.Time
	Kind      string      // what kind of step, e.g. "registered", "status", "spot_check_failed"
	Text      apperr.Text // what happened, in both languages
	Detail    string      // the reason, findings or note as recorded, in the language it was written
	ActorName string      // display name of who did it, "" for the system or many people
	ActorRole string      // their role, "" when unknown
}

// PartyTimelineLimit is how many of the latest entries a timeline keeps.
const PartyTimelineLimit = 200

// partyTimeline collects entries and the users they name, then resolves the names.
type partyTimeline struct {
	entries []PartyEvent
	users   []*int64 // the actor of entries[i]
	roles   []string // the role recorded with entries[i] (audit), "" to take the user's
}

func (t *partyTimeline) add(e PartyEvent, user *int64, role string) {
	t.entries, t.users, t.roles = append(t.entries, e), append(t.users, user), append(t.roles, role)
}

// finish names the actors, sorts newest first (ties: the order added, reversed) and keeps the
// latest PartyTimelineLimit entries.
func (t *partyTimeline) finish(db *gorm.DB) ([]PartyEvent, error) {
	var ids []int64
	for _, u := range t.users {
		if u != nil {
			ids = append(ids, *u)
		}
	}
	type person struct {
		ID          int64
		DisplayName string
		Role        string
	}
	var people []person
	if len(ids) > 0 {
		if err := db.Model(&models.User{}).Select("id, display_name, role").Where("id IN ?", uniqueIDs(ids)).Scan(&people).Error; err != nil {
			return nil, apperr.Wrap(err, "load timeline users")
		}
	}
	byID := map[int64]person{}
	for _, p := range people {
		byID[p.ID] = p
	}
	for i := range t.entries {
		if u := t.users[i]; u != nil {
			p := byID[*u]
			t.entries[i].ActorName, t.entries[i].ActorRole = p.DisplayName, cmp.Or(t.roles[i], p.Role)
		}
	}
	out := slices.Clone(t.entries)
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		if !out[order[a]].At.Equal(out[order[b]].At) {
			return out[order[a]].At.After(out[order[b]].At)
		}
		return order[a] > order[b]
	})
	sorted := make([]PartyEvent, 0, min(len(out), PartyTimelineLimit))
	for _, i := range order[:min(len(order), PartyTimelineLimit)] {
		sorted = append(sorted, out[i])
	}
	return sorted, nil
}

// partyAudit is an audit entry as a timeline reads it.
type partyAudit struct {
	At          time.Time
	ActorUserID *int64
	ActorRole   string
	EntityID    string
	Action      string
	OldJSON     string
	NewJSON     string
}

func partyAudits(db *gorm.DB, entity string, ids []string, actions ...string) ([]partyAudit, error) {
	var rows []partyAudit
	if len(ids) == 0 {
		return nil, nil
	}
	q := db.Model(&models.AuditEntry{}).Select("at, actor_user_id, actor_role, entity_id, action, old_json, new_json").
		Where("entity = ? AND entity_id IN ?", entity, ids)
	if len(actions) > 0 {
		q = q.Where("action IN ?", actions)
	}
	err := q.Order("id").Scan(&rows).Error
	return rows, apperr.Wrap(err, "load audit entries")
}

// partyAuditChanges lists the keys whose values differ between an entry's old and new JSON objects,
// with their old and new values as text, sorted by key.
func partyAuditChanges(oldJSON, newJSON string) (keys []string, from, to map[string]string) {
	var o, n map[string]any
	_ = json.Unmarshal([]byte(oldJSON), &o)
	_ = json.Unmarshal([]byte(newJSON), &n)
	from, to = map[string]string{}, map[string]string{}
	for k, v := range n {
		if k == "version" {
			continue
		}
		nv, ov := fmt.Sprint(v), ""
		if old, ok := o[k]; ok {
			ov = fmt.Sprint(old)
		}
		if nv != ov {
			keys = append(keys, k)
			from[k], to[k] = ov, nv
		}
	}
	slices.Sort(keys)
	return keys, from, to
}

// partyAuditSteps turns audit entries of a merchant or an agent other than the ones the records
// already tell into entries: a changed credit class, or the fields an update changed.
func partyAuditSteps(tl *partyTimeline, rows []partyAudit, skip ...string) {
	for _, r := range rows {
		if slices.Contains(skip, r.Action) {
			continue
		}
		keys, from, to := partyAuditChanges(r.OldJSON, r.NewJSON)
		if slices.Contains(keys, "credit_class") {
			tl.add(PartyEvent{At: r.At, Kind: "credit_class",
				Text: apperr.Tf("Credit class changed: %s → %s", "信用等级变更：%s → %s", cmp.Or(from["credit_class"], "–"), to["credit_class"])},
				r.ActorUserID, r.ActorRole)
			keys = slices.DeleteFunc(keys, func(k string) bool { return k == "credit_class" })
		}
		if len(keys) > 0 {
			tl.add(PartyEvent{At: r.At, Kind: "updated", Text: apperr.T("Registration details changed", "登记信息变更"),
				Detail: strings.Join(keys, ", ")}, r.ActorUserID, r.ActorRole)
		}
	}
}

// MerchantTimeline is the life of one merchant the actor may see (NotFound otherwise), newest
// first: its registration, approval or rejection and every status change, credit class changes,
// entrustments of agents (an agent sees only its own), goods recognition decisions, and spot
// checks (a merchant or agent sees a result once it is published; officers also see the draw).
func (s *Service) MerchantTimeline(ctx context.Context, actor Actor, id int64) ([]PartyEvent, error) {
	if err := actor.Require(ActMerchantView); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	var m models.Merchant
	if err := s.scopedMerchant(db, actor, id, &m); err != nil {
		return nil, err
	}
	tl := &partyTimeline{}
	idText := strconv.FormatInt(id, 10)
	audits, err := partyAudits(db, "merchant", []string{idText})
	if err != nil {
		return nil, err
	}
	reg := PartyEvent{At: m.CreatedAt, Kind: "registered", Text: apperr.T("Registered on the platform (备案)", "在平台备案登记")}
	if m.USCCReview {
		reg.Text = apperr.T("Registered on the platform (备案); the USCC failed its check character and goes to manual review",
			"在平台备案登记；统一社会信用代码校验位不符，转人工复核")
	}
	var regBy *int64
	var regRole string
	for _, a := range audits {
		if a.Action == "register" || a.Action == "create" {
			regBy, regRole = a.ActorUserID, a.ActorRole
			break
		}
	}
	tl.add(reg, regBy, regRole)

	var changes []models.MerchantStatusChange
	if err := db.Where("merchant_id = ?", id).Order("id").Find(&changes).Error; err != nil {
		return nil, apperr.Wrap(err, "load status changes")
	}
	for _, c := range changes {
		e := PartyEvent{At: c.CreatedAt, Kind: "status", Detail: c.Reason}
		from, to := MerchantStatusText(c.FromStatus), MerchantStatusText(c.ToStatus)
		switch {
		case c.FromStatus == models.MerchantPending && c.ToStatus == models.MerchantActive:
			e.Kind, e.Text = "approved", apperr.T("Registration approved by market supervision: active", "市场监管部门核准登记：正常经营")
		case c.FromStatus == models.MerchantPending && c.ToStatus == models.MerchantRejected:
			e.Kind, e.Text = "rejected", apperr.T("Registration rejected by market supervision", "市场监管部门驳回登记")
		default:
			e.Text = apperr.Tf("Status changed: %[1]s → %[2]s", "状态变更：%[3]s → %[4]s", from.En, to.En, from.Zh, to.Zh)
		}
		tl.add(e, c.ActorUserID, "")
	}
	partyAuditSteps(tl, audits, "register", "create", "approve", "reject", "status")

	if err := s.entrustmentSteps(db, tl, actor, "merchant_id = ?", id, false); err != nil {
		return nil, err
	}

	var reviews []struct {
		models.GoodsReview
		SKU    string
		NameZh string
		NameEn string
	}
	err = db.Table("goods_reviews AS r").Select("r.*, g.sku, g.name_zh, g.name_en").Joins("JOIN goods g ON g.id = r.goods_id").
		Where("g.merchant_id = ? AND r.to_status IN ?", id, []string{models.GoodsRecognised, models.GoodsRejected, models.GoodsHeld}).
		Order("r.id DESC").Limit(PartyTimelineLimit).Scan(&reviews).Error
	if err != nil {
		return nil, apperr.Wrap(err, "load goods decisions")
	}
	for _, r := range reviews {
		name := cmp.Or(r.NameZh, r.NameEn) + " (" + r.SKU + ")"
		e := PartyEvent{At: r.CreatedAt, Kind: "goods_" + r.ToStatus, Detail: r.Reason}
		switch r.ToStatus {
		case models.GoodsRecognised:
			e.Text = apperr.Tf("Goods recognised (商品认定): %s", "商品认定通过：%s", name)
		case models.GoodsRejected:
			e.Text = apperr.Tf("Goods rejected: %s", "商品认定驳回：%s", name)
		default:
			e.Text = apperr.Tf("Goods held for review: %s", "商品暂扣待核：%s", name)
		}
		tl.add(e, r.ActorUserID, "")
	}

	officer := actor.Can(ActSpotCheckView)
	var checks []struct {
		models.SpotCheck
		CampaignName    string
		CampaignStatus  string
		CampaignCreator *int64
	}
	err = db.Table("spot_checks AS k").Select("k.*, c.name AS campaign_name, c.status AS campaign_status, c.created_by_user_id AS campaign_creator").
		Joins("JOIN spot_check_campaigns c ON c.id = k.campaign_id").Where("k.merchant_id = ?", id).Order("k.id").Scan(&checks).Error
	if err != nil {
		return nil, apperr.Wrap(err, "load spot checks")
	}
	for _, k := range checks {
		if officer {
			why := apperr.T("drawn at random", "随机抽取")
			if k.Reason == models.SpotCheckComplaint {
				why = apperr.T("added for complaints", "因投诉列入")
			}
			tl.add(PartyEvent{At: k.CreatedAt, Kind: "spot_check_drawn",
				Text: apperr.Tf("Drawn for spot check %[1]s (%[2]s)", "列入双随机抽查“%[1]s”（%[3]s）", k.CampaignName, why.En, why.Zh)},
				k.CampaignCreator, "")
		}
		if k.Result == "" || k.CheckedAt == nil || (!officer && k.CampaignStatus != models.CampaignPublished) {
			continue
		}
		e := PartyEvent{At: *k.CheckedAt, Kind: "spot_check_" + k.Result}
		if k.Result == models.SpotCheckFail {
			e.Text = apperr.Tf("Spot check %s: failed", "双随机抽查“%s”：不合格", k.CampaignName)
			e.Detail = k.Findings
		} else {
			e.Text = apperr.Tf("Spot check %s: passed", "双随机抽查“%s”：合格", k.CampaignName)
			if officer {
				e.Detail = k.Findings
			}
		}
		tl.add(e, k.InspectorUserID, "")
	}
	return tl.finish(db)
}

// entrustmentSteps adds the entrustments matching a condition (of a merchant or of an agent):
// each agreement recorded, and its end. An agent sees only its own; a merchant only its own.
func (s *Service) entrustmentSteps(db *gorm.DB, tl *partyTimeline, actor Actor, where string, id int64, forAgent bool) error {
	var rows []struct {
		models.Entrustment
		AgentName    string
		MerchantName string
	}
	q := db.Table("entrustments AS e").Select("e.*, a.name AS agent_name, m.name AS merchant_name").
		Joins("JOIN agents a ON a.id = e.agent_id").Joins("JOIN merchants m ON m.id = e.merchant_id").Where("e."+where, id)
	if sc := actor.Scope(); sc.AgentID > 0 {
		q = q.Where("e.agent_id = ?", sc.AgentID)
	} else if sc.MerchantID > 0 {
		q = q.Where("e.merchant_id = ?", sc.MerchantID)
	}
	if err := q.Order("e.id").Scan(&rows).Error; err != nil {
		return apperr.Wrap(err, "load entrustments")
	}
	var ended []string
	for _, e := range rows {
		party := e.AgentName
		if forAgent {
			party = e.MerchantName
		}
		period := e.StartsOn + " – " + cmp.Or(e.EndsOn, "…")
		text := apperr.Tf("Entrusted %[1]s with its exports (agreement %[2]s)", "委托 %[1]s 代理出口（协议 %[2]s）", party, e.AgreementNo)
		if forAgent {
			text = apperr.Tf("Entrusted by %[1]s (agreement %[2]s)", "受 %[1]s 委托代理出口（协议 %[2]s）", party, e.AgreementNo)
		}
		tl.add(PartyEvent{At: e.CreatedAt, Kind: "entrusted", Text: text, Detail: period}, e.CreatedByUserID, "")
		if e.EndedAt != nil {
			ended = append(ended, strconv.FormatInt(e.ID, 10))
		}
	}
	if len(ended) == 0 {
		return nil
	}
	ends, err := partyAudits(db, "entrustment", ended, "end")
	if err != nil {
		return err
	}
	by := map[string]partyAudit{}
	for _, a := range ends {
		by[a.EntityID] = a
	}
	for _, e := range rows {
		if e.EndedAt == nil {
			continue
		}
		party := e.AgentName
		if forAgent {
			party = e.MerchantName
		}
		a := by[strconv.FormatInt(e.ID, 10)]
		tl.add(PartyEvent{At: *e.EndedAt, Kind: "entrustment_ended",
			Text:   apperr.Tf("Entrustment ended: %[1]s (agreement %[2]s)", "委托终止：%[1]s（协议 %[2]s）", party, e.AgreementNo),
			Detail: e.EndReason}, a.ActorUserID, a.ActorRole)
	}
	return nil
}

// PartyTimelineMonths is how many months of declaration counts an agent's timeline sums up.
const PartyTimelineMonths = 12

// AgentTimeline is the life of one agent the actor may see (NotFound otherwise), newest first:
// its registration, credit class changes and other changes of its details, the merchants that
// entrusted it, its declarations submitted, released and rejected per month over the last
// PartyTimelineMonths months, and the webhooks it registered. A merchant sees the registration, the
// credit class and its own entrustments only.
func (s *Service) AgentTimeline(ctx context.Context, actor Actor, id int64) ([]PartyEvent, error) {
	if err := actor.Require(ActAgentView); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	var a models.Agent
	if err := agentsScoped(db.Model(&models.Agent{}), actor.Scope()).Where("agents.id = ?", id).Take(&a).Error; err != nil {
		return nil, models.Translate(err, agentNoun)
	}
	sc := actor.Scope()
	full := sc.All || sc.AgentID == id
	tl := &partyTimeline{}
	audits, err := partyAudits(db, "agent", []string{strconv.FormatInt(id, 10)})
	if err != nil {
		return nil, err
	}
	var regBy *int64
	var regRole string
	for _, r := range audits {
		if r.Action == "create" || r.Action == "register" {
			regBy, regRole = r.ActorUserID, r.ActorRole
			break
		}
	}
	tl.add(PartyEvent{At: a.CreatedAt, Kind: "registered", Text: apperr.T("Registered as an agent (外贸代理)", "登记为外贸代理企业")}, regBy, regRole)
	if full {
		partyAuditSteps(tl, audits, "create", "register")
	} else {
		for _, r := range audits {
			if keys, from, to := partyAuditChanges(r.OldJSON, r.NewJSON); slices.Contains(keys, "credit_class") && r.Action != "create" {
				tl.add(PartyEvent{At: r.At, Kind: "credit_class",
					Text: apperr.Tf("Credit class changed: %s → %s", "信用等级变更：%s → %s", cmp.Or(from["credit_class"], "–"), to["credit_class"])},
					r.ActorUserID, r.ActorRole)
			}
		}
	}
	if err := s.entrustmentSteps(db, tl, actor, "agent_id = ?", id, true); err != nil {
		return nil, err
	}
	if !full {
		return tl.finish(db)
	}
	if err := s.declarationMonths(db, tl, id); err != nil {
		return nil, err
	}
	var hooks []models.Webhook
	if err := db.Where("agent_id = ?", id).Order("id").Find(&hooks).Error; err != nil {
		return nil, apperr.Wrap(err, "load webhooks")
	}
	for _, h := range hooks {
		tl.add(PartyEvent{At: h.CreatedAt, Kind: "webhook", Text: apperr.T("Webhook registered", "登记了 Webhook 回调地址"), Detail: h.URL},
			h.CreatedByUserID, "")
	}
	return tl.finish(db)
}

// declarationMonths adds one entry per month with the agent's declarations submitted (and
// resubmitted), released and rejected, from the customs events of its declarations.
func (s *Service) declarationMonths(db *gorm.DB, tl *partyTimeline, agentID int64) error {
	now := s.now().In(MarketZone)
	since := time.Date(now.Year(), now.Month()-PartyTimelineMonths+1, 1, 0, 0, 0, 0, MarketZone)
	var events []struct {
		Kind      string
		CreatedAt time.Time
	}
	err := db.Table("customs_events AS e").Select("e.kind, e.created_at").Joins("JOIN declarations d ON d.id = e.declaration_id").
		Where("d.agent_id = ? AND e.created_at >= ? AND e.kind IN ?", agentID, since.UTC(),
			[]string{"submitted", "resubmitted", "released", "rejected"}).Scan(&events).Error
	if err != nil {
		return apperr.Wrap(err, "load declaration events")
	}
	type month struct {
		submitted, released, rejected int
		last                          time.Time
	}
	months := map[string]*month{}
	for _, e := range events {
		key := e.CreatedAt.In(MarketZone).Format("2006-01")
		m := months[key]
		if m == nil {
			m = &month{}
			months[key] = m
		}
		switch e.Kind {
		case "released":
			m.released++
		case "rejected":
			m.rejected++
		default:
			m.submitted++
		}
		if e.CreatedAt.After(m.last) {
			m.last = e.CreatedAt
		}
	}
	keys := make([]string, 0, len(months))
	for key := range months {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		m := months[key]
		tl.add(PartyEvent{At: m.last, Kind: "declarations",
			Text: apperr.Tf("Declarations in %[1]s: %[2]d submitted, %[3]d released, %[4]d rejected",
				"%[1]s 报关单：提交 %[2]d 份，放行 %[3]d 份，退单 %[4]d 份", key, m.submitted, m.released, m.rejected)}, nil, "")
	}
	return nil
}
