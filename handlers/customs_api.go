package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
)

// customsStateJSON is a declaration's customs state in the API.
type customsStateJSON struct {
	Lane             string                     `json:"lane"`
	AcceptedAt       *time.Time                 `json:"accepted_at"`
	ReleasedAt       *time.Time                 `json:"released_at"`
	ExitDate         string                     `json:"exit_date,omitempty"`
	PostAuditResult  string                     `json:"post_audit_result,omitempty"`
	DocumentsPending bool                       `json:"documents_pending"`
	Inspection       *customsInspectionJSON     `json:"inspection,omitempty"`
	Rejection        []workflow.RejectionReason `json:"rejection_reasons,omitempty"`
	Decisions        []customsDecisionJSON      `json:"decisions"`
}

type customsInspectionJSON struct {
	ID          int64      `json:"id"`
	Inspector   string     `json:"inspector"`
	AssignedAt  time.Time  `json:"assigned_at"`
	Result      string     `json:"result,omitempty"`
	Findings    string     `json:"findings,omitempty"`
	Items       []int      `json:"items,omitempty"`
	CompletedAt *time.Time `json:"completed_at"`
}

type customsDecisionJSON struct {
	ID             int64              `json:"id"`
	Lane           string             `json:"lane"`
	RuleSetVersion int                `json:"rule_set_version"`
	RulesHit       []workflow.RuleHit `json:"rules_hit"`
	DecidedAt      time.Time          `json:"decided_at"`
}

// customsDeclarationJSON is a declaration as the customs API answers it.
type customsDeclarationJSON struct {
	declarationJSON
	Customs customsStateJSON `json:"customs"`
}

func toCustomsDeclarationJSON(d *workflow.DeclarationDetail) customsDeclarationJSON {
	decl := d.Declaration
	out := customsDeclarationJSON{declarationJSON: toDeclarationJSON(workflow.DeclarationRow{Declaration: decl}),
		Customs: customsStateJSON{Lane: decl.Lane, AcceptedAt: decl.AcceptedAt, ReleasedAt: decl.ReleasedAt, ExitDate: decl.ExitDate,
			PostAuditResult: decl.PostAuditResult, Decisions: []customsDecisionJSON{}}}
	info := d.Customs
	if info == nil {
		return out
	}
	out.Customs.DocumentsPending = info.DocumentsPending
	if ins := info.Inspection(); ins != nil {
		out.Customs.Inspection = &customsInspectionJSON{ID: ins.ID, Inspector: ins.InspectorName, AssignedAt: ins.AssignedAt, Result: ins.Result,
			Findings: ins.Findings, Items: ins.Items, CompletedAt: ins.CompletedAt}
	}
	if info.Rejection != nil && decl.Status == models.DeclarationRejected {
		out.Customs.Rejection = info.Rejection.Reasons
	}
	for _, dc := range info.Decisions {
		hits := dc.Hits
		if hits == nil {
			hits = []workflow.RuleHit{}
		}
		out.Customs.Decisions = append(out.Customs.Decisions, customsDecisionJSON{ID: dc.ID, Lane: dc.Lane, RuleSetVersion: dc.RuleSetVersion,
			RulesHit: hits, DecidedAt: dc.DecidedAt})
	}
	return out
}

// apiCustomsDetail answers with the declaration's customs state as it now stands.
func (s *Server) apiCustomsDetail(c echo.Context, id int64) error {
	d, err := s.svc.Declaration(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toCustomsDeclarationJSON(d))
}

type customsQueueRowJSON struct {
	declarationJSON
	Lane       string     `json:"lane"`
	AcceptedAt *time.Time `json:"accepted_at"`
	ReleasedAt *time.Time `json:"released_at"`
	AgentName  string     `json:"agent_name"`
	BuyerName  string     `json:"buyer_name"`
	Items      int        `json:"items"`
}

type customsQueueJSON struct {
	Stage   string                `json:"stage"`
	Counts  map[string]int64      `json:"counts"`
	Items   []customsQueueRowJSON `json:"items"`
	Total   int64                 `json:"total"`
	Page    int                   `json:"page"`
	Pages   int                   `json:"pages"`
	PerPage int                   `json:"per_page"`
}

func (s *Server) apiCustomsQueue(c echo.Context) error {
	var req customsQueueRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	q, err := s.svc.CustomsQueueOf(c.Request().Context(), actorOf(c), workflow.CustomsQueueFilter{Stage: req.Stage, Page: req.Page})
	if err != nil {
		return err
	}
	out := customsQueueJSON{Stage: q.Stage, Counts: map[string]int64{}, Items: []customsQueueRowJSON{}, Total: q.Total, Page: q.Page, Pages: q.Pages, PerPage: q.PerPage}
	for _, sc := range q.Counts {
		out.Counts[sc.Stage] = sc.Count
	}
	for _, r := range q.Rows {
		out.Items = append(out.Items, customsQueueRowJSON{declarationJSON: toDeclarationJSON(workflow.DeclarationRow{Declaration: r.Declaration}),
			Lane: r.Lane, AcceptedAt: r.AcceptedAt, ReleasedAt: r.ReleasedAt, AgentName: r.AgentName, BuyerName: r.BuyerName, Items: r.Items})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCustomsAccept(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req customsStepRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if _, err := s.svc.AcceptDeclaration(c.Request().Context(), actorOf(c), id, req.Version); err != nil {
		return err
	}
	return s.apiCustomsDetail(c, id)
}

func (s *Server) apiCustomsRelease(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req customsStepRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if _, err := s.svc.ReleaseDeclaration(c.Request().Context(), actorOf(c), id, req.Version); err != nil {
		return err
	}
	return s.apiCustomsDetail(c, id)
}

func (s *Server) apiCustomsExit(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req customsExitRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if _, err := s.svc.ConfirmExit(c.Request().Context(), actorOf(c), id, workflow.ExitInput{Version: req.Version, ExitDate: req.ExitDate}); err != nil {
		return err
	}
	return s.apiCustomsDetail(c, id)
}

func (s *Server) apiCustomsReject(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req rejectJSON
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if _, err := s.svc.RejectDeclaration(c.Request().Context(), actorOf(c), id, req.input()); err != nil {
		return err
	}
	return s.apiCustomsDetail(c, id)
}

func (s *Server) apiDeclarationFix(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req customsFixRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if _, err := s.svc.FixDeclaration(c.Request().Context(), actorOf(c), id, req.input()); err != nil {
		return err
	}
	return s.apiCustomsDetail(c, id)
}
