package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// transactionRoutes registers transaction registration (交易登记): the list and the form, the
// transaction page with its lines edited in place (htmx), documents, the bulk import with its
// progress page, trace labels and QR codes, the merchant dashboard (/my), and the API.
// Ownership is enforced by the workflow queries: another merchant's transaction is 404.
func (s *Server) transactionRoutes() {
	get, post := http.MethodGet, http.MethodPost
	list, view, manage := workflow.ActTransactionList, workflow.ActTransactionView, workflow.ActTransactionManage

	s.handle(get, "/transactions", list, s.txnList)
	s.handle(get, "/transactions/new", manage, s.txnNew)
	s.handle(post, "/transactions", manage, s.txnCreate)
	s.handle(get, "/transactions/import-template.csv", manage, s.txnTemplateCSV)
	s.handle(get, "/transactions/import-template.xlsx", manage, s.txnTemplateXLSX)
	s.handle(get, "/transactions/:id", view, s.txnView)
	s.handle(get, "/transactions/:id/edit", manage, s.txnEdit)
	s.handle(post, "/transactions/:id/edit", manage, s.txnUpdate)
	s.handle(post, "/transactions/:id/submit", manage, s.txnSubmit)
	s.handle(post, "/transactions/:id/void", manage, s.txnVoid)

	s.handle(post, "/transactions/:id/lines", manage, s.txnLineAdd)
	s.handle(get, "/transactions/:id/lines/:line", view, s.txnLineRow)
	s.handle(get, "/transactions/:id/lines/:line/edit", manage, s.txnLineEdit)
	s.handle(post, "/transactions/:id/lines/:line/edit", manage, s.txnLineUpdate)
	s.handle(post, "/transactions/:id/lines/:line/delete", manage, s.txnLineDelete)

	s.handle(post, "/transactions/:id/documents", manage, s.txnDocumentsUpload)
	s.handle(get, "/documents/:id", view, s.documentDownload)
	s.handle(post, "/documents/:id/delete", manage, s.documentDelete)

	s.handle(get, "/transactions/:id/import", manage, s.txnImportForm)
	s.handle(post, "/transactions/:id/import", manage, s.txnImportStart)
	s.handle(get, "/imports/:job", manage, s.txnImportStatus)

	s.handle(get, "/transactions/:id/labels", view, s.txnLabels)
	s.handle(get, "/transactions/:id/lines/:line/label", view, s.txnLineLabel)
	s.handle(get, "/qr/:code", view, s.traceQR)

	s.handle(get, "/my", list, s.merchantDashboard)

	s.handle(get, "/api/v1/transactions", list, s.apiTxnList)
	s.handle(post, "/api/v1/transactions", manage, s.apiTxnCreate)
	s.handle(post, ingestPath, manage, s.apiIngest) // ingest.go: many transactions in one call
	s.handle(get, "/api/v1/transactions/:id", view, s.apiTxn)
	s.handle(post, "/api/v1/transactions/:id/void", manage, s.apiTxnVoid)
}

// ---- Requests -------------------------------------------------------------------------------

// txnRequest is a transaction's header from the form. It has no id, number, status, owner or
// totals: the workflow sets those (a test posts them and checks they are ignored).
type txnRequest struct {
	MerchantID int64  `form:"merchant_id" validate:"min=0"`
	BuyerID    int64  `form:"buyer_id" validate:"min=0"`
	TradeDate  string `form:"trade_date" validate:"max=40"`
	Currency   string `form:"currency" validate:"max=10"`
	Version    int64  `form:"version" validate:"min=0"`
}

func (r txnRequest) input() workflow.TransactionInput {
	return workflow.TransactionInput{MerchantID: r.MerchantID, BuyerID: r.BuyerID, TradeDate: r.TradeDate, Currency: r.Currency, Version: r.Version}
}

// txnFilterRequest filters the transaction list and the dashboard.
type txnFilterRequest struct {
	Status  string `query:"status" validate:"max=20"`
	Stage   string `query:"stage" validate:"max=30"`
	From    string `query:"from" validate:"max=20"`
	To      string `query:"to" validate:"max=20"`
	BuyerID int64  `query:"buyer_id" validate:"min=0"`
	Q       string `query:"q" validate:"max=100"`
	Page    int    `query:"page" validate:"min=0,max=1000000"`
}

