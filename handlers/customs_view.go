package handlers

import (
	"slices"
	"strconv"
	"strings"

	"mpt/workflow"
)

// The customs section of the declaration page: what the declaration page's template asks about
// customs (lane and reason names, the officer's and the agent's forms, the kept values of a
// customs form that came back with errors).

// CustomsForms are the values of the customs forms on the declaration page, kept when one comes
// back with errors. Form names the form ("customs_exit", …).
type CustomsForms struct {
	Form         string
	Reasons      map[string]bool   // ticked reason codes
	Notes        map[string]string // note per reason code
	Fields       map[string]string // field per reason code
	RequestText  string
	RequestKinds []string
	ExitDate     string
	Result       string
	Findings     string
	Items        string
	Kind         string // of uploaded documents
}

// customsDeclarationPage is the declaration page re-rendered after a customs form failed.
type customsDeclarationPage struct {
	DeclarationPage
	kept CustomsForms
}

// CustomsForm is the customs forms' values: the ones sent when a form came back with errors.
func (p customsDeclarationPage) CustomsForm() CustomsForms { return p.kept }

// CustomsForm is the customs forms' values on a fresh page: the exit date defaults to today.
func (p DeclarationPage) CustomsForm() CustomsForms {
	f := CustomsForms{Kind: workflow.CustomsDocContract}
	if p.D != nil && p.D.Customs != nil {
		f.ExitDate = p.D.Customs.Today
	}
	return f
}

// Customs is what the viewer may do at customs on the declaration.
func (p DeclarationPage) Customs() workflow.CustomsActions { return p.D.CustomsActions(p.Actor) }

// LaneName names a lane.
func (p DeclarationPage) LaneName(lane string) string { return customsLaneLabel(p.Page, lane) }

// ReasonName names a rejection reason code.
func (p DeclarationPage) ReasonName(code string) string {
	r, ok := workflow.RejectReasonOf(code)
	if !ok {
		return code
	}
	return r.Name.In(p.Lang)
}

// DocKindName names a kind of document customs asks for.
func (p DeclarationPage) DocKindName(kind string) string {
	return workflow.CustomsDocKindName(kind).In(p.Lang)
}

// ResultName names an inspection or audit result.
func (p DeclarationPage) ResultName(result string) string { return p.T("customs.result." + result) }

// EventDetail is the detail of timeline entry i in the page's language.
func (p DeclarationPage) EventDetail(i int) string {
	if i < len(p.D.EventTexts) && !p.D.EventTexts[i].IsZero() {
		return p.D.EventTexts[i].In(p.Lang)
	}
	if i < len(p.D.Timeline) {
		return p.D.Timeline[i].Detail
	}
	return ""
}

// ItemList writes item numbers as "3, 7".
func (p DeclarationPage) ItemList(nos []int) string { return customsItemList(nos) }

func customsItemList(nos []int) string {
	parts := make([]string, len(nos))
	for i, n := range nos {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ", ")
}

// CustomsRejectOption is a reason of the rejection form with its field choices and kept values.
type CustomsRejectOption struct {
	Code, Name, Note, Field string
	Fields                  []Option
	Checked                 bool
	NoteError, FieldError   string
}

// RejectOptions are the reasons of the rejection form.
func (p DeclarationPage) RejectOptions(kept CustomsForms) []CustomsRejectOption {
	var out []CustomsRejectOption
	for _, r := range workflow.RejectReasons {
		o := CustomsRejectOption{Code: r.Code, Name: r.Name.In(p.Lang), Note: kept.Notes[r.Code], Field: kept.Fields[r.Code],
			Checked: kept.Reasons[r.Code], NoteError: p.Errors["note_"+r.Code], FieldError: p.Errors["field_"+r.Code]}
		for _, f := range r.Fields {
			o.Fields = append(o.Fields, Option{Value: f, Label: p.FieldName(f), Selected: f == o.Field})
		}
		out = append(out, o)
	}
	return out
}

// DocKindOptions are the kinds of documents, with the chosen ones marked.
func (p DeclarationPage) DocKindOptions(chosen []string) []Option {
	var out []Option
	for _, k := range workflow.CustomsDocKinds {
		out = append(out, Option{Value: k, Label: p.DocKindName(k), Selected: slices.Contains(chosen, k)})
	}
	return out
}

// UploadKindOptions are the kinds of an upload, the chosen one marked.
func (p DeclarationPage) UploadKindOptions(kind string) []Option {
	return p.DocKindOptions([]string{kind})
}

// CanSeeRouting reports whether the viewer may open the routing decision page.
func (p DeclarationPage) CanSeeRouting() bool { return p.Actor.Can(workflow.ActRiskRulesView) }

// ResultOptions are the results of an inspection or audit.
func (p DeclarationPage) ResultOptions() []Option {
	return []Option{{Value: "", Label: p.T("customs.result.choose")},
		{Value: workflow.CustomsConform, Label: p.T("customs.result.conform")},
		{Value: workflow.CustomsDiscrepancy, Label: p.T("customs.result.discrepancy")}}
}

// customsVersion reads a version form value ("" is 0: not checked).
func customsVersion(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	return strconv.ParseInt(v, 10, 64)
}
