package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"mpt/models"
	"mpt/workflow"
)

// httpMarket drives the day through /api/v1 of a running server with each party's bearer
// token, as agents' and merchants' systems would.
type httpMarket struct {
	base   string // e.g. http://127.0.0.1:8080
	client *http.Client
}

// call sends a JSON request and decodes a 2xx answer into out (when not nil).
func (h httpMarket) call(ctx context.Context, p party, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.base+"/api/v1"+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return h.send(p, req, out)
}

// send sends a request as the party and decodes a 2xx answer into out (when not nil).
func (h httpMarket) send(p party, req *http.Request, out any) error {
	req.Header.Set("Authorization", "Bearer "+p.Token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Language", "en")
	res, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 2000))
		return &httpError{Status: res.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	if out == nil {
		_, err = io.Copy(io.Discard, res.Body)
		return err
	}
	return json.NewDecoder(res.Body).Decode(out)
}

type idJSON struct {
	ID      int64  `json:"id"`
	Version int64  `json:"version"`
	Status  string `json:"status"`
}

func (h httpMarket) ApproveMerchant(ctx context.Context, sup party, id, version int64) error {
	return h.call(ctx, sup, http.MethodPost, fmt.Sprintf("/merchants/%d/approve", id), map[string]any{"version": version}, nil)
}

func (h httpMarket) RegisterAgent(ctx context.Context, admin party, in workflow.AgentRegistration) (int64, error) {
	var out struct {
		Agent idJSON `json:"agent"`
	}
	err := h.call(ctx, admin, http.MethodPost, "/agents", map[string]any{"uscc": in.USCC, "customs_code": in.CustomsCode,
		"commerce_reg_no": in.CommerceRegNo, "name": in.Name, "name_en": in.NameEn, "address": in.Address, "contact": in.Contact,
		"phone": in.Phone, "username": in.Username, "display_name": in.DisplayName, "password": in.Password,
		"password_confirm": in.PasswordConfirm}, &out)
	return out.Agent.ID, err
}

func (h httpMarket) RegisterBuyer(ctx context.Context, m party, in workflow.BuyerInput) (int64, error) {
	var out idJSON
	err := h.call(ctx, m, http.MethodPost, "/buyers", map[string]any{"name": in.Name, "nationality": in.Nationality,
		"doc_type": in.DocType, "doc_number": in.DocNumber, "phone": in.Phone}, &out)
	return out.ID, err
}

func (h httpMarket) Entrust(ctx context.Context, m party, in workflow.EntrustmentInput) error {
	return h.call(ctx, m, http.MethodPost, "/entrustments", map[string]any{"agent_id": in.AgentID, "agreement_no": in.AgreementNo,
		"starts_on": in.StartsOn}, nil)
}

func (h httpMarket) CreateGoods(ctx context.Context, m party, in workflow.GoodsInput) (int64, error) {
	var out idJSON
	err := h.call(ctx, m, http.MethodPost, "/goods", map[string]any{"sku": in.SKU, "name_zh": in.NameZh, "name_en": in.NameEn,
		"hs_code": in.HSCode, "spec": in.Spec, "producer": in.Producer, "legal_unit": in.LegalUnit,
		"transaction_unit": in.TransactionUnit}, &out)
	return out.ID, err
}

// txnLineJSON is one line of POST /api/v1/transactions, in and out.
type txnLineJSON struct {
	ID        int64  `json:"id,omitempty"`
	GoodsID   int64  `json:"goods_id"`
	Quantity  string `json:"quantity"`
	Unit      string `json:"unit"`
	UnitPrice string `json:"unit_price"`
	Amount    string `json:"amount,omitempty"`
	Cartons   any    `json:"cartons"`
	NetKg     string `json:"net_kg"`
	GrossKg   string `json:"gross_kg"`
}

