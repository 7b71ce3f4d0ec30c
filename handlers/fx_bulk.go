package handlers

import (
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"mpt/workflow"
	"mpt/workflow/apperr"
)

// The FX desk's APIs for systems on a peak day: many receipts' allocations in one call, and a
// bank statement recorded in one call.
const (
	fxBulkPath      = "/api/v1/fx/allocations/bulk"
	fxStatementPath = "/api/v1/fx/statements"
)

// fxBulkMaxBody bounds a bulk allocation's body: 50,000 items of about 60 bytes of JSON each,
// with room for white space (the API's 16 MB body limit applies too).
const fxBulkMaxBody = 16 << 20

func (s *Server) fxBulkRoutes() {
	s.handle(http.MethodPost, fxBulkPath, workflow.ActFXDesk, s.apiFXBulkAllocate)
	s.handle(http.MethodPost, fxStatementPath, workflow.ActFXDesk, s.apiFXStatement)
}

// apiFXBulkItemRequest is one line a receipt pays: by id or trace code, and the amount.
type apiFXBulkItemRequest struct {
	LineID    int64  `json:"line_id" validate:"min=0"`
	TraceCode string `json:"trace_code" validate:"max=64"`
	Amount    string `json:"amount" validate:"max=40"`
}

// apiFXBulkReceiptRequest is one receipt's allocations.
type apiFXBulkReceiptRequest struct {
	ReceiptID int64                  `json:"receipt_id" validate:"min=0"`
	Version   int64                  `json:"version" validate:"min=0"`
	Items     []apiFXBulkItemRequest `json:"items" validate:"dive"`
}

// apiFXBulkRequest is POST /api/v1/fx/allocations/bulk. The limits of a call are the
// workflow's (MaxFXBulkReceipts, MaxFXBulkItems), checked there with a clear message.
type apiFXBulkRequest struct {
	Allocations []apiFXBulkReceiptRequest `json:"allocations" validate:"dive"`
}

func (r *apiFXBulkRequest) input() []workflow.FXBulkAllocation {
	out := make([]workflow.FXBulkAllocation, len(r.Allocations))
	for i, a := range r.Allocations {
		items := make([]workflow.FXAllocationItem, len(a.Items))
		for j, it := range a.Items {
			items[j] = workflow.FXAllocationItem{LineID: it.LineID, TraceCode: it.TraceCode, Amount: it.Amount}
		}
		out[i] = workflow.FXBulkAllocation{ReceiptID: a.ReceiptID, Version: a.Version, Items: items}
	}
	return out
}

// apiFXBulkReceiptJSON is a receipt as a bulk allocation left it.
type apiFXBulkReceiptJSON struct {
	ReceiptID   int64    `json:"receipt_id"`
	BankRef     string   `json:"bank_ref"`
	Version     int64    `json:"version"`
	Currency    string   `json:"currency"`
	Total       string   `json:"total"` // allocated by this call
	Allocated   string   `json:"allocated"`
	Unallocated string   `json:"unallocated"`
	Lines       int      `json:"lines"`
	Flags       []string `json:"flags"`
}

// apiFXBulkJSON is the answer of a bulk allocation: the receipts in the order sent.
type apiFXBulkJSON struct {
	Allocations []apiFXBulkReceiptJSON `json:"allocations"`
	Lines       int                    `json:"lines"`
}

func toFXBulkJSON(res *workflow.FXBulkResult) apiFXBulkJSON {
	out := apiFXBulkJSON{Allocations: make([]apiFXBulkReceiptJSON, len(res.Receipts)), Lines: res.Lines}
	for i, a := range res.Receipts {
		r := &a.Receipt
		out.Allocations[i] = apiFXBulkReceiptJSON{ReceiptID: r.ID, BankRef: r.BankRef, Version: r.Version, Currency: r.Currency,
			Total: a.Total.String(), Allocated: r.Allocated.String(), Unallocated: (r.Amount - r.Allocated).String(), Lines: len(a.Lines), Flags: workflow.FXFlagList(r.Flags)}
	}
	return out
}

