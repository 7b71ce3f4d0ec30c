package handlers

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// ConsolidationPage shows one consolidation: its header, lines by merchant and buyer,
// containers and packing list, totals and what blocks closing. For its agent while open, it is
// also the work area (allocate lines, add containers, pack); its forms post with htmx and swap
// the work area, or as plain forms without script.
type ConsolidationPage struct {
	Page
	ConsolidationFormat
	D            *workflow.ConsolidationDetail
	Allocatable  []workflow.FileableLine
	Container    containerRequest
	SizeTypes    []Option
	Boxes        []Option
	PackInto     string
	Notice       string // the outcome of the last change, shown in the work area
	NoticeFailed bool
}

// ID is the consolidation's id as text (for links).
func (p ConsolidationPage) ID() string { return strconv.FormatInt(p.D.Consolidation.ID, 10) }

// LineError is the error of a line of the packing or allocation form.
func (p ConsolidationPage) LineError(id int64) string {
	return p.Errors["line."+strconv.FormatInt(id, 10)]
}

// ContainerError is the error of a container of the packing list.
func (p ConsolidationPage) ContainerError(id int64) string {
	return p.Errors["container."+strconv.FormatInt(id, 10)]
}

// Problem is a closing problem in the page language.
func (p ConsolidationPage) Problem(cp workflow.ClosingProblem) string { return cp.Text.In(p.Lang) }

func (s *Server) consolidationPage(c echo.Context, id int64) (ConsolidationPage, error) {
	ctx := c.Request().Context()
	p := ConsolidationPage{Page: s.page(c)}
	p.ConsolidationFormat = s.consolidationFormat(p.Lang)
	var err error
	if p.D, err = s.svc.Consolidation(ctx, p.Actor, id); err != nil {
		return p, err
	}
	if !p.D.Editable() {
		return p, nil
	}
	if p.Allocatable, err = s.svc.AllocatableLines(ctx, p.Actor, id); err != nil {
		return p, err
	}
	types, err := s.svc.ContainerTypes(ctx)
	if err != nil {
		return p, err
	}
	p.SizeTypes = []Option{{Value: "", Label: p.T("consolidation.choose_size_type")}}
	for _, t := range types {
		name := t.NameEn
		if p.Lang == "zh-CN" {
			name = t.NameZh
		}
		p.SizeTypes = append(p.SizeTypes, Option{Value: t.Code, Label: t.Code + " · " + name + " · " + p.T("consolidation.max_payload") + " " + workflow.KgText(t.MaxPayloadGrams) + " kg"})
	}
	for _, b := range p.D.Containers {
		p.Boxes = append(p.Boxes, Option{Value: strconv.FormatInt(b.ID, 10), Label: b.Number + " (" + b.SizeType + ")"})
	}
	return p, nil
}

func (s *Server) consolidationView(c echo.Context) error {
	id, err := consolidationID(c, "id")
	if err != nil {
		return err
	}
	p, err := s.consolidationPage(c, id)
	if err != nil {
		return err
	}
	p.Container.SizeType = "40HQ"
	return s.render(c, "consolidation_view", p)
}

// consolidationChanged answers a change made from the consolidation page. Success: a plain
// form is redirected to the page with a flash; htmx gets the page at once, with the outcome in
// the work area. An Invalid or Conflict error shows the page again with the error (422 or 409;
// 200 for htmx so it swaps); other errors go to the error handler. keep restores the form.
func (s *Server) consolidationChanged(c echo.Context, id int64, done apperr.Text, err error, keep func(*ConsolidationPage)) error {
	code := apperr.CodeOf(err)
	if err != nil && code != apperr.Invalid && code != apperr.Conflict {
		return err
	}
	c.Response().Header().Add("Vary", "HX-Request")
	if err == nil && !isHTMX(c) {
		return s.redirect(c, "/consolidations/"+strconv.FormatInt(id, 10), done)
	}
	p, lerr := s.consolidationPage(c, id)
	if lerr != nil {
		return lerr
	}
	p.Container.SizeType = "40HQ"
	status := http.StatusOK
	if err == nil {
		p.Notice = done.In(p.Lang)
	} else {
		p.withErrors(err)
		p.Notice, p.NoticeFailed = apperr.As(err).Text.In(p.Lang), true
		if keep != nil {
			keep(&p)
		}
		if !isHTMX(c) {
			status = statusOf(code)
		}
	}
	return s.views.Render(c, status, "consolidation_view", p)
}

