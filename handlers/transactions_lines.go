package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// Lines are added, changed and removed in place with htmx: each answer is table-row fragments
// and, out of band, the new totals and the transaction's new version for every form of the
// page. Without script the same forms post normally and come back to the transaction page.

// txnLineRequest is a line from the form. It has no amount, trace code, line number or owner:
// a posted "amount" is never read (a test proves it).
type txnLineRequest struct {
	GoodsID   int64  `form:"goods_id" validate:"min=0"`
	Quantity  string `form:"quantity" validate:"max=40"`
	Unit      string `form:"unit" validate:"max=20"`
	UnitPrice string `form:"unit_price" validate:"max=40"`
	Cartons   string `form:"cartons" validate:"max=40"`
	NetKg     string `form:"net_kg" validate:"max=40"`
	GrossKg   string `form:"gross_kg" validate:"max=40"`
	Version   int64  `form:"version" validate:"min=0"`
}

func (r txnLineRequest) input() workflow.LineInput {
	return workflow.LineInput{GoodsID: r.GoodsID, Quantity: r.Quantity, Unit: r.Unit, UnitPrice: r.UnitPrice, Cartons: r.Cartons,
		NetKg: r.NetKg, GrossKg: r.GrossKg}
}

// txnLineRequestOf fills a line form from a line.
func txnLineRequestOf(l *workflow.LineView, p TxnPage) txnLineRequest {
	return txnLineRequest{GoodsID: l.GoodsID, Quantity: txnTrimDecimals(l.Quantity.String(), 0), Unit: l.Unit,
		UnitPrice: txnTrimDecimals(l.UnitPrice.String(), 2), Cartons: strconv.FormatInt(l.Cartons, 10),
		NetKg: txnTrimDecimals(l.NetGrams.Kg(), 0), GrossKg: txnTrimDecimals(l.GrossGrams.Kg(), 0)}
}

// TxnRow is one line of the lines table.
type TxnRow struct {
	TxnPage
	L        workflow.LineView
	TxnID    int64
	Editable bool
}

// Base is the path of the line's routes.
func (r TxnRow) Base() string {
	return txnPath(r.TxnID) + "/lines/" + strconv.FormatInt(r.L.ID, 10)
}

// TxnTotals is the totals row of the lines table.
type TxnTotals struct {
	TxnPage
	Txn      models.Transaction
	Editable bool
	OOB      bool
}

// TxnVersions are the hidden inputs carrying the transaction's version to the page's forms
// (the add-line form, submit and void), swapped out of band after each line change.
type TxnVersions struct {
	Version int64
	OOB     bool
}

// TxnLineForm is the add-line form, or the edit row of a line.
type TxnLineForm struct {
	TxnPage
	TxnID   int64
	LineID  int64 // the line being edited; 0 for the add form
	Line    *workflow.LineView
	Version int64
	Form    txnLineRequest
	Goods   []workflow.GoodsChoice
	OOB     bool
	Page    bool // the line's own page (no script): labelled fields inside the form
}

// Action is where the form posts.
func (f TxnLineForm) Action() string {
	if f.LineID > 0 {
		return txnPath(f.TxnID) + "/lines/" + strconv.FormatInt(f.LineID, 10) + "/edit"
	}
	return txnPath(f.TxnID) + "/lines"
}

// ID prefixes the ids of the form's fields (f- for the add form, eN- for the edit row of line N).
func (f TxnLineForm) ID() string {
	if f.LineID > 0 && !f.Page {
		return "e" + strconv.FormatInt(f.LineID, 10) + "-"
	}
	return "f-"
}

// GoodsOptions are the merchant's recognised goods.
func (f TxnLineForm) GoodsOptions() []Option {
	opts := []Option{{Value: "", Label: f.T("txn.line.choose_goods")}}
	for _, g := range f.Goods {
		opts = append(opts, Option{Value: strconv.FormatInt(g.ID, 10), Label: g.SKU + " · " + f.GoodsName(g.NameZh, g.NameEn),
			Selected: g.ID == f.Form.GoodsID})
	}
	return opts
}

