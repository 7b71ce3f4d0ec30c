package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// goodsRoutes registers goods registration (商品备案: a merchant's catalogue), the HS code
// finder, market supervision's recognition queue and decisions (商品认定), and their API.
func (s *Server) goodsRoutes() {
	get, post := http.MethodGet, http.MethodPost
	s.handle(get, "/goods", workflow.ActGoodsList, s.goodsList)
	s.handle(get, "/goods/new", workflow.ActGoodsManage, s.goodsNew)
	s.handle(post, "/goods", workflow.ActGoodsManage, s.goodsCreate)
	s.handle(get, "/goods/review", workflow.ActGoodsRecognise, s.goodsReview)
	s.handle(get, "/goods/:id", workflow.ActGoodsView, s.goodsView)
	s.handle(get, "/goods/:id/edit", workflow.ActGoodsManage, s.goodsEdit)
	s.handle(post, "/goods/:id/edit", workflow.ActGoodsManage, s.goodsUpdate)
	s.handle(post, "/goods/:id/recognise", workflow.ActGoodsRecognise, s.goodsDecide(workflow.GoodsRecognise))
	s.handle(post, "/goods/:id/reject", workflow.ActGoodsRecognise, s.goodsDecide(workflow.GoodsReject))
	s.handle(post, "/goods/:id/hold", workflow.ActGoodsRecognise, s.goodsDecide(workflow.GoodsHold))

	s.handle(get, "/hs/search", workflow.ActHSSearch, s.hsSearch)
	s.handle(get, "/hs/describe", workflow.ActHSSearch, s.hsDescribe)

	s.handle(get, "/api/v1/goods", workflow.ActGoodsList, s.apiGoodsList)
	s.handle(get, "/api/v1/goods/:id", workflow.ActGoodsView, s.apiGoods)
	s.handle(post, "/api/v1/goods", workflow.ActGoodsManage, s.apiGoodsCreate)
	s.handle(get, "/api/v1/hs/search", workflow.ActHSSearch, s.apiHSSearch)
}

// ---- Requests -------------------------------------------------------------------------------

// goodsRequest is goods from the form or the API. It has no id, owner, status or review: the
// workflow sets those. Version is the optimistic lock of an edit form (never read from JSON);
// a create ignores it. The limits here only bound the input; the workflow says what is wrong.
type goodsRequest struct {
	SKU             string `form:"sku" json:"sku" validate:"max=100"`
	NameZh          string `form:"name_zh" json:"name_zh" validate:"max=300"`
	NameEn          string `form:"name_en" json:"name_en" validate:"max=600"`
	HSCode          string `form:"hs_code" json:"hs_code" validate:"max=40"`
	Spec            string `form:"spec" json:"spec" validate:"max=600"`
	Producer        string `form:"producer" json:"producer" validate:"max=300"`
	Branded         bool   `form:"branded" json:"branded"`
	Brand           string `form:"brand" json:"brand" validate:"max=300"`
	LegalUnit       string `form:"legal_unit" json:"legal_unit" validate:"max=10"`
	SecondUnit      string `form:"second_unit" json:"second_unit" validate:"max=10"`
	TransactionUnit string `form:"transaction_unit" json:"transaction_unit" validate:"max=10"`
	Version         int64  `form:"version" json:"-" validate:"min=0"`
}

// input copies the request into the workflow's input, field by field.
func (r goodsRequest) input() workflow.GoodsInput {
	return workflow.GoodsInput{SKU: r.SKU, NameZh: r.NameZh, NameEn: r.NameEn, HSCode: r.HSCode, Spec: r.Spec,
		Producer: r.Producer, Branded: r.Branded, Brand: r.Brand, LegalUnit: r.LegalUnit, SecondUnit: r.SecondUnit,
		TransactionUnit: r.TransactionUnit, Version: r.Version}
}

func goodsRequestOf(g *models.Goods) goodsRequest {
	return goodsRequest{SKU: g.SKU, NameZh: g.NameZh, NameEn: g.NameEn, HSCode: g.HSCode, Spec: g.Spec, Producer: g.Producer,
		Branded: g.Branded, Brand: g.Brand, LegalUnit: g.LegalUnit, SecondUnit: g.SecondUnit, TransactionUnit: g.TransactionUnit,
		Version: g.Version}
}