func (s *Server) consolidationAllocate(c echo.Context) error {
	id, err := consolidationID(c, "id")
	if err != nil {
		return err
	}
	var req lineIDsRequest
	n := 0
	if err = s.bind(c, &req); err == nil {
		_, n, err = s.svc.AllocateLines(c.Request().Context(), actorOf(c), id, req.LineIDs)
	}
	return s.consolidationChanged(c, id, apperr.Tf("%d line(s) allocated", "已分配 %d 行货物", n), err, nil)
}

func (s *Server) consolidationRemoveLine(c echo.Context) error {
	id, err := consolidationID(c, "id")
	if err != nil {
		return err
	}
	line, err := consolidationID(c, "line")
	if err != nil {
		return err
	}
	_, err = s.svc.RemoveLine(c.Request().Context(), actorOf(c), id, line)
	return s.consolidationChanged(c, id, apperr.T("Line removed from the consolidation", "已从组货单移除该行"), err, nil)
}

func (s *Server) consolidationAddContainer(c echo.Context) error {
	id, err := consolidationID(c, "id")
	if err != nil {
		return err
	}
	var req containerRequest
	if err = s.bind(c, &req); err == nil {
		_, err = s.svc.AddContainer(c.Request().Context(), actorOf(c), id, req.input())
	}
	return s.consolidationChanged(c, id, apperr.T("Container added", "集装箱已添加"), err, func(p *ConsolidationPage) { p.Container = req })
}

func (s *Server) consolidationPack(c echo.Context) error {
	id, err := consolidationID(c, "id")
	if err != nil {
		return err
	}
	var req packingRequest
	if err = s.bind(c, &req); err == nil {
		ctx, actor := c.Request().Context(), actorOf(c)
		switch {
		case req.Rest == "all":
			_, err = s.svc.PackRest(ctx, actor, id, req.ContainerID, 0)
		case req.Rest != "":
			line, perr := strconv.ParseInt(req.Rest, 10, 64)
			if perr != nil || line <= 0 {
				return echo.ErrNotFound
			}
			_, err = s.svc.PackRest(ctx, actor, id, req.ContainerID, line)
		default:
			_, err = s.svc.SetPacking(ctx, actor, id, req.input())
		}
	}
	return s.consolidationChanged(c, id, apperr.T("Packing list saved", "装箱单已保存"), err, func(p *ConsolidationPage) {
		p.PackInto = strconv.FormatInt(req.ContainerID, 10)
	})
}

func (s *Server) consolidationRemoveContainer(c echo.Context) error {
	id, err := consolidationID(c, "id")
	if err != nil {
		return err
	}
	box, err := consolidationID(c, "container")
	if err != nil {
		return err
	}
	_, err = s.svc.RemoveContainer(c.Request().Context(), actorOf(c), id, box)
	return s.consolidationChanged(c, id, apperr.T("Container removed", "集装箱已删除"), err, nil)
}

// ConsolidationContainerPage edits one container.
type ConsolidationContainerPage struct {
	Page
	Consolidation *models.Consolidation
	Box           *models.Container
	Form          containerRequest
	SizeTypes     []Option
}

