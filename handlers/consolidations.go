package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// consolidationRoutes registers consolidation (组货装箱): the agent's consolidations with their
// containers and packing list, merchants filing lines by booking code, and their API.
func (s *Server) consolidationRoutes() {
	get, post := http.MethodGet, http.MethodPost
	s.handle(get, "/consolidations", workflow.ActConsolidationList, s.consolidationList)
	s.handle(get, "/consolidations/new", workflow.ActConsolidationManage, s.consolidationNew)
	s.handle(post, "/consolidations", workflow.ActConsolidationManage, s.consolidationCreate)
	s.handle(get, "/consolidations/file", workflow.ActConsolidationFile, s.consolidationFileForm)
	s.handle(post, "/consolidations/file/:code", workflow.ActConsolidationFile, s.consolidationFile)
	s.handle(get, "/consolidations/:id", workflow.ActConsolidationView, s.consolidationView)
	s.handle(get, "/consolidations/:id/packing-list", workflow.ActConsolidationView, s.consolidationPackingList)
	s.handle(get, "/consolidations/:id/edit-header", workflow.ActConsolidationManage, s.consolidationEditHeader)
	s.handle(post, "/consolidations/:id/edit-header", workflow.ActConsolidationManage, s.consolidationUpdateHeader)
	s.handle(post, "/consolidations/:id/lines", workflow.ActConsolidationManage, s.consolidationAllocate)
	s.handle(post, "/consolidations/:id/lines/:line/remove", workflow.ActConsolidationManage, s.consolidationRemoveLine)
	s.handle(post, "/consolidations/:id/containers", workflow.ActConsolidationManage, s.consolidationAddContainer)
	s.handle(get, "/consolidations/:id/containers/:container/edit", workflow.ActConsolidationManage, s.consolidationEditContainer)
	s.handle(post, "/consolidations/:id/containers/:container/edit", workflow.ActConsolidationManage, s.consolidationUpdateContainer)
	s.handle(post, "/consolidations/:id/containers/:container/remove", workflow.ActConsolidationManage, s.consolidationRemoveContainer)
	s.handle(post, "/consolidations/:id/packing", workflow.ActConsolidationManage, s.consolidationPack)
	s.handle(post, "/consolidations/:id/close", workflow.ActConsolidationManage, s.consolidationState(consolidationClose))
	s.handle(post, "/consolidations/:id/reopen", workflow.ActConsolidationManage, s.consolidationState(consolidationReopen))
	s.handle(post, "/consolidations/:id/cancel", workflow.ActConsolidationManage, s.consolidationState(consolidationCancel))

	s.handle(get, "/api/v1/consolidations", workflow.ActConsolidationList, s.apiConsolidationList)
	s.handle(post, "/api/v1/consolidations", workflow.ActConsolidationManage, s.apiConsolidationCreate)
	s.handle(post, "/api/v1/consolidations/file", workflow.ActConsolidationFile, s.apiConsolidationFile)
	s.handle(get, "/api/v1/consolidations/:id", workflow.ActConsolidationView, s.apiConsolidation)
	s.handle(post, "/api/v1/consolidations/:id/lines", workflow.ActConsolidationManage, s.apiConsolidationAllocate)
	s.handle(post, "/api/v1/consolidations/:id/containers", workflow.ActConsolidationManage, s.apiConsolidationAddContainer)
	s.handle(post, "/api/v1/consolidations/:id/packing", workflow.ActConsolidationManage, s.apiConsolidationPack)
	s.handle(post, "/api/v1/consolidations/:id/close", workflow.ActConsolidationManage, s.apiConsolidationState(consolidationClose))
	s.handle(post, "/api/v1/consolidations/:id/reopen", workflow.ActConsolidationManage, s.apiConsolidationState(consolidationReopen))
}

// ---- Requests -------------------------------------------------------------------------------

// consolidationRequest is a consolidation header from the form or the API. It has no id,
// booking code, agent or status: the workflow sets those.
type consolidationRequest struct {
	DestinationCountry string `form:"destination_country" json:"destination_country" validate:"max=8"`
	DestinationPort    string `form:"destination_port" json:"destination_port" validate:"max=200"`
	TransportMode      string `form:"transport_mode" json:"transport_mode" validate:"max=4"`
	TradeTerms         string `form:"trade_terms" json:"trade_terms" validate:"max=8"`
	ExitPort           string `form:"exit_port" json:"exit_port" validate:"max=200"`
	StuffingPlace      string `form:"stuffing_place" json:"stuffing_place" validate:"max=400"`
	Version            int64  `form:"version" json:"version" validate:"min=0"`
}

func (r consolidationRequest) input() workflow.ConsolidationInput {
	return workflow.ConsolidationInput{DestinationCountry: r.DestinationCountry, DestinationPort: r.DestinationPort,
		TransportMode: r.TransportMode, TradeTerms: r.TradeTerms, ExitPort: r.ExitPort, StuffingPlace: r.StuffingPlace, Version: r.Version}
}

