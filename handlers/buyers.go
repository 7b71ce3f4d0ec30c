package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// buyerRequest is a buyer registration from the form or the API. It has no id, owner or
// version: the workflow takes those from the caller and the database.
type buyerRequest struct {
	Name        string `form:"name" json:"name" validate:"required,max=200"`
	Nationality string `form:"nationality" json:"nationality" validate:"required,max=8"`
	DocType     string `form:"doc_type" json:"doc_type" validate:"omitempty,oneof=passport id_card other"`
	DocNumber   string `form:"doc_number" json:"doc_number" validate:"required,max=60"`
	Phone       string `form:"phone" json:"phone" validate:"max=60"`
	Email       string `form:"email" json:"email" validate:"max=200"`
	Address     string `form:"address" json:"address" validate:"max=300"`
}

func (r buyerRequest) input() workflow.BuyerInput {
	return workflow.BuyerInput{Name: r.Name, Nationality: r.Nationality, DocType: r.DocType, DocNumber: r.DocNumber,
		Phone: r.Phone, Email: r.Email, Address: r.Address}
}

// buyerContactRequest changes a buyer's contact details; Version is the one the form showed.
type buyerContactRequest struct {
	Version int64  `form:"version" json:"version" validate:"required,min=1"`
	Phone   string `form:"phone" json:"phone" validate:"max=60"`
	Email   string `form:"email" json:"email" validate:"max=200"`
	Address string `form:"address" json:"address" validate:"max=300"`
}

// buyerListRequest is the search of the buyer list.
type buyerListRequest struct {
	Q       string `query:"q" validate:"max=100"`
	Country string `query:"country" validate:"max=8"`
	Page    int    `query:"page" validate:"min=0,max=100000"`
}

func (r buyerListRequest) query() workflow.BuyerQuery {
	return workflow.BuyerQuery{Q: r.Q, Country: r.Country, Page: r.Page}
}

// BuyerListPage is the list of the buyers the user may see, with a search form.
type BuyerListPage struct {
	Page
	PartyFormat
	Search    buyerListRequest
	List      *workflow.BuyerList
	Countries []Option
	CanCreate bool
	Pager     Pager
}

func (s *Server) buyerList(c echo.Context) error {
	p := BuyerListPage{Page: s.page(c), List: &workflow.BuyerList{}}
	p.PartyFormat = s.partyFormat(p.Lang)
	p.CanCreate = p.Actor.Can(workflow.ActBuyerCreate)
	status := http.StatusOK
	err := s.bind(c, &p.Search)
	p.Search.Country = strings.ToUpper(strings.TrimSpace(p.Search.Country))
	if err == nil {
		p.List, err = s.svc.Buyers(c.Request().Context(), p.Actor, p.Search.query())
	}
	if err != nil {
		if !p.withErrors(err) {
			return err
		}
		p.List, status = &workflow.BuyerList{}, http.StatusUnprocessableEntity
	}
	p.Countries = s.countryOptions(p.Page, "buyer.any_country")
	p.Pager = pager(p.Page, "/buyers", url.Values{"q": {p.Search.Q}, "country": {p.Search.Country}}, p.List.Page, p.List.Pages())
	return s.views.Render(c, status, "buyer_list", p)
}

// BuyerFormPage registers a buyer.
type BuyerFormPage struct {
	Page
	Form      buyerRequest
	Countries []Option
	DocTypes  []Option
}

func (s *Server) buyerFormPage(c echo.Context, form buyerRequest) BuyerFormPage {
	p := BuyerFormPage{Page: s.page(c), Form: form}
	p.Countries = s.countryOptions(p.Page, "buyer.choose_country")
	for _, t := range workflow.DocTypes {
		p.DocTypes = append(p.DocTypes, Option{Value: t, Label: p.T("buyer.doc_type." + t)})
	}
	return p
}

func (s *Server) buyerNew(c echo.Context) error {
	return s.render(c, "buyer_new", s.buyerFormPage(c, buyerRequest{DocType: workflow.DocPassport}))
}

// buyerCreate registers a buyer, or links the existing one with the same document.
func (s *Server) buyerCreate(c echo.Context) error {
	var req buyerRequest
	err := s.bind(c, &req)
	var reg *workflow.BuyerRegistration
	if err == nil {
		reg, err = s.svc.RegisterBuyer(c.Request().Context(), actorOf(c), req.input())
	}
	if err != nil {
		p := s.buyerFormPage(c, req)
		if p.withErrors(err) {
			return s.views.Render(c, http.StatusUnprocessableEntity, "buyer_new", p)
		}
		return err
	}
	return s.redirect(c, "/buyers/"+strconv.FormatInt(reg.Buyer.ID, 10), reg.Message())
}

// BuyerPage shows one buyer in full (document number included) to a user who may see it.
type BuyerPage struct {
	Page
	PartyFormat
	Detail  *workflow.BuyerDetail
	Officer bool // customs, FX, auditor or admin: sees who lists the buyer and the watch list
}

func (s *Server) buyerView(c echo.Context) error {
	id, err := partyID(c)
	if err != nil {
		return err
	}
	p := BuyerPage{Page: s.page(c)}
	if p.Detail, err = s.svc.Buyer(c.Request().Context(), p.Actor, id); err != nil {
		return err
	}
	p.PartyFormat = s.partyFormat(p.Lang)
	p.Officer = p.Actor.Scope().All
	return s.render(c, "buyer_view", p)
}