// UnitOptions are the customs units, after "the goods' unit".
func (f TxnLineForm) UnitOptions() []Option {
	opts := []Option{{Value: "", Label: f.T("txn.line.goods_unit"), Selected: f.Form.Unit == ""}}
	for _, u := range f.svc.Ref().Units() {
		opts = append(opts, Option{Value: u.Code, Label: f.UnitLabel(u.Code), Selected: u.Code == f.Form.Unit})
	}
	return opts
}

// Err is a field's error.
func (f TxnLineForm) Err(field string) string { return f.Errors[field] }

// TxnInput is one field of a line form: in the add form a labelled field, in an edit row an
// input labelled by aria-label and tied to the row's form.
type TxnInput struct {
	ID, Name, Label, Value, Error, Form, InputMode string
	Options                                        []Option
}

// Input builds a text field of the form.
func (f TxnLineForm) Input(name, label, value, mode string) TxnInput {
	in := TxnInput{ID: f.ID() + name, Name: name, Label: f.T(label), Value: value, Error: f.Errors[name], InputMode: mode}
	if f.LineID > 0 && !f.Page {
		in.Form = "line-edit-" + strconv.FormatInt(f.LineID, 10)
	}
	return in
}

// SelectOf builds a select of the form.
func (f TxnLineForm) SelectOf(name, label string, opts []Option) TxnInput {
	in := f.Input(name, label, "", "")
	in.Options = opts
	return in
}

// VersionText is the version the full-page edit form carries.
func (f TxnLineForm) VersionText() string { return strconv.FormatInt(f.Version, 10) }

// TxnLineFragment is an htmx answer to a line change: the row (or edit row), and out of band
// the totals, the versions and, after an add, a fresh add form.
type TxnLineFragment struct {
	TxnPage
	Row      *TxnRow
	Edit     *TxnLineForm
	Add      *TxnLineForm // the add form, again: with errors (in place) or fresh (out of band)
	Totals   *TxnTotals
	Versions *TxnVersions
	Message  string // a refusal, shown above the table
	NoneGone bool   // the first line was added: remove the "no lines" row
}

// txnLineIDs reads :id and :line.
func txnLineIDs(c echo.Context) (int64, int64, error) {
	id, err := txnID(c)
	if err != nil {
		return 0, 0, err
	}
	line, err := txnParam(c, "line")
	return id, line, err
}

// txnChanged is the fragment after a successful change: totals and versions out of band.
func (s *Server) txnChanged(p TxnPage, res *workflow.LineSaved) TxnLineFragment {
	f := TxnLineFragment{TxnPage: p,
		Totals:   &TxnTotals{TxnPage: p, Txn: res.Transaction, Editable: true, OOB: true},
		Versions: &TxnVersions{Version: res.Transaction.Version, OOB: true}}
	if res.Line != nil {
		f.Row = &TxnRow{TxnPage: p, L: *res.Line, TxnID: res.Transaction.ID, Editable: true}
	}
	return f
}

// txnLineRefused answers a refused line change. htmx swaps only 2xx answers, so a refusal it can
// show is a 200 that retargets: field problems re-render the form in place, a conflict (a stale
// version, a consolidated transaction) shows its message above the table. Without htmx the
// transaction page is shown again with the problem.
func (s *Server) txnLineRefused(c echo.Context, p TxnPage, id int64, form *TxnLineForm, err error) error {
	if !txnHTMX(c) {
		vp := TxnViewPage{TxnPage: p}
		if form != nil && form.LineID == 0 {
			vp.AddForm = form.Form
		}
		if p.withErrors(err) {
			vp.TxnPage = p
			return s.txnViewPage(c, vp, id, http.StatusUnprocessableEntity)
		}
		return s.txnViewFailed(c, vp, id, err)
	}
	h := c.Response().Header()
	switch apperr.CodeOf(err) {
	case apperr.Invalid:
		if form == nil {
			break
		}
		p.withErrors(err)
		form.TxnPage = p
		frag := TxnLineFragment{TxnPage: p}
		if form.LineID > 0 {
			frag.Edit = form
			h.Set("HX-Retarget", "#line-"+strconv.FormatInt(form.LineID, 10))
		} else {
			frag.Add = form
			h.Set("HX-Retarget", "#line-add")
		}
		h.Set("HX-Reswap", "outerHTML")
		return s.views.Render(c, http.StatusOK, "transaction_line_fragment", frag)
	case apperr.Conflict, apperr.Forbidden, apperr.NotFound:
	default:
		return err
	}
	h.Set("HX-Retarget", "#line-message")
	h.Set("HX-Reswap", "outerHTML")
	return s.views.Render(c, http.StatusOK, "transaction_line_fragment",
		TxnLineFragment{TxnPage: p, Message: apperr.As(err).Text.In(p.Lang)})
}

