package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// entrustmentRequest is a new entrustment from the form or the API. It has no merchant: the
// workflow takes the caller's own.
type entrustmentRequest struct {
	AgentID     int64  `form:"agent_id" json:"agent_id" validate:"required,min=1"`
	AgreementNo string `form:"agreement_no" json:"agreement_no" validate:"required,max=60"`
	StartsOn    string `form:"starts_on" json:"starts_on" validate:"required,datetime=2006-01-02"`
	EndsOn      string `form:"ends_on" json:"ends_on" validate:"omitempty,datetime=2006-01-02"`
}

func (r entrustmentRequest) input() workflow.EntrustmentInput {
	return workflow.EntrustmentInput{AgentID: r.AgentID, AgreementNo: r.AgreementNo, StartsOn: r.StartsOn, EndsOn: r.EndsOn}
}

// endEntrustmentRequest ends an entrustment.
type endEntrustmentRequest struct {
	Reason string `form:"reason" json:"reason" validate:"required,max=500"`
}

type entrustmentListRequest struct {
	Page int `query:"page" validate:"min=0,max=100000"`
}

// EntrustmentListPage lists the entrustments the user may see.
type EntrustmentListPage struct {
	Page
	PartyFormat
	List      *workflow.EntrustmentList
	CanCreate bool
	Pager     Pager
}

func (s *Server) entrustmentList(c echo.Context) error {
	var req entrustmentListRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	p := EntrustmentListPage{Page: s.page(c)}
	list, err := s.svc.Entrustments(c.Request().Context(), p.Actor, workflow.EntrustmentQuery{Page: req.Page})
	if err != nil {
		return err
	}
	p.List, p.PartyFormat = list, s.partyFormat(p.Lang)
	p.CanCreate = p.Actor.Can(workflow.ActEntrustmentManage)
	p.Pager = pager(p.Page, "/entrustments", nil, list.Page, list.Pages())
	return s.render(c, "entrustment_list", p)
}

// EntrustmentFormPage records a new entrustment.
type EntrustmentFormPage struct {
	Page
	Form   entrustmentRequest
	Agents []Option
}

// AgentValue is the chosen agent as the select's value ("" when none).
func (p EntrustmentFormPage) AgentValue() string {
	if p.Form.AgentID <= 0 {
		return ""
	}
	return strconv.FormatInt(p.Form.AgentID, 10)
}

func (s *Server) entrustmentFormPage(c echo.Context, form entrustmentRequest) (EntrustmentFormPage, error) {
	p := EntrustmentFormPage{Page: s.page(c), Form: form}
	agents, err := s.svc.EntrustableAgents(c.Request().Context(), p.Actor)
	if err != nil {
		return p, err
	}
	p.Agents = []Option{{Value: "", Label: p.T("entrustment.choose_agent")}}
	for _, a := range agents {
		label := a.Name
		if p.Lang != "zh-CN" && a.NameEn != "" && a.NameEn != a.Name {
			label = a.NameEn + " · " + a.Name
		}
		p.Agents = append(p.Agents, Option{Value: strconv.FormatInt(a.ID, 10), Label: label + " (" + a.CustomsCode + ")"})
	}
	return p, nil
}

func (s *Server) entrustmentNew(c echo.Context) error {
	p, err := s.entrustmentFormPage(c, entrustmentRequest{StartsOn: s.svc.EntrustmentToday()})
	if err != nil {
		return err
	}
	return s.render(c, "entrustment_new", p)
}

func (s *Server) entrustmentCreate(c echo.Context) error {
	var req entrustmentRequest
	err := s.bind(c, &req)
	var e *models.Entrustment
	if err == nil {
		e, err = s.svc.Entrust(c.Request().Context(), actorOf(c), req.input())
	}
	if err != nil {
		p, perr := s.entrustmentFormPage(c, req)
		if perr != nil {
			return perr
		}
		if p.withErrors(err) {
			return s.views.Render(c, http.StatusUnprocessableEntity, "entrustment_new", p)
		}
		return err
	}
	return s.redirect(c, "/entrustments/"+strconv.FormatInt(e.ID, 10), apperr.T("Entrustment recorded", "委托已登记"))
}

// EntrustmentPage shows one entrustment, with the form to end it for the merchant that owns it.
type EntrustmentPage struct {
	Page
	PartyFormat
	E      *workflow.EntrustmentView
	CanEnd bool
	Reason string
}

func (s *Server) entrustmentPage(c echo.Context) (EntrustmentPage, error) {
	p := EntrustmentPage{Page: s.page(c)}
	id, err := partyID(c)
	if err != nil {
		return p, err
	}
	if p.E, err = s.svc.Entrustment(c.Request().Context(), p.Actor, id); err != nil {
		return p, err
	}
	p.PartyFormat = s.partyFormat(p.Lang)
	p.CanEnd = p.E.EndedAt == nil && p.Actor.Can(workflow.ActEntrustmentManage) && p.Actor.MerchantID == p.E.MerchantID
	return p, nil
}