// goodsFilterRequest filters the goods list (pages and API).
type goodsFilterRequest struct {
	Status  string `query:"status" validate:"max=20"`
	Chapter string `query:"chapter" validate:"max=4"`
	Q       string `query:"q" validate:"max=100"`
	Page    int    `query:"page" validate:"min=0,max=1000000"`
}

func (r goodsFilterRequest) filter() workflow.GoodsFilter {
	return workflow.GoodsFilter{Status: r.Status, Chapter: r.Chapter, Query: r.Q, Page: r.Page}
}

// goodsDecisionRequest is an officer's decision: the reason, the version seen, and where the
// form was (the queue, or the goods page).
type goodsDecisionRequest struct {
	Reason  string `form:"reason" json:"reason" validate:"max=2000"`
	Version int64  `form:"version" json:"version" validate:"min=0"`
	From    string `form:"from" json:"-" validate:"omitempty,oneof=queue"`
}

// hsSearchRequest is the HS finder's query: the words or digits typed, and the goods names on
// the form (suggestions use them when no words were typed).
type hsSearchRequest struct {
	Q      string `query:"q" validate:"max=200"`
	NameZh string `query:"name_zh" validate:"max=300"`
	NameEn string `query:"name_en" validate:"max=600"`
}

func (r hsSearchRequest) query() workflow.HSQuery {
	return workflow.HSQuery{Text: r.Q, Names: []string{r.NameZh, r.NameEn}}
}

// goodsID reads the :id of a goods route; anything but a positive number is 404.
func goodsID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// ---- Page structs ---------------------------------------------------------------------------

// GoodsPage is the common part of the goods pages: the base page with the goods vocabulary
// (statuses, units, times and bilingual workflow texts) in the page's language.
type GoodsPage struct {
	Page
	svc *workflow.Service
}

func (s *Server) goodsPage(c echo.Context) GoodsPage { return GoodsPage{Page: s.page(c), svc: s.svc} }

// L shows a workflow text in the page's language.
func (p GoodsPage) L(t apperr.Text) string { return t.In(p.Lang) }

// StatusLabel names a goods status in the page's language.
func (p GoodsPage) StatusLabel(st string) string { return p.T("goods.status." + st) }

// UnitLabel names a customs unit ("007 个" or "007 piece").
func (p GoodsPage) UnitLabel(code string) string {
	if code == "" {
		return "–"
	}
	u, ok := p.svc.Ref().Unit(code)
	if !ok {
		return code
	}
	if p.Lang == "en" {
		return code + " " + u.NameEn
	}
	return code + " " + u.NameZh
}

// When shows a time in Yiwu time, to the minute.
func (p GoodsPage) When(t time.Time) string { return formatWhen(t) }

// GoodsStatusView is a goods status with its name, for the goods-status partial.
type GoodsStatusView struct{ Status, Label string }

// Status is a goods status for the goods-status partial.
func (p GoodsPage) Status(st string) GoodsStatusView {
	return GoodsStatusView{Status: st, Label: p.StatusLabel(st)}
}

// GoodsPager links to the neighbouring pages of a goods list, for the goods-pager partial.
type GoodsPager struct {
	Page, Pages                         int
	Prev, Next                          string // "" at either end
	Label, PrevText, NextText, PageText string
}

func (p GoodsPage) pager(page, pages int, link func(int) string) GoodsPager {
	g := GoodsPager{Page: page, Pages: pages, Label: p.T("goods.pages"), PrevText: p.T("goods.prev"),
		NextText: p.T("goods.next"), PageText: p.T("goods.page")}
	if page > 1 {
		g.Prev = link(min(page-1, pages))
	}
	if page < pages {
		g.Next = link(page + 1)
	}
	return g
}

// UsedBy says how many goods use a code ("used by 12 goods").
func (p GoodsPage) UsedBy(n int64) string { return fmt.Sprintf(p.T("goods.hs.used_by"), n) }

// unitOptions are the customs units, named in the page's language, after a first empty choice.
func (p GoodsPage) unitOptions(first string) []Option {
	opts := []Option{{Value: "", Label: p.T(first)}}
	for _, u := range p.svc.Ref().Units() {
		opts = append(opts, Option{Value: u.Code, Label: p.UnitLabel(u.Code)})
	}
	return opts
}

// HSInputView is the HS code field of the goods form. The describe fragment sends it again
// (out of band) when the user picks a code from the finder.
type HSInputView struct {
	Label, Value, Error, Hint string
	OOB                       bool // sent out of band by the describe fragment
}

