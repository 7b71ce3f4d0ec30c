package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// riskRoutes registers the pages and API of risk rule sets and routing replay (issue 6,
// DOMAIN §7): customs, auditors and admins read the versions and replay a declaration's routing;
// admins publish a new version.
func (s *Server) riskRoutes() {
	get, post := http.MethodGet, http.MethodPost
	s.handle(get, "/risk-rules", workflow.ActRiskRulesView, s.riskRuleList)
	s.handle(get, "/risk-rules/new", workflow.ActRiskRulesManage, s.riskRuleNew)
	s.handle(post, "/risk-rules", workflow.ActRiskRulesManage, s.riskRulePublish)
	s.handle(get, "/risk-rules/:version", workflow.ActRiskRulesView, s.riskRuleView)
	s.handle(get, "/declarations/:id/routing", workflow.ActRiskRulesView, s.routingView)

	s.handle(get, "/api/v1/risk-rules", workflow.ActRiskRulesView, s.apiRiskRuleList)
	s.handle(get, "/api/v1/risk-rules/active", workflow.ActRiskRulesView, s.apiRiskRuleActive)
	s.handle(get, "/api/v1/risk-rules/:version", workflow.ActRiskRulesView, s.apiRiskRuleVersion)
	s.handle(post, "/api/v1/risk-rules", workflow.ActRiskRulesManage, s.apiRiskRulePublish)
	s.handle(get, "/api/v1/declarations/:id/routing", workflow.ActRiskRulesView, s.apiRouting)
}

// ---- Requests -------------------------------------------------------------------------------

// riskRuleRequest is the form of a new rule-set version: the rules and norms as JSON, the three
// per-mille random rates and why the rules change.
type riskRuleRequest struct {
	RulesJSON string `form:"rules_json" validate:"required,max=200000"`
	Red       string `form:"min_rates.red" validate:"max=6"`
	Yellow    string `form:"min_rates.yellow" validate:"max=6"`
	Blue      string `form:"min_rates.blue" validate:"max=6"`
	Note      string `form:"note" validate:"required,max=500"`
}

func (r riskRuleRequest) input() workflow.RuleSetInput {
	return workflow.RuleSetInput{RulesJSON: r.RulesJSON, Note: r.Note,
		MinRates: map[string]string{workflow.LaneRed: r.Red, workflow.LaneYellow: r.Yellow, workflow.LaneBlue: r.Blue}}
}

// riskRuleAPIRequest is a new version in the API: {"rules": [...], "norms": {...},
// "min_rates": {"red": 20, "yellow": 30, "blue": 20}, "note": "..."}.
type riskRuleAPIRequest struct {
	Rules    json.RawMessage `json:"rules" validate:"required"`
	Norms    json.RawMessage `json:"norms"`
	MinRates map[string]int  `json:"min_rates"`
	Note     string          `json:"note" validate:"required,max=500"`
}

func (r riskRuleAPIRequest) input() workflow.RuleSetInput {
	norms := r.Norms
	if len(norms) == 0 {
		norms = json.RawMessage("{}")
	}
	in := workflow.RuleSetInput{RulesJSON: `{"rules": ` + string(r.Rules) + `, "norms": ` + string(norms) + `}`,
		Note: r.Note, MinRates: map[string]string{}}
	for lane, v := range r.MinRates {
		in.MinRates[lane] = strconv.Itoa(v)
	}
	return in
}

// ---- Formatting -----------------------------------------------------------------------------

// RiskFormat gives the risk pages their labels in the page's language.
type RiskFormat struct {
	lang string
	tr   *Translator
}

func (s *Server) riskFormat(lang string) RiskFormat { return RiskFormat{lang: lang, tr: s.tr} }

// Lane names a customs lane.
func (f RiskFormat) Lane(lane string) string { return f.tr.T(f.lang, "risk.lane."+lane) }

// Kind names a kind of rule.
func (f RiskFormat) Kind(kind string) string { return f.tr.T(f.lang, "risk.kind."+kind) }

// RuleName is a rule's name in the page's language.
func (f RiskFormat) RuleName(r workflow.RiskRule) string { return r.Name(f.lang) }

