package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"mpt/workflow"
)

// declarationJSON is a declaration's header in the API. Money has two decimals, kilograms three.
type declarationJSON struct {
	ID              int64      `json:"id"`
	PreEntryNo      string     `json:"pre_entry_no"`
	EntryNo         *string    `json:"entry_no"`
	ConsolidationID int64      `json:"consolidation_id"`
	AgentID         int64      `json:"agent_id"`
	BuyerID         int64      `json:"buyer_id"`
	Seq             int        `json:"seq"`
	Status          string     `json:"status"`
	SupervisionMode string     `json:"supervision_mode"`
	TransportMode   string     `json:"transport_mode"`
	ArrivalCountry  string     `json:"arrival_country"`
	DestinationPort string     `json:"destination_port"`
	ExitPort        string     `json:"exit_port"`
	TradeTerms      string     `json:"trade_terms"`
	Currency        string     `json:"currency"`
	TotalValue      string     `json:"total_value"`
	TotalUSD        string     `json:"total_usd"`
	RateMonth       string     `json:"rate_month"`
	Freight         string     `json:"freight"`
	Insurance       string     `json:"insurance"`
	Packages        int64      `json:"packages"`
	PackageType     string     `json:"package_type"`
	NetKg           string     `json:"net_kg"`
	GrossKg         string     `json:"gross_kg"`
	Marks           string     `json:"marks"`
	Remarks         string     `json:"remarks"`
	Declarant       string     `json:"declarant"`
	SubmittedAt     *time.Time `json:"submitted_at"`
	CancelledAt     *time.Time `json:"cancelled_at"`
	Version         int64      `json:"version"`
	CreatedAt       time.Time  `json:"created_at"`
}

func toDeclarationJSON(r workflow.DeclarationRow) declarationJSON {
	d := r.Declaration
	return declarationJSON{ID: d.ID, PreEntryNo: d.PreEntryNo, EntryNo: d.EntryNo, ConsolidationID: d.ConsolidationID, AgentID: d.AgentID,
		BuyerID: d.BuyerID, Seq: d.Seq, Status: d.Status, SupervisionMode: d.SupervisionMode, TransportMode: d.TransportMode,
		ArrivalCountry: d.ArrivalCountry, DestinationPort: d.DestinationPort, ExitPort: d.ExitPort, TradeTerms: d.TradeTerms,
		Currency: d.Currency, TotalValue: d.TotalValue.String(), TotalUSD: d.TotalUSD.String(), RateMonth: d.RateMonth,
		Freight: d.Freight.String(), Insurance: d.Insurance.String(), Packages: d.Packages, PackageType: d.PackageType,
		NetKg: d.NetGrams.Kg(), GrossKg: d.GrossGrams.Kg(), Marks: d.Marks, Remarks: d.Remarks, Declarant: d.Declarant,
		SubmittedAt: d.SubmittedAt, CancelledAt: d.CancelledAt, Version: d.Version, CreatedAt: d.CreatedAt}
}

type declarationRowJSON struct {
	declarationJSON
	BuyerName   string `json:"buyer_name"`
	BookingCode string `json:"booking_code"`
	Items       int    `json:"items"`
}

type declarationListJSON struct {
	Items   []declarationRowJSON `json:"items"`
	Total   int64                `json:"total"`
	Page    int                  `json:"page"`
	Pages   int                  `json:"pages"`
	PerPage int                  `json:"per_page"`
}

type correspondenceJSON struct {
	LineID       int64  `json:"line_id"`
	TraceCode    string `json:"trace_code,omitempty"`
	MerchantName string `json:"merchant_name,omitempty"`
	Goods        string `json:"goods,omitempty"`
	Quantity     string `json:"quantity,omitempty"`
	Unit         string `json:"unit,omitempty"`
	LegalUnit    string `json:"legal_unit,omitempty"`
	Currency     string `json:"currency,omitempty"`
	Value        string `json:"value,omitempty"`
	ValueUSD     string `json:"value_usd,omitempty"`
	NetKg        string `json:"net_kg,omitempty"`
	GrossKg      string `json:"gross_kg,omitempty"`
	Hidden       bool   `json:"hidden,omitempty"`
}

type itemJSON struct {
	No                 int                  `json:"no"`
	Kind               string               `json:"kind"`
	HSCode             string               `json:"hs_code"`
	Name               string               `json:"name"`
	Spec               string               `json:"spec"`
	LegalQty           string               `json:"legal_qty"`
	LegalUnit          string               `json:"legal_unit"`
	UnitPrice          string               `json:"unit_price"`
	TotalValue         string               `json:"total_value"`
	Currency           string               `json:"currency"`
	TotalUSD           string               `json:"total_usd"`
	NetKg              string               `json:"net_kg"`
	GrossKg            string               `json:"gross_kg"`
	Origin             string               `json:"origin"`
	DestinationCountry string               `json:"destination_country"`
	MixedUnits         bool                 `json:"mixed_units"`
	Lines              []correspondenceJSON `json:"lines"`
}