func consolidationRequestOf(c *models.Consolidation) consolidationRequest {
	return consolidationRequest{DestinationCountry: c.DestinationCountry, DestinationPort: c.DestinationPort, TransportMode: c.TransportMode,
		TradeTerms: c.TradeTerms, ExitPort: c.ExitPort, StuffingPlace: c.StuffingPlace, Version: c.Version}
}

// consolidationListRequest filters the list.
type consolidationListRequest struct {
	Status string `query:"status" validate:"max=20"`
	Page   int    `query:"page" validate:"min=0,max=100000"`
}

// lineIDsRequest is a set of ticked lines (filing, allocating).
type lineIDsRequest struct {
	LineIDs []int64 `form:"line_ids" json:"line_ids" validate:"max=2000"`
}

// containerRequest is a container from the form or the API.
type containerRequest struct {
	Number   string `form:"number" json:"number" validate:"max=40"`
	SizeType string `form:"size_type" json:"size_type" validate:"max=10"`
	SealNo   string `form:"seal_no" json:"seal_no" validate:"max=60"`
	TareKg   string `form:"tare_kg" json:"tare_kg" validate:"max=20"`
}

func (r containerRequest) input() workflow.ContainerInput {
	return workflow.ContainerInput{Number: r.Number, SizeType: r.SizeType, SealNo: r.SealNo, TareKg: r.TareKg}
}

// packingRequest is the packing form: one container, and for each line (parallel lists) the
// cartons and kilograms it holds. Rest (a line id, or "all") packs what is left instead.
type packingRequest struct {
	ContainerID int64    `form:"container_id" validate:"min=0"`
	LineID      []int64  `form:"line_id" validate:"max=2000"`
	Cartons     []string `form:"cartons" validate:"max=2000,dive,max=20"`
	NetKg       []string `form:"net_kg" validate:"max=2000,dive,max=20"`
	GrossKg     []string `form:"gross_kg" validate:"max=2000,dive,max=20"`
	Rest        string   `form:"rest" validate:"max=20"`
}

func (r packingRequest) input() workflow.PackingInput {
	in := workflow.PackingInput{ContainerID: r.ContainerID}
	at := func(xs []string, i int) string {
		if i < len(xs) {
			return xs[i]
		}
		return ""
	}
	for i, id := range r.LineID {
		in.Entries = append(in.Entries, workflow.PackingEntry{LineID: id, Cartons: at(r.Cartons, i), NetKg: at(r.NetKg, i), GrossKg: at(r.GrossKg, i)})
	}
	return in
}

// versionRequest carries the version the user saw (close, reopen, cancel).
type versionRequest struct {
	Version int64 `form:"version" json:"version" validate:"min=0"`
}

// consolidationID reads the :id parameter.
func consolidationID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// ---- Formatting -----------------------------------------------------------------------------

// ConsolidationFormat formats the consolidation pages' figures and codes in the page language.
type ConsolidationFormat struct {
	lang      string
	countries map[string]string
}

func (s *Server) consolidationFormat(lang string) ConsolidationFormat {
	return ConsolidationFormat{lang: lang, countries: s.partyFormat(lang).countries}
}

// Kg writes grams as kilograms ("10.4").
func (f ConsolidationFormat) Kg(g models.Grams) string { return workflow.KgText(g) }

// Money writes an amount with two decimals.
func (f ConsolidationFormat) Money(m models.Money) string { return m.String() }