func (s *Server) txnLineAdd(c echo.Context) error {
	id, err := txnID(c)
	if err != nil {
		return err
	}
	p := s.txnPage(c)
	ctx := c.Request().Context()
	var req txnLineRequest
	var res *workflow.LineSaved
	if err = s.bind(c, &req); err == nil {
		res, err = s.svc.AddLine(ctx, p.Actor, id, req.Version, req.input())
	}
	goods, gerr := s.svc.LineGoods(ctx, p.Actor, id)
	if gerr != nil {
		return gerr
	}
	if err != nil {
		return s.txnLineRefused(c, p, id, &TxnLineForm{TxnPage: p, TxnID: id, Version: req.Version, Form: req, Goods: goods}, err)
	}
	if !txnHTMX(c) {
		return s.redirect(c, txnPath(id)+"#line-"+strconv.FormatInt(res.Line.ID, 10),
			apperr.Tf("Line %d added", "已添加第 %d 行", res.Line.LineNo))
	}
	f := s.txnChanged(p, res)
	f.Add = &TxnLineForm{TxnPage: p, TxnID: id, Version: res.Transaction.Version, Goods: goods, OOB: true}
	f.NoneGone = res.Transaction.LineCount == 1
	return s.views.Render(c, http.StatusOK, "transaction_line_fragment", f)
}

// txnLineRow answers the row of a line (htmx: cancelling an edit); without htmx, the line on
// its transaction's page.
func (s *Server) txnLineRow(c echo.Context) error {
	id, lineID, err := txnLineIDs(c)
	if err != nil {
		return err
	}
	p := s.txnPage(c)
	l, t, err := s.svc.TransactionLine(c.Request().Context(), p.Actor, id, lineID)
	if err != nil {
		return err
	}
	if !txnHTMX(c) {
		return c.Redirect(http.StatusSeeOther, txnPath(id)+"#line-"+strconv.FormatInt(lineID, 10))
	}
	editable := false
	if p.CanManage() {
		d, err := s.svc.Transaction(c.Request().Context(), p.Actor, t.ID)
		if err != nil {
			return err
		}
		editable = d.Editable()
	}
	return s.views.Render(c, http.StatusOK, "transaction_line_fragment",
		TxnLineFragment{TxnPage: p, Row: &TxnRow{TxnPage: p, L: *l, TxnID: id, Editable: editable}})
}

// txnLineEdit answers the edit row of a line (htmx) or a page with the line's form.
func (s *Server) txnLineEdit(c echo.Context) error {
	id, lineID, err := txnLineIDs(c)
	if err != nil {
		return err
	}
	p := s.txnPage(c)
	ctx := c.Request().Context()
	d, err := s.svc.Transaction(ctx, p.Actor, id)
	if err != nil {
		return err
	}
	if !d.Editable() {
		return s.txnLineRefused(c, p, id, nil, apperr.New(apperr.Conflict, d.Block))
	}
	var line *workflow.LineView
	for i := range d.Lines {
		if d.Lines[i].ID == lineID {
			line = &d.Lines[i]
		}
	}
	if line == nil {
		return echo.ErrNotFound
	}
	goods, err := s.svc.LineGoods(ctx, p.Actor, id)
	if err != nil {
		return err
	}
	form := &TxnLineForm{TxnPage: p, TxnID: id, LineID: lineID, Line: line, Version: d.Transaction.Version,
		Form: txnLineRequestOf(line, p), Goods: goods}
	if txnHTMX(c) {
		return s.views.Render(c, http.StatusOK, "transaction_line_fragment", TxnLineFragment{TxnPage: p, Edit: form})
	}
	form.Page = true
	return s.views.Render(c, http.StatusOK, "transaction_line_form", TxnLinePage{TxnLineForm: *form, D: d})
}

