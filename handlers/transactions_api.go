package handlers

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// txnDecimal is a decimal from JSON, given as a string ("0.0035") or a number (0.0035): its
// text is kept as sent and parsed exactly by the workflow, never through a float.
type txnDecimal string

// UnmarshalJSON keeps the literal text of a number or the content of a string.
func (d *txnDecimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*d = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = txnDecimal(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*d = txnDecimal(n.String())
	}
	return nil
}

// apiTxnLineRequest is a line of an API create. It has no amount or trace code.
type apiTxnLineRequest struct {
	GoodsID   int64      `json:"goods_id" validate:"min=0"`
	SKU       string     `json:"sku" validate:"max=100"`
	Quantity  txnDecimal `json:"quantity" validate:"max=40"`
	Unit      string     `json:"unit" validate:"max=20"`
	UnitPrice txnDecimal `json:"unit_price" validate:"max=40"`
	Cartons   txnDecimal `json:"cartons" validate:"max=40"`
	NetKg     txnDecimal `json:"net_kg" validate:"max=40"`
	GrossKg   txnDecimal `json:"gross_kg" validate:"max=40"`
}

// apiTxnRequest is POST /api/v1/transactions. Fields it does not name (id, number, status,
// amounts, trace codes) are ignored; merchant_id counts only for an agent's token.
type apiTxnRequest struct {
	MerchantID int64               `json:"merchant_id" validate:"min=0"`
	BuyerID    int64               `json:"buyer_id" validate:"min=0"`
	TradeDate  string              `json:"trade_date" validate:"max=40"`
	Currency   string              `json:"currency" validate:"max=10"`
	Lines      []apiTxnLineRequest `json:"lines" validate:"max=1000,dive"`
	Submit     bool                `json:"submit"`
}

func (r apiTxnRequest) input() workflow.NewTransaction {
	in := workflow.NewTransaction{TransactionInput: workflow.TransactionInput{MerchantID: r.MerchantID, BuyerID: r.BuyerID,
		TradeDate: r.TradeDate, Currency: r.Currency}, Submit: r.Submit}
	for _, l := range r.Lines {
		in.Lines = append(in.Lines, workflow.LineInput{GoodsID: l.GoodsID, SKU: l.SKU, Quantity: string(l.Quantity), Unit: l.Unit,
			UnitPrice: string(l.UnitPrice), Cartons: string(l.Cartons), NetKg: string(l.NetKg), GrossKg: string(l.GrossKg)})
	}
	return in
}

// apiVoidRequest voids a transaction; version, when given, must be the current one.
type apiVoidRequest struct {
	Reason  string `json:"reason" validate:"max=2000"`
	Version int64  `json:"version" validate:"min=0"`
}

// apiTxnJSON is a transaction in the API. Amounts are decimal strings (never floats).
type apiTxnJSON struct {
	ID           int64      `json:"id"`
	Number       string     `json:"number"`
	MerchantID   int64      `json:"merchant_id"`
	MerchantName string     `json:"merchant_name,omitempty"`
	BuyerID      int64      `json:"buyer_id"`
	BuyerName    string     `json:"buyer_name,omitempty"`
	AgentID      *int64     `json:"agent_id"`
	TradeDate    string     `json:"trade_date"`
	Currency     string     `json:"currency"`
	Status       string     `json:"status"`
	StatusReason string     `json:"status_reason"`
	TotalAmount  string     `json:"total_amount"`
	LineCount    int        `json:"line_count"`
	TotalCartons int64      `json:"total_cartons"`
	TotalNetKg   string     `json:"total_net_kg"`
	TotalGrossKg string     `json:"total_gross_kg"`
	RegisteredAt *time.Time `json:"registered_at"`
	Version      int64      `json:"version"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

func toTxnJSON(t *models.Transaction) apiTxnJSON {
	return apiTxnJSON{ID: t.ID, Number: t.Number, MerchantID: t.MerchantID, BuyerID: t.BuyerID, AgentID: t.AgentID,
		TradeDate: t.TradeDate, Currency: t.Currency, Status: t.Status, StatusReason: t.StatusReason,
		TotalAmount: t.TotalAmount.String(), LineCount: t.LineCount, TotalCartons: t.TotalCartons,
		TotalNetKg: t.TotalNetGrams.Kg(), TotalGrossKg: t.TotalGrossGrams.Kg(), RegisteredAt: t.RegisteredAt,
		Version: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

type apiTxnLineJSON struct {
	ID        int64  `json:"id"`
	LineNo    int    `json:"line_no"`
	TraceCode string `json:"trace_code"`
	GoodsID   int64  `json:"goods_id"`
	SKU       string `json:"sku"`
	NameZh    string `json:"name_zh"`
	NameEn    string `json:"name_en"`
	HSCode    string `json:"hs_code"`
	Quantity  string `json:"quantity"`
	Unit      string `json:"unit"`
	UnitPrice string `json:"unit_price"`
	Amount    string `json:"amount"`
	Cartons   int64  `json:"cartons"`
	NetKg     string `json:"net_kg"`
	GrossKg   string `json:"gross_kg"`
	Stage     string `json:"stage"`
	Payment   string `json:"payment"`
}

type apiDocumentJSON struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	FileName    string    `json:"file_name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	URL         string    `json:"url"`
	CreatedAt   time.Time `json:"created_at"`
}

