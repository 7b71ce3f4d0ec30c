package handlers

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"mpt/workflow"
	"mpt/workflow/apperr"
)

// traceRoutes registers traceability (issue 7, DOMAIN §9): a search by any identifier, the
// trace view of one goods line (where its label's QR code leads), and its export. A merchant
// traces its own lines, an agent its merchants' lines, auditors and admins everything.
func (s *Server) traceRoutes() {
	get := http.MethodGet
	s.handle(get, "/trace", workflow.ActTrace, s.traceSearch)
	s.handle(get, "/trace/:code", workflow.ActTrace, s.traceView)
	s.handle(get, "/trace/:code/export.json", workflow.ActTrace, s.traceExportJSON)
	s.handle(get, "/trace/:code/export.csv", workflow.ActTrace, s.traceExportCSV)
	s.handle(get, "/qr/declarations/:no", workflow.ActDeclarationView, s.declarationQR)
	s.handle(get, "/api/v1/trace", workflow.ActTrace, s.apiTraceSearch)
	s.handle(get, "/api/v1/trace/:code", workflow.ActTrace, s.apiTrace)
}

// TraceSearchPage is the search form and what it found.
type TraceSearchPage struct {
	Page
	Query   string
	Matches []workflow.TraceMatch
	Limit   int
}

// Kind names a kind of identifier in the page's language.
func (p TraceSearchPage) Kind(kind string) string { return p.T("trace.kind." + kind) }

func (s *Server) traceSearch(c echo.Context) error {
	p := TraceSearchPage{Page: s.page(c), Query: c.QueryParam("q"), Limit: workflow.TraceSearchLimit}
	if p.Query == "" {
		return s.render(c, "trace_search", p)
	}
	matches, err := s.svc.TraceSearch(c.Request().Context(), p.Actor, p.Query)
	if err != nil {
		if p.withErrors(err) {
			return s.views.Render(c, http.StatusUnprocessableEntity, "trace_search", p)
		}
		return err
	}
	// One line found by its own trace code: open its trace straight away.
	if len(matches) == 1 && matches[0].Kind == workflow.TraceByCode && len(matches[0].Lines) == 1 {
		return c.Redirect(http.StatusSeeOther, workflow.TracePath(url.PathEscape(matches[0].Lines[0].TraceCode)))
	}
	p.Matches = matches
	return s.render(c, "trace_search", p)
}

// TraceViewPage is the whole chain of one goods line.
type TraceViewPage struct {
	Page
	Trace *workflow.TraceView
}

// StepName names a flow step in the page's language.
func (p TraceViewPage) StepName(step string) string { return workflow.StepText(step).In(p.Lang) }

// TxnStatus, ConsStatus, DeclStatus, FilingStatus, Lane and Event name a record's state in the
// page's language.
func (p TraceViewPage) TxnStatus(s string) string {
	return workflow.TransactionStatusText(s).In(p.Lang)
}
func (p TraceViewPage) ConsStatus(s string) string {
	return workflow.ConsolidationStatusText(s).In(p.Lang)
}
func (p TraceViewPage) DeclStatus(s string) string   { return p.T("declaration.status." + s) }
func (p TraceViewPage) FilingStatus(s string) string { return p.T("tax.status." + s) }
func (p TraceViewPage) Lane(l string) string         { return p.T("customs.lane." + l) }

// Event names a customs step of the trace: a routing decision, an inspection or an event.
func (p TraceViewPage) Event(kind string) string {
	switch kind {
	case "decision":
		return p.T("trace.event.decision")
	case "inspection":
		return p.T("trace.event.inspection")
	}
	return p.T("declaration.event." + kind)
}

func (s *Server) traceView(c echo.Context) error {
	v, err := s.svc.Trace(c.Request().Context(), actorOf(c), c.Param("code"))
	if err != nil {
		return err
	}
	return s.render(c, "trace_view", TraceViewPage{Page: s.page(c), Trace: v})
}