// Params lists a rule's parameters, e.g. "factor 5" or "count 5 · max_usd 10000 · hours 24".
func (f RiskFormat) Params(r workflow.RiskRule) string {
	var out []string
	add := func(key, v string) { out = append(out, f.tr.T(f.lang, "risk.param."+key)+" "+v) }
	if len(r.Prefixes) > 0 {
		add("prefixes", strings.Join(r.Prefixes, ", "))
	}
	if r.Factor != "" {
		add("factor", "×÷ "+string(r.Factor))
	}
	if len(r.Classes) > 0 {
		add("classes", strings.Join(r.Classes, ", "))
	}
	if r.Days != 0 {
		add("days", strconv.Itoa(r.Days))
	}
	if r.Count != 0 {
		add("count", strconv.Itoa(r.Count))
	}
	if r.MaxUSD != "" {
		add("max_usd", string(r.MaxUSD))
	}
	if r.Hours != 0 {
		add("hours", strconv.Itoa(r.Hours))
	}
	if r.Percent != "" {
		add("percent", string(r.Percent)+"%")
	}
	return strings.Join(out, " · ")
}

// Msg is a bilingual text in the page's language.
func (f RiskFormat) Msg(t apperr.Text) string { return t.In(f.lang) }

// Permille shows a per-mille rate with its percentage, e.g. "20‰ (2.0%)".
func (f RiskFormat) Permille(v int) string {
	return strconv.Itoa(v) + "‰ (" + strconv.FormatFloat(float64(v)/10, 'f', 1, 64) + "%)"
}

// NormRow is one HS heading's norm, for the table of a version.
type NormRow struct {
	Heading string
	workflow.HSNorm
}