// HSDescribeView is the live description of the HS code being typed.
type HSDescribeView struct {
	GoodsPage
	D     *workflow.HSDescription
	Pick  bool        // the user picked a code: the field is sent again with it
	Input HSInputView // the field, when picked
}

// Progress says how many of the 10 digits are typed.
func (v HSDescribeView) Progress() string {
	return fmt.Sprintf(v.T("goods.hs.progress"), len(v.D.Code))
}

// GoodsListPage is a catalogue: a merchant's own goods, or all the goods the user may see.
type GoodsListPage struct {
	GoodsPage
	Filter goodsFilterRequest
	List   *workflow.GoodsList
}

// CanCreate reports whether the user keeps a catalogue.
func (p GoodsListPage) CanCreate() bool { return p.Actor.Can(workflow.ActGoodsManage) }

// CanReview reports whether the user recognises goods.
func (p GoodsListPage) CanReview() bool { return p.Actor.Can(workflow.ActGoodsRecognise) }

// ShowMerchant reports whether the list mixes merchants (everyone but a merchant's users).
func (p GoodsListPage) ShowMerchant() bool { return p.Actor.Role != models.RoleMerchant }

// StatusOptions are the choices of the status filter.
func (p GoodsListPage) StatusOptions() []Option {
	opts := []Option{{Value: "", Label: p.T("goods.filter.all")}}
	for _, st := range workflow.GoodsStatuses {
		opts = append(opts, Option{Value: st, Label: p.StatusLabel(st)})
	}
	return opts
}

// ChapterOptions are the HS chapters for the chapter filter.
func (p GoodsListPage) ChapterOptions() []Option {
	opts := []Option{{Value: "", Label: p.T("goods.filter.all")}}
	for _, ch := range p.svc.Ref().HSChapters() {
		opts = append(opts, Option{Value: ch.Code, Label: ch.Code + " " + shorten(ch.Description, 48)})
	}
	return opts
}

// shorten cuts a text to at most n characters, with an ellipsis.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// PageURL links to page n of the list with the same filters.
func (p GoodsListPage) PageURL(n int) string {
	return goodsPageURL("/goods", url.Values{"status": {p.Filter.Status}, "chapter": {p.Filter.Chapter}, "q": {p.Filter.Q}}, n)
}