// BuyerText is the buyer filter as a select's value.
func (r txnFilterRequest) BuyerText() string {
	if r.BuyerID <= 0 {
		return ""
	}
	return strconv.FormatInt(r.BuyerID, 10)
}

func (r txnFilterRequest) filter() workflow.TransactionFilter {
	return workflow.TransactionFilter{Status: r.Status, From: r.From, To: r.To, BuyerID: r.BuyerID, Query: r.Q, Page: r.Page}
}

// values are the filter's fields as a query, for paging links.
func (r txnFilterRequest) values() url.Values {
	v := url.Values{"status": {r.Status}, "stage": {r.Stage}, "from": {r.From}, "to": {r.To}, "q": {r.Q}}
	if r.BuyerID > 0 {
		v.Set("buyer_id", strconv.FormatInt(r.BuyerID, 10))
	}
	return v
}

// txnVersionRequest carries the version a form showed.
type txnVersionRequest struct {
	Version int64 `form:"version" validate:"required,min=1"`
}

// txnVoidRequest voids a transaction with a reason.
type txnVoidRequest struct {
	Reason  string `form:"reason" validate:"max=2000"`
	Version int64  `form:"version" validate:"required,min=1"`
}

// txnID reads the :id of a transaction route; anything but a positive number is 404.
func txnID(c echo.Context) (int64, error) { return txnParam(c, "id") }

func txnParam(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// txnPath is the page of a transaction.
func txnPath(id int64) string { return "/transactions/" + strconv.FormatInt(id, 10) }

// ---- Page structs ---------------------------------------------------------------------------

// TxnPage is the common part of the transaction pages: the base page with the trade's
// vocabulary (statuses, steps, units, amounts) in the page's language.
type TxnPage struct {
	Page
	svc *workflow.Service
}

func (s *Server) txnPage(c echo.Context) TxnPage { return TxnPage{Page: s.page(c), svc: s.svc} }

// L shows a workflow text in the page's language.
func (p TxnPage) L(t apperr.Text) string { return t.In(p.Lang) }

// StatusLabel names a transaction status.
func (p TxnPage) StatusLabel(st string) string { return p.T("txn.status." + st) }

// StepLabel names a step of the flow (or draft, voided).
func (p TxnPage) StepLabel(step string) string { return p.T("txn.step." + step) }

// GoodsStatusLabel names a goods status.
func (p TxnPage) GoodsStatusLabel(st string) string { return p.T("goods.status." + st) }

// GoodsName is the goods' name in the page's language first, the other as a fallback.
func (p TxnPage) GoodsName(zh, en string) string {
	if p.Lang == "en" && en != "" || zh == "" {
		return en
	}
	return zh
}

// UnitName names a customs unit briefly ("个", "piece").
func (p TxnPage) UnitName(code string) string {
	u, ok := p.svc.Ref().Unit(code)
	switch {
	case !ok:
		return code
	case p.Lang == "en":
		return u.NameEn
	}
	return u.NameZh
}

// UnitLabel names a customs unit with its code ("007 个").
func (p TxnPage) UnitLabel(code string) string { return code + " " + p.UnitName(code) }

// Money shows an amount with thousands separators: 12,345.60.
func (p TxnPage) Money(m models.Money) string { return txnGroupThousands(m.String()) }

// Price shows a unit price without trailing zeros beyond the cent: 0.0035, 1.25, 3.00.
func (p TxnPage) Price(pr models.Price) string { return txnTrimDecimals(pr.String(), 2) }

// Qty shows a quantity without trailing zeros: 120, 12.5.
func (p TxnPage) Qty(q models.Quantity) string {
	return txnGroupThousands(txnTrimDecimals(q.String(), 0))
}

// Kg shows a mass in kilograms without trailing zeros: 9.6.
func (p TxnPage) Kg(g models.Grams) string { return txnGroupThousands(txnTrimDecimals(g.Kg(), 0)) }

// When shows a time in Yiwu time, to the minute.
func (p TxnPage) When(v any) string { return formatWhen(v) }

// Grouped writes a trace code in two groups of five.
func (p TxnPage) Grouped(code string) string { return workflow.GroupTraceCode(code) }

// TracePath is where a trace code's page is.
func (p TxnPage) TracePath(code string) string { return workflow.TracePath(code) }

// Status is a transaction status for the transaction-status partial.
func (p TxnPage) Status(st string) TxnStatusView {
	return TxnStatusView{Status: st, Label: p.StatusLabel(st)}
}

// TxnStatusView is a status and its name.
type TxnStatusView struct{ Status, Label string }

// txnTrimDecimals drops trailing zeros of a decimal, keeping at least keep decimals.
func txnTrimDecimals(s string, keep int) string {
	intPart, frac, ok := strings.Cut(s, ".")
	if !ok {
		return s
	}
	frac = strings.TrimRight(frac, "0")
	for len(frac) < keep {
		frac += "0"
	}
	if frac == "" {
		return intPart
	}
	return intPart + "." + frac
}

// txnGroupThousands puts commas between thousands of a decimal's integer part.
func txnGroupThousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		return sign + b.String() + "." + frac
	}
	return sign + b.String()
}

