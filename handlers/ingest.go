package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"mpt/workflow"
	"mpt/workflow/apperr"
)

// ingestPath is the bulk ingest of transactions (issue 9), for agents' and merchants' systems.
const ingestPath = "/api/v1/transactions/bulk"

// ingestMaxBody bounds a bulk ingest's body: 100,000 lines of about 130 bytes of JSON each, with
// room for white space. isUpload gives this path the uploads' body limit.
const ingestMaxBody = 64 << 20

// apiIngestTxnRequest is one transaction of a bulk ingest: the single create's fields
// (apiTxnRequest) with the workflow's per-transaction line limit.
type apiIngestTxnRequest struct {
	MerchantID int64               `json:"merchant_id" validate:"min=0"`
	BuyerID    int64               `json:"buyer_id" validate:"min=0"`
	TradeDate  string              `json:"trade_date" validate:"max=40"`
	Currency   string              `json:"currency" validate:"max=10"`
	Lines      []apiTxnLineRequest `json:"lines" validate:"max=20000,dive"`
	Submit     bool                `json:"submit"`
}

// apiIngestRequest is POST /api/v1/transactions/bulk.
type apiIngestRequest struct {
	Transactions []apiIngestTxnRequest `json:"transactions" validate:"max=10000,dive"`
}

func (r *apiIngestRequest) input() []workflow.NewTransaction {
	out := make([]workflow.NewTransaction, len(r.Transactions))
	for i, t := range r.Transactions {
		lines := make([]workflow.LineInput, len(t.Lines))
		for j, l := range t.Lines {
			lines[j] = workflow.LineInput{GoodsID: l.GoodsID, SKU: l.SKU, Quantity: string(l.Quantity), Unit: l.Unit,
				UnitPrice: string(l.UnitPrice), Cartons: string(l.Cartons), NetKg: string(l.NetKg), GrossKg: string(l.GrossKg)}
		}
		out[i] = workflow.NewTransaction{TransactionInput: workflow.TransactionInput{MerchantID: t.MerchantID, BuyerID: t.BuyerID,
			TradeDate: t.TradeDate, Currency: t.Currency}, Lines: lines, Submit: t.Submit}
	}
	return out
}

type apiIngestLineJSON struct {
	ID        int64  `json:"id"`
	LineNo    int    `json:"line_no"`
	TraceCode string `json:"trace_code"`
	Amount    string `json:"amount"`
}

type apiIngestTxnJSON struct {
	ID          int64               `json:"id"`
	Number      string              `json:"number"`
	Status      string              `json:"status"`
	TotalAmount string              `json:"total_amount"`
	Version     int64               `json:"version"`
	Lines       []apiIngestLineJSON `json:"lines"`
}

// apiIngestJSON is the answer of a bulk ingest: the transactions and their lines in the order
// sent, with the numbers, ids and trace codes the platform gave them.
type apiIngestJSON struct {
	Transactions []apiIngestTxnJSON `json:"transactions"`
	Lines        int                `json:"lines"`
}

func toIngestJSON(r *workflow.IngestResult) apiIngestJSON {
	out := apiIngestJSON{Transactions: make([]apiIngestTxnJSON, len(r.Transactions)), Lines: r.Lines}
	for i, it := range r.Transactions {
		t := &it.Transaction
		j := apiIngestTxnJSON{ID: t.ID, Number: t.Number, Status: t.Status, TotalAmount: t.TotalAmount.String(), Version: t.Version,
			Lines: make([]apiIngestLineJSON, len(it.Lines))}
		for k, l := range it.Lines {
			j.Lines[k] = apiIngestLineJSON{ID: l.ID, LineNo: l.LineNo, TraceCode: l.TraceCode, Amount: l.Amount.String()}
		}
		out.Transactions[i] = j
	}
	return out
}

// apiIngest registers many sales at once (workflow.IngestTransactions): 201 with every
// transaction's number and every line's trace code, or 422 naming each problem as
// transactions[i].lines[j].field with nothing registered. An Idempotency-Key is honoured as by
// the single create (apiTxnCreate).
func (s *Server) apiIngest(c echo.Context) error {
	var req apiIngestRequest
	idem, err := s.readBulk(c, ingestMaxBody, &req, apperr.T(`The body is not valid JSON for a bulk ingest ({"transactions": [...]}); check the field types`,
		`请求体不是有效的批量登记 JSON（{"transactions": [...]}），请检查字段类型`))
	if err != nil {
		return err
	}
	ans, replayed, err := s.svc.IngestTransactionsOnce(c.Request().Context(), actorOf(c), req.input(), idem,
		func(res *workflow.IngestResult) (workflow.Answer, error) {
			return jsonAnswer(http.StatusCreated, toIngestJSON(res))
		})
	return sendOnce(c, ans, replayed, err)
}