func goodsPageURL(path string, q url.Values, n int) string {
	v := url.Values{}
	for k, vs := range q {
		if len(vs) > 0 && vs[0] != "" {
			v.Set(k, vs[0])
		}
	}
	if n > 1 {
		v.Set("page", strconv.Itoa(n))
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// Pager links to the neighbouring pages.
func (p GoodsListPage) Pager() GoodsPager { return p.pager(p.List.Page, p.List.Pages, p.PageURL) }

// GoodsFormPage registers new goods or changes goods of the merchant's catalogue.
type GoodsFormPage struct {
	GoodsPage
	Form     goodsRequest
	Goods    *models.Goods // nil for new goods
	Closed   string        // why the merchant may not register goods now, "" when it may
	Describe *workflow.HSDescription
}

// Action is where the form posts.
func (p GoodsFormPage) Action() string {
	if p.Goods != nil {
		return "/goods/" + strconv.FormatInt(p.Goods.ID, 10) + "/edit"
	}
	return "/goods"
}

// VersionText is the goods version the edit form carries.
func (p GoodsFormPage) VersionText() string { return strconv.FormatInt(p.Form.Version, 10) }

// Recognised reports whether the goods being edited are recognised, so the form warns that
// changing what recognition looked at sends them back to market supervision.
func (p GoodsFormPage) Recognised() bool {
	return p.Goods != nil && p.Goods.Status == models.GoodsRecognised
}

// HSInput is the HS code field.
func (p GoodsFormPage) HSInput() HSInputView {
	return HSInputView{Label: p.T("goods.hs_code"), Value: p.Form.HSCode, Error: p.Errors["hs_code"], Hint: p.T("goods.hs_code_hint")}
}

// DescribeView is the description of the HS code in the form.
func (p GoodsFormPage) DescribeView() HSDescribeView {
	d := p.Describe
	if d == nil {
		d = &workflow.HSDescription{}
	}
	return HSDescribeView{GoodsPage: p.GoodsPage, D: d}
}

// LegalUnits, SecondUnits and TransactionUnits are the choices of the unit selects.
func (p GoodsFormPage) LegalUnits() []Option       { return p.unitOptions("goods.choose_unit") }
func (p GoodsFormPage) SecondUnits() []Option      { return p.unitOptions("goods.no_second_unit") }
func (p GoodsFormPage) TransactionUnits() []Option { return p.unitOptions("goods.choose_unit") }

// GoodsViewPage shows goods with their history and, for market supervision, the decisions.
type GoodsViewPage struct {
	GoodsPage
	D        *workflow.GoodsDetail
	Form     goodsDecisionRequest // a decision form shown again with its errors
	FormKind string               // which decision form Form belongs to
}

// CanEdit reports whether the user keeps the catalogue these goods belong to.
func (p GoodsViewPage) CanEdit() bool {
	return p.Actor.Can(workflow.ActGoodsManage) && p.Actor.MerchantID == p.D.Goods.MerchantID
}

// CanDecide reports whether the user may take a decision on the goods now.
func (p GoodsViewPage) CanDecide(kind string) bool {
	return p.Actor.Can(workflow.ActGoodsRecognise) && workflow.GoodsDecisionAllowed(kind, p.D.Goods.Status)
}

// Decides reports whether the user may take any decision on the goods now.
func (p GoodsViewPage) Decides() bool {
	return p.CanDecide(workflow.GoodsRecognise) || p.CanDecide(workflow.GoodsReject) || p.CanDecide(workflow.GoodsHold)
}

// GoodsReasonView is the reason field of one decision form; each form's field has its own id.
type GoodsReasonView struct {
	Kind, Label, Value, Error, Hint string
	Required                        bool
}

// ReasonField is the reason field of a decision form, with its value and error when that form
// came back.
func (p GoodsViewPage) ReasonField(kind, label, hint string, required bool) GoodsReasonView {
	v := GoodsReasonView{Kind: kind, Label: p.T(label), Hint: p.T(hint), Required: required}
	if p.FormKind == kind {
		v.Value, v.Error = p.Form.Reason, p.Errors["reason"]
	}
	return v
}

// Version is the goods version every decision form carries.
func (p GoodsViewPage) Version() string { return strconv.FormatInt(p.D.Goods.Version, 10) }

// GoodsReviewPage is market supervision's recognition queue.
type GoodsReviewPage struct {
	GoodsPage
	Filter goodsQueueRequest
	Queue  *workflow.GoodsQueue
}

type goodsQueueRequest struct {
	Status string `query:"status" validate:"omitempty,oneof=pending held"`
	Page   int    `query:"page" validate:"min=0,max=1000000"`
}

// StatusOptions are the choices of the queue's status filter.
func (p GoodsReviewPage) StatusOptions() []Option {
	return []Option{{Value: "", Label: p.T("goods.queue.both")},
		{Value: models.GoodsPending, Label: p.StatusLabel(models.GoodsPending)},
		{Value: models.GoodsHeld, Label: p.StatusLabel(models.GoodsHeld)}}
}

// PageURL links to page n of the queue.
func (p GoodsReviewPage) PageURL(n int) string {
	return goodsPageURL("/goods/review", url.Values{"status": {p.Filter.Status}}, n)
}

// Pager links to the neighbouring pages.
func (p GoodsReviewPage) Pager() GoodsPager { return p.pager(p.Queue.Page, p.Queue.Pages, p.PageURL) }

// HSSearchPage is the answer of the HS finder: a fragment for htmx, a page without script.
type HSSearchPage struct {
	GoodsPage
	Query hsSearchRequest
	R     *workflow.HSSearchResult
}

// Example is the example name of a suggestion in the page's language first.
func (p HSSearchPage) Example(sg workflow.HSSuggestion) string {
	first, second := sg.NameZh, sg.NameEn
	if p.Lang == "en" {
		first, second = second, first
	}
	switch {
	case first != "" && second != "":
		return first + " / " + second
	case first != "":
		return first
	}
	return second
}

// ---- Catalogue pages ------------------------------------------------------------------------

func (s *Server) goodsList(c echo.Context) error {
	p := GoodsListPage{GoodsPage: s.goodsPage(c), List: &workflow.GoodsList{}}
	status := http.StatusOK
	err := s.bind(c, &p.Filter)
	if err == nil {
		p.List, err = s.svc.GoodsList(c.Request().Context(), p.Actor, p.Filter.filter())
	}
	if err != nil {
		if !p.withErrors(err) {
			return err
		}
		p.List, status = &workflow.GoodsList{}, http.StatusUnprocessableEntity
	}
	return s.views.Render(c, status, "goods_list", p)
}

// goodsForm renders the goods form with the description of its HS code.
func (s *Server) goodsForm(c echo.Context, p GoodsFormPage, status int) error {
	ctx := c.Request().Context()
	if err := s.svc.GoodsRegistrationOpen(ctx, p.Actor); err != nil {
		if apperr.CodeOf(err) != apperr.Forbidden {
			return err
		}
		p.Closed = p.L(apperr.As(err).Text)
	}
	if p.Form.HSCode != "" {
		d, err := s.svc.DescribeHS(ctx, p.Actor, p.Form.HSCode)
		if err != nil {
			return err
		}
		p.Describe = d
	}
	return s.views.Render(c, status, "goods_form", p)
}

func (s *Server) goodsNew(c echo.Context) error {
	return s.goodsForm(c, GoodsFormPage{GoodsPage: s.goodsPage(c), Form: goodsRequest{LegalUnit: "007", TransactionUnit: "007"}}, http.StatusOK)
}

// goodsFormFailed shows a form again for errors it can show: field problems (422), a merchant
// that may not register goods (403) or goods changed by someone else (409), with the message on
// top. Other errors go to the error handler.
func goodsFormFailed(p *Page, err error) (int, bool) {
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

func (s *Server) goodsCreate(c echo.Context) error {
	var req goodsRequest
	err := s.bind(c, &req)
	if err == nil {
		var res *workflow.GoodsSaved
		res, err = s.svc.CreateGoods(c.Request().Context(), actorOf(c), req.input())
		if err == nil {
			return s.redirect(c, "/goods/"+strconv.FormatInt(res.Goods.ID, 10), goodsSavedFlash(res))
		}
	}
	p := GoodsFormPage{GoodsPage: s.goodsPage(c), Form: req}
	status, shown := goodsFormFailed(&p.Page, err)
	if !shown {
		return err
	}
	return s.goodsForm(c, p, status)
}

// goodsSavedFlash tells the merchant what happens next.
func goodsSavedFlash(res *workflow.GoodsSaved) apperr.Text {
	switch {
	case res.Unchanged:
		return apperr.T("Nothing was changed", "没有任何修改")
	case res.Goods.Status == models.GoodsHeld:
		return apperr.T("Goods saved, but held: the brand is on the brand watch list. Market supervision will check the trademark authorisation.",
			"商品已保存，但品牌在品牌监控名单中，已暂扣待核。市场监管部门将核实商标授权。")
	case res.Requeued:
		return apperr.T("Goods saved. They wait for recognition by market supervision again.", "商品已保存，需重新等待市场监管部门认定。")
	case res.Goods.Status == models.GoodsPending:
		return apperr.T("Goods saved. They wait for recognition by market supervision before they can be traded.",
			"商品已保存，经市场监管部门认定后即可用于交易登记。")
	}
	return apperr.T("Goods saved", "商品已保存")
}

// goodsOwned loads goods of the user's own catalogue for its edit form (others are 404).
func (s *Server) goodsOwned(c echo.Context) (*workflow.GoodsDetail, error) {
	id, err := goodsID(c)
	if err != nil {
		return nil, err
	}
	actor := actorOf(c)
	d, err := s.svc.GoodsDetail(c.Request().Context(), actor, id)
	if err != nil {
		return nil, err
	}
	if d.Goods.MerchantID != actor.MerchantID {
		return nil, echo.ErrNotFound
	}
	return d, nil
}

func (s *Server) goodsEdit(c echo.Context) error {
	d, err := s.goodsOwned(c)
	if err != nil {
		return err
	}
	p := GoodsFormPage{GoodsPage: s.goodsPage(c), Goods: &d.Goods, Form: goodsRequestOf(&d.Goods)}
	return s.goodsForm(c, p, http.StatusOK)
}

func (s *Server) goodsUpdate(c echo.Context) error {
	d, err := s.goodsOwned(c)
	if err != nil {
		return err
	}
	var req goodsRequest
	err = s.bind(c, &req)
	if err == nil {
		var res *workflow.GoodsSaved
		res, err = s.svc.UpdateGoods(c.Request().Context(), actorOf(c), d.Goods.ID, req.input())
		if err == nil {
			return s.redirect(c, "/goods/"+strconv.FormatInt(d.Goods.ID, 10), goodsSavedFlash(res))
		}
	}
	p := GoodsFormPage{GoodsPage: s.goodsPage(c), Goods: &d.Goods, Form: req}
	status, shown := goodsFormFailed(&p.Page, err)
	if !shown {
		return err
	}
	return s.goodsForm(c, p, status)
}

func (s *Server) goodsView(c echo.Context) error {
	id, err := goodsID(c)
	if err != nil {
		return err
	}
	return s.goodsViewPage(c, GoodsViewPage{GoodsPage: s.goodsPage(c)}, id, http.StatusOK)
}

func (s *Server) goodsViewPage(c echo.Context, p GoodsViewPage, id int64, status int) error {
	d, err := s.svc.GoodsDetail(c.Request().Context(), p.Actor, id)
	if err != nil {
		return err
	}
	p.D = d
	return s.views.Render(c, status, "goods_view", p)
}

// ---- Recognition ----------------------------------------------------------------------------

func (s *Server) goodsReview(c echo.Context) error {
	p := GoodsReviewPage{GoodsPage: s.goodsPage(c), Queue: &workflow.GoodsQueue{}}
	status := http.StatusOK
	err := s.bind(c, &p.Filter)
	if err == nil {
		p.Queue, err = s.svc.GoodsQueue(c.Request().Context(), p.Actor, workflow.GoodsQueueFilter{Status: p.Filter.Status, Page: p.Filter.Page})
	}
	if err != nil {
		if !p.withErrors(err) {
			return err
		}
		p.Queue, status = &workflow.GoodsQueue{}, http.StatusUnprocessableEntity
	}
	return s.views.Render(c, status, "goods_review", p)
}

var goodsDecisionFlash = map[string]apperr.Text{
	workflow.GoodsRecognise: apperr.T("Goods recognised: the merchant may now trade them", "商品已认定，经营户可用于交易登记"),
	workflow.GoodsReject:    apperr.T("Goods rejected; the merchant sees your reason", "商品已驳回，经营户可看到驳回原因"),
	workflow.GoodsHold:      apperr.T("Goods held; the merchant sees your reason", "商品已暂扣，经营户可看到暂扣原因"),
}

// goodsDecide handles a decision form: back to the queue or the goods page on success; the
// goods page again with the message on a field problem (422) or a stale version (409).
func (s *Server) goodsDecide(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := goodsID(c)
		if err != nil {
			return err
		}
		var req goodsDecisionRequest
		if err = s.bind(c, &req); err == nil {
			err = s.decideGoods(c, kind, id, workflow.GoodsDecision{Reason: req.Reason, Version: req.Version})
		}
		if err == nil {
			to := "/goods/" + strconv.FormatInt(id, 10)
			if req.From == "queue" {
				to = "/goods/review"
			}
			return s.redirect(c, to, goodsDecisionFlash[kind])
		}
		p := GoodsViewPage{GoodsPage: s.goodsPage(c), Form: req, FormKind: kind}
		status, shown := goodsFormFailed(&p.Page, err)
		if !shown {
			return err
		}
		return s.goodsViewPage(c, p, id, status)
	}
}

// decideGoods takes one kind of decision.
func (s *Server) decideGoods(c echo.Context, kind string, id int64, d workflow.GoodsDecision) error {
	ctx, actor := c.Request().Context(), actorOf(c)
	var err error
	switch kind {
	case workflow.GoodsRecognise:
		_, err = s.svc.RecogniseGoods(ctx, actor, id, d)
	case workflow.GoodsReject:
		_, err = s.svc.RejectGoods(ctx, actor, id, d)
	default:
		_, err = s.svc.HoldGoods(ctx, actor, id, d)
	}
	return err
}

// ---- HS code finder -------------------------------------------------------------------------

// isHTMX reports whether htmx sent the request (it wants a fragment, not a page).
func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }

// hsSearch answers the HS finder: the results fragment for htmx, a whole page without script.
func (s *Server) hsSearch(c echo.Context) error {
	p := HSSearchPage{GoodsPage: s.goodsPage(c)}
	c.Response().Header().Add("Vary", "HX-Request")
	err := s.bind(c, &p.Query)
	if err == nil {
		p.R, err = s.svc.SearchHS(c.Request().Context(), p.Actor, p.Query.query())
	}
	status := http.StatusOK
	if err != nil {
		if !p.withErrors(err) {
			return err
		}
		status = http.StatusUnprocessableEntity
	}
	if isHTMX(c) {
		return s.views.Render(c, status, "goods_hs_results", p)
	}
	return s.views.Render(c, status, "goods_hs_search", p)
}

// hsDescribe answers the HS field as the user types (hs_code) or picks a code (code, pick=1):
// a fragment describing the code; when picked, the field itself again, out of band, holding
// the code.
func (s *Server) hsDescribe(c echo.Context) error {
	raw := c.QueryParam("code")
	if raw == "" {
		raw = c.QueryParam("hs_code")
	}
	raw = shorten(raw, 40)
	p := HSDescribeView{GoodsPage: s.goodsPage(c), Pick: c.QueryParam("pick") == "1"}
	d, err := s.svc.DescribeHS(c.Request().Context(), p.Actor, raw)
	if err != nil {
		return err
	}
	p.D = d
	if p.Pick {
		p.Input = HSInputView{Label: p.T("goods.hs_code"), Value: d.Code, Hint: p.T("goods.hs_code_hint"), OOB: true}
	}
	return s.views.Render(c, http.StatusOK, "goods_hs_describe", p)
}

// ---- API ------------------------------------------------------------------------------------

// goodsJSON is goods in the API.
type goodsJSON struct {
	ID              int64      `json:"id"`
	MerchantID      int64      `json:"merchant_id"`
	SKU             string     `json:"sku"`
	NameZh          string     `json:"name_zh"`
	NameEn          string     `json:"name_en"`
	HSCode          string     `json:"hs_code"`
	Spec            string     `json:"spec"`
	Producer        string     `json:"producer"`
	Branded         bool       `json:"branded"`
	Brand           string     `json:"brand"`
	LegalUnit       string     `json:"legal_unit"`
	SecondUnit      string     `json:"second_unit"`
	TransactionUnit string     `json:"transaction_unit"`
	Status          string     `json:"status"`
	StatusReason    string     `json:"status_reason"`
	ReviewedAt      *time.Time `json:"reviewed_at"`
	Version         int64      `json:"version"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

func toGoodsJSON(g *models.Goods) goodsJSON {
	return goodsJSON{ID: g.ID, MerchantID: g.MerchantID, SKU: g.SKU, NameZh: g.NameZh, NameEn: g.NameEn, HSCode: g.HSCode,
		Spec: g.Spec, Producer: g.Producer, Branded: g.Branded, Brand: g.Brand, LegalUnit: g.LegalUnit,
		SecondUnit: g.SecondUnit, TransactionUnit: g.TransactionUnit, Status: g.Status, StatusReason: g.StatusReason,
		ReviewedAt: g.ReviewedAt, Version: g.Version, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
}

type goodsRowJSON struct {
	goodsJSON
	MerchantName string `json:"merchant_name"`
}

type goodsListJSON struct {
	Items   []goodsRowJSON `json:"items"`
	Total   int64          `json:"total"`
	Page    int            `json:"page"`
	Pages   int            `json:"pages"`
	PerPage int            `json:"per_page"`
}

type goodsDetailJSON struct {
	goodsJSON
	MerchantName    string            `json:"merchant_name"`
	HSDescription   string            `json:"hs_description"`
	Ineligible      string            `json:"ineligible,omitempty"`
	NotSimplifiable string            `json:"not_simplifiable,omitempty"`
	Waiting         string            `json:"waiting,omitempty"`
	History         []goodsReviewJSON `json:"history"`
}

type goodsReviewJSON struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

func (s *Server) apiGoodsList(c echo.Context) error {
	var req goodsFilterRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	list, err := s.svc.GoodsList(c.Request().Context(), actorOf(c), req.filter())
	if err != nil {
		return err
	}
	out := goodsListJSON{Items: []goodsRowJSON{}, Total: list.Total, Page: list.Page, Pages: list.Pages, PerPage: list.PerPage}
	for i := range list.Rows {
		out.Items = append(out.Items, goodsRowJSON{goodsJSON: toGoodsJSON(&list.Rows[i].Goods), MerchantName: list.Rows[i].MerchantName})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiGoods(c echo.Context) error {
	id, err := goodsID(c)
	if err != nil {
		return err
	}
	d, err := s.svc.GoodsDetail(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	lang := langOf(c)
	out := goodsDetailJSON{goodsJSON: toGoodsJSON(&d.Goods), MerchantName: d.MerchantName, HSDescription: d.HS.Description(),
		Ineligible: d.Ineligible.In(lang), NotSimplifiable: d.NotSimplifiable.In(lang), Waiting: d.Wait.Text.In(lang),
		History: []goodsReviewJSON{}}
	for _, h := range d.History {
		out.History = append(out.History, goodsReviewJSON{From: h.FromStatus, To: h.ToStatus, Reason: h.Reason, By: h.ActorName, At: h.CreatedAt})
	}
	return c.JSON(http.StatusOK, out)
}

// idempotencyHeader names a create that may be retried (see workflow.Service.CreateGoods).
const idempotencyHeader = "Idempotency-Key"

// apiGoodsCreate registers goods from JSON: 201 with the goods; a retry with the same
// Idempotency-Key and body answers 200 with the same goods (and Idempotent-Replayed: true).
func (s *Server) apiGoodsCreate(c echo.Context) error {
	var req goodsRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	in := req.input()
	in.Version = 0
	in.IdempotencyKey = strings.TrimSpace(c.Request().Header.Get(idempotencyHeader))
	if len(in.IdempotencyKey) > 200 {
		return apperr.Field(idempotencyHeader, apperr.T("Use an Idempotency-Key of at most 200 characters, e.g. a UUID",
			"Idempotency-Key 最多 200 个字符，例如使用 UUID"))
	}
	res, err := s.svc.CreateGoods(c.Request().Context(), actorOf(c), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/goods/"+strconv.FormatInt(res.Goods.ID, 10))
	status := http.StatusCreated
	if res.Replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
		status = http.StatusOK
	}
	return c.JSON(status, toGoodsJSON(&res.Goods))
}

type hsEntryJSON struct {
	Code        string `json:"code"`
	Description string `json:"description"`
}

type hsMatchJSON struct {
	hsEntryJSON
	Level   int          `json:"level"`
	Section string       `json:"section"`
	Chapter hsEntryJSON  `json:"chapter"`
	Heading *hsEntryJSON `json:"heading,omitempty"`
	Codes   []hsCodeJSON `json:"codes_in_use"`
}

type hsCodeJSON struct {
	Code  string `json:"code"`
	Goods int64  `json:"goods"`
}

type hsSuggestionJSON struct {
	Code        string `json:"code"`
	Goods       int64  `json:"goods"`
	NameZh      string `json:"name_zh"`
	NameEn      string `json:"name_en"`
	Description string `json:"description"`
}

type hsSearchJSON struct {
	Matches     []hsMatchJSON      `json:"matches"`
	Suggestions []hsSuggestionJSON `json:"suggestions"`
}

// apiHSSearch is the HS finder for API clients: q (words or digits), name_zh and name_en.
func (s *Server) apiHSSearch(c echo.Context) error {
	var req hsSearchRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	r, err := s.svc.SearchHS(c.Request().Context(), actorOf(c), req.query())
	if err != nil {
		return err
	}
	out := hsSearchJSON{Matches: []hsMatchJSON{}, Suggestions: []hsSuggestionJSON{}}
	for _, m := range r.Matches {
		j := hsMatchJSON{hsEntryJSON: hsEntryJSON{m.Entry.Code, m.Entry.Description}, Level: m.Entry.Level, Section: m.Entry.Section,
			Chapter: hsEntryJSON{m.Chapter.Code, m.Chapter.Description}, Codes: []hsCodeJSON{}}
		if m.Heading.Code != "" {
			j.Heading = &hsEntryJSON{m.Heading.Code, m.Heading.Description}
		}
		for _, u := range m.Codes {
			j.Codes = append(j.Codes, hsCodeJSON(u))
		}
		out.Matches = append(out.Matches, j)
	}
	for _, sg := range r.Suggestions {
		out.Suggestions = append(out.Suggestions, hsSuggestionJSON{Code: sg.Code, Goods: sg.Goods, NameZh: sg.NameZh, NameEn: sg.NameEn,
			Description: sg.HS.Description()})
	}
	return c.JSON(http.StatusOK, out)
}
