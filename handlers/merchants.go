package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// merchantRoutes registers merchant self-registration (public), the merchant list and approval
// queue, a merchant's page, market supervision's decisions, the agents (agents.go), and their
// API under /api/v1.
func (s *Server) merchantRoutes() {
	get, post := http.MethodGet, http.MethodPost
	s.handle(get, "/register", workflow.ActMerchantRegister, s.registerForm)
	s.handle(post, "/register", workflow.ActMerchantRegister, s.register)
	s.handle(get, "/register/check-uscc", workflow.ActMerchantRegister, s.checkUSCC)

	s.handle(get, "/merchants", workflow.ActMerchantList, s.merchantList)
	s.handle(get, "/merchants/:id", workflow.ActMerchantView, s.merchantView)
	s.handle(post, "/merchants/:id/approve", workflow.ActMerchantApprove, s.merchantDecide(decideApprove))
	s.handle(post, "/merchants/:id/reject", workflow.ActMerchantApprove, s.merchantDecide(decideReject))
	s.handle(post, "/merchants/:id/status", workflow.ActMerchantStatus, s.merchantDecide(decideStatus))

	s.handle(get, "/api/v1/merchants", workflow.ActMerchantList, s.apiMerchants)
	s.handle(get, "/api/v1/merchants/:id", workflow.ActMerchantView, s.apiMerchant)
	s.handle(post, "/api/v1/merchants/:id/approve", workflow.ActMerchantApprove, s.apiMerchantDecide(decideApprove))
	s.handle(post, "/api/v1/merchants/:id/reject", workflow.ActMerchantApprove, s.apiMerchantDecide(decideReject))
	s.handle(post, "/api/v1/merchants/:id/status", workflow.ActMerchantStatus, s.apiMerchantDecide(decideStatus))

	s.agentRoutes()
}

// registerRequest is the self-registration form. It has no id, status, credit class or owner:
// those are set by the platform, never by input.
type registerRequest struct {
	Name            string `form:"name" json:"name" validate:"max=100"`
	NameEn          string `form:"name_en" json:"name_en" validate:"max=200"`
	USCC            string `form:"uscc" json:"uscc" validate:"max=40"`
	District        string `form:"district" json:"district" validate:"max=2"`
	Gate            string `form:"gate" json:"gate" validate:"max=20"`
	Floor           string `form:"floor" json:"floor" validate:"max=20"`
	Street          string `form:"street" json:"street" validate:"max=20"`
	Booth           string `form:"booth" json:"booth" validate:"max=20"`
	StallRaw        string `form:"stall_raw" json:"stall_raw" validate:"max=200"`
	LegalRep        string `form:"legal_rep" json:"legal_rep" validate:"max=50"`
	Phone           string `form:"phone" json:"phone" validate:"max=30"`
	BankName        string `form:"bank_name" json:"bank_name" validate:"max=100"`
	BankAccount     string `form:"bank_account" json:"bank_account" validate:"max=40"`
	Username        string `form:"username" json:"username" validate:"max=32"`
	DisplayName     string `form:"display_name" json:"display_name" validate:"max=60"`
	Password        string `form:"password" json:"password" validate:"max=200"`
	PasswordConfirm string `form:"password_confirm" json:"password_confirm" validate:"max=200"`
}

// registration copies the form into the workflow's input, field by field.
func (r registerRequest) registration(lang string) workflow.MerchantRegistration {
	return workflow.MerchantRegistration{
		Name: r.Name, NameEn: r.NameEn, USCC: r.USCC,
		District: r.District, Gate: r.Gate, Floor: r.Floor, Street: r.Street, Booth: r.Booth, StallRaw: r.StallRaw,
		LegalRep: r.LegalRep, Phone: r.Phone, BankName: r.BankName, BankAccount: r.BankAccount,
		Username: r.Username, DisplayName: r.DisplayName, Password: r.Password, PasswordConfirm: r.PasswordConfirm,
		Lang: lang,
	}
}