func (h httpMarket) RegisterTransaction(ctx context.Context, m party, in workflow.NewTransaction) ([]lineRef, error) {
	body := map[string]any{"merchant_id": in.MerchantID, "buyer_id": in.BuyerID, "trade_date": in.TradeDate,
		"currency": in.Currency, "submit": in.Submit}
	lines := make([]txnLineJSON, len(in.Lines))
	for i, l := range in.Lines {
		lines[i] = txnLineJSON{GoodsID: l.GoodsID, Quantity: l.Quantity, Unit: l.Unit, UnitPrice: l.UnitPrice, Cartons: l.Cartons,
			NetKg: l.NetKg, GrossKg: l.GrossKg}
	}
	body["lines"] = lines
	var out struct {
		Lines []struct {
			ID        int64  `json:"id"`
			TraceCode string `json:"trace_code"`
			Amount    string `json:"amount"`
			Cartons   int64  `json:"cartons"`
			NetKg     string `json:"net_kg"`
			GrossKg   string `json:"gross_kg"`
		} `json:"lines"`
	}
	if err := h.call(ctx, m, http.MethodPost, "/transactions", body, &out); err != nil {
		return nil, err
	}
	refs := make([]lineRef, len(out.Lines))
	for i, l := range out.Lines {
		g, _ := models.ParseKg(l.GrossKg)
		refs[i] = lineRef{ID: l.ID, TraceCode: l.TraceCode, Amount: l.Amount, Cartons: l.Cartons, NetKg: l.NetKg, GrossKg: l.GrossKg, GrossGrams: int64(g)}
	}
	return refs, nil
}

func (h httpMarket) IngestTransactions(ctx context.Context, p party, in []workflow.NewTransaction) ([][]lineRef, error) {
	type txn struct {
		MerchantID int64         `json:"merchant_id"`
		BuyerID    int64         `json:"buyer_id"`
		TradeDate  string        `json:"trade_date"`
		Currency   string        `json:"currency"`
		Submit     bool          `json:"submit"`
		Lines      []txnLineJSON `json:"lines"`
	}
	body := struct {
		Transactions []txn `json:"transactions"`
	}{make([]txn, len(in))}
	for i, t := range in {
		b := txn{MerchantID: t.MerchantID, BuyerID: t.BuyerID, TradeDate: t.TradeDate, Currency: t.Currency, Submit: t.Submit,
			Lines: make([]txnLineJSON, len(t.Lines))}
		for j, l := range t.Lines {
			b.Lines[j] = txnLineJSON{GoodsID: l.GoodsID, Quantity: l.Quantity, Unit: l.Unit, UnitPrice: l.UnitPrice, Cartons: l.Cartons,
				NetKg: l.NetKg, GrossKg: l.GrossKg}
		}
		body.Transactions[i] = b
	}
	var out struct {
		Transactions []struct {
			Lines []struct {
				ID        int64  `json:"id"`
				TraceCode string `json:"trace_code"`
				Amount    string `json:"amount"`
			} `json:"lines"`
		} `json:"transactions"`
	}
	if err := h.call(ctx, p, http.MethodPost, "/transactions/bulk", body, &out); err != nil {
		return nil, err
	}
	refs := make([][]lineRef, len(out.Transactions))
	for i, t := range out.Transactions {
		refs[i] = make([]lineRef, len(t.Lines))
		for j, l := range t.Lines {
			refs[i][j] = lineRef{ID: l.ID, TraceCode: l.TraceCode, Amount: l.Amount}
		}
	}
	return refs, nil
}

func (h httpMarket) OpenConsolidation(ctx context.Context, a party, in workflow.ConsolidationInput) (int64, error) {
	var out idJSON
	err := h.call(ctx, a, http.MethodPost, "/consolidations", map[string]any{"destination_country": in.DestinationCountry,
		"destination_port": in.DestinationPort, "transport_mode": in.TransportMode, "trade_terms": in.TradeTerms,
		"exit_port": in.ExitPort, "stuffing_place": in.StuffingPlace}, &out)
	return out.ID, err
}

func (h httpMarket) AllocateLines(ctx context.Context, a party, id int64, lines []int64) error {
	return h.call(ctx, a, http.MethodPost, fmt.Sprintf("/consolidations/%d/lines", id), map[string]any{"line_ids": lines}, nil)
}

