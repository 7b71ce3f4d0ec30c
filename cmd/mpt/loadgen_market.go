package main

import (
	"context"
	"fmt"

	"mpt/models"
	"mpt/workflow"
)

// party is one user of the market day: the actor in-process, the bearer token over HTTP.
type party struct {
	Username string
	Actor    workflow.Actor
	Token    string
}

// lineRef is a registered line as the load generator keeps it for the later stages.
type lineRef struct {
	ID         int64
	TraceCode  string
	Amount     string
	Cartons    int64
	NetKg      string
	GrossKg    string
	GrossGrams int64
}

// receiptRef is an FX receipt a statement recorded.
type receiptRef struct {
	ID      int64
	BankRef string
}

// declRef is a declaration's state after a step.
type declRef struct {
	ID, Version int64
	Status      string
	Lane        string
}

type findingRef struct {
	ID    int64
	Error bool // severity error: blocks submission
	Acked bool
}

// market is every step of the day that has a route in /api/v1: loadgen drives it over HTTP
// (httpMarket) or calls the same workflow methods in-process (localMarket).
type market interface {
	ApproveMerchant(ctx context.Context, sup party, id, version int64) error
	RegisterAgent(ctx context.Context, admin party, in workflow.AgentRegistration) (int64, error)
	RegisterBuyer(ctx context.Context, m party, in workflow.BuyerInput) (int64, error)
	Entrust(ctx context.Context, m party, in workflow.EntrustmentInput) error
	CreateGoods(ctx context.Context, m party, in workflow.GoodsInput) (int64, error)
	RegisterTransaction(ctx context.Context, m party, in workflow.NewTransaction) ([]lineRef, error)
	// IngestTransactions registers many sales in one call; each sale's lines come back in the
	// order sent with their ids, trace codes and amounts only.
	IngestTransactions(ctx context.Context, p party, in []workflow.NewTransaction) ([][]lineRef, error)
	OpenConsolidation(ctx context.Context, a party, in workflow.ConsolidationInput) (int64, error)
	AllocateLines(ctx context.Context, a party, id int64, lines []int64) error
	AddContainer(ctx context.Context, a party, id int64, in workflow.ContainerInput) (int64, error)
	Pack(ctx context.Context, a party, id int64, in workflow.PackingInput) error
	CloseConsolidation(ctx context.Context, a party, id int64) error
	GenerateDeclarations(ctx context.Context, a party, consolidation int64) ([]declRef, error)
	Findings(ctx context.Context, a party, id int64) ([]findingRef, error)
	AcknowledgeFinding(ctx context.Context, a party, id, finding int64) error
	SubmitDeclaration(ctx context.Context, a party, id int64, in workflow.SubmitInput) (declRef, error)
	AcceptDeclaration(ctx context.Context, c party, id, version int64) (declRef, error)
	ReleaseDeclaration(ctx context.Context, c party, id, version int64) (declRef, error)
	ConfirmExit(ctx context.Context, c party, id int64, in workflow.ExitInput) (declRef, error)
	RecordReceipt(ctx context.Context, fx party, in workflow.FXReceiptInput) (int64, error)
	AllocateReceipt(ctx context.Context, fx party, id int64, in workflow.FXAllocateInput) error
	// RecordStatement records the receipts of a bank statement (CSV) in one call; they come
	// back in the file's order.
	RecordStatement(ctx context.Context, fx party, name string, csv []byte) ([]receiptRef, error)
	// AllocateBulk confirms many receipts' allocations in one call.
	AllocateBulk(ctx context.Context, fx party, in []workflow.FXBulkAllocation) error
	BuildFiling(ctx context.Context, m party, in workflow.TaxFilingInput) (id, version int64, err error)
	FileFiling(ctx context.Context, m party, id, version int64) (int64, error)
	AcceptFiling(ctx context.Context, t party, id, version int64) error
}

// localMarket calls workflow directly, as the handlers do, without HTTP, JSON or the
// answers' reloads.
type localMarket struct{ svc *workflow.Service }

func declOf(d *models.Declaration) declRef {
	return declRef{ID: d.ID, Version: d.Version, Status: d.Status, Lane: d.Lane}
}

