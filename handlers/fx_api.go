package handlers

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// fxReceiptJSON is a receipt in the API. Money has two decimals, as text.
type fxReceiptJSON struct {
	ID              int64     `json:"id"`
	BankRef         string    `json:"bank_ref"`
	Payer           string    `json:"payer"`
	PayerCountry    string    `json:"payer_country"`
	Currency        string    `json:"currency"`
	Amount          string    `json:"amount"`
	Allocated       string    `json:"allocated"`
	Unallocated     string    `json:"unallocated"`
	ValueDate       string    `json:"value_date"`
	BeneficiaryKind string    `json:"beneficiary_kind"`
	BeneficiaryID   int64     `json:"beneficiary_id"`
	BeneficiaryUSCC string    `json:"beneficiary_uscc"`
	BeneficiaryName string    `json:"beneficiary_name"`
	Flags           []string  `json:"flags"`
	StatementRef    string    `json:"statement_ref,omitempty"`
	Version         int64     `json:"version"`
	CreatedAt       time.Time `json:"created_at"`
	Mine            string    `json:"allocated_to_your_lines,omitempty"`
}

func toFXReceiptJSON(r models.FXReceipt, b workflow.FXBeneficiary, flags []string) fxReceiptJSON {
	if flags == nil {
		flags = []string{}
	}
	return fxReceiptJSON{ID: r.ID, BankRef: r.BankRef, Payer: r.PayerName, PayerCountry: r.PayerCountry, Currency: r.Currency,
		Amount: r.Amount.String(), Allocated: r.Allocated.String(), Unallocated: (r.Amount - r.Allocated).String(), ValueDate: r.ValueDate,
		BeneficiaryKind: b.Kind, BeneficiaryID: b.ID, BeneficiaryUSCC: b.USCC, BeneficiaryName: b.Name, Flags: flags,
		StatementRef: r.StatementRef, Version: r.Version, CreatedAt: r.CreatedAt}
}

