package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"mpt/workflow"
)

// MerchantDashboardPage is the merchant's view of its trade (/my): every transaction with where
// each line stands in the flow, what needs the merchant's action, and the VAT exemption filings
// due.
type MerchantDashboardPage struct {
	TxnPage
	Filter txnFilterRequest
	D      *workflow.TradeDashboard
	Pager  Pager
}

// StageOptions are the choices of the stage filter.
func (p MerchantDashboardPage) StageOptions() []Option {
	opts := []Option{{Value: "", Label: p.T("txn.filter.any_stage")}}
	for _, st := range workflow.DashboardStageFilters {
		opts = append(opts, Option{Value: st, Label: p.T("txn.stage_filter." + st)})
	}
	return opts
}

// Filtered reports whether a filter is set.
func (p MerchantDashboardPage) Filtered() bool {
	f := p.Filter
	return f.Status != "" || f.Stage != "" || f.From != "" || f.To != "" || f.Q != "" || f.BuyerID > 0
}

// Steps is a line's progress for the transaction-steps partial.
func (p TxnPage) Steps(pr workflow.LineProgress) TxnStepsView { return TxnStepsView{TxnPage: p, P: pr} }

// TxnStepsView is a line's progress with the page's vocabulary.
type TxnStepsView struct {
	TxnPage
	P workflow.LineProgress
}

func (s *Server) merchantDashboard(c echo.Context) error {
	p := MerchantDashboardPage{TxnPage: s.txnPage(c), D: &workflow.TradeDashboard{}}
	status := http.StatusOK
	err := s.bind(c, &p.Filter)
	if err == nil {
		p.D, err = s.svc.MerchantDashboard(c.Request().Context(), p.Actor,
			workflow.DashboardFilter{TransactionFilter: p.Filter.filter(), Stage: p.Filter.Stage})
	}
	if err != nil {
		if !p.withErrors(err) {
			return err
		}
		p.D, status = &workflow.TradeDashboard{}, http.StatusUnprocessableEntity
	}
	p.Pager = txnPager(p.Page, "/my", p.Filter.values(), p.D.Page, p.D.Pages)
	return s.views.Render(c, status, "dashboard_merchant", p)
}
