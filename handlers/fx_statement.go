package handlers

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"mpt/workflow"
	"mpt/workflow/apperr"
)

// FXStatementPage is the bank statement upload, and every problem of a refused file.
type FXStatementPage struct {
	Page
	Result *workflow.StatementResult
}

// Columns are the statement's columns, for the explanation.
func (p FXStatementPage) Columns() []workflow.StatementColumn { return workflow.StatementColumns }

// MaxRows is the row limit, for the explanation.
func (p FXStatementPage) MaxRows() int { return workflow.MaxStatementRows }

// MaxMB is the size limit in MB, for the explanation.
func (p FXStatementPage) MaxMB() int { return workflow.MaxStatementFileSize >> 20 }

// More is how many problems were counted but not listed.
func (p FXStatementPage) More() int {
	if p.Result == nil {
		return 0
	}
	return p.Result.ErrorCount - len(p.Result.Errors)
}

// ErrorsText sums up the problems of a file.
func (p FXStatementPage) ErrorsText() string {
	if p.Result == nil {
		return ""
	}
	return txnArgs(p.T("fx.statement.errors"), strconv.Itoa(p.Result.ErrorCount), strconv.Itoa(p.Result.Rows))
}

func (s *Server) fxStatementForm(c echo.Context) error {
	return s.render(c, "fx_statement", FXStatementPage{Page: s.page(c)})
}

// fxStatementUpload records a statement all or nothing: on success the list of its receipts,
// otherwise the page again (422) with the file's problem or every row's.
func (s *Server) fxStatementUpload(c echo.Context) error {
	p := FXStatementPage{Page: s.page(c)}
	fh, err := c.FormFile("file")
	if err != nil {
		p.Errors = map[string]string{"file": p.T("fx.statement.choose_file")}
		return s.views.Render(c, http.StatusUnprocessableEntity, "fx_statement", p)
	}
	f, err := fh.Open()
	if err != nil {
		return apperr.Wrap(err, "open upload")
	}
	var buf bytes.Buffer
	_, err = io.Copy(&buf, io.LimitReader(f, workflow.MaxStatementFileSize+1))
	f.Close()
	if err != nil {
		return apperr.Wrap(err, "read upload")
	}
	res, err := s.svc.ImportFXStatement(c.Request().Context(), p.Actor, fh.Filename, buf.Bytes())
	if err != nil {
		if apperr.CodeOf(err) != apperr.Conflict {
			return err
		}
		p.Errors = map[string]string{"_": apperr.As(err).Text.In(p.Lang)}
		return s.views.Render(c, http.StatusConflict, "fx_statement", p)
	}
	if !res.OK() {
		p.Result = res
		if !res.Problem.IsZero() {
			p.Errors = map[string]string{"file": res.Problem.In(p.Lang)}
		}
		return s.views.Render(c, http.StatusUnprocessableEntity, "fx_statement", p)
	}
	return s.redirect(c, "/fx?statement="+res.StatementRef, apperr.Tf("%[1]d receipts recorded from statement %[2]s",
		"已根据对账单 %[2]s 登记 %[1]d 笔收汇", res.Recorded, res.StatementRef))
}

// fxStatementTemplate downloads the statement template.
func (s *Server) fxStatementTemplate(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderContentDisposition, txnContentDisposition("attachment", "收汇对账单模板 fx-statement-template.csv"))
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", workflow.StatementTemplateCSV())
}

// ---- Balances -------------------------------------------------------------------------------

// fxBalanceRequest chooses the grouping and page of the balances.
type fxBalanceRequest struct {
	By       string `query:"by" validate:"max=20"`
	Currency string `query:"currency" validate:"max=10"`
	Page     int    `query:"page" validate:"min=0,max=100000"`
}

func (r fxBalanceRequest) filter() workflow.FXBalanceFilter {
	return workflow.FXBalanceFilter{By: r.By, Currency: r.Currency, Page: r.Page}
}

// FXBalancesPage shows exported value against money received per merchant or buyer, or the
// unallocated money per beneficiary.
type FXBalancesPage struct {
	Page
	Search fxBalanceRequest
	List   *workflow.FXBalanceList
	Tabs   []NavItem
	Pager  Pager
}

// ByBeneficiary reports whether the page shows unallocated money per beneficiary.
func (p FXBalancesPage) ByBeneficiary() bool { return p.List.By == workflow.FXByBeneficiary }

// KindName names a row's kind.
func (p FXBalancesPage) KindName(kind string) string { return p.T("fx.kind." + kind) }

// DaysText is the caption of the overdue column.
func (p FXBalancesPage) DaysText() string {
	return txnArgs(p.T("fx.balances.overdue"), strconv.Itoa(p.List.Days))
}

func (s *Server) fxBalances(c echo.Context) error {
	p := FXBalancesPage{Page: s.page(c), List: &workflow.FXBalanceList{By: workflow.FXByMerchant}}
	status := http.StatusOK
	err := s.bind(c, &p.Search)
	if err == nil {
		p.List, err = s.svc.FXBalances(c.Request().Context(), p.Actor, p.Search.filter())
	}
	if err != nil {
		if !p.withErrors(err) {
			return err
		}
		p.List, status = &workflow.FXBalanceList{By: workflow.FXByMerchant}, http.StatusUnprocessableEntity
	}
	for _, by := range workflow.FXBalanceGroupings {
		u := "/fx/balances?by=" + by
		if p.Search.Currency != "" {
			u += "&currency=" + url.QueryEscape(p.Search.Currency)
		}
		p.Tabs = append(p.Tabs, NavItem{URL: u, Label: p.T("fx.balances.by." + by), Current: p.List.By == by})
	}
	q := map[string][]string{"by": {p.List.By}, "currency": {p.Search.Currency}}
	p.Pager = pager(p.Page, "/fx/balances", q, p.List.Page, p.List.Pages)
	return s.views.Render(c, status, "fx_balances", p)
}

// LimitsText states the file's limits.
func (p FXStatementPage) LimitsText() string {
	return txnArgs(p.T("fx.statement.limits"), strconv.Itoa(p.MaxMB()), strconv.Itoa(p.MaxRows()))
}