// TxnLinePage is the page of a line's form, for browsers without script.
type TxnLinePage struct {
	TxnLineForm
	D *workflow.TransactionDetail
}

func (s *Server) txnLineUpdate(c echo.Context) error {
	id, lineID, err := txnLineIDs(c)
	if err != nil {
		return err
	}
	p := s.txnPage(c)
	ctx := c.Request().Context()
	var req txnLineRequest
	var res *workflow.LineSaved
	if err = s.bind(c, &req); err == nil {
		res, err = s.svc.UpdateLine(ctx, p.Actor, id, lineID, req.Version, req.input())
	}
	if err != nil {
		if !txnHTMX(c) && apperr.CodeOf(err) == apperr.Invalid {
			return s.txnLinePageAgain(c, p, id, lineID, req, err)
		}
		goods, gerr := s.svc.LineGoods(ctx, p.Actor, id)
		if gerr != nil {
			return gerr
		}
		line, _, _ := s.svc.TransactionLine(ctx, p.Actor, id, lineID)
		return s.txnLineRefused(c, p, id, &TxnLineForm{TxnPage: p, TxnID: id, LineID: lineID, Line: line, Version: req.Version, Form: req, Goods: goods}, err)
	}
	if !txnHTMX(c) {
		return s.redirect(c, txnPath(id)+"#line-"+strconv.FormatInt(lineID, 10), apperr.Tf("Line %d saved", "第 %d 行已保存", res.Line.LineNo))
	}
	return s.views.Render(c, http.StatusOK, "transaction_line_fragment", s.txnChanged(p, res))
}

// txnLinePageAgain shows the line's page again with its field problems (no script).
func (s *Server) txnLinePageAgain(c echo.Context, p TxnPage, id, lineID int64, req txnLineRequest, err error) error {
	ctx := c.Request().Context()
	d, derr := s.svc.Transaction(ctx, p.Actor, id)
	if derr != nil {
		return derr
	}
	goods, gerr := s.svc.LineGoods(ctx, p.Actor, id)
	if gerr != nil {
		return gerr
	}
	var line *workflow.LineView
	for i := range d.Lines {
		if d.Lines[i].ID == lineID {
			line = &d.Lines[i]
		}
	}
	if line == nil {
		return echo.ErrNotFound
	}
	p.withErrors(err)
	form := TxnLineForm{TxnPage: p, TxnID: id, LineID: lineID, Line: line, Version: req.Version, Form: req, Goods: goods, Page: true}
	return s.views.Render(c, http.StatusUnprocessableEntity, "transaction_line_form", TxnLinePage{TxnLineForm: form, D: d})
}

func (s *Server) txnLineDelete(c echo.Context) error {
	id, lineID, err := txnLineIDs(c)
	if err != nil {
		return err
	}
	p := s.txnPage(c)
	var req txnVersionRequest
	var res *workflow.LineSaved
	if err = s.bind(c, &req); err == nil {
		res, err = s.svc.DeleteLine(c.Request().Context(), p.Actor, id, lineID, req.Version)
	}
	if err != nil {
		return s.txnLineRefused(c, p, id, nil, err)
	}
	if !txnHTMX(c) {
		return s.redirect(c, txnPath(id), apperr.T("Line removed", "已删除该行"))
	}
	return s.views.Render(c, http.StatusOK, "transaction_line_fragment", s.txnChanged(p, res))
}

// txnHTMX reports whether htmx sent the request (it wants a fragment, not a page).
func txnHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }
