package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"mpt/workflow"
	"mpt/workflow/apperr"
)

// fxRoutes registers the pages and API of FX receipts and allocations (issue 6, DOMAIN §5.2):
// the FX officer (for the bank) records receipts by hand or from a bank statement, allocates
// them to open transaction lines from suggestions, and reverses mistakes; merchants and agents
// read the receipts paying them; auditors and admins read everything. Ownership is enforced by
// the workflow queries (404 outside the caller's scope).
func (s *Server) fxRoutes() {
	get, post := http.MethodGet, http.MethodPost
	s.handle(get, "/fx", workflow.ActFXView, s.fxList)
	s.handle(get, "/fx/balances", workflow.ActFXBalances, s.fxBalances)
	s.handle(get, "/fx/beneficiaries", workflow.ActFXDesk, s.fxBeneficiaries)
	s.handle(get, "/fx/receipts/new", workflow.ActFXDesk, s.fxReceiptNew)
	s.handle(post, "/fx/receipts/new", workflow.ActFXDesk, s.fxReceiptCreate)
	s.handle(get, "/fx/receipts/:id", workflow.ActFXView, s.fxReceiptView)
	s.handle(post, "/fx/receipts/:id/allocate", workflow.ActFXDesk, s.fxAllocate)
	s.handle(post, "/fx/receipts/:id/allocations/:aid/reverse", workflow.ActFXDesk, s.fxReverse)
	s.handle(get, "/fx/statements", workflow.ActFXDesk, s.fxStatementForm)
	s.handle(post, "/fx/statements", workflow.ActFXDesk, s.fxStatementUpload)
	s.handle(get, "/fx/statements/template.csv", workflow.ActFXDesk, s.fxStatementTemplate)

	s.handle(get, "/api/v1/fx/receipts", workflow.ActFXView, s.apiFXReceipts)
	s.handle(post, "/api/v1/fx/receipts", workflow.ActFXDesk, s.apiFXRecord)
	s.handle(get, "/api/v1/fx/receipts/:id", workflow.ActFXView, s.apiFXReceipt)
	s.handle(get, "/api/v1/fx/receipts/:id/suggestions", workflow.ActFXDesk, s.apiFXSuggestions)
	s.handle(post, "/api/v1/fx/receipts/:id/allocations", workflow.ActFXDesk, s.apiFXAllocate)
	s.handle(post, "/api/v1/fx/receipts/:id/allocations/:aid/reverse", workflow.ActFXDesk, s.apiFXReverse)
	s.handle(get, "/api/v1/fx/balances", workflow.ActFXBalances, s.apiFXBalances)
}

// ---- Requests -------------------------------------------------------------------------------

// fxListRequest filters the receipt list.
type fxListRequest struct {
	Flag        string `query:"flag" validate:"max=20"`
	Beneficiary string `query:"beneficiary" validate:"max=100"`
	Currency    string `query:"currency" validate:"max=10"`
	Unallocated bool   `query:"unallocated"`
	Statement   string `query:"statement" validate:"max=40"`
	Page        int    `query:"page" validate:"min=0,max=100000"`
}

func (r fxListRequest) filter() workflow.FXReceiptFilter {
	return workflow.FXReceiptFilter{Flag: r.Flag, Beneficiary: r.Beneficiary, Currency: r.Currency, Unallocated: r.Unallocated,
		Statement: r.Statement, Page: r.Page}
}

func (r fxListRequest) query() url.Values {
	q := url.Values{"flag": {r.Flag}, "beneficiary": {r.Beneficiary}, "currency": {r.Currency}, "statement": {r.Statement}}
	if r.Unallocated {
		q.Set("unallocated", "1")
	}
	return q
}

// fxReceiptRequest is a receipt as the form or the API sends it; beneficiary is a USCC.
type fxReceiptRequest struct {
	BankRef      string `form:"bank_ref" json:"bank_ref" validate:"max=200"`
	Payer        string `form:"payer" json:"payer" validate:"max=400"`
	PayerCountry string `form:"payer_country" json:"payer_country" validate:"max=10"`
	Currency     string `form:"currency" json:"currency" validate:"max=10"`
	Amount       string `form:"amount" json:"amount" validate:"max=30"`
	ValueDate    string `form:"value_date" json:"value_date" validate:"max=20"`
	Beneficiary  string `form:"beneficiary" json:"beneficiary" validate:"max=300"`
}