// RegisterPage is the merchant self-registration form.
type RegisterPage struct {
	Page
	Form registerRequest
}

// Districts are the choices of the district select: the five districts of the market.
func (p RegisterPage) Districts() []Option { return districtOptions(p.Page, "register.choose") }

func districtOptions(p Page, first string) []Option {
	opts := []Option{{Value: "", Label: p.T(first)}}
	for _, d := range workflow.MerchantDistricts {
		opts = append(opts, Option{Value: d, Label: p.T("merchant.district." + d)})
	}
	return opts
}

func (s *Server) registerForm(c echo.Context) error {
	return s.render(c, "register", RegisterPage{Page: s.page(c)})
}

// register creates the merchant (pending) and its first user, then sends the user to log in.
func (s *Server) register(c echo.Context) error {
	var req registerRequest
	err := s.bind(c, &req)
	if err == nil {
		var res *workflow.RegisteredMerchant
		res, err = s.svc.RegisterMerchant(c.Request().Context(), actorOf(c), req.registration(langOf(c)))
		if err == nil {
			msg := apperr.T("Registration received. It waits for approval by market supervision; log in to follow it.",
				"登记已提交，等待市场监管部门审核；您可以登录查看进度。")
			if res.Merchant.USCCReview {
				msg = apperr.T("Registration received. Your unified social credit code failed its check character and goes to manual review; the registration then waits for approval by market supervision.",
					"登记已提交。您的统一社会信用代码未通过校验位检查，将转人工复核，之后等待市场监管部门审核。")
			}
			return s.redirect(c, "/login", msg)
		}
	}
	p := RegisterPage{Page: s.page(c), Form: req}
	p.Form.Password, p.Form.PasswordConfirm = "", ""
	if p.withErrors(err) {
		return s.views.Render(c, http.StatusUnprocessableEntity, "register", p)
	}
	return err
}

// usccVerdictJSON is the live check's answer, with its message in the request's language.
type usccVerdictJSON struct {
	OK          bool   `json:"ok"`
	NeedsReview bool   `json:"needs_review"`
	Value       string `json:"value"`
	Message     string `json:"message"`
}

// checkUSCC checks a unified social credit code as the user types (uscc-check.js). It only
// checks the code's form (GB 32100-2015), never whether it is registered.
func (s *Server) checkUSCC(c echo.Context) error {
	raw := c.QueryParam("value")
	if len(raw) > 100 {
		raw = raw[:100]
	}
	v := workflow.CheckUSCC(raw)
	lang := langOf(c)
	msg := v.Problem.In(lang)
	if v.OK {
		msg = s.tr.T(lang, "register.uscc_ok")
	}
	return c.JSON(http.StatusOK, usccVerdictJSON{OK: v.OK, NeedsReview: v.NeedsReview, Value: v.Value, Message: msg})
}

// merchantFilterRequest filters the merchant list (pages and API).
type merchantFilterRequest struct {
	Status   string `query:"status" validate:"max=20"`
	District string `query:"district" validate:"max=2"`
	Q        string `query:"q" validate:"max=100"`
	Page     int    `query:"page" validate:"min=0,max=1000000"`
}

func (r merchantFilterRequest) filter() workflow.MerchantFilter {
	return workflow.MerchantFilter{Status: r.Status, District: r.District, Query: r.Q, Page: r.Page}
}

// MerchantListPage is the list of merchants and, filtered on pending, the approval queue.
type MerchantListPage struct {
	Page
	Filter merchantFilterRequest
	List   *workflow.MerchantList
}

// Queue reports whether the page is the approval queue.
func (p MerchantListPage) Queue() bool { return p.Filter.Status == models.MerchantPending }