func (s *Server) entrustmentView(c echo.Context) error {
	p, err := s.entrustmentPage(c)
	if err != nil {
		return err
	}
	return s.render(c, "entrustment_view", p)
}

func (s *Server) entrustmentEnd(c echo.Context) error {
	id, err := partyID(c)
	if err != nil {
		return err
	}
	var req endEntrustmentRequest
	err = s.bind(c, &req)
	if err == nil {
		_, err = s.svc.EndEntrustment(c.Request().Context(), actorOf(c), id, req.Reason)
	}
	if err != nil {
		if apperr.CodeOf(err) != apperr.Invalid {
			return err
		}
		p, perr := s.entrustmentPage(c)
		if perr != nil {
			return perr
		}
		p.withErrors(err)
		p.Reason = req.Reason
		return s.views.Render(c, http.StatusUnprocessableEntity, "entrustment_view", p)
	}
	return s.redirect(c, "/entrustments/"+strconv.FormatInt(id, 10), apperr.T("Entrustment ended", "委托已终止"))
}

// apiEntrustment is an entrustment in the API.
type apiEntrustment struct {
	ID           int64      `json:"id"`
	MerchantID   int64      `json:"merchant_id"`
	MerchantName string     `json:"merchant_name"`
	AgentID      int64      `json:"agent_id"`
	AgentName    string     `json:"agent_name"`
	AgreementNo  string     `json:"agreement_no"`
	StartsOn     string     `json:"starts_on"`
	EndsOn       *string    `json:"ends_on"` // null for an open-ended agreement
	State        string     `json:"state"`   // in_force, upcoming, expired, ended
	EndedAt      *time.Time `json:"ended_at"`
	EndReason    string     `json:"end_reason,omitempty"`
	Version      int64      `json:"version"`
	CreatedAt    time.Time  `json:"created_at"`
}

func apiEntrustmentOf(v *workflow.EntrustmentView) apiEntrustment {
	out := apiEntrustment{ID: v.ID, MerchantID: v.MerchantID, MerchantName: v.MerchantName, AgentID: v.AgentID, AgentName: v.AgentName,
		AgreementNo: v.AgreementNo, StartsOn: v.StartsOn, State: v.State, EndedAt: v.EndedAt, EndReason: v.EndReason,
		Version: v.Version, CreatedAt: v.CreatedAt}
	if v.EndsOn != "" {
		ends := v.EndsOn
		out.EndsOn = &ends
	}
	return out
}

// apiEntrustmentList is one page of entrustments, newest first.
type apiEntrustmentList struct {
	Entrustments []apiEntrustment `json:"entrustments"`
	Page         int              `json:"page"`
	PerPage      int              `json:"per_page"`
	Total        int64            `json:"total"`
}

func (s *Server) apiEntrustmentList(c echo.Context) error {
	var req entrustmentListRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	list, err := s.svc.Entrustments(c.Request().Context(), actorOf(c), workflow.EntrustmentQuery{Page: req.Page})
	if err != nil {
		return err
	}
	out := apiEntrustmentList{Entrustments: []apiEntrustment{}, Page: list.Page, PerPage: list.PerPage, Total: list.Total}
	for i := range list.Entrustments {
		out.Entrustments = append(out.Entrustments, apiEntrustmentOf(&list.Entrustments[i]))
	}
	return c.JSON(http.StatusOK, out)
}

// apiEntrustmentAnswer answers with an entrustment as the caller now sees it.
func (s *Server) apiEntrustmentAnswer(c echo.Context, status int, id int64) error {
	v, err := s.svc.Entrustment(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(status, apiEntrustmentOf(v))
}

func (s *Server) apiEntrustmentView(c echo.Context) error {
	id, err := partyID(c)
	if err != nil {
		return err
	}
	return s.apiEntrustmentAnswer(c, http.StatusOK, id)
}

func (s *Server) apiEntrustmentCreate(c echo.Context) error {
	var req entrustmentRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	e, err := s.svc.Entrust(c.Request().Context(), actorOf(c), req.input())
	if err != nil {
		return err
	}
	return s.apiEntrustmentAnswer(c, http.StatusCreated, e.ID)
}

func (s *Server) apiEntrustmentEnd(c echo.Context) error {
	id, err := partyID(c)
	if err != nil {
		return err
	}
	var req endEntrustmentRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if _, err := s.svc.EndEntrustment(c.Request().Context(), actorOf(c), id, req.Reason); err != nil {
		return err
	}
	return s.apiEntrustmentAnswer(c, http.StatusOK, id)
}