type findingJSON struct {
	ID             int64      `json:"id"`
	Code           string     `json:"code"`
	Severity       string     `json:"severity"`
	Field          string     `json:"field"`
	Message        string     `json:"message"`
	LineID         *int64     `json:"line_id"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
}

type timelineJSON struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Actor  string    `json:"actor,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

type amendmentJSON struct {
	At      time.Time              `json:"at"`
	Reason  string                 `json:"reason"`
	Signer  workflow.Signer        `json:"signer"`
	Changes []workflow.FieldChange `json:"changes"`
}

type declarationDetailJSON struct {
	declarationJSON
	BuyerName   string          `json:"buyer_name"`
	BookingCode string          `json:"booking_code"`
	Items       []itemJSON      `json:"items"`
	Findings    []findingJSON   `json:"findings"`
	Amendments  []amendmentJSON `json:"amendments"`
	Timeline    []timelineJSON  `json:"timeline"`
}

func toDeclarationDetailJSON(d *workflow.DeclarationDetail, lang string) declarationDetailJSON {
	out := declarationDetailJSON{declarationJSON: toDeclarationJSON(workflow.DeclarationRow{Declaration: d.Declaration}),
		BuyerName: d.Buyer.Name, BookingCode: d.Consolidation.BookingCode, Items: []itemJSON{}, Findings: []findingJSON{},
		Amendments: []amendmentJSON{}, Timeline: []timelineJSON{}}
	for _, it := range d.Items {
		j := itemJSON{No: it.ItemNo, Kind: it.Kind, HSCode: it.HSCode, Name: it.Name, Spec: it.Spec, LegalQty: it.LegalQty.String(),
			LegalUnit: it.LegalUnit, UnitPrice: it.UnitPrice.String(), TotalValue: it.TotalValue.String(), Currency: it.Currency,
			TotalUSD: it.TotalUSD.String(), NetKg: it.NetGrams.Kg(), GrossKg: it.GrossGrams.Kg(), Origin: it.Origin,
			DestinationCountry: it.DestinationCountry, MixedUnits: it.MixedUnits, Lines: []correspondenceJSON{}}
		for _, l := range it.Lines {
			if l.Hidden {
				j.Lines = append(j.Lines, correspondenceJSON{LineID: l.LineID, Hidden: true})
				continue
			}
			j.Lines = append(j.Lines, correspondenceJSON{LineID: l.LineID, TraceCode: l.TraceCode, MerchantName: l.MerchantName,
				Goods: l.GoodsName, Quantity: l.Quantity.String(), Unit: l.Unit, LegalUnit: l.LegalUnit, Currency: l.Currency,
				Value: l.Value.String(), ValueUSD: l.ValueUSD.String(), NetKg: l.NetGrams.Kg(), GrossKg: l.GrossGrams.Kg()})
		}
		out.Items = append(out.Items, j)
	}
	for _, f := range d.Findings {
		out.Findings = append(out.Findings, findingJSON{ID: f.ID, Code: f.Code, Severity: f.Severity, Field: f.Field,
			Message: f.Text().In(lang), LineID: f.TransactionLineID, AcknowledgedAt: f.AcknowledgedAt, AcknowledgedBy: f.AckedBy})
	}
	for _, a := range d.Amendments {
		out.Amendments = append(out.Amendments, amendmentJSON{At: a.At, Reason: a.Reason,
			Signer: workflow.Signer{Name: a.SignerName, Role: a.SignerRole}, Changes: a.Changes})
	}
	for _, e := range d.Timeline {
		out.Timeline = append(out.Timeline, timelineJSON{At: e.At, Kind: e.Kind, Actor: e.ActorName, Detail: e.Detail})
	}
	return out
}

func (s *Server) apiDeclarationList(c echo.Context) error {
	var req declarationListRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	list, err := s.svc.Declarations(c.Request().Context(), actorOf(c), req.filter())
	if err != nil {
		return err
	}
	out := declarationListJSON{Items: []declarationRowJSON{}, Total: list.Total, Page: list.Page, Pages: list.Pages, PerPage: list.PerPage}
	for _, r := range list.Rows {
		out.Items = append(out.Items, declarationRowJSON{declarationJSON: toDeclarationJSON(r), BuyerName: r.BuyerName,
			BookingCode: r.BookingCode, Items: r.Items})
	}
	return c.JSON(http.StatusOK, out)
}

// apiDeclarationDetail answers with the declaration as it now stands.
func (s *Server) apiDeclarationDetail(c echo.Context, status int, id int64) error {
	d, err := s.svc.Declaration(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(status, toDeclarationDetailJSON(d, langOf(c)))
}

func (s *Server) apiDeclaration(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	return s.apiDeclarationDetail(c, http.StatusOK, id)
}

type generatedJSON struct {
	ConsolidationID int64             `json:"consolidation_id"`
	Declarations    []declarationJSON `json:"declarations"`
}

func (s *Server) apiDeclarationGenerate(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	res, err := s.svc.GenerateDeclarations(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	out := generatedJSON{ConsolidationID: id, Declarations: []declarationJSON{}}
	for _, d := range res.Declarations {
		out.Declarations = append(out.Declarations, toDeclarationJSON(workflow.DeclarationRow{Declaration: d}))
	}
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) apiDeclarationAck(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	fid, err := declParam(c, "fid")
	if err != nil {
		return err
	}
	if _, err := s.svc.AcknowledgeFinding(c.Request().Context(), actorOf(c), id, fid); err != nil {
		return err
	}
	return s.apiDeclarationDetail(c, http.StatusOK, id)
}

func (s *Server) apiDeclarationSubmit(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req submitRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if _, err := s.svc.SubmitDeclaration(c.Request().Context(), actorOf(c), id, req.input()); err != nil {
		return err
	}
	return s.apiDeclarationDetail(c, http.StatusOK, id)
}

func (s *Server) apiDeclarationAmend(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req amendRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if _, err := s.svc.AmendDeclaration(c.Request().Context(), actorOf(c), id, req.input()); err != nil {
		return err
	}
	return s.apiDeclarationDetail(c, http.StatusOK, id)
}

func (s *Server) apiDeclarationCancel(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	var req cancelRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if _, err := s.svc.CancelDeclaration(c.Request().Context(), actorOf(c), id, req.input()); err != nil {
		return err
	}
	return s.apiDeclarationDetail(c, http.StatusOK, id)
}
