package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
)

// taxFilingJSON is a filing's header in the API. Money has two decimals.
type taxFilingJSON struct {
	ID              int64      `json:"id"`
	Number          string     `json:"number"`
	MerchantID      int64      `json:"merchant_id"`
	MerchantName    string     `json:"merchant_name,omitempty"`
	Period          string     `json:"period"`
	DueDate         string     `json:"due_date"`
	Status          string     `json:"status"`
	TotalCNY        string     `json:"total_cny"`
	LineCount       int        `json:"line_count"`
	FiledByUserID   *int64     `json:"filed_by_user_id"`
	FiledByAgentID  *int64     `json:"filed_by_agent_id"`
	FiledAt         *time.Time `json:"filed_at"`
	DecidedByUserID *int64     `json:"decided_by_user_id"`
	DecidedAt       *time.Time `json:"decided_at"`
	DecisionReason  string     `json:"decision_reason"`
	Late            bool       `json:"late"`
	DaysLate        int        `json:"days_late"`
	Version         int64      `json:"version"`
	CreatedAt       time.Time  `json:"created_at"`
}

func toTaxFilingJSON(f models.TaxFiling, merchant string, late bool, days int) taxFilingJSON {
	return taxFilingJSON{ID: f.ID, Number: f.Number, MerchantID: f.MerchantID, MerchantName: merchant, Period: f.Period,
		DueDate: f.DueDate, Status: f.Status, TotalCNY: f.TotalCNY.String(), LineCount: f.LineCount,
		FiledByUserID: f.FiledByUserID, FiledByAgentID: f.FiledByAgentID, FiledAt: f.FiledAt,
		DecidedByUserID: f.DecidedByUserID, DecidedAt: f.DecidedAt, DecisionReason: f.DecisionReason,
		Late: late, DaysLate: days, Version: f.Version, CreatedAt: f.CreatedAt}
}

type taxListJSON struct {
	Items   []taxFilingJSON `json:"items"`
	Total   int64           `json:"total"`
	Page    int             `json:"page"`
	Pages   int             `json:"pages"`
	PerPage int             `json:"per_page"`
}

type taxCheckJSON struct {
	Code   string `json:"code"`
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
}

type taxLineJSON struct {
	TransactionLineID int64          `json:"transaction_line_id"`
	TraceCode         string         `json:"trace_code"`
	TransactionNo     string         `json:"transaction_no"`
	Goods             string         `json:"goods"`
	HSCode            string         `json:"hs_code"`
	DeclarationID     int64          `json:"declaration_id"`
	DeclarationNo     string         `json:"declaration_no"`
	ExitDate          string         `json:"exit_date"`
	Currency          string         `json:"currency"`
	Amount            string         `json:"amount"`
	RateMonth         string         `json:"rate_month"`
	AmountCNY         string         `json:"amount_cny"`
	FiledAmount       string         `json:"filed_amount,omitempty"`
	FiledAmountCNY    string         `json:"filed_amount_cny,omitempty"`
	OK                bool           `json:"ok"`
	Checks            []taxCheckJSON `json:"checks"`
}

type taxDetailJSON struct {
	taxFilingJSON
	MerchantUSCC  string        `json:"merchant_uscc"`
	FiledBy       string        `json:"filed_by,omitempty"`
	FiledByAgent  string        `json:"filed_by_agent,omitempty"`
	DecidedBy     string        `json:"decided_by,omitempty"`
	Disagreements int           `json:"disagreements"`
	Lines         []taxLineJSON `json:"lines"`
}

func toTaxDetailJSON(d *workflow.TaxFilingDetail, lang string) taxDetailJSON {
	out := taxDetailJSON{taxFilingJSON: toTaxFilingJSON(d.Filing, d.Merchant.Name, d.Late, d.DaysLate),
		MerchantUSCC: d.Merchant.USCC, FiledBy: d.FiledBy, FiledByAgent: d.FiledByAgent, DecidedBy: d.DecidedBy,
		Disagreements: d.Disagreements, Lines: []taxLineJSON{}}
	for _, l := range d.Lines {
		j := taxLineJSON{TransactionLineID: l.LineID, TraceCode: l.TraceCode, TransactionNo: l.TransactionNo, Goods: l.Goods(lang),
			HSCode: l.HSCode, DeclarationID: l.DeclarationID, DeclarationNo: l.DeclarationNo(), ExitDate: l.ExitDate,
			Currency: l.Currency, Amount: l.Amount.String(), RateMonth: l.RateMonth, AmountCNY: l.AmountCNY.String(), OK: l.OK,
			Checks: []taxCheckJSON{}}
		if l.Filed != nil {
			j.FiledAmount, j.FiledAmountCNY = l.Filed.Amount.String(), l.Filed.AmountCNY.String()
		}
		for _, c := range l.Checks {
			j.Checks = append(j.Checks, taxCheckJSON{Code: c.Code, OK: c.OK, Reason: c.Reason.In(lang)})
		}
		out.Lines = append(out.Lines, j)
	}
	return out
}

func (s *Server) apiTaxList(c echo.Context) error {
	var req taxListRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	list, err := s.svc.TaxFilings(c.Request().Context(), actorOf(c), req.filter())
	if err != nil {
		return err
	}
	out := taxListJSON{Items: []taxFilingJSON{}, Total: list.Total, Page: list.Page, Pages: list.Pages, PerPage: list.PerPage}
	for _, r := range list.Rows {
		out.Items = append(out.Items, toTaxFilingJSON(r.TaxFiling, r.MerchantName, r.Late, r.DaysLate))
	}
	return c.JSON(http.StatusOK, out)
}

// apiTaxDetail answers with the filing as it now stands.
func (s *Server) apiTaxDetail(c echo.Context, status int, id int64) error {
	d, err := s.svc.TaxFiling(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(status, toTaxDetailJSON(d, langOf(c)))
}

func (s *Server) apiTaxFiling(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	return s.apiTaxDetail(c, http.StatusOK, id)
}

func (s *Server) apiTaxBuild(c echo.Context) error {
	var req taxBuildRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	f, err := s.svc.BuildTaxFiling(c.Request().Context(), actorOf(c), req.input())
	if err != nil {
		return err
	}
	return s.apiTaxDetail(c, http.StatusCreated, f.ID)
}

func (s *Server) apiTaxFile(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req taxVersionRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if _, err := s.svc.FileTaxFiling(c.Request().Context(), actorOf(c), id, req.Version); err != nil {
		return err
	}
	return s.apiTaxDetail(c, http.StatusOK, id)
}

func (s *Server) apiTaxDecide(c echo.Context, accept bool) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req taxDecisionRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if _, err := s.svc.DecideTaxFiling(c.Request().Context(), actorOf(c), id,
		workflow.TaxDecision{Accept: accept, Reason: req.Reason, Version: req.Version}); err != nil {
		return err
	}
	return s.apiTaxDetail(c, http.StatusOK, id)
}

func (s *Server) apiTaxAccept(c echo.Context) error { return s.apiTaxDecide(c, true) }
func (s *Server) apiTaxReject(c echo.Context) error { return s.apiTaxDecide(c, false) }