type fxAllocationJSON struct {
	ID            int64     `json:"id"`
	LineID        int64     `json:"line_id"`
	TraceCode     string    `json:"trace_code"`
	TransactionID int64     `json:"transaction_id"`
	Transaction   string    `json:"transaction_number"`
	MerchantID    int64     `json:"merchant_id"`
	Buyer         string    `json:"buyer_name"`
	Amount        string    `json:"amount"`
	PayerMismatch bool      `json:"payer_mismatch"`
	BeforeExport  bool      `json:"before_export"`
	ConfirmedBy   string    `json:"confirmed_by,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

type fxReceiptDetailJSON struct {
	fxReceiptJSON
	Own         bool               `json:"own"`
	Allocations []fxAllocationJSON `json:"allocations"`
	Hidden      int                `json:"allocations_to_other_parties,omitempty"`
}

func toFXReceiptDetailJSON(d *workflow.FXReceiptDetail) fxReceiptDetailJSON {
	out := fxReceiptDetailJSON{fxReceiptJSON: toFXReceiptJSON(d.Receipt, d.Beneficiary, d.Flags), Own: d.Own,
		Allocations: []fxAllocationJSON{}, Hidden: d.Hidden}
	for _, a := range d.Allocations {
		out.Allocations = append(out.Allocations, fxAllocationJSON{ID: a.ID, LineID: a.TransactionLineID, TraceCode: a.TraceCode,
			TransactionID: a.TransactionID, Transaction: a.TransactionNumber, MerchantID: a.MerchantID, Buyer: a.BuyerName,
			Amount: a.Amount.String(), PayerMismatch: a.PayerMismatch, BeforeExport: a.BeforeExport, ConfirmedBy: a.ConfirmedBy,
			CreatedAt: a.CreatedAt})
	}
	return out
}

type fxReceiptListJSON struct {
	Items   []fxReceiptJSON `json:"items"`
	Total   int64           `json:"total"`
	Page    int             `json:"page"`
	Pages   int             `json:"pages"`
	PerPage int             `json:"per_page"`
}

func (s *Server) apiFXReceipts(c echo.Context) error {
	var req fxListRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	list, err := s.svc.FXReceipts(c.Request().Context(), actorOf(c), req.filter())
	if err != nil {
		return err
	}
	out := fxReceiptListJSON{Items: []fxReceiptJSON{}, Total: list.Total, Page: list.Page, Pages: list.Pages, PerPage: list.PerPage}
	for _, r := range list.Rows {
		j := toFXReceiptJSON(r.FXReceipt, r.Beneficiary, r.FlagList)
		if !r.Own {
			j.Mine = r.Mine.String()
		}
		out.Items = append(out.Items, j)
	}
	return c.JSON(http.StatusOK, out)
}

// apiFXDetail answers with a receipt as it now stands.
func (s *Server) apiFXDetail(c echo.Context, status int, id int64) error {
	d, err := s.svc.FXReceipt(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(status, toFXReceiptDetailJSON(d))
}

func (s *Server) apiFXReceipt(c echo.Context) error {
	id, err := fxParam(c, "id")
	if err != nil {
		return err
	}
	return s.apiFXDetail(c, http.StatusOK, id)
}

func (s *Server) apiFXRecord(c echo.Context) error {
	var req fxReceiptRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	r, err := s.svc.RecordFXReceipt(c.Request().Context(), actorOf(c), req.input())
	if err != nil {
		return err
	}
	return s.apiFXDetail(c, http.StatusCreated, r.ID)
}

type fxSuggestionJSON struct {
	LineID        int64  `json:"line_id"`
	TraceCode     string `json:"trace_code"`
	TransactionID int64  `json:"transaction_id"`
	Transaction   string `json:"transaction_number"`
	TradeDate     string `json:"trade_date"`
	MerchantID    int64  `json:"merchant_id"`
	Merchant      string `json:"merchant_name"`
	Buyer         string `json:"buyer_name"`
	Goods         string `json:"goods"`
	Currency      string `json:"currency"`
	Amount        string `json:"amount"`
	Allocated     string `json:"allocated"`
	Remaining     string `json:"remaining"`
	ExitDate      string `json:"exit_date,omitempty"`
	BuyerMatch    bool   `json:"buyer_match"`
	Exact         bool   `json:"exact_remaining"`
	BeforeExport  bool   `json:"before_export"`
	Prefill       string `json:"suggested_amount"`
}

type fxSuggestionsJSON struct {
	Receipt     fxReceiptJSON      `json:"receipt"`
	Suggestions []fxSuggestionJSON `json:"suggestions"`
}

func (s *Server) apiFXSuggestions(c echo.Context) error {
	id, err := fxParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	set, err := s.svc.FXSuggestions(ctx, actorOf(c), id)
	if err != nil {
		return err
	}
	d, err := s.svc.FXReceipt(ctx, actorOf(c), id)
	if err != nil {
		return err
	}
	out := fxSuggestionsJSON{Receipt: toFXReceiptJSON(d.Receipt, d.Beneficiary, d.Flags), Suggestions: []fxSuggestionJSON{}}
	for _, sg := range set.Suggestions {
		out.Suggestions = append(out.Suggestions, fxSuggestionJSON{LineID: sg.LineID, TraceCode: sg.TraceCode, TransactionID: sg.TransactionID,
			Transaction: sg.TransactionNumber, TradeDate: sg.TradeDate, MerchantID: sg.MerchantID, Merchant: sg.MerchantName,
			Buyer: sg.BuyerName, Goods: sg.Goods, Currency: sg.Currency, Amount: sg.Amount.String(), Allocated: sg.Allocated.String(),
			Remaining: sg.Remaining().String(), ExitDate: sg.ExitDate, BuyerMatch: sg.BuyerMatch, Exact: sg.Exact,
			BeforeExport: sg.BeforeExport, Prefill: sg.Prefill.String()})
	}
	return c.JSON(http.StatusOK, out)
}

// fxAllocationJSONItem is one line to pay in an allocation request.
type fxAllocationJSONItem struct {
	LineID    int64  `json:"line_id"`
	TraceCode string `json:"trace_code"`
	Amount    string `json:"amount"`
}

// fxAllocateJSON is an allocation request: {"version": 3, "allocations": [...]}, or the list alone.
type fxAllocateJSON struct {
	Version     int64                  `json:"version"`
	Allocations []fxAllocationJSONItem `json:"allocations"`
}

// readFXAllocations reads an allocation request body (at most 1 MB).
func readFXAllocations(c echo.Context) (workflow.FXAllocateInput, error) {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 1<<20))
	bad := apperr.New(apperr.Invalid, apperr.T(`Send a JSON list of {"line_id" or "trace_code", "amount"}, or {"version", "allocations": [...]}`,
		`请发送 JSON 列表 {"line_id" 或 "trace_code", "amount"}，或 {"version", "allocations": [...]}`))
	if err != nil {
		return workflow.FXAllocateInput{}, bad
	}
	var req fxAllocateJSON
	body = bytes.TrimSpace(body)
	if bytes.HasPrefix(body, []byte("[")) {
		err = json.Unmarshal(body, &req.Allocations)
	} else {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		return workflow.FXAllocateInput{}, bad
	}
	in := workflow.FXAllocateInput{Version: req.Version}
	for _, a := range req.Allocations {
		in.Items = append(in.Items, workflow.FXAllocationItem{LineID: a.LineID, TraceCode: a.TraceCode, Amount: a.Amount})
	}
	return in, nil
}

func (s *Server) apiFXAllocate(c echo.Context) error {
	id, err := fxParam(c, "id")
	if err != nil {
		return err
	}
	in, err := readFXAllocations(c)
	if err != nil {
		return err
	}
	if _, err := s.svc.AllocateFXReceipt(c.Request().Context(), actorOf(c), id, in); err != nil {
		return err
	}
	return s.apiFXDetail(c, http.StatusOK, id)
}

func (s *Server) apiFXReverse(c echo.Context) error {
	id, err := fxParam(c, "id")
	if err != nil {
		return err
	}
	aid, err := fxParam(c, "aid")
	if err != nil {
		return err
	}
	var req fxReverseRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if _, err := s.svc.ReverseFXAllocation(c.Request().Context(), actorOf(c), id, aid, workflow.FXReverseInput{Version: req.Version, Reason: req.Reason}); err != nil {
		return err
	}
	return s.apiFXDetail(c, http.StatusOK, id)
}

type fxBalanceJSON struct {
	Kind        string `json:"kind"`
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Code        string `json:"code"`
	Currency    string `json:"currency"`
	Exported    string `json:"exported,omitempty"`
	Received    string `json:"received,omitempty"`
	Outstanding string `json:"outstanding,omitempty"`
	Unallocated string `json:"unallocated,omitempty"`
	Overdue     string `json:"unallocated_overdue,omitempty"`
}

type fxBalanceListJSON struct {
	By      string          `json:"by"`
	Items   []fxBalanceJSON `json:"items"`
	Total   int64           `json:"total"`
	Page    int             `json:"page"`
	Pages   int             `json:"pages"`
	PerPage int             `json:"per_page"`
}

func (s *Server) apiFXBalances(c echo.Context) error {
	var req fxBalanceRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	list, err := s.svc.FXBalances(c.Request().Context(), actorOf(c), req.filter())
	if err != nil {
		return err
	}
	out := fxBalanceListJSON{By: list.By, Items: []fxBalanceJSON{}, Total: list.Total, Page: list.Page, Pages: list.Pages, PerPage: list.PerPage}
	for _, r := range list.Rows {
		j := fxBalanceJSON{Kind: r.Kind, ID: r.ID, Name: r.Name, Code: r.Code, Currency: r.Currency}
		if list.By == workflow.FXByBeneficiary {
			j.Unallocated, j.Overdue = r.Unallocated.String(), r.Overdue.String()
		} else {
			j.Exported, j.Received, j.Outstanding = r.Exported.String(), r.Received.String(), r.Outstanding.String()
		}
		out.Items = append(out.Items, j)
	}
	return c.JSON(http.StatusOK, out)
}