func (r fxReceiptRequest) input() workflow.FXReceiptInput {
	return workflow.FXReceiptInput{BankRef: r.BankRef, Payer: r.Payer, PayerCountry: r.PayerCountry, Currency: r.Currency,
		Amount: r.Amount, ValueDate: r.ValueDate, Beneficiary: r.Beneficiary}
}

// fxReverseRequest is why an allocation is reversed.
type fxReverseRequest struct {
	Version int64  `form:"version" json:"version" validate:"min=0"`
	Reason  string `form:"reason" json:"reason" validate:"max=1000"`
}

// ---- Formatting -----------------------------------------------------------------------------

// FXFormat gives the FX pages their labels in the page's language.
type FXFormat struct {
	lang string
}

// Flag names a review flag.
func (f FXFormat) Flag(flag string) string { return workflow.FXFlagText(flag).In(f.lang) }

// Action names a history action of a receipt.
func (f FXFormat) Action(a string) string { return workflow.FXActionText(a).In(f.lang) }

// ---- The list -------------------------------------------------------------------------------

// FXListPage lists the receipts the user may see.
type FXListPage struct {
	Page
	FXFormat
	Search fxListRequest
	List   *workflow.FXReceiptList
	Flags  []Option
	Pager  Pager
}

// Desk reports whether the user is the FX officer (records and allocates).
func (p FXListPage) Desk() bool { return p.Actor.Can(workflow.ActFXDesk) }

// Balances reports whether the user may read the balances.
func (p FXListPage) Balances() bool { return p.Actor.Can(workflow.ActFXBalances) }

// SeesAll reports whether the user reads every receipt (otherwise the "yours" column shows).
func (p FXListPage) SeesAll() bool { return p.Balances() }

func (s *Server) fxList(c echo.Context) error {
	p := FXListPage{Page: s.page(c), List: &workflow.FXReceiptList{}}
	p.FXFormat = FXFormat{lang: p.Lang}
	status := http.StatusOK
	err := s.bind(c, &p.Search)
	if err == nil {
		p.List, err = s.svc.FXReceipts(c.Request().Context(), p.Actor, p.Search.filter())
	}
	if err != nil {
		if !p.withErrors(err) {
			return err
		}
		p.List, status = &workflow.FXReceiptList{}, http.StatusUnprocessableEntity
	}
	p.Flags = []Option{{Value: "", Label: p.T("fx.any_flag")}}
	for _, f := range workflow.FXFlags {
		p.Flags = append(p.Flags, Option{Value: f, Label: p.Flag(f)})
	}
	p.Pager = pager(p.Page, "/fx", p.Search.query(), p.List.Page, p.List.Pages)
	return s.views.Render(c, status, "fx_list", p)
}

// ---- Recording a receipt --------------------------------------------------------------------

// FXReceiptNewPage is the form that records a receipt.
type FXReceiptNewPage struct {
	Page
	Form       fxReceiptRequest
	Countries  []Option
	Currencies []Option
	Today      string
}

func (s *Server) fxReceiptForm(c echo.Context, p FXReceiptNewPage, status int) error {
	p.Countries = s.countryOptions(p.Page, "fx.choose_country")
	codes := txnCurrencies
	if cur := strings.ToUpper(strings.TrimSpace(p.Form.Currency)); cur != "" && !slices.Contains(codes, cur) {
		codes = append([]string{cur}, codes...)
	}
	for _, code := range codes {
		label := code
		if cur, ok := s.svc.Ref().Currency(code); ok {
			label = code + " · " + cur.Name
		}
		p.Currencies = append(p.Currencies, Option{Value: code, Label: label})
	}
	p.Today = s.svc.Now().In(workflow.MarketZone).Format("2006-01-02")
	return s.views.Render(c, status, "fx_receipt_new", p)
}

func (s *Server) fxReceiptNew(c echo.Context) error {
	p := FXReceiptNewPage{Page: s.page(c)}
	p.Form = fxReceiptRequest{Currency: "USD", ValueDate: s.svc.Now().In(workflow.MarketZone).Format("2006-01-02"),
		Beneficiary: c.QueryParam("beneficiary")}
	return s.fxReceiptForm(c, p, http.StatusOK)
}