func (h httpMarket) AddContainer(ctx context.Context, a party, id int64, in workflow.ContainerInput) (int64, error) {
	var out idJSON
	err := h.call(ctx, a, http.MethodPost, fmt.Sprintf("/consolidations/%d/containers", id), map[string]any{"number": in.Number,
		"size_type": in.SizeType, "seal_no": in.SealNo, "tare_kg": in.TareKg}, &out)
	return out.ID, err
}

// Pack sends a container's lines in one request (the API's entries).
func (h httpMarket) Pack(ctx context.Context, a party, id int64, in workflow.PackingInput) error {
	entries := make([]map[string]any, len(in.Entries))
	for i, e := range in.Entries {
		entries[i] = map[string]any{"line_id": e.LineID, "cartons": json.Number(e.Cartons), "net_kg": json.Number(e.NetKg),
			"gross_kg": json.Number(e.GrossKg)}
	}
	return h.call(ctx, a, http.MethodPost, fmt.Sprintf("/consolidations/%d/packing", id), map[string]any{
		"container_id": in.ContainerID, "entries": entries}, nil)
}

func (h httpMarket) CloseConsolidation(ctx context.Context, a party, id int64) error {
	return h.call(ctx, a, http.MethodPost, fmt.Sprintf("/consolidations/%d/close", id), nil, nil)
}

func (h httpMarket) GenerateDeclarations(ctx context.Context, a party, consolidation int64) ([]declRef, error) {
	var out struct {
		Declarations []idJSON `json:"declarations"`
	}
	if err := h.call(ctx, a, http.MethodPost, fmt.Sprintf("/consolidations/%d/declare", consolidation), nil, &out); err != nil {
		return nil, err
	}
	refs := make([]declRef, len(out.Declarations))
	for i, d := range out.Declarations {
		refs[i] = declRef{ID: d.ID, Version: d.Version, Status: d.Status}
	}
	return refs, nil
}

func (h httpMarket) Findings(ctx context.Context, a party, id int64) ([]findingRef, error) {
	var out struct {
		Findings []struct {
			ID             int64   `json:"id"`
			Severity       string  `json:"severity"`
			AcknowledgedAt *string `json:"acknowledged_at"`
		} `json:"findings"`
	}
	if err := h.call(ctx, a, http.MethodGet, fmt.Sprintf("/declarations/%d", id), nil, &out); err != nil {
		return nil, err
	}
	refs := make([]findingRef, len(out.Findings))
	for i, f := range out.Findings {
		refs[i] = findingRef{ID: f.ID, Error: f.Severity == models.SeverityError, Acked: f.AcknowledgedAt != nil}
	}
	return refs, nil
}

func (h httpMarket) AcknowledgeFinding(ctx context.Context, a party, id, finding int64) error {
	return h.call(ctx, a, http.MethodPost, fmt.Sprintf("/declarations/%d/findings/%d/ack", id, finding), nil, nil)
}

func (h httpMarket) SubmitDeclaration(ctx context.Context, a party, id int64, in workflow.SubmitInput) (declRef, error) {
	var out idJSON
	err := h.call(ctx, a, http.MethodPost, fmt.Sprintf("/declarations/%d/submit", id), map[string]any{"version": in.Version,
		"signer_name": in.SignerName, "signer_role": in.SignerRole, "statement": in.Statement}, &out)
	return declRef{ID: out.ID, Version: out.Version, Status: out.Status}, err
}

// customsStep posts one customs step and reads the declaration's state from the answer.
func (h httpMarket) customsStep(ctx context.Context, c party, id int64, step string, body any) (declRef, error) {
	var out struct {
		idJSON
		Customs struct {
			Lane string `json:"lane"`
		} `json:"customs"`
	}
	err := h.call(ctx, c, http.MethodPost, fmt.Sprintf("/customs/declarations/%d/%s", id, step), body, &out)
	return declRef{ID: out.ID, Version: out.Version, Status: out.Status, Lane: out.Customs.Lane}, err
}

func (h httpMarket) AcceptDeclaration(ctx context.Context, c party, id, version int64) (declRef, error) {
	return h.customsStep(ctx, c, id, "accept", map[string]any{"version": version})
}