func normRows(norms map[string]workflow.HSNorm) []NormRow {
	out := make([]NormRow, 0, len(norms))
	for h, n := range norms {
		out = append(out, NormRow{Heading: h, HSNorm: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Heading < out[j].Heading })
	return out
}

// ---- Pages ----------------------------------------------------------------------------------

// RiskRuleListPage lists the rule-set versions.
type RiskRuleListPage struct {
	Page
	RiskFormat
	Versions  []workflow.StoredRuleSet
	CanManage bool
}

func (s *Server) riskRuleList(c echo.Context) error {
	p := RiskRuleListPage{Page: s.page(c)}
	p.RiskFormat = s.riskFormat(p.Lang)
	var err error
	if p.Versions, err = s.svc.RuleSets(c.Request().Context(), p.Actor); err != nil {
		return err
	}
	p.CanManage = p.Actor.Can(workflow.ActRiskRulesManage)
	return s.render(c, "risk_list", p)
}

// RiskRuleVersionPage shows one version: rules in both languages, rates and norms.
type RiskRuleVersionPage struct {
	Page
	RiskFormat
	V         *workflow.StoredRuleSet
	Norms     []NormRow
	Lanes     []string // red, yellow, blue: the lanes with a random rate
	CanManage bool
}

func (s *Server) riskRuleView(c echo.Context) error {
	p := RiskRuleVersionPage{Page: s.page(c), Lanes: []string{workflow.LaneRed, workflow.LaneYellow, workflow.LaneBlue}}
	p.RiskFormat = s.riskFormat(p.Lang)
	version, err := strconv.Atoi(c.Param("version"))
	if err != nil || version <= 0 {
		return echo.ErrNotFound
	}
	if p.V, err = s.svc.RuleSetVersion(c.Request().Context(), p.Actor, version); err != nil {
		return err
	}
	p.Norms = normRows(p.V.Set.Norms)
	p.CanManage = p.Actor.Can(workflow.ActRiskRulesManage)
	return s.render(c, "risk_version", p)
}

// KindHelp explains one kind of rule and its parameters on the form.
type KindHelp struct {
	Kind, Params, Help string
}

// RiskRuleFormPage is the form of a new version, pre-filled with the active one.
type RiskRuleFormPage struct {
	Page
	RiskFormat
	Form    riskRuleRequest
	Active  int // the active version the form started from
	Kinds   []KindHelp
	Example string
}

// RuleErrors lists the errors inside the rules and norms (rules[3].factor, norms.9503…), which
// have no input of their own: they are shown under the JSON text area, in rule order.
func (p RiskRuleFormPage) RuleErrors() []RuleError {
	var out []RuleError
	for field, msg := range p.Errors {
		if strings.HasPrefix(field, "rules[") || strings.HasPrefix(field, "norms.") {
			out = append(out, RuleError{Field: field, Message: msg})
		}
	}
	key := func(f string) string {
		return ruleIndexRE.ReplaceAllStringFunc(f, func(m string) string { return fmt.Sprintf("[%06s]", m[1:len(m)-1]) })
	}
	sort.Slice(out, func(i, j int) bool { return key(out[i].Field) < key(out[j].Field) })
	return out
}

var ruleIndexRE = regexp.MustCompile(`\[[0-9]+\]`)

// RuleError is a problem inside the rules JSON, named by its JSON path.
type RuleError struct{ Field, Message string }

// RulesError is the error shown on the text area itself (syntax, or a summary of those inside).
func (p RiskRuleFormPage) RulesError() string {
	if msg := p.Errors["rules_json"]; msg != "" {
		return msg
	}
	if len(p.RuleErrors()) > 0 {
		return p.T("risk.form.rules_errors")
	}
	return ""
}

var kindParams = map[string]string{
	workflow.RuleHSPrefix:        `"prefixes": ["8506", "95"]`,
	workflow.RuleUnitValue:       `"factor": "5"`,
	workflow.RuleKgPerCarton:     `"factor": "4"`,
	workflow.RuleWatchedBuyer:    "–",
	workflow.RuleWatchedMerchant: "–",
	workflow.RuleCreditClass:     `"classes": ["C"]`,
	workflow.RuleNewMerchant:     `"days": 90`,
	workflow.RuleBuyerBurst:      `"count": 5, "max_usd": "10000", "hours": 24`,
	workflow.RulePackingMismatch: `"percent": "5"`,
}

const ruleExample = `{"rules": [{"code": "UNIT-VALUE", "kind": "unit_value", "lane": "yellow", "factor": "5",
  "name_en": "Unit value far from the norm", "name_zh": "单价偏离标准值"}],
 "norms": {"9503": {"unit_value_usd": "5.00", "kg_per_carton": "8"}}}`

func (s *Server) riskRuleFormPage(c echo.Context) RiskRuleFormPage {
	p := RiskRuleFormPage{Page: s.page(c), Example: ruleExample}
	p.RiskFormat = s.riskFormat(p.Lang)
	for _, k := range workflow.RuleKinds {
		p.Kinds = append(p.Kinds, KindHelp{Kind: k, Params: kindParams[k], Help: p.T("risk.kind_help." + k)})
	}
	return p
}

func (s *Server) riskRuleNew(c echo.Context) error {
	p := s.riskRuleFormPage(c)
	active, err := s.svc.ActiveRuleSet(c.Request().Context(), p.Actor)
	switch {
	case err == nil:
		p.Active = active.Version
		p.Form = riskRuleRequest{RulesJSON: active.RulesText(), Red: strconv.Itoa(active.Set.MinRates[workflow.LaneRed]),
			Yellow: strconv.Itoa(active.Set.MinRates[workflow.LaneYellow]), Blue: strconv.Itoa(active.Set.MinRates[workflow.LaneBlue])}
	case apperr.Is(err, apperr.NotFound):
		p.Form = riskRuleRequest{RulesJSON: workflow.RulesDocumentText(workflow.RuleSet{}), Red: "0", Yellow: "0", Blue: "0"}
	default:
		return err
	}
	return s.render(c, "risk_form", p)
}

func (s *Server) riskRulePublish(c echo.Context) error {
	var req riskRuleRequest
	err := s.bind(c, &req)
	published := 0
	if err == nil {
		var rs *models.RiskRuleSet
		if rs, err = s.svc.PublishRuleSet(c.Request().Context(), actorOf(c), req.input()); err == nil {
			published = rs.Version
		}
	}
	if err != nil {
		p := s.riskRuleFormPage(c)
		if !p.withErrors(err) {
			return err
		}
		p.Form = req
		return s.views.Render(c, http.StatusUnprocessableEntity, "risk_form", p)
	}
	return s.redirect(c, "/risk-rules/"+strconv.Itoa(published),
		apperr.Tf("Rule set version %d published: it routes every declaration accepted from now on",
			"第 %d 版规则集已发布，此后受理的报关单均按其布控", published))
}

// RoutingPage shows a declaration's routing decisions and their replay.
type RoutingPage struct {
	Page
	RiskFormat
	R *workflow.RoutingReplay
}

// Earlier lists the decisions before the latest, newest first.
func (p RoutingPage) Earlier() []workflow.DecisionReplay {
	n := len(p.R.Decisions)
	if n < 2 {
		return nil
	}
	out := make([]workflow.DecisionReplay, 0, n-1)
	for i := n - 2; i >= 0; i-- {
		out = append(out, p.R.Decisions[i])
	}
	return out
}

// HitName names a rule hit in the page's language, from the decision's rule set.
func (p RoutingPage) HitName(d workflow.DecisionReplay, code string) string {
	return d.RuleName(code, p.Lang)
}

// DrawPercent shows a draw per million as a percentage with four decimals.
func (p RoutingPage) DrawPercent(draw int64) string {
	return strconv.FormatFloat(float64(draw)/10_000, 'f', 4, 64) + "%"
}

func (s *Server) routingView(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	p := RoutingPage{Page: s.page(c)}
	p.RiskFormat = s.riskFormat(p.Lang)
	if p.R, err = s.svc.ReplayRouting(c.Request().Context(), p.Actor, id); err != nil {
		return err
	}
	return s.render(c, "risk_routing", p)
}

// ---- API ------------------------------------------------------------------------------------

// ruleSetJSON is a rule-set version in the API.
type ruleSetJSON struct {
	Version   int                        `json:"version"`
	Active    bool                       `json:"active"`
	Note      string                     `json:"note"`
	CreatedBy string                     `json:"created_by"`
	CreatedAt time.Time                  `json:"created_at"`
	Rules     []workflow.RiskRule        `json:"rules"`
	Norms     map[string]workflow.HSNorm `json:"norms"`
	MinRates  map[string]int             `json:"min_rates"`
}

func toRuleSetJSON(r workflow.StoredRuleSet) ruleSetJSON {
	out := ruleSetJSON{Version: r.Version, Active: r.Active, Note: r.Note, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt,
		Rules: r.Set.Rules, Norms: r.Set.Norms, MinRates: r.Set.MinRates}
	if out.Rules == nil {
		out.Rules = []workflow.RiskRule{}
	}
	return out
}

func (s *Server) apiRiskRuleList(c echo.Context) error {
	list, err := s.svc.RuleSets(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	out := make([]ruleSetJSON, len(list))
	for i, r := range list {
		out[i] = toRuleSetJSON(r)
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

func (s *Server) apiRiskRuleActive(c echo.Context) error {
	r, err := s.svc.ActiveRuleSet(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toRuleSetJSON(*r))
}

func (s *Server) apiRiskRuleVersion(c echo.Context) error {
	version, err := strconv.Atoi(c.Param("version"))
	if err != nil || version <= 0 {
		return echo.ErrNotFound
	}
	r, err := s.svc.RuleSetVersion(c.Request().Context(), actorOf(c), version)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toRuleSetJSON(*r))
}

func (s *Server) apiRiskRulePublish(c echo.Context) error {
	var req riskRuleAPIRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	rs, err := s.svc.PublishRuleSet(c.Request().Context(), actorOf(c), req.input())
	if err != nil {
		return err
	}
	r, err := s.svc.RuleSetVersion(c.Request().Context(), actorOf(c), rs.Version)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toRuleSetJSON(*r))
}

// routingJSON is a declaration's routing decisions and their replay in the API.
type routingJSON struct {
	DeclarationID int64                 `json:"declaration_id"`
	PreEntryNo    string                `json:"pre_entry_no"`
	EntryNo       *string               `json:"entry_no"`
	Lane          string                `json:"lane"`
	Match         bool                  `json:"match"` // routed, and every decision replays to what it stored
	Decisions     []routingDecisionJSON `json:"decisions"`
}

type routingDecisionJSON struct {
	RuleSetVersion int                `json:"rule_set_version"`
	Lane           string             `json:"lane"`
	Hits           []workflow.RuleHit `json:"hits"`
	Seed           int64              `json:"seed,string"`
	Draw           int64              `json:"draw"` // per million
	DecidedAt      time.Time          `json:"decided_at"`
	Officer        string             `json:"officer"`
	Facts          workflow.RiskFacts `json:"facts"`
	Replayed       workflow.Routing   `json:"replayed"`
	SameLane       bool               `json:"same_lane"`
	SameHits       bool               `json:"same_hits"`
	SameDraw       bool               `json:"same_draw"`
	Match          bool               `json:"match"`
	Problem        string             `json:"problem,omitempty"`
}

func (s *Server) apiRouting(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	r, err := s.svc.ReplayRouting(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	d := r.Declaration
	out := routingJSON{DeclarationID: d.ID, PreEntryNo: d.PreEntryNo, EntryNo: d.EntryNo, Lane: d.Lane, Match: r.Match(),
		Decisions: []routingDecisionJSON{}}
	for _, dr := range r.Decisions {
		out.Decisions = append(out.Decisions, routingDecisionJSON{RuleSetVersion: dr.Decision.RuleSetVersion, Lane: dr.Decision.Lane,
			Hits: dr.StoredHits, Seed: dr.Decision.Seed, Draw: dr.Decision.Draw, DecidedAt: dr.Decision.DecidedAt,
			Officer: dr.Officer, Facts: dr.Facts, Replayed: dr.Replayed, SameLane: dr.SameLane, SameHits: dr.SameHits,
			SameDraw: dr.SameDraw, Match: dr.Match(), Problem: dr.Problem.In(langOf(c))})
	}
	return c.JSON(http.StatusOK, out)
}
