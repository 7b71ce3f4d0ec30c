package handlers

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// apiConsolidationSummary is a consolidation in a list.
type apiConsolidationSummary struct {
	ID                 int64      `json:"id"`
	BookingCode        string     `json:"booking_code"`
	AgentID            int64      `json:"agent_id"`
	AgentName          string     `json:"agent_name"`
	DestinationCountry string     `json:"destination_country"`
	DestinationPort    string     `json:"destination_port"`
	TransportMode      string     `json:"transport_mode"`
	TradeTerms         string     `json:"trade_terms"`
	ExitPort           string     `json:"exit_port"`
	StuffingPlace      string     `json:"stuffing_place"`
	Status             string     `json:"status"`
	ClosedAt           *time.Time `json:"closed_at"`
	Version            int64      `json:"version"`
	CreatedAt          time.Time  `json:"created_at"`
	Lines              int64      `json:"lines"`
	Containers         int64      `json:"containers"`
}

func apiConsolidationSummaryOf(c *models.Consolidation, agentName string) apiConsolidationSummary {
	return apiConsolidationSummary{ID: c.ID, BookingCode: c.BookingCode, AgentID: c.AgentID, AgentName: agentName,
		DestinationCountry: c.DestinationCountry, DestinationPort: c.DestinationPort, TransportMode: c.TransportMode,
		TradeTerms: c.TradeTerms, ExitPort: c.ExitPort, StuffingPlace: c.StuffingPlace, Status: c.Status,
		ClosedAt: c.ClosedAt, Version: c.Version, CreatedAt: c.CreatedAt}
}

// apiConsolidationList is one page of consolidations.
type apiConsolidationList struct {
	Consolidations []apiConsolidationSummary `json:"consolidations"`
	Page           int                       `json:"page"`
	PerPage        int                       `json:"per_page"`
	Total          int64                     `json:"total"`
}

// apiConsolidatedLine is a filed line with how much of it is packed.
type apiConsolidatedLine struct {
	LineID            int64  `json:"line_id"`
	TransactionID     int64  `json:"transaction_id"`
	TransactionNumber string `json:"transaction_number"`
	LineNo            int    `json:"line_no"`
	TraceCode         string `json:"trace_code"`
	MerchantID        int64  `json:"merchant_id"`
	MerchantName      string `json:"merchant_name"`
	BuyerID           int64  `json:"buyer_id"`
	BuyerName         string `json:"buyer_name"`
	SKU               string `json:"sku"`
	HSCode            string `json:"hs_code"`
	NameZh            string `json:"name_zh"`
	NameEn            string `json:"name_en"`
	Quantity          string `json:"quantity"`
	Unit              string `json:"unit"`
	Currency          string `json:"currency"`
	Amount            string `json:"amount"`
	Cartons           int64  `json:"cartons"`
	NetKg             string `json:"net_kg"`
	GrossKg           string `json:"gross_kg"`
	PackedCartons     int64  `json:"packed_cartons"`
	PackedNetKg       string `json:"packed_net_kg"`
	PackedGrossKg     string `json:"packed_gross_kg"`
}

// apiPacked is one packing-list row.
type apiPacked struct {
	LineID  int64  `json:"line_id"`
	Cartons int64  `json:"cartons"`
	NetKg   string `json:"net_kg"`
	GrossKg string `json:"gross_kg"`
}

// apiContainer is a container with its packing list.
type apiContainer struct {
	ID            int64       `json:"id"`
	Number        string      `json:"number"`
	SizeType      string      `json:"size_type"`
	SealNo        string      `json:"seal_no"`
	TareKg        string      `json:"tare_kg"`
	MaxPayloadKg  string      `json:"max_payload_kg"`
	PackedCartons int64       `json:"packed_cartons"`
	PackedGrossKg string      `json:"packed_gross_kg"`
	Overweight    bool        `json:"overweight"`
	Packing       []apiPacked `json:"packing"`
}