// txnPager links to the neighbouring pages of a list, keeping its filters.
func txnPager(p Page, path string, q url.Values, page, pages int) Pager {
	return pager(p, path, q, page, max(pages, 1))
}

// ---- The list -------------------------------------------------------------------------------

// TxnListPage is the list of the transactions the user may see.
type TxnListPage struct {
	TxnPage
	Filter  txnFilterRequest
	List    *workflow.TransactionList
	Buyers  []Option
	Pager   Pager
	Manages bool
}

// ShowMerchant reports whether the list mixes merchants.
func (p TxnListPage) ShowMerchant() bool { return p.Actor.Role != models.RoleMerchant }

// StatusOptions are the choices of the status filter.
func (p TxnPage) StatusOptions() []Option {
	opts := []Option{{Value: "", Label: p.T("txn.filter.all")}}
	for _, st := range workflow.TransactionStatuses {
		opts = append(opts, Option{Value: st, Label: p.StatusLabel(st)})
	}
	return opts
}

// buyerOptions are the buyers the user may choose, after a first empty choice.
func (s *Server) txnBuyerOptions(c echo.Context, p TxnPage, first string) ([]Option, []Option, error) {
	ch, err := s.svc.TransactionChoices(c.Request().Context(), p.Actor)
	if err != nil {
		return nil, nil, err
	}
	buyers := []Option{{Value: "", Label: p.T(first)}}
	for _, b := range ch.Buyers {
		buyers = append(buyers, Option{Value: strconv.FormatInt(b.ID, 10), Label: b.Name + " (" + b.Nationality + ")"})
	}
	merchants := []Option{{Value: "", Label: p.T("txn.choose_merchant")}}
	for _, m := range ch.Merchants {
		label := m.Name
		if m.Status != models.MerchantActive {
			label += " · " + p.T("merchant.status."+m.Status)
		}
		merchants = append(merchants, Option{Value: strconv.FormatInt(m.ID, 10), Label: label})
	}
	return buyers, merchants, nil
}

func (s *Server) txnList(c echo.Context) error {
	p := TxnListPage{TxnPage: s.txnPage(c), List: &workflow.TransactionList{}}
	p.Manages = p.Actor.Can(workflow.ActTransactionManage)
	status := http.StatusOK
	err := s.bind(c, &p.Filter)
	if err == nil {
		p.List, err = s.svc.Transactions(c.Request().Context(), p.Actor, p.Filter.filter())
	}
	if err != nil {
		if !p.withErrors(err) {
			return err
		}
		p.List, status = &workflow.TransactionList{}, http.StatusUnprocessableEntity
	}
	if p.Buyers, _, err = s.txnBuyerOptions(c, p.TxnPage, "txn.filter.any_buyer"); err != nil {
		return err
	}
	p.Pager = txnPager(p.Page, "/transactions", p.Filter.values(), p.List.Page, p.List.Pages)
	return s.views.Render(c, status, "transaction_list", p)
}