// StatusOptions are the choices of the status filter.
func (p MerchantListPage) StatusOptions() []Option {
	opts := []Option{{Value: "", Label: p.T("merchant.filter.all")}}
	for _, st := range workflow.MerchantStatuses {
		opts = append(opts, Option{Value: st, Label: p.T("merchant.status." + st)})
	}
	return opts
}

// DistrictOptions are the choices of the district filter.
func (p MerchantListPage) DistrictOptions() []Option {
	return districtOptions(p.Page, "merchant.filter.all")
}

// StatusLabel names a merchant status in the page's language.
func (p MerchantListPage) StatusLabel(st string) string { return p.T("merchant.status." + st) }

// DistrictLabel names a market district in the page's language.
func (p MerchantListPage) DistrictLabel(d string) string { return districtLabel(p.Page, d) }

// PageURL links to page n of the list with the same filters.
func (p MerchantListPage) PageURL(n int) string {
	q := url.Values{}
	for k, v := range map[string]string{"status": p.Filter.Status, "district": p.Filter.District, "q": p.Filter.Q} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	if len(q) == 0 {
		return "/merchants"
	}
	return "/merchants?" + q.Encode()
}

// PrevURL links to the previous page.
func (p MerchantListPage) PrevURL() string { return p.PageURL(p.List.Page - 1) }

// NextURL links to the next page.
func (p MerchantListPage) NextURL() string { return p.PageURL(p.List.Page + 1) }

func districtLabel(p Page, d string) string {
	if d == "" {
		return "–"
	}
	return p.T("merchant.district." + d)
}

func (s *Server) merchantList(c echo.Context) error {
	p := MerchantListPage{Page: s.page(c)}
	err := s.bind(c, &p.Filter)
	if err == nil {
		p.List, err = s.svc.Merchants(c.Request().Context(), p.Actor, p.Filter.filter())
	}
	if p.withErrors(err) {
		p.List = &workflow.MerchantList{}
		return s.views.Render(c, http.StatusUnprocessableEntity, "merchant_list", p)
	}
	if err != nil {
		return err
	}
	return s.render(c, "merchant_list", p)
}

// merchantDecisionRequest is a market-supervision decision: the new status (for status
// changes), the reason, and the version of the merchant the officer saw.
type merchantDecisionRequest struct {
	To      string `form:"to" json:"to" validate:"max=20"`
	Reason  string `form:"reason" json:"reason" validate:"max=500"`
	Version int64  `form:"version" json:"version" validate:"min=0"`
}

// MerchantPage shows one merchant: its registration, status and history, the agents it
// entrusts, and market supervision's forms.
type MerchantPage struct {
	Page
	D        *workflow.MerchantDetail
	Form     merchantDecisionRequest // a decision form shown again with its errors
	Timeline []workflow.PartyEvent   // who did what, when (timeline.go), newest first
}

// Own reports whether the page shows the actor's own merchant.
func (p MerchantPage) Own() bool { return p.Actor.MerchantID == p.D.Merchant.ID }

// CanApprove reports whether the actor may approve or reject this registration now.
func (p MerchantPage) CanApprove() bool {
	return p.Actor.Can(workflow.ActMerchantApprove) && p.D.Merchant.Status == models.MerchantPending
}

// StatusTargets are the statuses the actor may move this merchant to, empty when none.
func (p MerchantPage) StatusTargets() []Option {
	if !p.Actor.Can(workflow.ActMerchantStatus) {
		return nil
	}
	var opts []Option
	for _, st := range workflow.MerchantStatusTargets(p.D.Merchant.Status) {
		opts = append(opts, Option{Value: st, Label: p.T("merchant.status." + st)})
	}
	if len(opts) > 0 {
		opts = append([]Option{{Value: "", Label: p.T("register.choose")}}, opts...)
	}
	return opts
}

// StatusLabel names a merchant status in the page's language.
func (p MerchantPage) StatusLabel(st string) string { return p.T("merchant.status." + st) }

// DistrictLabel names a market district in the page's language.
func (p MerchantPage) DistrictLabel(d string) string { return districtLabel(p.Page, d) }

// When shows a time in Yiwu time (China Standard Time), to the minute.
func (p MerchantPage) When(t time.Time) string { return formatWhen(t) }

// Version is the merchant's version, carried by every decision form.
func (p MerchantPage) Version() string { return strconv.FormatInt(p.D.Merchant.Version, 10) }

func (s *Server) merchantView(c echo.Context) error {
	id, err := registryID(c)
	if err != nil {
		return err
	}
	return s.merchantPage(c, MerchantPage{Page: s.page(c)}, id, http.StatusOK)
}

func (s *Server) merchantPage(c echo.Context, p MerchantPage, id int64, status int) error {
	d, err := s.svc.Merchant(c.Request().Context(), p.Actor, id)
	if err != nil {
		return err
	}
	p.D = d
	if p.Timeline, err = s.svc.MerchantTimeline(c.Request().Context(), p.Actor, id); err != nil {
		return err
	}
	return s.views.Render(c, status, "merchant_view", p)
}

// The kinds of market-supervision decision.
const (
	decideApprove = "approve"
	decideReject  = "reject"
	decideStatus  = "status"
)

// decide carries out one kind of decision.
func (s *Server) decide(c echo.Context, kind string, id int64, req merchantDecisionRequest) (*models.Merchant, error) {
	ctx, actor := c.Request().Context(), actorOf(c)
	d := workflow.MerchantDecision{To: req.To, Reason: req.Reason, Version: req.Version}
	switch kind {
	case decideApprove:
		return s.svc.ApproveMerchant(ctx, actor, id, d)
	case decideReject:
		return s.svc.RejectMerchant(ctx, actor, id, d)
	}
	return s.svc.ChangeMerchantStatus(ctx, actor, id, d)
}

var decisionFlash = map[string]apperr.Text{
	decideApprove: apperr.T("Merchant approved: it is now active", "已批准该经营户，状态为正常"),
	decideReject:  apperr.T("Registration rejected; the merchant sees your reason", "已驳回该登记，经营户可看到驳回原因"),
	decideStatus:  apperr.T("Merchant status changed", "经营户状态已变更"),
}

// merchantDecide handles a decision form: on success back to the merchant's page; on a field
// problem (422) or a stale version (409) the page again with the message.
func (s *Server) merchantDecide(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := registryID(c)
		if err != nil {
			return err
		}
		var req merchantDecisionRequest
		if err = s.bind(c, &req); err == nil {
			_, err = s.decide(c, kind, id, req)
		}
		if err == nil {
			return s.redirect(c, "/merchants/"+strconv.FormatInt(id, 10), decisionFlash[kind])
		}
		p := MerchantPage{Page: s.page(c), Form: req}
		status, shown := registryFormFailed(&p.Page, err)
		if !shown {
			return err
		}
		return s.merchantPage(c, p, id, status)
	}
}

// registryFormFailed puts an error a form can show on the page: field problems (422), or a record
// changed by someone else (409) with the message on top. Other errors go to the error handler.
func registryFormFailed(p *Page, err error) (int, bool) {
	if p.withErrors(err) {
		return http.StatusUnprocessableEntity, true
	}
	if apperr.CodeOf(err) == apperr.Conflict {
		p.Errors = map[string]string{"_": apperr.As(err).Text.In(p.Lang)}
		return http.StatusConflict, true
	}
	return 0, false
}