// apiProblem is a closing problem.
type apiProblem struct {
	Code    string `json:"code"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// apiCurrencyTotal is the value of lines in one currency.
type apiCurrencyTotal struct {
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
}

// apiConsolidation is a consolidation in full, as GET /api/v1/consolidations/:id answers.
type apiConsolidation struct {
	apiConsolidationSummary
	LinesList       []apiConsolidatedLine `json:"line_items"`
	ContainersList  []apiContainer        `json:"container_items"`
	TotalCartons    int64                 `json:"total_cartons"`
	TotalNetKg      string                `json:"total_net_kg"`
	TotalGrossKg    string                `json:"total_gross_kg"`
	Values          []apiCurrencyTotal    `json:"values"`
	ClosingProblems []apiProblem          `json:"closing_problems"`
	HasDeclarations bool                  `json:"has_declarations"`
}

func apiConsolidationOf(d *workflow.ConsolidationDetail, lang string) apiConsolidation {
	out := apiConsolidation{apiConsolidationSummary: apiConsolidationSummaryOf(&d.Consolidation, d.AgentName),
		LinesList: []apiConsolidatedLine{}, ContainersList: []apiContainer{}, Values: []apiCurrencyTotal{}, ClosingProblems: []apiProblem{},
		TotalCartons: d.Totals.Cartons, TotalNetKg: workflow.KgText(d.Totals.NetGrams), TotalGrossKg: workflow.KgText(d.Totals.GrossGrams),
		HasDeclarations: d.HasDeclarations}
	out.Lines, out.Containers = int64(len(d.Lines)), int64(len(d.Containers))
	for _, l := range d.Lines {
		out.LinesList = append(out.LinesList, apiConsolidatedLine{LineID: l.LineID, TransactionID: l.TransactionID,
			TransactionNumber: l.TransactionNumber, LineNo: l.LineNo, TraceCode: l.TraceCode, MerchantID: l.MerchantID,
			MerchantName: l.MerchantName, BuyerID: l.BuyerID, BuyerName: l.BuyerName, SKU: l.SKU, HSCode: l.HSCode,
			NameZh: l.NameZh, NameEn: l.NameEn, Quantity: l.Quantity.String(), Unit: l.Unit, Currency: l.Currency,
			Amount: l.Amount.String(), Cartons: l.Cartons, NetKg: workflow.KgText(l.NetGrams), GrossKg: workflow.KgText(l.GrossGrams),
			PackedCartons: l.Packed.Cartons, PackedNetKg: workflow.KgText(l.Packed.NetGrams), PackedGrossKg: workflow.KgText(l.Packed.GrossGrams)})
	}
	for _, b := range d.Containers {
		ac := apiContainer{ID: b.ID, Number: b.Number, SizeType: b.SizeType, SealNo: b.SealNo, TareKg: workflow.KgText(b.TareGrams),
			MaxPayloadKg: workflow.KgText(b.MaxPayloadGrams), PackedCartons: b.Packed.Cartons, PackedGrossKg: workflow.KgText(b.Packed.GrossGrams),
			Overweight: b.Overweight, Packing: []apiPacked{}}
		for _, r := range b.Rows {
			ac.Packing = append(ac.Packing, apiPacked{LineID: r.Line.LineID, Cartons: r.Cartons, NetKg: workflow.KgText(r.NetGrams), GrossKg: workflow.KgText(r.GrossGrams)})
		}
		out.ContainersList = append(out.ContainersList, ac)
	}
	for _, v := range d.Totals.Values {
		out.Values = append(out.Values, apiCurrencyTotal{Currency: v.Currency, Amount: v.Amount.String()})
	}
	if d.Manager { // only the agent sees what blocks closing: it concerns every merchant's lines
		for _, p := range d.Problems {
			out.ClosingProblems = append(out.ClosingProblems, apiProblem{Code: p.Code, Field: p.Field(), Message: p.Text.In(lang)})
		}
	}
	return out
}

func (s *Server) apiConsolidationList(c echo.Context) error {
	var req consolidationListRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	list, err := s.svc.Consolidations(c.Request().Context(), actorOf(c), workflow.ConsolidationFilter{Status: req.Status, Page: req.Page})
	if err != nil {
		return err
	}
	out := apiConsolidationList{Consolidations: []apiConsolidationSummary{}, Page: list.Page, PerPage: list.PerPage, Total: list.Total}
	for _, it := range list.Items {
		sum := apiConsolidationSummaryOf(&it.Consolidation, it.AgentName)
		sum.Lines, sum.Containers = it.Lines, it.Containers
		out.Consolidations = append(out.Consolidations, sum)
	}
	return c.JSON(http.StatusOK, out)
}

// apiConsolidationAnswer answers with the consolidation in full.
func (s *Server) apiConsolidationAnswer(c echo.Context, status int, id int64) error {
	d, err := s.svc.Consolidation(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(status, apiConsolidationOf(d, langOf(c)))
}

func (s *Server) apiConsolidation(c echo.Context) error {
	id, err := consolidationID(c, "id")
	if err != nil {
		return err
	}
	return s.apiConsolidationAnswer(c, http.StatusOK, id)
}

func (s *Server) apiConsolidationCreate(c echo.Context) error {
	var req consolidationRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	cons, err := s.svc.OpenConsolidation(c.Request().Context(), actorOf(c), req.input())
	if err != nil {
		return err
	}
	return s.apiConsolidationAnswer(c, http.StatusCreated, cons.ID)
}

// apiFileRequest is a merchant filing lines by booking code.
type apiFileRequest struct {
	BookingCode string  `json:"booking_code" validate:"required,max=40"`
	LineIDs     []int64 `json:"line_ids" validate:"max=2000"`
}

// apiFiled answers a filing or an allocation.
type apiFiled struct {
	ConsolidationID int64  `json:"consolidation_id"`
	BookingCode     string `json:"booking_code"`
	Filed           int    `json:"filed"`
	Version         int64  `json:"version"`
}

func (s *Server) apiConsolidationFile(c echo.Context) error {
	var req apiFileRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	cons, n, err := s.svc.FileLines(c.Request().Context(), actorOf(c), req.BookingCode, req.LineIDs)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, apiFiled{ConsolidationID: cons.ID, BookingCode: cons.BookingCode, Filed: n, Version: cons.Version})
}

func (s *Server) apiConsolidationAllocate(c echo.Context) error {
	id, err := consolidationID(c, "id")
	if err != nil {
		return err
	}
	var req lineIDsRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	cons, n, err := s.svc.AllocateLines(c.Request().Context(), actorOf(c), id, req.LineIDs)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, apiFiled{ConsolidationID: cons.ID, BookingCode: cons.BookingCode, Filed: n, Version: cons.Version})
}

func (s *Server) apiConsolidationAddContainer(c echo.Context) error {
	id, err := consolidationID(c, "id")
	if err != nil {
		return err
	}
	var req containerRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	box, err := s.svc.AddContainer(c.Request().Context(), actorOf(c), id, req.input())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, apiContainer{ID: box.ID, Number: box.Number, SizeType: box.SizeType, SealNo: box.SealNo,
		TareKg: workflow.KgText(box.TareGrams), PackedGrossKg: "0", Packing: []apiPacked{}})
}

// apiPackRequest puts lines (or parts of them) into one container: one line with line_id and
// its figures, or many at once with entries (an agent's system packing a whole container in one
// call). Numbers may be JSON numbers or decimal strings; a figure left out is zero.
type apiPackRequest struct {
	ContainerID int64          `json:"container_id" validate:"required,min=1"`
	LineID      int64          `json:"line_id" validate:"min=0"`
	Cartons     json.Number    `json:"cartons"`
	NetKg       json.Number    `json:"net_kg"`
	GrossKg     json.Number    `json:"gross_kg"`
	Entries     []apiPackEntry `json:"entries" validate:"max=5000,dive"`
}

// apiPackEntry is one line's share of a container.
type apiPackEntry struct {
	LineID  int64       `json:"line_id" validate:"required,min=1"`
	Cartons json.Number `json:"cartons"`
	NetKg   json.Number `json:"net_kg"`
	GrossKg json.Number `json:"gross_kg"`
}

func (s *Server) apiConsolidationPack(c echo.Context) error {
	id, err := consolidationID(c, "id")
	if err != nil {
		return err
	}
	var req apiPackRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	zero := func(n json.Number) string {
		if n == "" {
			return "0"
		}
		return n.String()
	}
	if req.LineID > 0 {
		req.Entries = append(req.Entries, apiPackEntry{LineID: req.LineID, Cartons: req.Cartons, NetKg: req.NetKg, GrossKg: req.GrossKg})
	}
	if len(req.Entries) == 0 {
		return apperr.Field("entries", apperr.T("Give line_id with its figures, or entries: a list of lines with their cartons and kilograms",
			"请填写 line_id 及其箱数重量，或 entries：各货物行及其箱数和重量"))
	}
	in := workflow.PackingInput{ContainerID: req.ContainerID}
	for _, e := range req.Entries {
		in.Entries = append(in.Entries, workflow.PackingEntry{LineID: e.LineID, Cartons: zero(e.Cartons), NetKg: zero(e.NetKg), GrossKg: zero(e.GrossKg)})
	}
	if _, err := s.svc.SetPacking(c.Request().Context(), actorOf(c), id, in); err != nil {
		return err
	}
	return s.apiConsolidationAnswer(c, http.StatusOK, id)
}

// apiConsolidationState closes or reopens; the body may carry {"version": n} (checked when > 0).
func (s *Server) apiConsolidationState(k consolidationStateChange) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := consolidationID(c, "id")
		if err != nil {
			return err
		}
		var req versionRequest
		if c.Request().ContentLength != 0 {
			if err := s.bind(c, &req); err != nil {
				return err
			}
		}
		if _, err := k.apply(c.Request().Context(), s.svc, actorOf(c), id, req.Version); err != nil {
			return err
		}
		return s.apiConsolidationAnswer(c, http.StatusOK, id)
	}
}
