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

// taxRoutes registers the pages and API of VAT exemption filings (免税申报, issue 6): a merchant,
// or an agent it entrusts, previews and builds the monthly filing and files it; the tax officer
// accepts or rejects it and watches the overdue list. Merchants and agents see their own filings,
// auditors and admins all of them, read-only; another party's filing answers 404 (the workflow
// scopes every query).
func (s *Server) taxRoutes() {
	get, post := http.MethodGet, http.MethodPost
	s.handle(get, "/tax", workflow.ActTaxList, s.taxList)
	s.handle(get, "/tax/new", workflow.ActTaxFile, s.taxNew)
	s.handle(post, "/tax", workflow.ActTaxFile, s.taxBuild)
	s.handle(get, "/tax/overdue", workflow.ActTaxDecide, s.taxOverdue)
	s.handle(get, "/tax/:id", workflow.ActTaxList, s.taxView)
	s.handle(post, "/tax/:id/file", workflow.ActTaxFile, s.taxFile)
	s.handle(post, "/tax/:id/delete", workflow.ActTaxFile, s.taxDelete)
	s.handle(post, "/tax/:id/accept", workflow.ActTaxDecide, s.taxAccept)
	s.handle(post, "/tax/:id/reject", workflow.ActTaxDecide, s.taxReject)

	s.handle(get, "/api/v1/tax/filings", workflow.ActTaxList, s.apiTaxList)
	s.handle(post, "/api/v1/tax/filings", workflow.ActTaxFile, s.apiTaxBuild)
	s.handle(get, "/api/v1/tax/filings/:id", workflow.ActTaxList, s.apiTaxFiling)
	s.handle(post, "/api/v1/tax/filings/:id/file", workflow.ActTaxFile, s.apiTaxFile)
	s.handle(post, "/api/v1/tax/filings/:id/accept", workflow.ActTaxDecide, s.apiTaxAccept)
	s.handle(post, "/api/v1/tax/filings/:id/reject", workflow.ActTaxDecide, s.apiTaxReject)
}

// ---- Requests -------------------------------------------------------------------------------

// taxListRequest filters the filing list.
type taxListRequest struct {
	Status     string `query:"status" validate:"omitempty,max=20"`
	Period     string `query:"period" validate:"omitempty,max=10"`
	MerchantID int64  `query:"merchant" validate:"min=0"`
	Page       int    `query:"page" validate:"min=0,max=100000"`
}

func (r taxListRequest) filter() workflow.TaxFilingFilter {
	return workflow.TaxFilingFilter{Status: r.Status, Period: r.Period, MerchantID: r.MerchantID, Page: r.Page}
}

// taxBuildRequest asks for (a preview of) the filing of a merchant and export month.
type taxBuildRequest struct {
	MerchantID int64  `query:"merchant_id" form:"merchant_id" json:"merchant_id" validate:"min=0"`
	Period     string `query:"period" form:"period" json:"period" validate:"max=10"`
}

func (r taxBuildRequest) input() workflow.TaxFilingInput {
	return workflow.TaxFilingInput{MerchantID: r.MerchantID, Period: r.Period}
}

// taxVersionRequest carries the version of the filing the form was built from.
type taxVersionRequest struct {
	Version int64 `form:"version" json:"version" validate:"min=0"`
}

// taxDecisionRequest is the tax officer's decision.
type taxDecisionRequest struct {
	Version int64  `form:"version" json:"version" validate:"min=0"`
	Reason  string `form:"reason" json:"reason" validate:"max=500"`
}

// ---- Pages ----------------------------------------------------------------------------------

// TaxFormat gives the tax pages their labels in the page's language.
type TaxFormat struct {
	lang string
	tr   *Translator
}

// Status names a filing status.
func (f TaxFormat) Status(s string) string { return f.tr.T(f.lang, "tax.status."+s) }

// Check names a consistency check.
func (f TaxFormat) Check(code string) string { return workflow.TaxCheckName(code).In(f.lang) }