func (s *Server) traceExportJSON(c echo.Context) error {
	v, err := s.svc.Trace(c.Request().Context(), actorOf(c), c.Param("code"))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="trace-`+v.Line.TraceCode+`.json"`)
	return c.JSONPretty(http.StatusOK, v, "  ")
}

// traceExportCSV writes the chain as rows: section, reference, status, time, detail.
func (s *Server) traceExportCSV(c echo.Context) error {
	v, err := s.svc.Trace(c.Request().Context(), actorOf(c), c.Param("code"))
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="trace-`+v.Line.TraceCode+`.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	_, _ = c.Response().Write([]byte("\xEF\xBB\xBF")) // so spreadsheet programs read UTF-8
	w := csv.NewWriter(c.Response())
	for _, r := range traceRows(v) {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

func traceTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(workflow.MarketZone).Format("2006-01-02 15:04:05")
}

// traceRows flattens a trace for the CSV export, one row per record and step.
func traceRows(v *workflow.TraceView) [][]string {
	l, t := v.Line, v.Transaction
	rows := [][]string{{"section", "reference", "status", "time", "detail"}}
	add := func(section, ref, status string, at *time.Time, detail string) {
		rows = append(rows, []string{section, ref, status, traceTime(at), detail})
	}
	add("line", l.TraceCode, v.Progress.Stage, &l.CreatedAt, fmt.Sprintf("%s %s; HS %s; %s %s × %s = %s %s; %d cartons; gross %s kg",
		l.SKU, l.NameZh, l.HSCode, l.Quantity, l.Unit, l.UnitPrice, l.Currency, l.Amount, l.Cartons, l.GrossGrams.Kg()))
	add("transaction", t.Number, t.Status, t.RegisteredAt, fmt.Sprintf("trade date %s; merchant %s (%s); buyer %s (%s %s)",
		t.TradeDate, t.MerchantName, t.MerchantUSCC, t.BuyerName, t.BuyerNationality, t.BuyerDocNumber))
	for _, d := range t.Documents {
		at := d.CreatedAt
		add("document", strconv.FormatInt(d.ID, 10), d.Kind, &at, d.FileName+" sha256:"+d.SHA256)
	}
	for _, p := range v.Packing {
		add("packing", p.ContainerNumber, p.ConsolidationSt, nil, fmt.Sprintf("booking %s; %s; seal %s; %d cartons; gross %s kg",
			p.BookingCode, p.SizeType, p.SealNo, p.Cartons, p.GrossGrams.Kg()))
	}
	for _, d := range v.Declarations {
		ref := d.PreEntryNo
		if d.EntryNo != "" {
			ref += " / " + d.EntryNo
		}
		add("declaration", ref, d.Status, d.ReleasedAt, fmt.Sprintf("item %d (%s) HS %s %s; lane %s; exit %s; USD %s; %d merged sibling(s)",
			d.ItemNo, d.ItemKind, d.ItemHSCode, d.ItemName, d.Lane, d.ExitDate, d.LineValueUSD, len(d.Siblings)))
		for _, cs := range d.Customs {
			at := cs.At
			add("customs", d.PreEntryNo, cs.Kind, &at, fmt.Sprintf("%s %s %s", cs.Lane, cs.Detail, cs.Actor))
		}
	}
	for _, a := range v.Allocations {
		at := a.CreatedAt
		add("fx", a.BankRef, "", &at, fmt.Sprintf("payer %s (%s); value date %s; %s %s; payer mismatch %t; before export %t",
			a.PayerName, a.PayerCountry, a.ValueDate, a.Currency, a.Amount, a.PayerMismatch, a.BeforeExport))
	}
	for _, f := range v.Filings {
		add("vat", f.Number, f.Status, f.FiledAt, fmt.Sprintf("period %s; %s; CNY %s", f.Period, f.Amount, f.AmountCNY))
	}
	for _, e := range v.Timeline {
		at := e.At
		add("audit", fmt.Sprintf("%s %s", e.Entity, e.EntityID), e.Action, &at, fmt.Sprintf("#%d %s (%s) old=%s new=%s",
			e.AuditID, e.ActorName, e.ActorRole, e.OldJSON, e.NewJSON))
	}
	return rows
}

// declarationQR draws the QR code printed on a declaration: the trace search by its pre-entry
// number, which lists every goods line it holds. Only 18-digit numbers are drawn.
func (s *Server) declarationQR(c echo.Context) error {
	no, ok := strings.CutSuffix(c.Param("no"), ".png")
	if !ok || len(no) != 18 || strings.Trim(no, "0123456789") != "" {
		return echo.ErrNotFound
	}
	png, err := qrcode.Encode(txnBaseURL(c)+"/trace?q="+no, qrcode.Medium, 256)
	if err != nil {
		return apperr.Wrap(err, "draw QR code")
	}
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "private, max-age=86400")
	h.Add("Vary", "Host")
	return c.Blob(http.StatusOK, "image/png", png)
}

func (s *Server) apiTrace(c echo.Context) error {
	v, err := s.svc.Trace(c.Request().Context(), actorOf(c), c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) apiTraceSearch(c echo.Context) error {
	matches, err := s.svc.TraceSearch(c.Request().Context(), actorOf(c), c.QueryParam("q"))
	if err != nil {
		return err
	}
	if matches == nil {
		matches = []workflow.TraceMatch{}
	}
	return c.JSON(http.StatusOK, map[string]any{"matches": matches})
}
