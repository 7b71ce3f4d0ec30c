package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"mpt/workflow"
	"mpt/workflow/apperr"
)

// CustomsInspectionsPage lists the inspections drawn for the officer, with a result form for
// each open one.
type CustomsInspectionsPage struct {
	Page
	DeclarationFormat
	List   *workflow.CustomsInspectionList
	Pager  Pager
	FormID int64                 // the inspection whose form came back with errors
	Kept   customsFindingRequest // its values
}

// LaneName names a lane.
func (p CustomsInspectionsPage) LaneName(lane string) string { return customsLaneLabel(p.Page, lane) }

// ResultName names an inspection result.
func (p CustomsInspectionsPage) ResultName(result string) string {
	return p.T("customs.result." + result)
}

// ItemList writes item numbers as "3, 7".
func (p CustomsInspectionsPage) ItemList(nos []int) string { return customsItemList(nos) }

// FormOf is the form of one inspection: its values and errors when it came back, else empty.
func (p CustomsInspectionsPage) FormOf(id int64) CustomsInspectionForm {
	f := CustomsInspectionForm{ID: id, Errors: map[string]string{}}
	if id == p.FormID {
		f.Result, f.Findings, f.Items, f.Errors = p.Kept.Result, p.Kept.Findings, p.Kept.Items, p.Errors
	}
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	f.Results = []Option{{Value: "", Label: p.T("customs.result.choose")},
		{Value: workflow.CustomsConform, Label: p.T("customs.result.conform"), Selected: f.Result == workflow.CustomsConform},
		{Value: workflow.CustomsDiscrepancy, Label: p.T("customs.result.discrepancy"), Selected: f.Result == workflow.CustomsDiscrepancy}}
	return f
}

// CustomsInspectionForm is the result form of one inspection.
type CustomsInspectionForm struct {
	ID                      int64
	Result, Findings, Items string
	Results                 []Option
	Errors                  map[string]string
}

// customsInspectionsRequest chooses the page of the list.
type customsInspectionsRequest struct {
	Page int `query:"page" validate:"min=0,max=100000"`
}

func (s *Server) inspectionsPage(c echo.Context, page int) (CustomsInspectionsPage, error) {
	p := CustomsInspectionsPage{Page: s.page(c)}
	p.DeclarationFormat = s.declarationFormat(p.Lang)
	list, err := s.svc.MyInspections(c.Request().Context(), p.Actor, page)
	if err != nil {
		return p, err
	}
	p.List = list
	p.Pager = pager(p.Page, "/customs/inspections", url.Values{}, list.Page, list.Pages)
	return p, nil
}

func (s *Server) customsInspections(c echo.Context) error {
	var req customsInspectionsRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	p, err := s.inspectionsPage(c, req.Page)
	if err != nil {
		return err
	}
	return s.render(c, "customs_inspections", p)
}

func (s *Server) customsInspect(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req customsFindingRequest
	err = s.bind(c, &req)
	if err == nil {
		var in workflow.CustomsFindingInput
		if in, err = req.input(); err == nil {
			_, err = s.svc.RecordInspection(c.Request().Context(), actorOf(c), id, in)
		}
	}
	if err != nil {
		code := apperr.CodeOf(err)
		if code != apperr.Invalid && code != apperr.Conflict {
			return err
		}
		p, perr := s.inspectionsPage(c, 1)
		if perr != nil {
			return perr
		}
		p.FormID, p.Kept = id, req
		if code == apperr.Conflict {
			p.Errors = map[string]string{"_": apperr.As(err).Text.In(p.Lang)}
		} else {
			p.withErrors(err)
		}
		status := http.StatusUnprocessableEntity
		if code == apperr.Conflict {
			status = http.StatusConflict
		}
		return s.views.Render(c, status, "customs_inspections", p)
	}
	return s.redirect(c, customsNextOr(req.Next, "/customs/inspections#inspection-"+strconv.FormatInt(id, 10)),
		apperr.T("Inspection result recorded", "查验结果已录入"))
}