// Reason shows a check's reason.
func (f TaxFormat) Reason(t apperr.Text) string { return t.In(f.lang) }

// Goods names a line's goods.
func (f TaxFormat) Goods(l workflow.TaxLine) string { return l.Goods(f.lang) }

// Checks names every check, in order, for the legend.
func (f TaxFormat) Checks() []string {
	out := make([]string, len(workflow.TaxCheckCodes))
	for i, c := range workflow.TaxCheckCodes {
		out[i] = f.Check(c)
	}
	return out
}

// Text translates an interface message id (named apart from Page.T, which the pages embed too).
func (f TaxFormat) Text(id string) string { return f.tr.T(f.lang, id) }

// TaxLineView is a line with the page's formatting, for the line row template.
type TaxLineView struct {
	workflow.TaxLine
	F TaxFormat
}

// Lines wraps lines for the line row template.
func (f TaxFormat) Lines(ls []workflow.TaxLine) []TaxLineView {
	out := make([]TaxLineView, len(ls))
	for i, l := range ls {
		out[i] = TaxLineView{TaxLine: l, F: f}
	}
	return out
}

func (s *Server) taxFormat(lang string) TaxFormat { return TaxFormat{lang: lang, tr: s.tr} }

// merchantOptions turns merchant choices into select options, with a blank first option.
func taxMerchantOptions(p Page, ms []workflow.TaxMerchant, blank string) []Option {
	out := []Option{{Value: "", Label: p.T(blank)}}
	for _, m := range ms {
		out = append(out, Option{Value: strconv.FormatInt(m.ID, 10), Label: m.Name + " (" + m.USCC + ")"})
	}
	return out
}