func (s *Server) fxReceiptCreate(c echo.Context) error {
	p := FXReceiptNewPage{Page: s.page(c)}
	err := s.bind(c, &p.Form)
	if err == nil {
		rec, rerr := s.svc.RecordFXReceipt(c.Request().Context(), p.Actor, p.Form.input())
		if rerr == nil {
			return s.redirect(c, workflow.FXReceiptURL(rec.ID), apperr.Tf("Receipt %s recorded; allocate it to the lines it pays",
				"收汇 %s 已登记，请分配至其支付的交易明细", rec.BankRef))
		}
		err = rerr
	}
	status, shown := txnFormFailed(&p.Page, err)
	if !shown {
		return err
	}
	return s.fxReceiptForm(c, p, status)
}

// FXBeneficiaryOptions is the search list of merchants and agents for the receipt form.
type FXBeneficiaryOptions struct {
	Page
	Matches []workflow.FXBeneficiary
}

// fxBeneficiaries answers the form's search box (htmx) with the matching beneficiaries as the
// options of its datalist.
func (s *Server) fxBeneficiaries(c echo.Context) error {
	q := c.QueryParam("q")
	if q == "" {
		q = c.QueryParam("beneficiary")
	}
	if r := []rune(q); len(r) > 100 {
		q = string(r[:100])
	}
	p := FXBeneficiaryOptions{Page: s.page(c)}
	var err error
	if p.Matches, err = s.svc.FXBeneficiaries(c.Request().Context(), p.Actor, q); err != nil {
		return err
	}
	return s.views.Fragment(c, http.StatusOK, "fx_receipt_new", "fx-beneficiary-options", p)
}

// ---- One receipt ----------------------------------------------------------------------------

// FXSuggestionView is a suggested line on the allocation form, with what the officer entered.
type FXSuggestionView struct {
	workflow.Suggestion
	Ticked bool
	Typed  string // the amount in the form: pre-filled, or as the officer typed it
	Error  string
}

// FXReceiptPage is one receipt: its header and flags, its allocations, and for the FX officer
// the suggested lines to allocate and the reversal forms.
type FXReceiptPage struct {
	Page
	FXFormat
	D           *workflow.FXReceiptDetail
	Suggestions []FXSuggestionView
	Reverse     fxReverseRequest
	ReverseID   int64 // the allocation whose reversal form came back with errors
}

// Desk reports whether the user is the FX officer.
func (p FXReceiptPage) Desk() bool { return p.Actor.Can(workflow.ActFXDesk) }

// VersionText is the receipt's version the forms carry.
func (p FXReceiptPage) VersionText() string { return strconv.FormatInt(p.D.Receipt.Version, 10) }

// Kind names the beneficiary's kind.
func (p FXReceiptPage) Kind() string { return p.T("fx.kind." + p.D.Beneficiary.Kind) }

func fxParam(c echo.Context, name string) (int64, error) { return declParam(c, name) }

// fxReceiptPage reads the receipt, and for the FX officer its suggestions.
func (s *Server) fxReceiptPage(c echo.Context) (FXReceiptPage, error) {
	p := FXReceiptPage{Page: s.page(c)}
	p.FXFormat = FXFormat{lang: p.Lang}
	id, err := fxParam(c, "id")
	if err != nil {
		return p, err
	}
	ctx := c.Request().Context()
	if p.D, err = s.svc.FXReceipt(ctx, p.Actor, id); err != nil {
		return p, err
	}
	if p.Desk() {
		set, err := s.svc.FXSuggestions(ctx, p.Actor, id)
		if err != nil {
			return p, err
		}
		for _, sg := range set.Suggestions {
			amount := sg.Prefill
			if amount == 0 {
				amount = min(sg.Remaining(), p.D.Unallocated())
			}
			p.Suggestions = append(p.Suggestions, FXSuggestionView{Suggestion: sg, Ticked: sg.Prefill > 0, Typed: amount.String()})
		}
	}
	p.Reverse = fxReverseRequest{Version: p.D.Receipt.Version}
	return p, nil
}

func (s *Server) fxReceiptView(c echo.Context) error {
	p, err := s.fxReceiptPage(c)
	if err != nil {
		return err
	}
	return s.render(c, "fx_receipt_view", p)
}

// fxAllocationForm reads the ticked lines ("line") and their amounts ("amount_<line id>").
func fxAllocationForm(c echo.Context) (workflow.FXAllocateInput, map[int64]string, error) {
	form, err := c.FormParams()
	if err != nil {
		return workflow.FXAllocateInput{}, nil, apperr.New(apperr.Invalid, apperr.T("The form could not be read; check the values and try again", "无法读取表单，请检查后重试"))
	}
	in := workflow.FXAllocateInput{}
	in.Version, _ = strconv.ParseInt(form.Get("version"), 10, 64)
	amounts := map[int64]string{}
	for k, v := range form {
		if id, ok := strings.CutPrefix(k, "amount_"); ok && len(v) > 0 {
			if n, err := strconv.ParseInt(id, 10, 64); err == nil {
				amounts[n] = v[0]
			}
		}
	}
	for _, v := range form["line"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			continue
		}
		in.Items = append(in.Items, workflow.FXAllocationItem{LineID: id, Amount: amounts[id]})
	}
	return in, amounts, nil
}

func (s *Server) fxAllocate(c echo.Context) error {
	id, err := fxParam(c, "id")
	if err != nil {
		return err
	}
	in, amounts, err := fxAllocationForm(c)
	if err == nil {
		var res *workflow.FXAllocated
		res, err = s.svc.AllocateFXReceipt(c.Request().Context(), actorOf(c), id, in)
		if err == nil {
			return s.redirect(c, workflow.FXReceiptURL(id), apperr.Tf("%[1]s %[2]s allocated to %[3]d line(s)", "已将 %[1]s %[2]s 分配至 %[3]d 条明细",
				res.Total.String(), res.Receipt.Currency, len(res.Lines)))
		}
	}
	code := apperr.CodeOf(err)
	if code != apperr.Invalid && code != apperr.Conflict {
		return err
	}
	p, perr := s.fxReceiptPage(c)
	if perr != nil {
		return perr
	}
	// keep what the officer ticked and typed, and tie each problem to its line
	ticked := map[int64]bool{}
	for _, it := range in.Items {
		ticked[it.LineID] = true
	}
	lineErr := map[int64]string{}
	p.Errors = map[string]string{}
	ae := apperr.As(err)
	for _, f := range ae.Fields {
		i, _, _ := strings.Cut(strings.TrimPrefix(f.Field, "allocations["), "]")
		n, perr := strconv.Atoi(i)
		if perr == nil && n >= 0 && n < len(in.Items) {
			lineErr[in.Items[n].LineID] = f.Text.In(p.Lang)
			continue
		}
		p.Errors["_"] = f.Text.In(p.Lang)
	}
	if len(ae.Fields) == 0 || code == apperr.Conflict {
		p.Errors["_"] = ae.Text.In(p.Lang)
	} else if p.Errors["_"] == "" {
		p.Errors["_"] = p.T("form.fix")
	}
	for i := range p.Suggestions {
		sg := &p.Suggestions[i]
		sg.Ticked = ticked[sg.LineID]
		if v, ok := amounts[sg.LineID]; ok {
			sg.Typed = v
		}
		sg.Error = lineErr[sg.LineID]
	}
	return s.views.Render(c, statusOf(code), "fx_receipt_view", p)
}

func (s *Server) fxReverse(c echo.Context) error {
	id, err := fxParam(c, "id")
	if err != nil {
		return err
	}
	aid, err := fxParam(c, "aid")
	if err != nil {
		return err
	}
	var req fxReverseRequest
	err = s.bind(c, &req)
	if err == nil {
		_, err = s.svc.ReverseFXAllocation(c.Request().Context(), actorOf(c), id, aid, workflow.FXReverseInput{Version: req.Version, Reason: req.Reason})
		if err == nil {
			return s.redirect(c, workflow.FXReceiptURL(id)+"#allocations", apperr.T("Allocation reversed", "已撤销该分配"))
		}
	}
	code := apperr.CodeOf(err)
	if code != apperr.Invalid && code != apperr.Conflict {
		return err
	}
	p, perr := s.fxReceiptPage(c)
	if perr != nil {
		return perr
	}
	p.Reverse, p.ReverseID = req, aid
	if code == apperr.Conflict {
		p.Errors = map[string]string{"_": apperr.As(err).Text.In(p.Lang)}
	} else {
		p.withErrors(err)
	}
	return s.views.Render(c, statusOf(code), "fx_receipt_view", p)
}

// LinksTransactions reports whether the user may open the transactions of allocated lines.
func (p FXReceiptPage) LinksTransactions() bool { return p.Actor.Can(workflow.ActTransactionView) }

// HiddenText says how many allocations pay lines of other parties.
func (p FXReceiptPage) HiddenText() string {
	return txnArgs(p.T("fx.allocations.hidden"), strconv.Itoa(p.D.Hidden))
}