func (l localMarket) ApproveMerchant(ctx context.Context, sup party, id, version int64) error {
	_, err := l.svc.ApproveMerchant(ctx, sup.Actor, id, workflow.MerchantDecision{Version: version})
	return err
}

func (l localMarket) RegisterAgent(ctx context.Context, admin party, in workflow.AgentRegistration) (int64, error) {
	r, err := l.svc.RegisterAgent(ctx, admin.Actor, in)
	if err != nil {
		return 0, err
	}
	return r.Agent.ID, nil
}

func (l localMarket) RegisterBuyer(ctx context.Context, m party, in workflow.BuyerInput) (int64, error) {
	r, err := l.svc.RegisterBuyer(ctx, m.Actor, in)
	if err != nil {
		return 0, err
	}
	return r.Buyer.ID, nil
}

func (l localMarket) Entrust(ctx context.Context, m party, in workflow.EntrustmentInput) error {
	_, err := l.svc.Entrust(ctx, m.Actor, in)
	return err
}

func (l localMarket) CreateGoods(ctx context.Context, m party, in workflow.GoodsInput) (int64, error) {
	r, err := l.svc.CreateGoods(ctx, m.Actor, in)
	if err != nil {
		return 0, err
	}
	return r.Goods.ID, nil
}

func (l localMarket) RegisterTransaction(ctx context.Context, m party, in workflow.NewTransaction) ([]lineRef, error) {
	var out []lineRef
	_, _, err := l.svc.RegisterTransaction(ctx, m.Actor, in, workflow.Idempotency{},
		func(d *workflow.TransactionDetail) (workflow.Answer, error) {
			for _, ln := range d.Lines {
				out = append(out, lineRef{ID: ln.ID, TraceCode: ln.TraceCode, Amount: ln.Amount.String(), Cartons: ln.Cartons,
					NetKg: ln.NetGrams.Kg(), GrossKg: ln.GrossGrams.Kg(), GrossGrams: int64(ln.GrossGrams)})
			}
			return workflow.Answer{Status: 201}, nil
		})
	return out, err
}

func (l localMarket) IngestTransactions(ctx context.Context, p party, in []workflow.NewTransaction) ([][]lineRef, error) {
	res, err := l.svc.IngestTransactions(ctx, p.Actor, in)
	if err != nil {
		return nil, err
	}
	out := make([][]lineRef, len(res.Transactions))
	for i, t := range res.Transactions {
		out[i] = make([]lineRef, len(t.Lines))
		for j, ln := range t.Lines {
			out[i][j] = lineRef{ID: ln.ID, TraceCode: ln.TraceCode, Amount: ln.Amount.String()}
		}
	}
	return out, nil
}

func (l localMarket) OpenConsolidation(ctx context.Context, a party, in workflow.ConsolidationInput) (int64, error) {
	c, err := l.svc.OpenConsolidation(ctx, a.Actor, in)
	if err != nil {
		return 0, err
	}
	return c.ID, nil
}

func (l localMarket) AllocateLines(ctx context.Context, a party, id int64, lines []int64) error {
	_, _, err := l.svc.AllocateLines(ctx, a.Actor, id, lines)
	return err
}

func (l localMarket) AddContainer(ctx context.Context, a party, id int64, in workflow.ContainerInput) (int64, error) {
	c, err := l.svc.AddContainer(ctx, a.Actor, id, in)
	if err != nil {
		return 0, err
	}
	return c.ID, nil
}

func (l localMarket) Pack(ctx context.Context, a party, id int64, in workflow.PackingInput) error {
	_, err := l.svc.SetPacking(ctx, a.Actor, id, in)
	return err
}

func (l localMarket) CloseConsolidation(ctx context.Context, a party, id int64) error {
	_, err := l.svc.CloseConsolidation(ctx, a.Actor, id, 0)
	return err
}

func (l localMarket) GenerateDeclarations(ctx context.Context, a party, consolidation int64) ([]declRef, error) {
	res, err := l.svc.GenerateDeclarations(ctx, a.Actor, consolidation)
	if err != nil {
		return nil, err
	}
	out := make([]declRef, len(res.Declarations))
	for i := range res.Declarations {
		out[i] = declOf(&res.Declarations[i])
	}
	return out, nil
}

