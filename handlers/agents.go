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

// agentRoutes registers the agents: the list (merchants choose whom to entrust from it), an
// agent's page, and the admin's registration and edit forms, with their API.
func (s *Server) agentRoutes() {
	get, post := http.MethodGet, http.MethodPost
	s.handle(get, "/agents", workflow.ActAgentList, s.agentList)
	s.handle(get, "/agents/new", workflow.ActAgentManage, s.agentNew)
	s.handle(post, "/agents", workflow.ActAgentManage, s.agentCreate)
	s.handle(get, "/agents/:id", workflow.ActAgentView, s.agentView)
	s.handle(get, "/agents/:id/edit", workflow.ActAgentManage, s.agentEdit)
	s.handle(post, "/agents/:id/edit", workflow.ActAgentManage, s.agentUpdate)

	s.handle(get, "/api/v1/agents", workflow.ActAgentList, s.apiAgents)
	s.handle(get, "/api/v1/agents/:id", workflow.ActAgentView, s.apiAgent)
	s.handle(post, "/api/v1/agents", workflow.ActAgentManage, s.apiAgentCreate)
}

// agentRequest is the admin's agent form (and the API body). It has no id, status or credit
// class; on edit the USCC and the user fields are ignored.
type agentRequest struct {
	USCC            string `form:"uscc" json:"uscc" validate:"max=40"`
	CustomsCode     string `form:"customs_code" json:"customs_code" validate:"max=20"`
	CommerceRegNo   string `form:"commerce_reg_no" json:"commerce_reg_no" validate:"max=40"`
	Name            string `form:"name" json:"name" validate:"max=100"`
	NameEn          string `form:"name_en" json:"name_en" validate:"max=200"`
	Address         string `form:"address" json:"address" validate:"max=200"`
	Contact         string `form:"contact" json:"contact" validate:"max=50"`
	Phone           string `form:"phone" json:"phone" validate:"max=30"`
	Username        string `form:"username" json:"username" validate:"max=32"`
	DisplayName     string `form:"display_name" json:"display_name" validate:"max=60"`
	Password        string `form:"password" json:"password" validate:"max=200"`
	PasswordConfirm string `form:"password_confirm" json:"password_confirm" validate:"max=200"`
	Version         int64  `form:"version" json:"version" validate:"min=0"`
}

func (r agentRequest) registration() workflow.AgentRegistration {
	return workflow.AgentRegistration{
		USCC: r.USCC, CustomsCode: r.CustomsCode, CommerceRegNo: r.CommerceRegNo, Name: r.Name, NameEn: r.NameEn,
		Address: r.Address, Contact: r.Contact, Phone: r.Phone,
		Username: r.Username, DisplayName: r.DisplayName, Password: r.Password, PasswordConfirm: r.PasswordConfirm,
	}
}

func (r agentRequest) update() workflow.AgentUpdate {
	return workflow.AgentUpdate{
		CustomsCode: r.CustomsCode, CommerceRegNo: r.CommerceRegNo, Name: r.Name, NameEn: r.NameEn,
		Address: r.Address, Contact: r.Contact, Phone: r.Phone, Version: r.Version,
	}
}

// agentFilterRequest searches the agent list.
type agentFilterRequest struct {
	Q    string `query:"q" validate:"max=100"`
	Page int    `query:"page" validate:"min=0,max=1000000"`
}

// AgentListPage lists the agents the actor may see.
type AgentListPage struct {
	Page
	Filter agentFilterRequest
	List   *workflow.AgentList
}

// CanManage reports whether the actor may register and edit agents.
func (p AgentListPage) CanManage() bool { return p.Actor.Can(workflow.ActAgentManage) }

// PageURL links to page n of the list with the same search.
func (p AgentListPage) PageURL(n int) string {
	q := url.Values{}
	if p.Filter.Q != "" {
		q.Set("q", p.Filter.Q)
	}
	if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	if len(q) == 0 {
		return "/agents"
	}
	return "/agents?" + q.Encode()
}

// PrevURL links to the previous page.
func (p AgentListPage) PrevURL() string { return p.PageURL(p.List.Page - 1) }

// NextURL links to the next page.
func (p AgentListPage) NextURL() string { return p.PageURL(p.List.Page + 1) }

func (s *Server) agentList(c echo.Context) error {
	p := AgentListPage{Page: s.page(c)}
	err := s.bind(c, &p.Filter)
	if err == nil {
		p.List, err = s.svc.Agents(c.Request().Context(), p.Actor, workflow.AgentFilter{Query: p.Filter.Q, Page: p.Filter.Page})
	}
	if p.withErrors(err) {
		p.List = &workflow.AgentList{}
		return s.views.Render(c, http.StatusUnprocessableEntity, "agent_list", p)
	}
	if err != nil {
		return err
	}
	return s.render(c, "agent_list", p)
}

// AgentPage shows one agent and, to the agent itself, auditors and admins, the merchants
// entrusting it.
type AgentPage struct {
	Page
	D        *workflow.AgentDetail
	Timeline []workflow.PartyEvent // who did what, when (timeline.go), newest first
}

// CanManage reports whether the actor may edit the agent.
func (p AgentPage) CanManage() bool { return p.Actor.Can(workflow.ActAgentManage) }

// ShowMerchants reports whether the actor may see whom the agent acts for.
func (p AgentPage) ShowMerchants() bool { return p.Actor.Role != models.RoleMerchant }

// StatusLabel names an agent or merchant status in the page's language.
func (p AgentPage) StatusLabel(kind, st string) string { return p.T(kind + ".status." + st) }

// When shows a time in Yiwu time, to the minute.
func (p AgentPage) When(t time.Time) string { return formatWhen(t) }

func (s *Server) agentView(c echo.Context) error {
	id, err := registryID(c)
	if err != nil {
		return err
	}
	p := AgentPage{Page: s.page(c)}
	if p.D, err = s.svc.Agent(c.Request().Context(), p.Actor, id); err != nil {
		return err
	}
	if p.Timeline, err = s.svc.AgentTimeline(c.Request().Context(), p.Actor, id); err != nil {
		return err
	}
	return s.render(c, "agent_view", p)
}

// AgentFormPage registers a new agent (Agent nil) or edits one.
type AgentFormPage struct {
	Page
	Form  agentRequest
	Agent *models.Agent
}

// Action is where the form posts.
func (p AgentFormPage) Action() string {
	if p.Agent == nil {
		return "/agents"
	}
	return "/agents/" + strconv.FormatInt(p.Agent.ID, 10) + "/edit"
}

// VersionText is the version the edit form carries.
func (p AgentFormPage) VersionText() string { return strconv.FormatInt(p.Form.Version, 10) }

func (s *Server) agentNew(c echo.Context) error {
	return s.render(c, "agent_form", AgentFormPage{Page: s.page(c)})
}

func (s *Server) agentCreate(c echo.Context) error {
	var req agentRequest
	err := s.bind(c, &req)
	if err == nil {
		var res *workflow.RegisteredAgent
		if res, err = s.svc.RegisterAgent(c.Request().Context(), actorOf(c), req.registration()); err == nil {
			msg := apperr.T("Agent registered with its first user", "代理企业及其首个用户已登记")
			if res.Agent.USCCReview {
				msg = apperr.T("Agent registered. Its unified social credit code failed its check character and is marked for manual review.",
					"代理企业已登记。其统一社会信用代码未通过校验位检查，已标记为待人工复核。")
			}
			return s.redirect(c, "/agents/"+strconv.FormatInt(res.Agent.ID, 10), msg)
		}
	}
	p := AgentFormPage{Page: s.page(c), Form: req}
	p.Form.Password, p.Form.PasswordConfirm = "", ""
	if status, shown := registryFormFailed(&p.Page, err); shown {
		return s.views.Render(c, status, "agent_form", p)
	}
	return err
}

func (s *Server) agentEdit(c echo.Context) error {
	id, err := registryID(c)
	if err != nil {
		return err
	}
	p := AgentFormPage{Page: s.page(c)}
	d, err := s.svc.Agent(c.Request().Context(), p.Actor, id)
	if err != nil {
		return err
	}
	p.Agent, p.Form = &d.Agent, agentEditForm(&d.Agent)
	return s.render(c, "agent_form", p)
}

func (s *Server) agentUpdate(c echo.Context) error {
	id, err := registryID(c)
	if err != nil {
		return err
	}
	var req agentRequest
	if err = s.bind(c, &req); err == nil {
		if _, err = s.svc.UpdateAgent(c.Request().Context(), actorOf(c), id, req.update()); err == nil {
			return s.redirect(c, "/agents/"+strconv.FormatInt(id, 10), apperr.T("Agent updated", "代理企业信息已更新"))
		}
	}
	p := AgentFormPage{Page: s.page(c), Form: req}
	status, shown := registryFormFailed(&p.Page, err)
	if !shown {
		return err
	}
	d, derr := s.svc.Agent(c.Request().Context(), p.Actor, id)
	if derr != nil {
		return derr
	}
	p.Agent = &d.Agent
	if status == http.StatusConflict {
		p.Form = agentEditForm(&d.Agent) // show what is stored now; the user makes the change again
	}
	return s.views.Render(c, status, "agent_form", p)
}

// agentEditForm fills the edit form from the stored agent.
func agentEditForm(a *models.Agent) agentRequest {
	return agentRequest{CustomsCode: a.CustomsCode, CommerceRegNo: a.CommerceRegNo, Name: a.Name, NameEn: a.NameEn,
		Address: a.Address, Contact: a.Contact, Phone: a.Phone, Version: a.Version}
}

// agentJSON is an agent in the API.
type agentJSON struct {
	ID            int64     `json:"id"`
	USCC          string    `json:"uscc"`
	USCCReview    bool      `json:"uscc_review"`
	CustomsCode   string    `json:"customs_code"`
	CommerceRegNo string    `json:"commerce_reg_no"`
	Name          string    `json:"name"`
	NameEn        string    `json:"name_en"`
	Address       string    `json:"address"`
	Contact       string    `json:"contact"`
	Phone         string    `json:"phone"`
	Status        string    `json:"status"`
	CreditClass   string    `json:"credit_class"`
	Version       int64     `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func toAgentJSON(a *models.Agent) agentJSON {
	return agentJSON{ID: a.ID, USCC: a.USCC, USCCReview: a.USCCReview, CustomsCode: a.CustomsCode, CommerceRegNo: a.CommerceRegNo,
		Name: a.Name, NameEn: a.NameEn, Address: a.Address, Contact: a.Contact, Phone: a.Phone, Status: a.Status,
		CreditClass: a.CreditClass, Version: a.Version, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

type agentListJSON struct {
	Items   []agentJSON `json:"items"`
	Total   int64       `json:"total"`
	Page    int         `json:"page"`
	Pages   int         `json:"pages"`
	PerPage int         `json:"per_page"`
}

type agentDetailJSON struct {
	agentJSON
	Merchants []entrustingMerchantJSON `json:"merchants,omitempty"`
}

type entrustingMerchantJSON struct {
	MerchantID  int64  `json:"merchant_id"`
	Name        string `json:"name"`
	USCC        string `json:"uscc"`
	Status      string `json:"status"`
	AgreementNo string `json:"agreement_no"`
	StartsOn    string `json:"starts_on"`
	EndsOn      string `json:"ends_on"`
	Ended       bool   `json:"ended"`
}

// agentCreatedJSON answers a registration: the agent and its first user (never the password).
type agentCreatedJSON struct {
	Agent agentJSON `json:"agent"`
	User  struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	} `json:"user"`
}

func (s *Server) apiAgents(c echo.Context) error {
	var req agentFilterRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	list, err := s.svc.Agents(c.Request().Context(), actorOf(c), workflow.AgentFilter{Query: req.Q, Page: req.Page})
	if err != nil {
		return err
	}
	out := agentListJSON{Items: []agentJSON{}, Total: list.Total, Page: list.Page, Pages: list.Pages, PerPage: list.PerPage}
	for i := range list.Agents {
		out.Items = append(out.Items, toAgentJSON(&list.Agents[i]))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiAgent(c echo.Context) error {
	id, err := registryID(c)
	if err != nil {
		return err
	}
	d, err := s.svc.Agent(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	out := agentDetailJSON{agentJSON: toAgentJSON(&d.Agent)}
	for _, m := range d.Merchants {
		out.Merchants = append(out.Merchants, entrustingMerchantJSON{MerchantID: m.MerchantID, Name: m.Name, USCC: m.USCC,
			Status: m.Status, AgreementNo: m.AgreementNo, StartsOn: m.StartsOn, EndsOn: m.EndsOn, Ended: m.Ended})
	}
	return c.JSON(http.StatusOK, out)
}

// apiAgentCreate registers an agent from JSON; password_confirm may be left out.
func (s *Server) apiAgentCreate(c echo.Context) error {
	var req agentRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if req.PasswordConfirm == "" {
		req.PasswordConfirm = req.Password
	}
	res, err := s.svc.RegisterAgent(c.Request().Context(), actorOf(c), req.registration())
	if err != nil {
		return err
	}
	var out agentCreatedJSON
	out.Agent = toAgentJSON(&res.Agent)
	out.User.ID, out.User.Username = res.User.ID, res.User.Username
	return c.JSON(http.StatusCreated, out)
}