// Qty writes a quantity without trailing zeros.
func (f ConsolidationFormat) Qty(q models.Quantity) string {
	s := q.String()
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Code writes a booking code in two groups ("7KQ2-M9XD").
func (f ConsolidationFormat) Code(code string) string { return workflow.FormatBookingCode(code) }

// Status names a consolidation status.
func (f ConsolidationFormat) Status(st string) string {
	return workflow.ConsolidationStatusText(st).In(f.lang)
}

// Mode names a transport mode.
func (f ConsolidationFormat) Mode(code string) string {
	return code + " " + workflow.TransportModeText(code).In(f.lang)
}

// Country names a country.
func (f ConsolidationFormat) Country(code string) string {
	if n, ok := f.countries[code]; ok {
		return n + " (" + code + ")"
	}
	return code
}

// TypeName is a container type's name in the page language.
func (f ConsolidationFormat) TypeName(v workflow.ContainerView) string {
	if f.lang == "zh-CN" {
		return v.TypeNameZh
	}
	return v.TypeNameEn
}

// GoodsName is a line's goods name in the page language.
func (f ConsolidationFormat) GoodsName(zh, en string) string {
	if f.lang == "zh-CN" || en == "" {
		return zh
	}
	return en
}

// ---- List, open, header ---------------------------------------------------------------------

// ConsolidationListPage lists the consolidations the user may see.
type ConsolidationListPage struct {
	Page
	ConsolidationFormat
	Search   consolidationListRequest
	List     *workflow.ConsolidationList
	Statuses []Option
	CanOpen  bool
	CanFile  bool
	Pager    Pager
}

func (s *Server) consolidationList(c echo.Context) error {
	p := ConsolidationListPage{Page: s.page(c), List: &workflow.ConsolidationList{}}
	p.ConsolidationFormat = s.consolidationFormat(p.Lang)
	p.CanOpen, p.CanFile = p.Actor.Can(workflow.ActConsolidationManage), p.Actor.Can(workflow.ActConsolidationFile)
	status := http.StatusOK
	err := s.bind(c, &p.Search)
	if err == nil {
		p.List, err = s.svc.Consolidations(c.Request().Context(), p.Actor, workflow.ConsolidationFilter{Status: p.Search.Status, Page: p.Search.Page})
	}
	if err != nil {
		if !p.withErrors(err) {
			return err
		}
		p.List, status = &workflow.ConsolidationList{}, http.StatusUnprocessableEntity
	}
	p.Statuses = []Option{{Value: "", Label: p.T("consolidation.any_status")}}
	for _, st := range workflow.ConsolidationStatuses {
		p.Statuses = append(p.Statuses, Option{Value: st, Label: p.Status(st)})
	}
	p.Pager = pager(p.Page, "/consolidations", url.Values{"status": {p.Search.Status}}, p.List.Page, p.List.Pages())
	return s.views.Render(c, status, "consolidation_list", p)
}

// ConsolidationFormPage opens a consolidation or edits its header.
type ConsolidationFormPage struct {
	Page
	ConsolidationFormat
	Form       consolidationRequest
	Edit       *models.Consolidation // nil when opening
	Countries  []Option
	Modes      []Option
	TradeTerms []Option
}

func (s *Server) consolidationFormPage(c echo.Context, form consolidationRequest, edit *models.Consolidation) ConsolidationFormPage {
	p := ConsolidationFormPage{Page: s.page(c), Form: form, Edit: edit}
	p.ConsolidationFormat = s.consolidationFormat(p.Lang)
	p.Countries = s.countryOptions(p.Page, "consolidation.choose_country")
	p.Modes = []Option{{Value: "", Label: p.T("consolidation.choose_mode")}}
	for _, m := range workflow.TransportModes {
		p.Modes = append(p.Modes, Option{Value: m, Label: p.Mode(m)})
	}
	p.TradeTerms = []Option{{Value: "", Label: p.T("consolidation.choose_terms")}}
	for _, t := range workflow.TradeTerms {
		p.TradeTerms = append(p.TradeTerms, Option{Value: t, Label: t})
	}
	return p
}

func (s *Server) consolidationNew(c echo.Context) error {
	return s.render(c, "consolidation_form", s.consolidationFormPage(c, consolidationRequest{TransportMode: "2", TradeTerms: "FOB"}, nil))
}

func (s *Server) consolidationCreate(c echo.Context) error {
	var req consolidationRequest
	err := s.bind(c, &req)
	var cons *models.Consolidation
	if err == nil {
		cons, err = s.svc.OpenConsolidation(c.Request().Context(), actorOf(c), req.input())
	}
	if err != nil {
		p := s.consolidationFormPage(c, req, nil)
		if p.withErrors(err) {
			return s.views.Render(c, http.StatusUnprocessableEntity, "consolidation_form", p)
		}
		return err
	}
	return s.redirect(c, "/consolidations/"+strconv.FormatInt(cons.ID, 10), apperr.Tf(
		"Consolidation opened. Its booking code is %s: give it to the merchants who ship with it.",
		"组货单已开立，组货编号为 %s，请告知随本批出货的经营户。", workflow.FormatBookingCode(cons.BookingCode)))
}

func (s *Server) consolidationEditHeader(c echo.Context) error {
	id, err := consolidationID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.svc.Consolidation(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	if !d.Manager {
		return echo.ErrNotFound
	}
	return s.render(c, "consolidation_form", s.consolidationFormPage(c, consolidationRequestOf(&d.Consolidation), &d.Consolidation))
}

func (s *Server) consolidationUpdateHeader(c echo.Context) error {
	id, err := consolidationID(c, "id")
	if err != nil {
		return err
	}
	var req consolidationRequest
	err = s.bind(c, &req)
	if err == nil && req.Version <= 0 {
		err = apperr.Field("version", apperr.T("Send the version of the consolidation you last saw", "请提交您看到的组货单版本号"))
	}
	if err == nil {
		_, err = s.svc.UpdateConsolidationHeader(c.Request().Context(), actorOf(c), id, req.input())
	}
	if err != nil {
		if apperr.CodeOf(err) != apperr.Invalid {
			return err
		}
		d, lerr := s.svc.Consolidation(c.Request().Context(), actorOf(c), id)
		if lerr != nil {
			return lerr
		}
		p := s.consolidationFormPage(c, req, &d.Consolidation)
		p.withErrors(err)
		return s.views.Render(c, http.StatusUnprocessableEntity, "consolidation_form", p)
	}
	return s.redirect(c, "/consolidations/"+strconv.FormatInt(id, 10), apperr.T("Header saved", "表头已保存"))
}