// apiFXBulkAllocate confirms many receipts' allocations at once (workflow.AllocateFXBulk): 200
// with every receipt's new version, allocated money and flags, or a refusal naming each problem
// as allocations[i].items[j].field with nothing allocated. An Idempotency-Key is honoured as by
// the bulk ingest (apiIngest).
func (s *Server) apiFXBulkAllocate(c echo.Context) error {
	var req apiFXBulkRequest
	idem, err := s.readBulk(c, fxBulkMaxBody, &req, apperr.T(
		`The body is not valid JSON for a bulk allocation ({"allocations": [{"receipt_id", "version", "items": [{"line_id", "amount"}]}]}); check the field types`,
		`请求体不是有效的批量分配 JSON（{"allocations": [{"receipt_id", "version", "items": [{"line_id", "amount"}]}]}），请检查字段类型`))
	if err != nil {
		return err
	}
	ans, replayed, err := s.svc.AllocateFXBulkOnce(c.Request().Context(), actorOf(c), req.input(), idem,
		func(res *workflow.FXBulkResult) (workflow.Answer, error) {
			return jsonAnswer(http.StatusOK, toFXBulkJSON(res))
		})
	return sendOnce(c, ans, replayed, err)
}

// apiStatementReceiptJSON is a receipt a statement recorded.
type apiStatementReceiptJSON struct {
	ID      int64  `json:"id"`
	BankRef string `json:"bank_ref"`
}

// apiStatementJSON is the answer of a recorded statement: its receipts in the file's order.
type apiStatementJSON struct {
	StatementRef string                    `json:"statement_ref"`
	Recorded     int                       `json:"recorded"`
	Receipts     []apiStatementReceiptJSON `json:"receipts"`
}

// apiStatementRefusalJSON is the answer of a statement refused for its rows: the API's error
// body, and each problem's row (the line of the file) and column (its header).
type apiStatementRefusalJSON struct {
	apiError
	Rows         int                     `json:"rows"`
	Problems     []apiStatementErrorJSON `json:"problems"`
	ProblemCount int                     `json:"problem_count"` // all of them; at most MaxImportErrors are listed
}

type apiStatementErrorJSON struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

// apiFXStatement records a bank statement (CSV, multipart field "file"), all or nothing, as the
// upload page does (workflow.ImportFXStatement): 201 with each receipt's id and bank reference;
// 422 with the file's problem (field "file") or every row's problem by row and column; 409 when
// some of its receipts were recorded meanwhile.
func (s *Server) apiFXStatement(c echo.Context) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return apperr.Field("file", apperr.T(`Send the statement as a .csv file in the multipart field "file"`, `请以 multipart 字段 "file" 上传 .csv 格式的对账单`))
	}
	f, err := fh.Open()
	if err != nil {
		return apperr.Wrap(err, "open upload")
	}
	data, err := io.ReadAll(io.LimitReader(f, workflow.MaxStatementFileSize+1))
	f.Close()
	if err != nil {
		return apperr.Wrap(err, "read upload")
	}
	res, err := s.svc.ImportFXStatement(c.Request().Context(), actorOf(c), fh.Filename, data)
	switch {
	case err != nil:
		return err
	case !res.Problem.IsZero():
		return apperr.Field("file", res.Problem)
	case !res.OK():
		lang := langOf(c)
		out := apiStatementRefusalJSON{Rows: res.Rows, Problems: make([]apiStatementErrorJSON, len(res.Errors)), ProblemCount: res.ErrorCount}
		out.Error.Code = string(apperr.Invalid)
		out.Error.Message = txnArgs(s.tr.T(lang, "fx.statement.errors"), strconv.Itoa(res.ErrorCount), strconv.Itoa(res.Rows))
		out.Error.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
		for i, e := range res.Errors {
			out.Problems[i] = apiStatementErrorJSON{Row: e.Row, Column: e.Column, Message: e.Text.In(lang)}
		}
		return c.JSON(http.StatusUnprocessableEntity, out)
	}
	out := apiStatementJSON{StatementRef: res.StatementRef, Recorded: res.Recorded, Receipts: make([]apiStatementReceiptJSON, len(res.Receipts))}
	for i, r := range res.Receipts {
		out.Receipts[i] = apiStatementReceiptJSON{ID: r.ID, BankRef: r.BankRef}
	}
	return c.JSON(http.StatusCreated, out)
}