// registryID reads the :id of a merchant or agent route; anything but a positive number is 404.
func registryID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// merchantJSON is a merchant in the API.
type merchantJSON struct {
	ID           int64      `json:"id"`
	USCC         string     `json:"uscc"`
	USCCReview   bool       `json:"uscc_review"`
	Name         string     `json:"name"`
	NameEn       string     `json:"name_en"`
	Stall        stallJSON  `json:"stall"`
	LegalRep     string     `json:"legal_rep"`
	Phone        string     `json:"phone"`
	BankName     string     `json:"bank_name"`
	BankAccount  string     `json:"bank_account"`
	Status       string     `json:"status"`
	StatusReason string     `json:"status_reason"`
	CreditClass  string     `json:"credit_class"`
	ApprovedAt   *time.Time `json:"approved_at"`
	Version      int64      `json:"version"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

type stallJSON struct {
	District string `json:"district"`
	Gate     string `json:"gate"`
	Floor    string `json:"floor"`
	Street   string `json:"street"`
	Booth    string `json:"booth"`
	Raw      string `json:"raw"`
}

func toMerchantJSON(m *models.Merchant) merchantJSON {
	return merchantJSON{
		ID: m.ID, USCC: m.USCC, USCCReview: m.USCCReview, Name: m.Name, NameEn: m.NameEn,
		Stall:    stallJSON{District: m.District, Gate: m.Gate, Floor: m.Floor, Street: m.Street, Booth: m.Booth, Raw: m.StallRaw},
		LegalRep: m.LegalRep, Phone: m.Phone, BankName: m.BankName, BankAccount: m.BankAccount,
		Status: m.Status, StatusReason: m.StatusReason, CreditClass: m.CreditClass, ApprovedAt: m.ApprovedAt,
		Version: m.Version, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
	}
}

type merchantListJSON struct {
	Items   []merchantJSON `json:"items"`
	Total   int64          `json:"total"`
	Page    int            `json:"page"`
	Pages   int            `json:"pages"`
	PerPage int            `json:"per_page"`
}

type merchantDetailJSON struct {
	merchantJSON
	History []statusChangeJSON   `json:"history"`
	Agents  []entrustedAgentJSON `json:"agents"`
}

type statusChangeJSON struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

type entrustedAgentJSON struct {
	AgentID     int64  `json:"agent_id"`
	AgentName   string `json:"agent_name"`
	AgreementNo string `json:"agreement_no"`
	StartsOn    string `json:"starts_on"`
	EndsOn      string `json:"ends_on"`
	Ended       bool   `json:"ended"`
}

func (s *Server) apiMerchants(c echo.Context) error {
	var req merchantFilterRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	list, err := s.svc.Merchants(c.Request().Context(), actorOf(c), req.filter())
	if err != nil {
		return err
	}
	out := merchantListJSON{Items: []merchantJSON{}, Total: list.Total, Page: list.Page, Pages: list.Pages, PerPage: list.PerPage}
	for i := range list.Merchants {
		out.Items = append(out.Items, toMerchantJSON(&list.Merchants[i]))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiMerchant(c echo.Context) error {
	id, err := registryID(c)
	if err != nil {
		return err
	}
	d, err := s.svc.Merchant(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	out := merchantDetailJSON{merchantJSON: toMerchantJSON(&d.Merchant), History: []statusChangeJSON{}, Agents: []entrustedAgentJSON{}}
	for _, h := range d.History {
		out.History = append(out.History, statusChangeJSON{From: h.FromStatus, To: h.ToStatus, Reason: h.Reason, By: h.ActorName, At: h.CreatedAt})
	}
	for _, a := range d.Agents {
		out.Agents = append(out.Agents, entrustedAgentJSON{AgentID: a.AgentID, AgentName: a.AgentName, AgreementNo: a.AgreementNo,
			StartsOn: a.StartsOn, EndsOn: a.EndsOn, Ended: a.Ended})
	}
	return c.JSON(http.StatusOK, out)
}

// apiMerchantDecide takes a decision as JSON {to, reason, version} and answers the merchant.
func (s *Server) apiMerchantDecide(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := registryID(c)
		if err != nil {
			return err
		}
		var req merchantDecisionRequest
		if err := s.bind(c, &req); err != nil {
			return err
		}
		m, err := s.decide(c, kind, id, req)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toMerchantJSON(m))
	}
}