// ---- The header form ------------------------------------------------------------------------

// TxnFormPage registers a new sale or changes a transaction's header.
type TxnFormPage struct {
	TxnPage
	Form       txnRequest
	Txn        *models.Transaction // nil for a new transaction
	Buyers     []Option
	Merchants  []Option // agents: the merchants entrusting them
	Currencies []Option
	Today      string
}

// Action is where the form posts.
func (p TxnFormPage) Action() string {
	if p.Txn != nil {
		return txnPath(p.Txn.ID) + "/edit"
	}
	return "/transactions"
}

// IsAgent reports whether the form asks for the merchant.
func (p TxnFormPage) IsAgent() bool { return p.Actor.Role == models.RoleAgent && p.Txn == nil }

// IDText writes an id for a select's value.
func (p TxnFormPage) IDText(id int64) string {
	if id <= 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// VersionText is the version the edit form carries.
func (p TxnFormPage) VersionText() string { return strconv.FormatInt(p.Form.Version, 10) }

// txnCurrencies are the currencies buyers pay in, most used first.
var txnCurrencies = []string{"USD", "CNY", "EUR", "AED", "RUB", "GBP", "JPY", "SAR", "KZT", "INR", "BRL", "TRY", "NGN"}

func (s *Server) txnForm(c echo.Context, p TxnFormPage, status int) error {
	var err error
	if p.Buyers, p.Merchants, err = s.txnBuyerOptions(c, p.TxnPage, "txn.choose_buyer"); err != nil {
		return err
	}
	codes := txnCurrencies
	if cur := strings.ToUpper(strings.TrimSpace(p.Form.Currency)); cur != "" && !slices.Contains(codes, cur) {
		codes = append([]string{cur}, codes...) // keep a currency chosen elsewhere (the API) selectable
	}
	for _, code := range codes {
		label := code
		if cur, ok := s.svc.Ref().Currency(code); ok {
			label = code + " · " + cur.Name
		}
		p.Currencies = append(p.Currencies, Option{Value: code, Label: label})
	}
	p.Today = s.svc.Now().In(workflow.MarketZone).Format("2006-01-02")
	return s.views.Render(c, status, "transaction_form", p)
}

func (s *Server) txnNew(c echo.Context) error {
	p := TxnFormPage{TxnPage: s.txnPage(c)}
	p.Form = txnRequest{TradeDate: s.svc.Now().In(workflow.MarketZone).Format("2006-01-02"), Currency: "USD"}
	return s.txnForm(c, p, http.StatusOK)
}

// txnFormFailed shows a form again for errors it can show: field problems (422), a merchant that
// may not register (403) or a transaction changed meanwhile or no longer editable (409), with
// the message on top. Other errors go to the error handler.
func txnFormFailed(p *Page, err error) (int, bool) {
	if p.withErrors(err) {
		return http.StatusUnprocessableEntity, true
	}
	switch code := apperr.CodeOf(err); code {
	case apperr.Forbidden, apperr.Conflict:
		p.Errors = map[string]string{"_": apperr.As(err).Text.In(p.Lang)}
		return statusOf(code), true
	}
	return 0, false
}

// txnWarningFlash joins the flash of a save with its warnings.
func txnWarningFlash(done apperr.Text, warnings []apperr.Text) apperr.Text {
	for _, w := range warnings {
		done = apperr.T(done.En+" "+w.En, done.Zh+" "+w.Zh)
	}
	return done
}

func (s *Server) txnCreate(c echo.Context) error {
	var req txnRequest
	err := s.bind(c, &req)
	if err == nil {
		var res *workflow.TransactionSaved
		res, err = s.svc.CreateTransaction(c.Request().Context(), actorOf(c), req.input())
		if err == nil {
			return s.redirect(c, txnPath(res.Transaction.ID), txnWarningFlash(apperr.Tf(
				"Draft %s saved. Add its lines, attach the documents, then register it.", "草稿 %s 已保存。请添加商品行、上传单据后提交登记。",
				res.Transaction.Number), res.Warnings))
		}
	}
	p := TxnFormPage{TxnPage: s.txnPage(c), Form: req}
	status, shown := txnFormFailed(&p.Page, err)
	if !shown {
		return err
	}
	return s.txnForm(c, p, status)
}

// txnDetail loads a transaction the user may see.
func (s *Server) txnDetail(c echo.Context) (*workflow.TransactionDetail, error) {
	id, err := txnID(c)
	if err != nil {
		return nil, err
	}
	return s.svc.Transaction(c.Request().Context(), actorOf(c), id)
}

func (s *Server) txnEdit(c echo.Context) error {
	d, err := s.txnDetail(c)
	if err != nil {
		return err
	}
	if !d.Editable() {
		return apperr.New(apperr.Conflict, d.Block)
	}
	t := d.Transaction
	p := TxnFormPage{TxnPage: s.txnPage(c), Txn: &t,
		Form: txnRequest{BuyerID: t.BuyerID, TradeDate: t.TradeDate, Currency: t.Currency, Version: t.Version}}
	return s.txnForm(c, p, http.StatusOK)
}

func (s *Server) txnUpdate(c echo.Context) error {
	d, err := s.txnDetail(c)
	if err != nil {
		return err
	}
	var req txnRequest
	err = s.bind(c, &req)
	if err == nil {
		var res *workflow.TransactionSaved
		res, err = s.svc.UpdateTransaction(c.Request().Context(), actorOf(c), d.Transaction.ID, req.input())
		if err == nil {
			return s.redirect(c, txnPath(d.Transaction.ID), txnWarningFlash(apperr.T("Transaction saved", "交易已保存"), res.Warnings))
		}
	}
	t := d.Transaction
	p := TxnFormPage{TxnPage: s.txnPage(c), Txn: &t, Form: req}
	status, shown := txnFormFailed(&p.Page, err)
	if !shown {
		return err
	}
	return s.txnForm(c, p, status)
}

// ---- The transaction page -------------------------------------------------------------------

// TxnViewPage is a transaction with its lines (edited in place), documents and history.
type TxnViewPage struct {
	TxnPage
	D       *workflow.TransactionDetail
	Goods   []workflow.GoodsChoice // for the line forms, when the user may edit
	AddForm txnLineRequest         // the add-line form (kept on an error)
	Void    txnVoidRequest
	Problem string   // a submit or void refusal, shown on top
	Lines   []string // submit problems, one per line
}

// CanManage reports whether the user registers transactions.
func (p TxnPage) CanManage() bool { return p.Actor.Can(workflow.ActTransactionManage) }

// Editable reports whether the user may change the transaction now.
func (p TxnViewPage) Editable() bool { return p.CanManage() && p.D.Editable() }

// CanSubmit reports whether the transaction is a draft the user may register.
func (p TxnViewPage) CanSubmit() bool {
	return p.Editable() && p.D.Transaction.Status == models.TransactionDraft
}

// CanVoid reports whether the user may void the transaction.
func (p TxnViewPage) CanVoid() bool { return p.Editable() }

// CanLabel reports whether labels can be printed.
func (p TxnViewPage) CanLabel() bool {
	return p.D.Transaction.Status != models.TransactionVoided && len(p.D.Lines) > 0
}

// Version is the transaction's version, carried by every form.
func (p TxnViewPage) Version() string { return strconv.FormatInt(p.D.Transaction.Version, 10) }

// Row is a line for the transaction-line-row partial.
func (p TxnViewPage) Row(l workflow.LineView) TxnRow {
	return TxnRow{TxnPage: p.TxnPage, L: l, TxnID: p.D.Transaction.ID, Editable: p.Editable()}
}

// Totals is the totals row.
func (p TxnViewPage) Totals() TxnTotals {
	return TxnTotals{TxnPage: p.TxnPage, Txn: p.D.Transaction, Editable: p.Editable()}
}

// AddLine is the add-line form.
func (p TxnViewPage) AddLine() TxnLineForm {
	return TxnLineForm{TxnPage: p.TxnPage, TxnID: p.D.Transaction.ID, Version: p.D.Transaction.Version, Form: p.AddForm, Goods: p.Goods}
}

// Versions are the hidden version inputs of the page's forms.
func (p TxnViewPage) Versions() TxnVersions { return TxnVersions{Version: p.D.Transaction.Version} }

// KindOptions are the kinds of documents.
func (p TxnPage) KindOptions() []Option {
	var opts []Option
	for _, k := range workflow.DocumentKinds {
		opts = append(opts, Option{Value: k, Label: p.T("txn.doc.kind." + k)})
	}
	return opts
}

// KindLabel names a kind of document.
func (p TxnPage) KindLabel(k string) string { return p.T("txn.doc.kind." + k) }

// EventLabel names a history entry.
func (p TxnPage) EventLabel(action string) string { return p.L(workflow.TransactionEventText(action)) }

// RoleLabel names a role.
func (p TxnPage) RoleLabel(role string) string {
	if role == "" {
		return ""
	}
	return p.T("role." + role)
}

// Size shows a file size in kB or MB.
func (p TxnPage) Size(n int64) string {
	if n >= 1<<20 {
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	}
	return strconv.FormatInt((n+1023)/1024, 10) + " kB"
}

// txnViewPage renders the transaction page.
func (s *Server) txnViewPage(c echo.Context, p TxnViewPage, id int64, status int) error {
	ctx := c.Request().Context()
	d, err := s.svc.Transaction(ctx, p.Actor, id)
	if err != nil {
		return err
	}
	p.D = d
	if p.Editable() {
		if p.Goods, err = s.svc.LineGoods(ctx, p.Actor, id); err != nil {
			return err
		}
	}
	return s.views.Render(c, status, "transaction_view", p)
}

func (s *Server) txnView(c echo.Context) error {
	id, err := txnID(c)
	if err != nil {
		return err
	}
	return s.txnViewPage(c, TxnViewPage{TxnPage: s.txnPage(c)}, id, http.StatusOK)
}

// txnViewFailed shows the transaction page again with a refusal on top: field problems (each
// line's, for a submit) with 422, a conflict or a forbidden with its status.
func (s *Server) txnViewFailed(c echo.Context, p TxnViewPage, id int64, err error) error {
	ae := apperr.As(err)
	switch ae.Code {
	case apperr.Invalid:
		p.Problem = ae.Text.In(p.Lang)
		for _, f := range ae.Fields {
			p.Lines = append(p.Lines, f.Text.In(p.Lang))
		}
	case apperr.Conflict, apperr.Forbidden:
		p.Problem = ae.Text.In(p.Lang)
	default:
		return err
	}
	return s.txnViewPage(c, p, id, statusOf(ae.Code))
}

func (s *Server) txnSubmit(c echo.Context) error {
	id, err := txnID(c)
	if err != nil {
		return err
	}
	var req txnVersionRequest
	err = s.bind(c, &req)
	if err == nil {
		var res *workflow.TransactionSaved
		res, err = s.svc.SubmitTransaction(c.Request().Context(), actorOf(c), id, req.Version)
		if err == nil {
			return s.redirect(c, txnPath(id), txnWarningFlash(apperr.Tf("Transaction %s registered. Print its trace labels for the cartons.",
				"交易 %s 已登记。请打印溯源标签贴在箱上。", res.Transaction.Number), res.Warnings))
		}
	}
	return s.txnViewFailed(c, TxnViewPage{TxnPage: s.txnPage(c)}, id, err)
}

func (s *Server) txnVoid(c echo.Context) error {
	id, err := txnID(c)
	if err != nil {
		return err
	}
	var req txnVoidRequest
	err = s.bind(c, &req)
	if err == nil {
		var t *models.Transaction
		t, err = s.svc.VoidTransaction(c.Request().Context(), actorOf(c), id, workflow.VoidInput{Reason: req.Reason, Version: req.Version})
		if err == nil {
			return s.redirect(c, txnPath(id), apperr.Tf("Transaction %s voided", "交易 %s 已作废", t.Number))
		}
	}
	return s.txnViewFailed(c, TxnViewPage{TxnPage: s.txnPage(c), Void: req}, id, err)
}
