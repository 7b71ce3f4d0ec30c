package handlers

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// auditRoutes registers the auditor's view of the audit log (issue 7): the entries, newest
// first with filters; verification of the hash chain (optionally against checkpoints exported
// earlier), naming the first broken entry; and the export of daily checkpoints to keep outside
// the system.
func (s *Server) auditRoutes() {
	get, post := http.MethodGet, http.MethodPost
	s.handle(get, "/audit", workflow.ActAuditVerify, s.auditLog)
	s.handle(post, "/audit/verify", workflow.ActAuditVerify, s.auditVerify)
	s.handle(get, "/audit/checkpoints.csv", workflow.ActAuditVerify, s.auditCheckpoints)
	s.handle(get, "/api/v1/audit/verify", workflow.ActAuditVerify, s.apiAuditVerify)
	s.handle(get, "/audit/dashboard", workflow.ActAuditDashboard, s.auditDashboard)
	s.handle(get, "/api/v1/audit/dashboard", workflow.ActAuditDashboard, s.apiAuditDashboard)
}

// AuditDashboardPage shows the auditor's charts and anomaly lists.
type AuditDashboardPage struct {
	Page
	D *workflow.AuditDashboard
}

// DashChart is one horizontal bar chart drawn as inline SVG (no script), with the same figures
// in a table for screen readers and for copying.
type DashChart struct {
	ID, Title, Empty string
	Height           int
	Rows             []DashChartRow
}

// DashChartRow is one bar: its label, value text and geometry in a 100-unit wide drawing.
type DashChartRow struct {
	Label, Value, Width string
	Y                   int
}

// Chart lays out a chart of bars; usd says the values are cents of USD.
func (p AuditDashboardPage) Chart(id, title string, bars []workflow.DashBar, usd bool) DashChart {
	c := DashChart{ID: id, Title: p.T(title), Empty: p.T("dash.nothing"), Height: 8 * len(bars)}
	for i, b := range bars {
		v := strconv.FormatInt(b.Value, 10)
		if usd {
			v = "USD " + models.Money(b.Value).String()
		}
		c.Rows = append(c.Rows, DashChartRow{Label: b.Label, Value: v, Width: strconv.FormatFloat(b.Share*100, 'f', 1, 64), Y: 8*i + 1})
	}
	return c
}

// Percent formats a percentage.
func (p AuditDashboardPage) Percent(v float64) string {
	return strconv.FormatFloat(v, 'f', 1, 64) + "%"
}

// HitRate is the share of inspections with discrepancies, in percent.
func (p AuditDashboardPage) HitRate() string { return p.Percent(p.D.InspectionHitRate() * 100) }

func (s *Server) auditDashboard(c echo.Context) error {
	d, err := s.svc.AuditDashboard(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	return s.render(c, "audit_dashboard", AuditDashboardPage{Page: s.page(c), D: d})
}

func (s *Server) apiAuditDashboard(c echo.Context) error {
	d, err := s.svc.AuditDashboard(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// auditListRequest filters the audit log.
type auditListRequest struct {
	Entity   string `query:"entity" validate:"max=40"`
	EntityID string `query:"entity_id" validate:"max=40"`
	Action   string `query:"action" validate:"max=40"`
	Username string `query:"user" validate:"max=64"`
	BeforeID int64  `query:"before" validate:"min=0"`
}

// AuditLogPage lists audit entries and shows a verification result.
type AuditLogPage struct {
	Page
	Filter auditListRequest
	Rows   []workflow.AuditRow
	Next   string // the next (older) page's query, "" on the last page
	Result *models.AuditVerification
}

func (s *Server) auditLogPage(c echo.Context) (AuditLogPage, error) {
	p := AuditLogPage{Page: s.page(c)}
	if err := s.bind(c, &p.Filter); err != nil {
		return p, err
	}
	f := p.Filter
	rows, err := s.svc.AuditEntries(c.Request().Context(), p.Actor, workflow.AuditFilter{Entity: f.Entity, EntityID: f.EntityID,
		Action: f.Action, Username: f.Username, BeforeID: f.BeforeID})
	if err != nil {
		return p, err
	}
	p.Rows = rows
	if len(rows) == workflow.AuditPerPage {
		q := c.Request().URL.Query()
		q.Set("before", strconv.FormatInt(rows[len(rows)-1].ID, 10))
		p.Next = q.Encode()
	}
	return p, nil
}

func (s *Server) auditLog(c echo.Context) error {
	p, err := s.auditLogPage(c)
	if err != nil {
		return err
	}
	return s.render(c, "audit_log", p)
}

// auditVerify recomputes the chain; a checkpoint file (CSV or JSON, as exported) may be sent
// along. Called by htmx it answers with the result box only.
func (s *Server) auditVerify(c echo.Context) error {
	var known []models.AuditCheckpoint
	if fh, err := c.FormFile("checkpoints"); err == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, 8<<20))
		if err != nil {
			return err
		}
		if known, err = models.ParseAuditCheckpoints(b); err != nil {
			return s.auditVerifyFailed(c, apperr.Field("checkpoints", apperr.Tf(
				"The checkpoint file cannot be read: %s. Upload a file exported from this page or by 'mpt audit checkpoints'",
				"无法读取检查点文件：%s。请上传从本页或 'mpt audit checkpoints' 导出的文件", err.Error())))
		}
	}
	v, err := s.svc.VerifyAuditLog(c.Request().Context(), actorOf(c), known)
	if err != nil {
		return err
	}
	p, err := s.auditLogPage(c)
	if err != nil {
		return err
	}
	p.Result = v
	if isHTMX(c) {
		return s.views.Fragment(c, http.StatusOK, "audit_log", "audit-result", p)
	}
	return s.render(c, "audit_log", p)
}

