package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// declarationRoutes registers the declaration pages and API (issue 5): generation from a closed
// consolidation, review with findings, printable documents, signed submission, amendment and
// cancellation. Listing and reading is for merchants (their lines), agents (their own),
// customs (submitted ones), auditors and admins; every change is the owning agent's. Ownership
// is enforced by the workflow queries (404 outside the caller's scope).
func (s *Server) declarationRoutes() {
	get, post := http.MethodGet, http.MethodPost
	s.handle(get, "/declarations", workflow.ActDeclarationList, s.declarationList)
	s.handle(get, "/declarations/:id", workflow.ActDeclarationView, s.declarationView)
	s.handle(get, "/declarations/:id/print", workflow.ActDeclarationView, s.declarationPrint)
	s.handle(get, "/declarations/:id/packing-list", workflow.ActDeclarationView, s.declarationPackingList)
	s.handle(get, "/declarations/:id/invoice", workflow.ActDeclarationView, s.declarationInvoice)
	s.handle(get, "/consolidations/:id/declare", workflow.ActDeclarationManage, s.declarationGenerateForm)
	s.handle(post, "/consolidations/:id/declare", workflow.ActDeclarationManage, s.declarationGenerate)
	s.handle(post, "/declarations/:id/findings/:fid/ack", workflow.ActDeclarationManage, s.declarationAck)
	s.handle(post, "/declarations/:id/submit", workflow.ActDeclarationManage, s.declarationSubmit)
	s.handle(post, "/declarations/:id/amend", workflow.ActDeclarationManage, s.declarationAmend)
	s.handle(post, "/declarations/:id/cancel", workflow.ActDeclarationManage, s.declarationCancel)

	s.handle(get, "/api/v1/declarations", workflow.ActDeclarationList, s.apiDeclarationList)
	s.handle(get, "/api/v1/declarations/:id", workflow.ActDeclarationView, s.apiDeclaration)
	s.handle(post, "/api/v1/consolidations/:id/declare", workflow.ActDeclarationManage, s.apiDeclarationGenerate)
	s.handle(post, "/api/v1/declarations/:id/findings/:fid/ack", workflow.ActDeclarationManage, s.apiDeclarationAck)
	s.handle(post, "/api/v1/declarations/:id/submit", workflow.ActDeclarationManage, s.apiDeclarationSubmit)
	s.handle(post, "/api/v1/declarations/:id/amend", workflow.ActDeclarationManage, s.apiDeclarationAmend)
	s.handle(post, "/api/v1/declarations/:id/cancel", workflow.ActDeclarationManage, s.apiDeclarationCancel)
}