func (s *Server) consolidationContainerPage(c echo.Context) (ConsolidationContainerPage, error) {
	p := ConsolidationContainerPage{Page: s.page(c)}
	id, err := consolidationID(c, "id")
	if err != nil {
		return p, err
	}
	boxID, err := consolidationID(c, "container")
	if err != nil {
		return p, err
	}
	ctx := c.Request().Context()
	if p.Box, p.Consolidation, err = s.svc.Container(ctx, p.Actor, id, boxID); err != nil {
		return p, err
	}
	types, err := s.svc.ContainerTypes(ctx)
	if err != nil {
		return p, err
	}
	for _, t := range types {
		p.SizeTypes = append(p.SizeTypes, Option{Value: t.Code, Label: t.Code})
	}
	p.Form = containerRequest{Number: p.Box.Number, SizeType: p.Box.SizeType, SealNo: p.Box.SealNo, TareKg: workflow.KgText(p.Box.TareGrams)}
	return p, nil
}

func (s *Server) consolidationEditContainer(c echo.Context) error {
	p, err := s.consolidationContainerPage(c)
	if err != nil {
		return err
	}
	return s.render(c, "consolidation_container", p)
}

func (s *Server) consolidationUpdateContainer(c echo.Context) error {
	p, err := s.consolidationContainerPage(c)
	if err != nil {
		return err
	}
	var req containerRequest
	if err = s.bind(c, &req); err == nil {
		_, err = s.svc.UpdateContainer(c.Request().Context(), p.Actor, p.Consolidation.ID, p.Box.ID, req.input())
	}
	if err != nil {
		if !p.withErrors(err) {
			return err
		}
		p.Form = req
		return s.views.Render(c, http.StatusUnprocessableEntity, "consolidation_container", p)
	}
	return s.redirect(c, "/consolidations/"+strconv.FormatInt(p.Consolidation.ID, 10), apperr.T("Container saved", "集装箱已保存"))
}

// consolidationStateChange is close, reopen or cancel.
type consolidationStateChange int

const (
	consolidationClose consolidationStateChange = iota
	consolidationReopen
	consolidationCancel
)

// apply runs the change.
func (k consolidationStateChange) apply(ctx context.Context, svc *workflow.Service, actor workflow.Actor, id, version int64) (*models.Consolidation, error) {
	switch k {
	case consolidationClose:
		return svc.CloseConsolidation(ctx, actor, id, version)
	case consolidationReopen:
		return svc.ReopenConsolidation(ctx, actor, id, version)
	}
	return svc.CancelConsolidation(ctx, actor, id, version)
}

func (k consolidationStateChange) done() apperr.Text {
	switch k {
	case consolidationClose:
		return apperr.T("Consolidation closed: it is read-only and ready for declarations", "组货单已截单：现为只读，可生成报关单")
	case consolidationReopen:
		return apperr.T("Consolidation reopened", "组货单已重新开启")
	}
	return apperr.T("Consolidation cancelled; its lines are free to file again", "组货单已取消，其货物可重新申报")
}

// consolidationState answers the close, reopen and cancel buttons (the form sends the version).
func (s *Server) consolidationState(k consolidationStateChange) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := consolidationID(c, "id")
		if err != nil {
			return err
		}
		var req versionRequest
		err = s.bind(c, &req)
		if err == nil && req.Version <= 0 {
			err = apperr.Field("version", apperr.T("Send the version of the consolidation you last saw", "请提交您看到的组货单版本号"))
		}
		if err == nil {
			_, err = k.apply(c.Request().Context(), s.svc, actorOf(c), id, req.Version)
		}
		return s.consolidationChanged(c, id, k.done(), err, nil)
	}
}

// ---- Filing by booking code -----------------------------------------------------------------

// ConsolidationFilePage is a merchant filing lines into a booking: the code form and, once the
// code is found, the booking's header and the merchant's lines to tick.
type ConsolidationFilePage struct {
	Page
	ConsolidationFormat
	Typed   string // the booking code as typed (or found)
	Booking *workflow.Booking
	Ticked  map[int64]bool
}