// auditVerifyFailed shows the form's error: in the result box for htmx (which swaps only
// successful answers), or on the whole page with 422.
func (s *Server) auditVerifyFailed(c echo.Context, ferr error) error {
	p, err := s.auditLogPage(c)
	if err != nil {
		return err
	}
	p.withErrors(ferr)
	if isHTMX(c) {
		return s.views.Fragment(c, http.StatusOK, "audit_log", "audit-result", p)
	}
	return s.views.Render(c, http.StatusUnprocessableEntity, "audit_log", p)
}

// auditCheckpoints exports the daily checkpoints of a verified chain as CSV; a broken chain
// has no checkpoints to export (409 naming the break).
func (s *Server) auditCheckpoints(c echo.Context) error {
	v, err := s.svc.VerifyAuditLog(c.Request().Context(), actorOf(c), nil)
	if err != nil {
		return err
	}
	if !v.OK() {
		return apperr.New(apperr.Conflict, apperr.Tf("The audit log is broken, so no checkpoints are exported: %s",
			"审计日志已损坏，不导出检查点：%s", v.Break.Error()))
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="audit-checkpoints.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write(models.AuditCheckpointHeader)
	for _, cp := range v.Checkpoints {
		_ = w.Write([]string{cp.Day, strconv.FormatInt(cp.LastID, 10), cp.Hash, strconv.FormatInt(cp.Entries, 10)})
	}
	w.Flush()
	return w.Error()
}

// auditVerifyJSON is the API's verification result.
type auditVerifyJSON struct {
	OK          bool                     `json:"ok"`
	Entries     int64                    `json:"entries"`
	LastID      int64                    `json:"last_id"`
	LastHash    string                   `json:"last_hash"`
	Break       *auditBreakJSON          `json:"break,omitempty"`
	Checkpoints []models.AuditCheckpoint `json:"checkpoints"`
}

type auditBreakJSON struct {
	EntryID  int64  `json:"entry_id"`
	Position int64  `json:"position"`
	Problem  string `json:"problem"`
	Expected string `json:"expected"`
	Found    string `json:"found"`
	Message  string `json:"message"`
}

func (s *Server) apiAuditVerify(c echo.Context) error {
	v, err := s.svc.VerifyAuditLog(c.Request().Context(), actorOf(c), nil)
	if err != nil {
		return err
	}
	out := auditVerifyJSON{OK: v.OK(), Entries: v.Entries, LastID: v.LastID, LastHash: v.LastHash, Checkpoints: v.Checkpoints}
	if b := v.Break; b != nil {
		out.Break = &auditBreakJSON{EntryID: b.EntryID, Position: b.Position, Problem: b.Problem, Expected: b.Expected,
			Found: b.Found, Message: b.Error()}
	}
	if out.Checkpoints == nil {
		out.Checkpoints = []models.AuditCheckpoint{}
	}
	return c.JSON(http.StatusOK, out)
}

// Short shows the start of a hash.
func (p AuditLogPage) Short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

// Problem explains a break in the page's language.
func (p AuditLogPage) Problem(b *models.AuditBreak) string {
	return fmt.Sprintf(p.T("audit.break."+b.Problem), b.EntryID, b.Position, p.Short(b.Expected), p.Short(strings.TrimSpace(b.Found)))
}