// declParam reads a positive numeric path parameter; anything else is a page that does not exist.
func declParam(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// ---- Requests -------------------------------------------------------------------------------

// declarationListRequest filters the declaration list.
type declarationListRequest struct {
	Status          string `query:"status" validate:"omitempty,max=20"`
	ConsolidationID int64  `query:"consolidation" validate:"min=0"`
	BuyerID         int64  `query:"buyer" validate:"min=0"`
	Page            int    `query:"page" validate:"min=0,max=100000"`
}

func (r declarationListRequest) filter() workflow.DeclarationFilter {
	return workflow.DeclarationFilter{Status: r.Status, ConsolidationID: r.ConsolidationID, BuyerID: r.BuyerID, Page: r.Page}
}

// submitRequest is the signed statement of a submission.
type submitRequest struct {
	Version    int64  `form:"version" json:"version" validate:"min=0"`
	SignerName string `form:"signer_name" json:"signer_name" validate:"required,max=100"`
	SignerRole string `form:"signer_role" json:"signer_role" validate:"required,max=100"`
	Statement  bool   `form:"statement" json:"statement"`
}

func (r submitRequest) input() workflow.SubmitInput {
	return workflow.SubmitInput{Version: r.Version, SignerName: r.SignerName, SignerRole: r.SignerRole, Statement: r.Statement}
}

// amendRequest changes header fields; a field left out of a JSON body stays as it is.
type amendRequest struct {
	Version         int64   `form:"version" json:"version" validate:"min=0"`
	Reason          string  `form:"reason" json:"reason" validate:"required,max=400"`
	SignerName      string  `form:"signer_name" json:"signer_name" validate:"required,max=100"`
	SignerRole      string  `form:"signer_role" json:"signer_role" validate:"required,max=100"`
	TransportMode   *string `form:"transport_mode" json:"transport_mode" validate:"omitempty,max=1"`
	DestinationPort *string `form:"destination_port" json:"destination_port" validate:"omitempty,max=100"`
	ExitPort        *string `form:"exit_port" json:"exit_port" validate:"omitempty,max=100"`
	TradeTerms      *string `form:"trade_terms" json:"trade_terms" validate:"omitempty,max=3"`
	Marks           *string `form:"marks" json:"marks" validate:"omitempty,max=400"`
	Remarks         *string `form:"remarks" json:"remarks" validate:"omitempty,max=400"`
	Freight         *string `form:"freight" json:"freight" validate:"omitempty,max=20"`
	Insurance       *string `form:"insurance" json:"insurance" validate:"omitempty,max=20"`
}

func (r amendRequest) input() workflow.AmendInput {
	return workflow.AmendInput{Version: r.Version, Reason: r.Reason, SignerName: r.SignerName, SignerRole: r.SignerRole,
		TransportMode: r.TransportMode, DestinationPort: r.DestinationPort, ExitPort: r.ExitPort, TradeTerms: r.TradeTerms,
		Marks: r.Marks, Remarks: r.Remarks, Freight: r.Freight, Insurance: r.Insurance}
}

// cancelRequest is why a declaration is cancelled.
type cancelRequest struct {
	Version    int64  `form:"version" json:"version" validate:"min=0"`
	ReasonCode string `form:"reason_code" json:"reason_code" validate:"required,oneof=duplicate no_longer_needed other"`
	Text       string `form:"text" json:"text" validate:"max=400"`
}

func (r cancelRequest) input() workflow.CancelInput {
	return workflow.CancelInput{Version: r.Version, ReasonCode: r.ReasonCode, Text: r.Text}
}

// ---- Pages ----------------------------------------------------------------------------------

// DeclarationFormat gives the declaration pages their labels and times in the page's language.
type DeclarationFormat struct {
	lang string
	tr   *Translator
}

// Status names a declaration status.
func (f DeclarationFormat) Status(s string) string { return f.tr.T(f.lang, "declaration.status."+s) }

// Event names a timeline event.
func (f DeclarationFormat) Event(kind string) string {
	return f.tr.T(f.lang, "declaration.event."+kind)
}

// Kind names an item kind of the simplified declaration.
func (f DeclarationFormat) Kind(k string) string { return f.tr.T(f.lang, "declaration.kind."+k) }

// Msg picks the message of a finding in the page's language.
func (f DeclarationFormat) Msg(en, zh string) string { return apperr.T(en, zh).In(f.lang) }

// FindingName names a finding code.
func (f DeclarationFormat) FindingName(code string) string {
	return workflow.FindingCodeText(code).In(f.lang)
}

// FieldName names a header field of an amendment.
func (f DeclarationFormat) FieldName(name string) string {
	return f.tr.T(f.lang, "declaration.field."+name)
}

func (s *Server) declarationFormat(lang string) DeclarationFormat {
	return DeclarationFormat{lang: lang, tr: s.tr}
}

// DeclarationListPage lists the declarations the user may see.
type DeclarationListPage struct {
	Page
	DeclarationFormat
	Search   declarationListRequest
	List     *workflow.DeclarationList
	Statuses []Option
	Pager    Pager
}

func (s *Server) declarationList(c echo.Context) error {
	p := DeclarationListPage{Page: s.page(c), List: &workflow.DeclarationList{}}
	p.DeclarationFormat = s.declarationFormat(p.Lang)
	status := http.StatusOK
	err := s.bind(c, &p.Search)
	if err == nil {
		p.List, err = s.svc.Declarations(c.Request().Context(), p.Actor, p.Search.filter())
	}
	if err != nil {
		if !p.withErrors(err) {
			return err
		}
		p.List, status = &workflow.DeclarationList{}, http.StatusUnprocessableEntity
	}
	p.Statuses = []Option{{Value: "", Label: p.T("declaration.any_status")}}
	for _, st := range workflow.DeclarationStatuses {
		p.Statuses = append(p.Statuses, Option{Value: st, Label: p.Status(st)})
	}
	q := url.Values{"status": {p.Search.Status}}
	if p.Search.ConsolidationID > 0 {
		q.Set("consolidation", strconv.FormatInt(p.Search.ConsolidationID, 10))
	}
	if p.Search.BuyerID > 0 {
		q.Set("buyer", strconv.FormatInt(p.Search.BuyerID, 10))
	}
	p.Pager = pager(p.Page, "/declarations", q, p.List.Page, p.List.Pages)
	return s.views.Render(c, status, "declaration_list", p)
}

// DeclarationPage is one declaration as customs will see it, with the agent's forms.
type DeclarationPage struct {
	Page
	DeclarationFormat
	D             *workflow.DeclarationDetail
	Submit        submitRequest
	Amend         amendRequest
	Cancel        cancelRequest
	TradeTerms    []Option
	CancelReasons []Option
	Form          string // which form came back with errors: submit, amend, cancel
}

// Value dereferences an optional form value.
func (p DeclarationPage) Value(v *string) string {
	if v == nil {
		return ""
	}
	return *v
}

func (s *Server) declarationPage(c echo.Context) (DeclarationPage, error) {
	p := DeclarationPage{Page: s.page(c)}
	p.DeclarationFormat = s.declarationFormat(p.Lang)
	id, err := declParam(c, "id")
	if err != nil {
		return p, err
	}
	if p.D, err = s.svc.Declaration(c.Request().Context(), p.Actor, id); err != nil {
		return p, err
	}
	d := &p.D.Declaration
	p.Submit = submitRequest{Version: d.Version, SignerName: p.Actor.DisplayName}
	freight, insurance := d.Freight.String(), d.Insurance.String()
	p.Amend = amendRequest{Version: d.Version, SignerName: p.Actor.DisplayName, TransportMode: &d.TransportMode,
		DestinationPort: &d.DestinationPort, ExitPort: &d.ExitPort, TradeTerms: &d.TradeTerms, Marks: &d.Marks,
		Remarks: &d.Remarks, Freight: &freight, Insurance: &insurance}
	p.Cancel = cancelRequest{Version: d.Version}
	for _, t := range workflow.TradeTermsCodes {
		p.TradeTerms = append(p.TradeTerms, Option{Value: t, Label: t})
	}
	for _, r := range workflow.CancelReasons {
		p.CancelReasons = append(p.CancelReasons, Option{Value: r, Label: p.T("declaration.cancel.reason." + r)})
	}
	return p, nil
}

func (s *Server) declarationView(c echo.Context) error {
	p, err := s.declarationPage(c)
	if err != nil {
		return err
	}
	return s.render(c, "declaration_view", p)
}

func (s *Server) declarationPrint(c echo.Context) error {
	p, err := s.declarationPage(c)
	if err != nil {
		return err
	}
	return s.render(c, "declaration_print", p)
}

func (s *Server) declarationPackingList(c echo.Context) error {
	p, err := s.declarationPage(c)
	if err != nil {
		return err
	}
	return s.render(c, "declaration_packing_list", p)
}

func (s *Server) declarationInvoice(c echo.Context) error {
	p, err := s.declarationPage(c)
	if err != nil {
		return err
	}
	return s.render(c, "declaration_invoice", p)
}

// declarationFormFailed shows the declaration again with the failed form's errors: 422 for
// invalid input, 409 for a refusal (findings open, identical resubmission, already cancelled).
func (s *Server) declarationFormFailed(c echo.Context, form string, err error, keep func(p *DeclarationPage)) error {
	code := apperr.CodeOf(err)
	if code != apperr.Invalid && code != apperr.Conflict {
		return err
	}
	p, perr := s.declarationPage(c)
	if perr != nil {
		return perr
	}
	keep(&p)
	p.Form = form
	status := http.StatusUnprocessableEntity
	if code == apperr.Conflict {
		status = http.StatusConflict
		p.Errors = map[string]string{"_": apperr.As(err).Text.In(p.Lang)}
	} else {
		p.withErrors(err)
	}
	return s.views.Render(c, status, "declaration_view", p)
}

func declarationURL(id int64) string { return "/declarations/" + strconv.FormatInt(id, 10) }

func (s *Server) declarationAck(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	fid, err := declParam(c, "fid")
	if err != nil {
		return err
	}
	if _, err := s.svc.AcknowledgeFinding(c.Request().Context(), actorOf(c), id, fid); err != nil {
		return s.declarationFormFailed(c, "ack", err, func(*DeclarationPage) {})
	}
	return s.redirect(c, declarationURL(id)+"#findings", apperr.T("Warning acknowledged", "已确认该警告"))
}

func (s *Server) declarationSubmit(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req submitRequest
	err = s.bind(c, &req)
	if err == nil {
		_, err = s.svc.SubmitDeclaration(c.Request().Context(), actorOf(c), id, req.input())
	}
	if err != nil {
		return s.declarationFormFailed(c, "submit", err, func(p *DeclarationPage) { p.Submit = req })
	}
	return s.redirect(c, declarationURL(id), apperr.T("Declaration submitted to customs", "报关单已提交海关"))
}

func (s *Server) declarationAmend(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req amendRequest
	err = s.bind(c, &req)
	if err == nil {
		_, err = s.svc.AmendDeclaration(c.Request().Context(), actorOf(c), id, req.input())
	}
	if err != nil {
		return s.declarationFormFailed(c, "amend", err, func(p *DeclarationPage) { p.Amend = req })
	}
	return s.redirect(c, declarationURL(id)+"#amendments", apperr.T("Declaration amended", "报关单已修改"))
}

func (s *Server) declarationCancel(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req cancelRequest
	err = s.bind(c, &req)
	if err == nil {
		_, err = s.svc.CancelDeclaration(c.Request().Context(), actorOf(c), id, req.input())
	}
	if err != nil {
		return s.declarationFormFailed(c, "cancel", err, func(p *DeclarationPage) { p.Cancel = req })
	}
	return s.redirect(c, declarationURL(id), apperr.T("Declaration cancelled", "报关单已撤销"))
}

// DeclarationGeneratePage confirms generation, and lists every problem when it was refused.
type DeclarationGeneratePage struct {
	Page
	DeclarationFormat
	ConsolidationID int64
	Consolidation   *models.Consolidation
	Lines           int64
	Problems        []apperr.FieldError
	Message         string
}

func (s *Server) declarationGenerateForm(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	p := DeclarationGeneratePage{Page: s.page(c), ConsolidationID: id}
	p.DeclarationFormat = s.declarationFormat(p.Lang)
	if p.Consolidation, p.Lines, err = s.svc.DeclarableConsolidation(c.Request().Context(), p.Actor, id); err != nil {
		return err
	}
	return s.render(c, "declaration_generate", p)
}

func (s *Server) declarationGenerate(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	res, err := s.svc.GenerateDeclarations(c.Request().Context(), actorOf(c), id)
	if err != nil {
		code := apperr.CodeOf(err)
		if code != apperr.Invalid && code != apperr.Conflict {
			return err
		}
		ae := apperr.As(err)
		p := DeclarationGeneratePage{Page: s.page(c), ConsolidationID: id, Problems: ae.Fields, Message: ae.Text.In(langOf(c))}
		p.DeclarationFormat = s.declarationFormat(p.Lang)
		p.Consolidation, p.Lines, _ = s.svc.DeclarableConsolidation(c.Request().Context(), p.Actor, id)
		return s.views.Render(c, statusOf(code), "declaration_generate", p)
	}
	return s.redirect(c, "/declarations?consolidation="+strconv.FormatInt(id, 10), res.Message())
}