// Checked reports whether a line was ticked in the form shown again.
func (p ConsolidationFilePage) Checked(id int64) bool { return p.Ticked[id] }

type bookingLookupRequest struct {
	Code string `query:"booking_code" validate:"max=40"`
}

// fileFailed shows the filing form again with an error, under the error's status.
func (s *Server) fileFailed(c echo.Context, p ConsolidationFilePage, err error) error {
	code := apperr.CodeOf(err)
	switch code {
	case apperr.Invalid:
		p.withErrors(err)
	case apperr.Forbidden, apperr.Conflict, apperr.NotFound:
		if p.Actor.Anonymous() || !p.Actor.Can(workflow.ActConsolidationFile) {
			return err
		}
		p.Errors = map[string]string{"booking_code": apperr.As(err).Text.In(p.Lang)}
		if p.Booking != nil {
			p.Errors = map[string]string{"_": apperr.As(err).Text.In(p.Lang)}
		}
	default:
		return err
	}
	return s.views.Render(c, statusOf(code), "consolidation_file", p)
}

func (s *Server) consolidationFileForm(c echo.Context) error {
	p := ConsolidationFilePage{Page: s.page(c)}
	p.ConsolidationFormat = s.consolidationFormat(p.Lang)
	var req bookingLookupRequest
	if err := s.bind(c, &req); err != nil {
		return s.fileFailed(c, p, err)
	}
	p.Typed = req.Code
	if req.Code == "" {
		return s.render(c, "consolidation_file", p)
	}
	b, err := s.svc.BookingByCode(c.Request().Context(), p.Actor, req.Code)
	if err != nil {
		return s.fileFailed(c, p, err)
	}
	p.Booking, p.Typed = b, workflow.FormatBookingCode(b.Consolidation.BookingCode)
	return s.render(c, "consolidation_file", p)
}

func (s *Server) consolidationFile(c echo.Context) error {
	p := ConsolidationFilePage{Page: s.page(c), Typed: c.Param("code")}
	p.ConsolidationFormat = s.consolidationFormat(p.Lang)
	ctx := c.Request().Context()
	var req lineIDsRequest
	err := s.bind(c, &req)
	var cons *models.Consolidation
	n := 0
	if err == nil {
		cons, n, err = s.svc.FileLines(ctx, p.Actor, p.Typed, req.LineIDs)
	}
	if err != nil {
		if b, berr := s.svc.BookingByCode(ctx, p.Actor, p.Typed); berr == nil {
			p.Booking, p.Typed = b, workflow.FormatBookingCode(b.Consolidation.BookingCode)
			p.Ticked = map[int64]bool{}
			for _, id := range req.LineIDs {
				p.Ticked[id] = true
			}
		}
		return s.fileFailed(c, p, err)
	}
	return s.redirect(c, "/consolidations/"+strconv.FormatInt(cons.ID, 10), apperr.Tf(
		"%[1]d line(s) filed into booking %[2]s", "已将 %[1]d 行货物申报到组货单 %[2]s", n, workflow.FormatBookingCode(cons.BookingCode)))
}

// ---- Printable packing list -----------------------------------------------------------------

// ConsolidationPackingListPage is the packing list per container, for printing.
type ConsolidationPackingListPage struct {
	Page
	ConsolidationFormat
	D *workflow.ConsolidationDetail
}

func (s *Server) consolidationPackingList(c echo.Context) error {
	id, err := consolidationID(c, "id")
	if err != nil {
		return err
	}
	p := ConsolidationPackingListPage{Page: s.page(c)}
	p.ConsolidationFormat = s.consolidationFormat(p.Lang)
	if p.D, err = s.svc.Consolidation(c.Request().Context(), p.Actor, id); err != nil {
		return err
	}
	return s.render(c, "consolidation_packing_list", p)
}

// LineError is the error of a ticked line.
func (p ConsolidationFilePage) LineError(id int64) string {
	return p.Errors["line."+strconv.FormatInt(id, 10)]
}
