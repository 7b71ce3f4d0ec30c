package handlers

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// customsRoutes registers the pages and API of the customs desk (issue 6): the officer's queue
// and the steps of a declaration (accept with routing, documents, release, exit, rejection,
// post-clearance audit), the inspector's list and results, and the agent's side of it
// (documents customs asked for, the fix of a rejected declaration). Officers' forms live on the
// declaration page and come back to it.
func (s *Server) customsRoutes() {
	get, post := http.MethodGet, http.MethodPost
	s.handle(get, "/customs", workflow.ActCustomsDesk, s.customsQueue)
	s.handle(post, "/customs/declarations/:id/accept", workflow.ActCustomsDesk, s.customsAccept)
	s.handle(post, "/customs/declarations/:id/request-documents", workflow.ActCustomsDesk, s.customsRequestDocuments)
	s.handle(post, "/customs/declarations/:id/release", workflow.ActCustomsDesk, s.customsRelease)
	s.handle(post, "/customs/declarations/:id/exit", workflow.ActCustomsDesk, s.customsExit)
	s.handle(post, "/customs/declarations/:id/reject", workflow.ActCustomsDesk, s.customsReject)
	s.handle(post, "/customs/declarations/:id/post-audit", workflow.ActCustomsDesk, s.customsPostAudit)
	s.handle(get, "/customs/inspections", workflow.ActCustomsInspect, s.customsInspections)
	s.handle(post, "/customs/inspections/:id", workflow.ActCustomsInspect, s.customsInspect)

	s.handle(post, "/declarations/:id/documents", workflow.ActDeclarationDocs, s.declarationDocumentsUpload)
	s.handle(get, "/declarations/:id/documents/:doc", workflow.ActDeclarationView, s.declarationDocumentDownload)
	s.handle(get, "/declarations/:id/fix", workflow.ActDeclarationManage, s.declarationFixForm)
	s.handle(post, "/declarations/:id/fix", workflow.ActDeclarationManage, s.declarationFix)

	s.handle(get, "/api/v1/customs/queue", workflow.ActCustomsDesk, s.apiCustomsQueue)
	s.handle(post, "/api/v1/customs/declarations/:id/accept", workflow.ActCustomsDesk, s.apiCustomsAccept)
	s.handle(post, "/api/v1/customs/declarations/:id/release", workflow.ActCustomsDesk, s.apiCustomsRelease)
	s.handle(post, "/api/v1/customs/declarations/:id/exit", workflow.ActCustomsDesk, s.apiCustomsExit)
	s.handle(post, "/api/v1/customs/declarations/:id/reject", workflow.ActCustomsDesk, s.apiCustomsReject)
	s.handle(post, "/api/v1/declarations/:id/fix", workflow.ActDeclarationManage, s.apiDeclarationFix)
}

// ---- Requests -------------------------------------------------------------------------------

// customsStepRequest is an officer's step that takes only the version the officer saw, and
// where to go back to (the queue or the declaration).
type customsStepRequest struct {
	Version int64  `form:"version" json:"version" validate:"min=0"`
	Next    string `form:"next" json:"-" validate:"max=200"`
}

// customsExitRequest confirms the exit (结关) on a date.
type customsExitRequest struct {
	Version  int64  `form:"version" json:"version" validate:"min=0"`
	ExitDate string `form:"exit_date" json:"exit_date" validate:"max=20"`
}

// customsDocumentsRequest asks the agent for more documents.
type customsDocumentsRequest struct {
	Version int64    `form:"version" json:"version" validate:"min=0"`
	Kinds   []string `form:"kinds" json:"kinds" validate:"max=3,dive,max=20"`
	Text    string   `form:"request_text" json:"text" validate:"max=400"`
}

// customsFindingRequest is the result of an inspection or a post-clearance audit; items are written
// "3, 7".
type customsFindingRequest struct {
	Version  int64  `form:"version" validate:"min=0"`
	Result   string `form:"result" validate:"max=20"`
	Findings string `form:"findings" validate:"max=2000"`
	Items    string `form:"items" validate:"max=400"`
	Next     string `form:"next" validate:"max=200"`
}

func (r customsFindingRequest) input() (workflow.CustomsFindingInput, error) {
	nos, err := workflow.ParseItemNos(r.Items)
	return workflow.CustomsFindingInput{Version: r.Version, Result: r.Result, Findings: r.Findings, ItemNos: nos}, err
}

// rejectJSON is the body of an API rejection.
type rejectJSON struct {
	Version int64 `json:"version" validate:"min=0"`
	Reasons []struct {
		Code  string `json:"code" validate:"max=10"`
		Field string `json:"field" validate:"max=40"`
		Note  string `json:"note" validate:"max=400"`
	} `json:"reasons" validate:"max=20,dive"`
}

func (r rejectJSON) input() workflow.RejectInput {
	in := workflow.RejectInput{Version: r.Version}
	for _, x := range r.Reasons {
		in.Reasons = append(in.Reasons, workflow.RejectionInput{Code: x.Code, Field: x.Field, Note: x.Note})
	}
	return in
}

// customsRejectForm reads the rejection form: the ticked reasons (reasons=R01…), with field_<code> and
// note_<code> for each.
func customsRejectForm(c echo.Context) (workflow.RejectInput, CustomsForms, error) {
	var kept CustomsForms
	if err := c.Request().ParseForm(); err != nil {
		return workflow.RejectInput{}, kept, apperr.Field("reasons", apperr.T("The form could not be read", "无法读取表单"))
	}
	f := c.Request().PostForm
	in := workflow.RejectInput{}
	in.Version, _ = customsVersion(f.Get("version"))
	kept.Reasons, kept.Notes, kept.Fields = map[string]bool{}, map[string]string{}, map[string]string{}
	for _, code := range f["reasons"] {
		if len(in.Reasons) >= 20 {
			break
		}
		r := workflow.RejectionInput{Code: code, Field: f.Get("field_" + code), Note: f.Get("note_" + code)}
		in.Reasons = append(in.Reasons, r)
		kept.Reasons[code] = true
	}
	for _, r := range workflow.RejectReasons {
		kept.Notes[r.Code], kept.Fields[r.Code] = f.Get("note_"+r.Code), f.Get("field_"+r.Code)
	}
	return in, kept, nil
}

// customsSafeNext is where an officer's form returns: the queue or a declaration page, never elsewhere.
var customsSafeNext = regexp.MustCompile(`^/(customs(\?[a-z_=&0-9]*)?|customs/inspections|declarations/[0-9]+)$`)

func customsNextOr(next, fallback string) string {
	if customsSafeNext.MatchString(next) {
		return next
	}
	return fallback
}

// ---- The queue ------------------------------------------------------------------------------

// customsQueueRequest chooses the tab and page of the queue.
type customsQueueRequest struct {
	Stage string `query:"stage" validate:"omitempty,max=30"`
	Page  int    `query:"page" validate:"min=0,max=100000"`
}

// CustomsQueuePage is the customs desk: one stage of the queue, with a tab per stage.
type CustomsQueuePage struct {
	Page
	DeclarationFormat
	Q     *workflow.CustomsQueue
	Tabs  []CustomsTab
	Pager Pager
}

// CustomsTab is a stage of the queue with its count and link.
type CustomsTab struct {
	Stage, Label, URL string
	Count             int64
	Current           bool
}

// LaneName names a lane.
func (p CustomsQueuePage) LaneName(lane string) string { return customsLaneLabel(p.Page, lane) }

func customsLaneLabel(p Page, lane string) string {
	if lane == "" {
		return p.T("customs.lane.none")
	}
	return p.T("customs.lane." + lane)
}

func (s *Server) customsQueue(c echo.Context) error {
	p := CustomsQueuePage{Page: s.page(c)}
	p.DeclarationFormat = s.declarationFormat(p.Lang)
	var req customsQueueRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	q, err := s.svc.CustomsQueueOf(c.Request().Context(), p.Actor, workflow.CustomsQueueFilter{Stage: req.Stage, Page: req.Page})
	if err != nil {
		return err
	}
	p.Q = q
	for _, sc := range q.Counts {
		p.Tabs = append(p.Tabs, CustomsTab{Stage: sc.Stage, Label: p.T("customs.stage." + sc.Stage), Count: sc.Count,
			URL: "/customs?stage=" + sc.Stage, Current: sc.Stage == q.Stage})
	}
	p.Pager = pager(p.Page, "/customs", url.Values{"stage": {q.Stage}}, q.Page, q.Pages)
	return s.render(c, "customs_queue", p)
}

// ---- Officers' steps on a declaration -------------------------------------------------------

// customsStepFailed shows the declaration again with the failed customs form's errors (422 for
// invalid input, 409 for a refusal) and the values kept; other errors go to the error handler.
func (s *Server) customsStepFailed(c echo.Context, form string, err error, kept CustomsForms) error {
	code := apperr.CodeOf(err)
	if code != apperr.Invalid && code != apperr.Conflict {
		return err
	}
	dp, perr := s.declarationPage(c)
	if perr != nil {
		return perr
	}
	dp.Form = "customs_" + form
	status := http.StatusUnprocessableEntity
	if code == apperr.Conflict {
		status = http.StatusConflict
		dp.Errors = map[string]string{"_": apperr.As(err).Text.In(dp.Lang)}
	} else {
		dp.withErrors(err)
	}
	kept.Form = dp.Form
	return s.views.Render(c, status, "declaration_view", customsDeclarationPage{DeclarationPage: dp, kept: kept})
}

func (s *Server) customsAccept(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req customsStepRequest
	err = s.bind(c, &req)
	var d *models.Declaration
	if err == nil {
		d, err = s.svc.AcceptDeclaration(c.Request().Context(), actorOf(c), id, req.Version)
	}
	if err != nil {
		return s.customsStepFailed(c, "accept", err, CustomsForms{})
	}
	lane := customsLaneText(d.Lane)
	return s.redirect(c, customsNextOr(req.Next, declarationURL(id)+"#customs"), apperr.Tf("Declaration accepted: entry no. %[1]s, %[2]s lane",
		"报关单已接受：海关编号 %[1]s，%[3]s通道", *d.EntryNo, lane.En, lane.Zh))
}

// customsLaneText names a lane in both languages for flash messages.
func customsLaneText(lane string) apperr.Text {
	switch lane {
	case workflow.LaneGreen:
		return apperr.T("green", "绿色")
	case workflow.LaneYellow:
		return apperr.T("yellow", "黄色")
	case workflow.LaneRed:
		return apperr.T("red", "红色")
	case workflow.LaneBlue:
		return apperr.T("blue", "蓝色")
	}
	return apperr.T(lane, lane)
}

func (s *Server) customsRequestDocuments(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req customsDocumentsRequest
	err = s.bind(c, &req)
	if err == nil {
		_, err = s.svc.RequestDocuments(c.Request().Context(), actorOf(c), id,
			workflow.RequestDocumentsInput{Version: req.Version, Kinds: req.Kinds, Text: req.Text})
	}
	if err != nil {
		return s.customsStepFailed(c, "request", err, CustomsForms{RequestText: req.Text, RequestKinds: req.Kinds})
	}
	return s.redirect(c, declarationURL(id)+"#customs", apperr.T("Documents requested from the agent", "已要求代理补充单证"))
}

func (s *Server) customsRelease(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req customsStepRequest
	err = s.bind(c, &req)
	if err == nil {
		_, err = s.svc.ReleaseDeclaration(c.Request().Context(), actorOf(c), id, req.Version)
	}
	if err != nil {
		return s.customsStepFailed(c, "release", err, CustomsForms{})
	}
	return s.redirect(c, customsNextOr(req.Next, declarationURL(id)+"#customs"), apperr.T("Declaration released", "报关单已放行"))
}

func (s *Server) customsExit(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req customsExitRequest
	err = s.bind(c, &req)
	if err == nil {
		_, err = s.svc.ConfirmExit(c.Request().Context(), actorOf(c), id, workflow.ExitInput{Version: req.Version, ExitDate: req.ExitDate})
	}
	if err != nil {
		return s.customsStepFailed(c, "exit", err, CustomsForms{ExitDate: req.ExitDate})
	}
	return s.redirect(c, declarationURL(id)+"#customs", apperr.Tf("Exit confirmed on %s", "已确认于 %s 结关", strings.TrimSpace(req.ExitDate)))
}

func (s *Server) customsReject(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	in, kept, err := customsRejectForm(c)
	if err == nil {
		_, err = s.svc.RejectDeclaration(c.Request().Context(), actorOf(c), id, in)
	}
	if err != nil {
		return s.customsStepFailed(c, "reject", err, kept)
	}
	return s.redirect(c, declarationURL(id)+"#customs", apperr.T("Declaration rejected and sent back to the agent", "报关单已退回代理"))
}

func (s *Server) customsPostAudit(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req customsFindingRequest
	err = s.bind(c, &req)
	if err == nil {
		var in workflow.CustomsFindingInput
		if in, err = req.input(); err == nil {
			_, err = s.svc.PostAudit(c.Request().Context(), actorOf(c), id, in)
		}
	}
	if err != nil {
		return s.customsStepFailed(c, "post_audit", err, CustomsForms{Result: req.Result, Findings: req.Findings, Items: req.Items})
	}
	return s.redirect(c, declarationURL(id)+"#customs", apperr.T("Post-clearance audit recorded", "事后稽查结果已录入"))
}