func taxIDText(id int64) string {
	if id <= 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// TaxListPage lists the filings the user may see.
type TaxListPage struct {
	Page
	TaxFormat
	Search    taxListRequest
	List      *workflow.TaxFilingList
	Statuses  []Option
	Merchants []Option
	Pager     Pager
	CanBuild  bool
	CanDecide bool
}

// MerchantValue is the merchant filter as the select holds it.
func (p TaxListPage) MerchantValue() string { return taxIDText(p.Search.MerchantID) }

func (s *Server) taxList(c echo.Context) error {
	p := TaxListPage{Page: s.page(c), List: &workflow.TaxFilingList{}}
	p.TaxFormat = s.taxFormat(p.Lang)
	ctx := c.Request().Context()
	status := http.StatusOK
	err := s.bind(c, &p.Search)
	if err == nil {
		p.List, err = s.svc.TaxFilings(ctx, p.Actor, p.Search.filter())
	}
	if err != nil {
		if !p.withErrors(err) {
			return err
		}
		p.List, status = &workflow.TaxFilingList{}, http.StatusUnprocessableEntity
	}
	p.Statuses = []Option{{Value: "", Label: p.T("tax.any_status")}}
	for _, st := range workflow.TaxFilingStatuses {
		p.Statuses = append(p.Statuses, Option{Value: st, Label: p.Status(st)})
	}
	if p.Actor.Role != models.RoleMerchant {
		ms, err := s.svc.TaxMerchantChoices(ctx, p.Actor)
		if err != nil {
			return err
		}
		p.Merchants = taxMerchantOptions(p.Page, ms, "tax.any_merchant")
	}
	p.CanBuild, p.CanDecide = p.Actor.Can(workflow.ActTaxFile), p.Actor.Can(workflow.ActTaxDecide)
	q := url.Values{"status": {p.Search.Status}, "period": {p.Search.Period}, "merchant": {p.MerchantValue()}}
	p.Pager = pager(p.Page, "/tax", q, p.List.Page, p.List.Pages)
	return s.views.Render(c, status, "tax_list", p)
}

// TaxNewPage picks a merchant and export month and previews the filing they would make.
type TaxNewPage struct {
	Page
	TaxFormat
	Req       taxBuildRequest
	Merchants []Option // for agents; empty for a merchant, who files for itself
	Preview   *workflow.TaxPreview
}

// MerchantValue is the chosen merchant as the select holds it.
func (p TaxNewPage) MerchantValue() string { return taxIDText(p.Req.MerchantID) }

// taxNewPage builds the page for a request, with the preview when the request names what to
// preview; an invalid choice comes back as field errors.
func (s *Server) taxNewPage(c echo.Context, req taxBuildRequest) (TaxNewPage, error) {
	p := TaxNewPage{Page: s.page(c), Req: req}
	p.TaxFormat = s.taxFormat(p.Lang)
	ctx := c.Request().Context()
	if p.Actor.Role == models.RoleAgent {
		ms, err := s.svc.TaxMerchantChoices(ctx, p.Actor)
		if err != nil {
			return p, err
		}
		p.Merchants = taxMerchantOptions(p.Page, ms, "tax.choose_merchant")
		if p.Req.MerchantID == 0 && len(ms) == 1 {
			p.Req.MerchantID = ms[0].ID
		}
	}
	if p.Req.Period == "" {
		p.Req.Period = s.svc.DefaultTaxPeriod()
	}
	if p.Actor.Role == models.RoleAgent && p.Req.MerchantID == 0 {
		return p, nil // choose a merchant first
	}
	var err error
	p.Preview, err = s.svc.TaxPreview(ctx, p.Actor, p.Req.MerchantID, p.Req.Period)
	return p, err
}

func (s *Server) taxNew(c echo.Context) error {
	var req taxBuildRequest
	status := http.StatusOK
	bindErr := s.bind(c, &req)
	p, err := s.taxNewPage(c, req)
	if err == nil {
		err = bindErr
	}
	if err != nil {
		if !p.withErrors(err) {
			return err
		}
		p.Preview, status = nil, http.StatusUnprocessableEntity
	}
	return s.views.Render(c, status, "tax_new", p)
}

func (s *Server) taxBuild(c echo.Context) error {
	var req taxBuildRequest
	err := s.bind(c, &req)
	var f *models.TaxFiling
	if err == nil {
		f, err = s.svc.BuildTaxFiling(c.Request().Context(), actorOf(c), req.input())
	}
	if err != nil {
		code := apperr.CodeOf(err)
		if code != apperr.Invalid && code != apperr.Conflict {
			return err
		}
		p, perr := s.taxNewPage(c, req)
		if perr != nil && apperr.CodeOf(perr) != apperr.Invalid {
			return perr
		}
		if code == apperr.Conflict {
			p.Errors = map[string]string{"_": apperr.As(err).Text.In(p.Lang)}
		} else {
			p.withErrors(err)
			p.Preview = nil
		}
		return s.views.Render(c, statusOf(code), "tax_new", p)
	}
	return s.redirect(c, taxURL(f.ID), apperr.Tf("Draft filing %s created: check it and file it", "已生成申报表草稿 %s，请核对后申报", f.Number))
}

func taxURL(id int64) string { return "/tax/" + strconv.FormatInt(id, 10) }

// TaxViewPage is one filing with its lines checked now and the forms the user may use.
type TaxViewPage struct {
	Page
	TaxFormat
	D      *workflow.TaxFilingDetail
	Reason string // the rejection reason typed, kept on errors
	Form   string // which form came back with errors: file, delete, accept, reject
}

func (s *Server) taxViewPage(c echo.Context) (TaxViewPage, error) {
	p := TaxViewPage{Page: s.page(c)}
	p.TaxFormat = s.taxFormat(p.Lang)
	id, err := declParam(c, "id")
	if err != nil {
		return p, err
	}
	p.D, err = s.svc.TaxFiling(c.Request().Context(), p.Actor, id)
	return p, err
}

func (s *Server) taxView(c echo.Context) error {
	p, err := s.taxViewPage(c)
	if err != nil {
		return err
	}
	return s.render(c, "tax_view", p)
}

// taxFormFailed shows the filing again with the failed form's errors: 422 for invalid input,
// 409 for a refusal (stale version, wrong status, checks failing now).
func (s *Server) taxFormFailed(c echo.Context, form string, err error, reason string) error {
	code := apperr.CodeOf(err)
	if code != apperr.Invalid && code != apperr.Conflict {
		return err
	}
	p, perr := s.taxViewPage(c)
	if perr != nil {
		return perr
	}
	p.Form, p.Reason = form, reason
	if code == apperr.Conflict {
		ae := apperr.As(err)
		p.Errors = map[string]string{"_": ae.Text.In(p.Lang)}
		for _, f := range ae.Fields {
			p.Errors[f.Field] = f.Text.In(p.Lang)
		}
	} else {
		p.withErrors(err)
	}
	return s.views.Render(c, statusOf(code), "tax_view", p)
}

// Problems lists the per-line problems of a refusal, in line order.
func (p TaxViewPage) Problems() []string {
	var out []string
	if p.D == nil {
		return nil
	}
	for _, l := range p.D.Lines {
		if m, ok := p.Errors["line_"+strconv.FormatInt(l.LineID, 10)]; ok {
			out = append(out, m)
		}
	}
	return out
}

func (s *Server) taxFile(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req taxVersionRequest
	err = s.bind(c, &req)
	var f *models.TaxFiling
	if err == nil {
		f, err = s.svc.FileTaxFiling(c.Request().Context(), actorOf(c), id, req.Version)
	}
	if err != nil {
		return s.taxFormFailed(c, "file", err, "")
	}
	return s.redirect(c, taxURL(id), apperr.Tf("Filing %s filed with the tax office", "申报表 %s 已向税务机关申报", f.Number))
}

func (s *Server) taxDelete(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req taxVersionRequest
	err = s.bind(c, &req)
	var f *models.TaxFiling
	if err == nil {
		f, err = s.svc.DeleteTaxFiling(c.Request().Context(), actorOf(c), id, req.Version)
	}
	if err != nil {
		return s.taxFormFailed(c, "delete", err, "")
	}
	return s.redirect(c, "/tax", apperr.Tf("Draft %s deleted; its lines may be filed again", "草稿 %s 已删除，其商品行可重新申报", f.Number))
}

func (s *Server) taxDecide(c echo.Context, accept bool) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	form := "reject"
	if accept {
		form = "accept"
	}
	var req taxDecisionRequest
	err = s.bind(c, &req)
	var f *models.TaxFiling
	if err == nil {
		f, err = s.svc.DecideTaxFiling(c.Request().Context(), actorOf(c), id, workflow.TaxDecision{Accept: accept, Reason: req.Reason, Version: req.Version})
	}
	if err != nil {
		return s.taxFormFailed(c, form, err, req.Reason)
	}
	if accept {
		return s.redirect(c, taxURL(id), apperr.Tf("Filing %s accepted", "申报表 %s 已通过", f.Number))
	}
	return s.redirect(c, taxURL(id), apperr.Tf("Filing %s rejected; the filer was told why", "申报表 %s 已退回，已通知申报人原因", f.Number))
}

func (s *Server) taxAccept(c echo.Context) error { return s.taxDecide(c, true) }
func (s *Server) taxReject(c echo.Context) error { return s.taxDecide(c, false) }

// TaxOverduePage is the tax officer's overdue list.
type TaxOverduePage struct {
	Page
	TaxFormat
	O *workflow.TaxOverdue
}

func (s *Server) taxOverdue(c echo.Context) error {
	p := TaxOverduePage{Page: s.page(c)}
	p.TaxFormat = s.taxFormat(p.Lang)
	var err error
	if p.O, err = s.svc.TaxOverdue(c.Request().Context(), p.Actor); err != nil {
		return err
	}
	return s.render(c, "tax_overdue", p)
}