func (l localMarket) Findings(ctx context.Context, a party, id int64) ([]findingRef, error) {
	d, err := l.svc.Declaration(ctx, a.Actor, id)
	if err != nil {
		return nil, err
	}
	out := make([]findingRef, len(d.Findings))
	for i, f := range d.Findings {
		out[i] = findingRef{ID: f.ID, Error: f.Severity == models.SeverityError, Acked: f.AcknowledgedAt != nil}
	}
	return out, nil
}

func (l localMarket) AcknowledgeFinding(ctx context.Context, a party, id, finding int64) error {
	_, err := l.svc.AcknowledgeFinding(ctx, a.Actor, id, finding)
	return err
}

func (l localMarket) SubmitDeclaration(ctx context.Context, a party, id int64, in workflow.SubmitInput) (declRef, error) {
	d, err := l.svc.SubmitDeclaration(ctx, a.Actor, id, in)
	if err != nil {
		return declRef{}, err
	}
	return declOf(d), nil
}

func (l localMarket) AcceptDeclaration(ctx context.Context, c party, id, version int64) (declRef, error) {
	d, err := l.svc.AcceptDeclaration(ctx, c.Actor, id, version)
	if err != nil {
		return declRef{}, err
	}
	return declOf(d), nil
}

func (l localMarket) ReleaseDeclaration(ctx context.Context, c party, id, version int64) (declRef, error) {
	d, err := l.svc.ReleaseDeclaration(ctx, c.Actor, id, version)
	if err != nil {
		return declRef{}, err
	}
	return declOf(d), nil
}

func (l localMarket) ConfirmExit(ctx context.Context, c party, id int64, in workflow.ExitInput) (declRef, error) {
	d, err := l.svc.ConfirmExit(ctx, c.Actor, id, in)
	if err != nil {
		return declRef{}, err
	}
	return declOf(d), nil
}

func (l localMarket) RecordReceipt(ctx context.Context, fx party, in workflow.FXReceiptInput) (int64, error) {
	r, err := l.svc.RecordFXReceipt(ctx, fx.Actor, in)
	if err != nil {
		return 0, err
	}
	return r.ID, nil
}

func (l localMarket) AllocateReceipt(ctx context.Context, fx party, id int64, in workflow.FXAllocateInput) error {
	_, err := l.svc.AllocateFXReceipt(ctx, fx.Actor, id, in)
	return err
}

func (l localMarket) RecordStatement(ctx context.Context, fx party, name string, csv []byte) ([]receiptRef, error) {
	res, err := l.svc.ImportFXStatement(ctx, fx.Actor, name, csv)
	switch {
	case err != nil:
		return nil, err
	case !res.Problem.IsZero():
		return nil, fmt.Errorf("statement %s refused: %s", name, res.Problem.En)
	case !res.OK():
		return nil, fmt.Errorf("statement %s refused: %d problems, the first on line %d (%s): %s", name, res.ErrorCount,
			res.Errors[0].Row, res.Errors[0].Column, res.Errors[0].Text.En)
	}
	out := make([]receiptRef, len(res.Receipts))
	for i, r := range res.Receipts {
		out[i] = receiptRef{ID: r.ID, BankRef: r.BankRef}
	}
	return out, nil
}

func (l localMarket) AllocateBulk(ctx context.Context, fx party, in []workflow.FXBulkAllocation) error {
	_, err := l.svc.AllocateFXBulk(ctx, fx.Actor, in)
	return err
}

func (l localMarket) BuildFiling(ctx context.Context, m party, in workflow.TaxFilingInput) (int64, int64, error) {
	f, err := l.svc.BuildTaxFiling(ctx, m.Actor, in)
	if err != nil {
		return 0, 0, err
	}
	return f.ID, f.Version, nil
}

func (l localMarket) FileFiling(ctx context.Context, m party, id, version int64) (int64, error) {
	f, err := l.svc.FileTaxFiling(ctx, m.Actor, id, version)
	if err != nil {
		return 0, err
	}
	return f.Version, nil
}

func (l localMarket) AcceptFiling(ctx context.Context, t party, id, version int64) error {
	_, err := l.svc.DecideTaxFiling(ctx, t.Actor, id, workflow.TaxDecision{Accept: true, Version: version})
	return err
}