type apiTxnDetailJSON struct {
	apiTxnJSON
	Lines     []apiTxnLineJSON  `json:"lines"`
	Documents []apiDocumentJSON `json:"documents"`
	Editable  bool              `json:"editable"`
	Warnings  []string          `json:"warnings"`
}

func toTxnDetailJSON(d *workflow.TransactionDetail, lang string) apiTxnDetailJSON {
	out := apiTxnDetailJSON{apiTxnJSON: toTxnJSON(&d.Transaction), Lines: []apiTxnLineJSON{}, Documents: []apiDocumentJSON{},
		Editable: d.Editable(), Warnings: []string{}}
	out.MerchantName, out.BuyerName = d.MerchantName, d.BuyerName
	for _, l := range d.Lines {
		out.Lines = append(out.Lines, apiTxnLineJSON{ID: l.ID, LineNo: l.LineNo, TraceCode: l.TraceCode, GoodsID: l.GoodsID, SKU: l.SKU,
			NameZh: l.NameZh, NameEn: l.NameEn, HSCode: l.HSCode, Quantity: l.Quantity.String(), Unit: l.Unit,
			UnitPrice: l.UnitPrice.String(), Amount: l.Amount.String(), Cartons: l.Cartons, NetKg: l.NetGrams.Kg(),
			GrossKg: l.GrossGrams.Kg(), Stage: l.Progress.Stage, Payment: l.Progress.Payment})
	}
	for _, doc := range d.Documents {
		out.Documents = append(out.Documents, apiDocumentJSON{ID: doc.ID, Kind: doc.Kind, FileName: doc.FileName,
			ContentType: doc.ContentType, Size: doc.Size, SHA256: doc.SHA256, URL: txnDocumentURL(doc.ID), CreatedAt: doc.CreatedAt})
	}
	for _, w := range d.Warnings {
		out.Warnings = append(out.Warnings, w.In(lang))
	}
	return out
}

type apiTxnListJSON struct {
	Items   []apiTxnJSON `json:"items"`
	Total   int64        `json:"total"`
	Page    int          `json:"page"`
	Pages   int          `json:"pages"`
	PerPage int          `json:"per_page"`
}

func (s *Server) apiTxnList(c echo.Context) error {
	var req txnFilterRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	list, err := s.svc.Transactions(c.Request().Context(), actorOf(c), req.filter())
	if err != nil {
		return err
	}
	out := apiTxnListJSON{Items: []apiTxnJSON{}, Total: list.Total, Page: list.Page, Pages: list.Pages, PerPage: list.PerPage}
	for i := range list.Rows {
		j := toTxnJSON(&list.Rows[i].Transaction)
		j.MerchantName, j.BuyerName = list.Rows[i].MerchantName, list.Rows[i].BuyerName
		out.Items = append(out.Items, j)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiTxn(c echo.Context) error {
	d, err := s.txnDetail(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toTxnDetailJSON(d, langOf(c)))
}

// txnIdempotencyHeader names a create that may be retried (workflow.Idempotency).
const txnIdempotencyHeader = "Idempotency-Key"

// txnMaxAPIBody bounds a create's body (1,000 lines fit easily).
const txnMaxAPIBody = 2 << 20

// apiTxnCreate registers a sale from JSON: 201 with the transaction, its lines and trace codes.
// With an Idempotency-Key, the answer is stored with the create: a retry of the same request
// gets the same status and body (and Idempotent-Replayed: true) and creates nothing; the same key
// with another request is 409.
func (s *Server) apiTxnCreate(c echo.Context) error {
	r := c.Request()
	body, err := io.ReadAll(io.LimitReader(r.Body, txnMaxAPIBody+1))
	if err != nil {
		return apperr.Wrap(err, "read body")
	}
	if len(body) > txnMaxAPIBody {
		return echo.ErrStatusRequestEntityTooLarge
	}
	var req apiTxnRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return apperr.New(apperr.Invalid, apperr.T("The body is not valid JSON for a transaction; check the field types", "请求体不是有效的交易 JSON，请检查字段类型"))
	}
	if err := s.check(&req); err != nil {
		return err
	}
	lang := langOf(c)
	idem := workflow.Idempotency{Key: strings.TrimSpace(r.Header.Get(txnIdempotencyHeader)),
		RequestHash: workflow.RequestHash(r.Method, r.URL.Path, body)}
	ans, replayed, err := s.svc.RegisterTransaction(r.Context(), actorOf(c), req.input(), idem,
		func(d *workflow.TransactionDetail) (workflow.Answer, error) {
			b, err := json.Marshal(toTxnDetailJSON(d, lang))
			return workflow.Answer{Status: http.StatusCreated, Body: b}, err
		})
	if err != nil {
		return err
	}
	var created struct {
		ID int64 `json:"id"`
	}
	if json.Unmarshal(ans.Body, &created) == nil && created.ID > 0 {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/transactions/"+strconv.FormatInt(created.ID, 10))
	}
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return c.JSONBlob(ans.Status, ans.Body)
}

func (s *Server) apiTxnVoid(c echo.Context) error {
	id, err := txnID(c)
	if err != nil {
		return err
	}
	var req apiVoidRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	t, err := s.svc.VoidTransaction(c.Request().Context(), actorOf(c), id, workflow.VoidInput{Reason: req.Reason, Version: req.Version})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toTxnJSON(t))
}