// BuyerEditPage changes a buyer's contact details; the identity is shown, not editable.
type BuyerEditPage struct {
	Page
	PartyFormat
	Buyer models.Buyer
	Form  buyerContactRequest
}

// buyerEditPage loads the buyer for its edit form; only its registrar may open it.
func (s *Server) buyerEditPage(c echo.Context) (BuyerEditPage, error) {
	p := BuyerEditPage{Page: s.page(c)}
	id, err := partyID(c)
	if err != nil {
		return p, err
	}
	d, err := s.svc.Buyer(c.Request().Context(), p.Actor, id)
	if err != nil {
		return p, err
	}
	if !d.CanEdit {
		return p, apperr.New(apperr.Forbidden, apperr.T("Only the business that registered this buyer may change its contact details",
			"只有登记该采购商的主体可以修改其联系方式"))
	}
	p.PartyFormat = s.partyFormat(p.Lang)
	p.Buyer = d.Buyer
	p.Form = buyerContactRequest{Version: d.Buyer.Version, Phone: d.Buyer.Phone, Email: d.Buyer.Email, Address: d.Buyer.Address}
	return p, nil
}

func (s *Server) buyerEdit(c echo.Context) error {
	p, err := s.buyerEditPage(c)
	if err != nil {
		return err
	}
	return s.render(c, "buyer_edit", p)
}

func (s *Server) buyerUpdate(c echo.Context) error {
	p, err := s.buyerEditPage(c)
	if err != nil {
		return err
	}
	var req buyerContactRequest
	err = s.bind(c, &req)
	if err == nil {
		_, err = s.svc.UpdateBuyerContact(c.Request().Context(), p.Actor, workflow.BuyerContactInput{ID: p.Buyer.ID,
			Version: req.Version, BuyerContact: workflow.BuyerContact{Phone: req.Phone, Email: req.Email, Address: req.Address}})
	}
	if err != nil {
		if p.withErrors(err) {
			p.Form = req
			return s.views.Render(c, http.StatusUnprocessableEntity, "buyer_edit", p)
		}
		return err
	}
	return s.redirect(c, "/buyers/"+strconv.FormatInt(p.Buyer.ID, 10), apperr.T("Contact details saved", "联系方式已保存"))
}

// apiBuyer is a buyer in full, as GET /api/v1/buyers/:id and POST /api/v1/buyers answer.
type apiBuyer struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Nationality string    `json:"nationality"`
	DocType     string    `json:"doc_type"`
	DocNumber   string    `json:"doc_number"`
	Phone       string    `json:"phone"`
	Email       string    `json:"email"`
	Address     string    `json:"address"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func apiBuyerOf(b *models.Buyer) apiBuyer {
	return apiBuyer{ID: b.ID, Name: b.Name, Nationality: b.Nationality, DocType: b.DocType, DocNumber: b.DocNumber,
		Phone: b.Phone, Email: b.Email, Address: b.Address, Version: b.Version, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
}

// apiBuyerRegistered answers a registration: the buyer, and whether it already existed.
type apiBuyerRegistered struct {
	apiBuyer
	LinkedExisting bool   `json:"linked_existing"`
	Message        string `json:"message"`
}

// apiBuyerSummary is a buyer in a list: its document number masked.
type apiBuyerSummary struct {
	ID              int64     `json:"id"`
	Name            string    `json:"name"`
	Nationality     string    `json:"nationality"`
	DocType         string    `json:"doc_type"`
	DocNumberMasked string    `json:"doc_number_masked"`
	CreatedAt       time.Time `json:"created_at"`
}

// apiBuyerList is one page of buyers.
type apiBuyerList struct {
	Buyers  []apiBuyerSummary `json:"buyers"`
	Page    int               `json:"page"`
	PerPage int               `json:"per_page"`
	Total   int64             `json:"total"`
}

func (s *Server) apiBuyerList(c echo.Context) error {
	var req buyerListRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	list, err := s.svc.Buyers(c.Request().Context(), actorOf(c), req.query())
	if err != nil {
		return err
	}
	out := apiBuyerList{Buyers: []apiBuyerSummary{}, Page: list.Page, PerPage: list.PerPage, Total: list.Total}
	for _, b := range list.Buyers {
		out.Buyers = append(out.Buyers, apiBuyerSummary{ID: b.ID, Name: b.Name, Nationality: b.Nationality,
			DocType: b.DocType, DocNumberMasked: b.DocMasked, CreatedAt: b.CreatedAt})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiBuyerView(c echo.Context) error {
	id, err := partyID(c)
	if err != nil {
		return err
	}
	d, err := s.svc.Buyer(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, apiBuyerOf(&d.Buyer))
}

// apiBuyerCreate answers 201 with a new buyer, or 200 with "linked_existing": true when the
// person was already registered and is now (or was already) in the caller's list.
func (s *Server) apiBuyerCreate(c echo.Context) error {
	var req buyerRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	reg, err := s.svc.RegisterBuyer(c.Request().Context(), actorOf(c), req.input())
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if reg.LinkedExisting() {
		status = http.StatusOK
	}
	return c.JSON(status, apiBuyerRegistered{apiBuyer: apiBuyerOf(&reg.Buyer), LinkedExisting: reg.LinkedExisting(),
		Message: reg.Message().In(langOf(c))})
}