func (h httpMarket) ReleaseDeclaration(ctx context.Context, c party, id, version int64) (declRef, error) {
	return h.customsStep(ctx, c, id, "release", map[string]any{"version": version})
}

func (h httpMarket) ConfirmExit(ctx context.Context, c party, id int64, in workflow.ExitInput) (declRef, error) {
	return h.customsStep(ctx, c, id, "exit", map[string]any{"version": in.Version, "exit_date": in.ExitDate})
}

func (h httpMarket) RecordReceipt(ctx context.Context, fx party, in workflow.FXReceiptInput) (int64, error) {
	var out idJSON
	err := h.call(ctx, fx, http.MethodPost, "/fx/receipts", map[string]any{"bank_ref": in.BankRef, "payer": in.Payer,
		"payer_country": in.PayerCountry, "currency": in.Currency, "amount": in.Amount, "value_date": in.ValueDate,
		"beneficiary": in.Beneficiary}, &out)
	return out.ID, err
}

func (h httpMarket) AllocateReceipt(ctx context.Context, fx party, id int64, in workflow.FXAllocateInput) error {
	items := make([]map[string]any, len(in.Items))
	for i, it := range in.Items {
		items[i] = map[string]any{"line_id": it.LineID, "amount": it.Amount}
	}
	return h.call(ctx, fx, http.MethodPost, fmt.Sprintf("/fx/receipts/%d/allocations", id), map[string]any{"version": in.Version,
		"allocations": items}, nil)
}

func (h httpMarket) RecordStatement(ctx context.Context, fx party, name string, csv []byte) ([]receiptRef, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	if err == nil {
		_, err = fw.Write(csv)
	}
	if err != nil || mw.Close() != nil {
		return nil, fmt.Errorf("statement form: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+"/api/v1/fx/statements", &body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var out struct {
		Receipts []struct {
			ID      int64  `json:"id"`
			BankRef string `json:"bank_ref"`
		} `json:"receipts"`
	}
	if err := h.send(fx, req, &out); err != nil {
		return nil, err
	}
	refs := make([]receiptRef, len(out.Receipts))
	for i, r := range out.Receipts {
		refs[i] = receiptRef{ID: r.ID, BankRef: r.BankRef}
	}
	return refs, nil
}

func (h httpMarket) AllocateBulk(ctx context.Context, fx party, in []workflow.FXBulkAllocation) error {
	type item struct {
		LineID int64  `json:"line_id"`
		Amount string `json:"amount"`
	}
	type allocation struct {
		ReceiptID int64  `json:"receipt_id"`
		Version   int64  `json:"version"`
		Items     []item `json:"items"`
	}
	body := struct {
		Allocations []allocation `json:"allocations"`
	}{make([]allocation, len(in))}
	for i, a := range in {
		b := allocation{ReceiptID: a.ReceiptID, Version: a.Version, Items: make([]item, len(a.Items))}
		for j, it := range a.Items {
			b.Items[j] = item{LineID: it.LineID, Amount: it.Amount}
		}
		body.Allocations[i] = b
	}
	return h.call(ctx, fx, http.MethodPost, "/fx/allocations/bulk", body, nil)
}

func (h httpMarket) BuildFiling(ctx context.Context, m party, in workflow.TaxFilingInput) (int64, int64, error) {
	var out idJSON
	err := h.call(ctx, m, http.MethodPost, "/tax/filings", map[string]any{"merchant_id": in.MerchantID, "period": in.Period}, &out)
	return out.ID, out.Version, err
}

func (h httpMarket) FileFiling(ctx context.Context, m party, id, version int64) (int64, error) {
	var out idJSON
	err := h.call(ctx, m, http.MethodPost, fmt.Sprintf("/tax/filings/%d/file", id), map[string]any{"version": version}, &out)
	return out.Version, err
}

func (h httpMarket) AcceptFiling(ctx context.Context, t party, id, version int64) error {
	return h.call(ctx, t, http.MethodPost, fmt.Sprintf("/tax/filings/%d/accept", id), map[string]any{"version": version}, nil)
}
