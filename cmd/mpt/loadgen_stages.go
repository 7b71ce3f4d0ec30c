package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// loadgenPassword is the password of the officers loadgen creates; nobody logs in with it.
const loadgenPassword = "loadgen-1039-pass"

// partyOf is a user as the service sees them, with an API token in HTTP mode (made in-process:
// tokens are created on the profile page only).
func (r *loadRun) partyOf(ctx context.Context, username string) (party, error) {
	a, err := r.svc.ActAs(ctx, username)
	if err != nil {
		return party{}, err
	}
	p := party{Username: username, Actor: a}
	if r.http {
		err := r.timed(direct("create API token"), func() error {
			t, err := r.svc.CreateAPIToken(ctx, a, "mpt loadgen "+r.plan.Tag)
			if err == nil {
				p.Token = t.Token
			}
			return err
		})
		if err != nil {
			return party{}, err
		}
	}
	return p, nil
}

// staff makes (or finds) the day's officers: supervision, customs with three inspectors on
// duty, FX and tax, created by an admin of the database. A database without any admin gets one
// written directly (the only write loadgen makes outside workflow; it is not audited).
func (r *loadRun) staff(ctx context.Context) error {
	var admin models.User
	err := r.db.WithContext(ctx).Where("role = ? AND disabled = ?", models.RoleAdmin, false).Order("id").Take(&admin).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		hash, herr := workflow.HashPassword(loadgenPassword, r.svc.Policy.BcryptCost)
		if herr != nil {
			return herr
		}
		now := time.Now().UTC()
		admin = models.User{Username: "loadgen_admin", DisplayName: "Loadgen admin", PasswordHash: hash, Role: models.RoleAdmin,
			PasswordChangedAt: &now, Version: 1, CreatedAt: now, UpdatedAt: now}
		err = r.db.WithContext(ctx).Create(&admin).Error
	}
	if err != nil {
		return err
	}
	if r.admin, err = r.partyOf(ctx, admin.Username); err != nil {
		return err
	}
	tag := r.plan.Tag
	users := []workflow.NewUserInput{
		{Username: tag + "_sup", DisplayName: "压测市场监管", Role: models.RoleSupervision, OnDuty: true},
		{Username: tag + "_customs", DisplayName: "压测海关关员", Role: models.RoleCustoms, OnDuty: true},
		{Username: tag + "_insp1", DisplayName: "压测查验员一", Role: models.RoleCustoms, OnDuty: true},
		{Username: tag + "_insp2", DisplayName: "压测查验员二", Role: models.RoleCustoms, OnDuty: true},
		{Username: tag + "_insp3", DisplayName: "压测查验员三", Role: models.RoleCustoms, OnDuty: true},
		{Username: tag + "_fx", DisplayName: "压测外汇", Role: models.RoleFX},
		{Username: tag + "_tax", DisplayName: "压测税务", Role: models.RoleTax},
	}
	for _, u := range users {
		var n int64
		if err := r.db.WithContext(ctx).Model(&models.User{}).Where("username = ?", u.Username).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			continue // made by an earlier run of this seed
		}
		u.Password = loadgenPassword
		err := r.timed(direct("create user"), func() error { _, err := r.svc.CreateUser(ctx, r.admin.Actor, u); return err })
		if err != nil && !apperr.Is(err, apperr.Invalid) { // Invalid: the name is taken, by an earlier run of this seed
			return fmt.Errorf("create %s: %w", u.Username, err)
		}
	}
	for _, s := range []struct {
		p    *party
		name string
	}{{&r.sup, "_sup"}, {&r.customs, "_customs"}, {&r.fx, "_fx"}, {&r.tax, "_tax"}} {
		if *s.p, err = r.partyOf(ctx, tag+s.name); err != nil {
			return err
		}
	}
	// The month's customs rate, if the admins have not set it yet.
	month := r.svc.CurrentMonth()
	if _, err := r.svc.RateFor(ctx, month, "USD"); err != nil {
		err := r.timed(direct("set rate"), func() error {
			_, err := r.svc.SetRate(ctx, r.admin.Actor, workflow.RateInput{Month: month, Currency: "USD", CNYPerUnit: "7.1"})
			return err
		})
		if err != nil {
			return fmt.Errorf("set the USD rate of %s: %w", month, err)
		}
	}
	return nil
}

// setupParties: officers, agents (by the admin), merchants (self-registered, approved by
// supervision), each merchant's buyers and its entrustment of an agent.
func (r *loadRun) setupParties(ctx context.Context) error {
	if err := r.staff(ctx); err != nil {
		return err
	}
	r.agents = make([]agentRun, len(r.plan.Agents))
	if err := r.stage(ctx, "agents", len(r.plan.Agents), "agents", nil, func(ctx context.Context, i int) error {
		pl := r.plan.Agents[i]
		var id int64
		err := r.timed("POST /agents", func() (err error) { id, err = r.mk.RegisterAgent(ctx, r.admin, pl.Reg); return err })
		if err != nil {
			return err
		}
		p, err := r.partyOf(ctx, pl.Username)
		r.agents[i] = agentRun{ID: id, P: p}
		return err
	}); err != nil {
		return err
	}
	r.merchants = make([]merchantRun, len(r.plan.Merchants))
	if err := r.stage(ctx, "merchants", len(r.plan.Merchants), "merchants", nil, func(ctx context.Context, i int) error {
		pl := r.plan.Merchants[i]
		var reg *workflow.RegisteredMerchant
		err := r.timed(direct("register merchant"), func() (err error) {
			reg, err = r.svc.RegisterMerchant(ctx, workflow.Actor{}, pl.Reg)
			return err
		})
		if err != nil {
			return err
		}
		m := merchantRun{ID: reg.Merchant.ID, USCC: reg.Merchant.USCC, Buyers: map[int]int64{}}
		if err := r.timed("POST /merchants/:id/approve", func() error {
			return r.mk.ApproveMerchant(ctx, r.sup, m.ID, reg.Merchant.Version)
		}); err != nil {
			return err
		}
		if m.P, err = r.partyOf(ctx, pl.Username); err != nil {
			return err
		}
		for _, b := range pl.Buyers {
			var id int64
			err := r.retry(func() error {
				return r.timed("POST /buyers", func() (err error) { id, err = r.mk.RegisterBuyer(ctx, m.P, r.plan.Buyers[b].In); return err })
			})
			if err != nil {
				return err
			}
			m.Buyers[b] = id
		}
		ag := r.agents[pl.Agent]
		if err := r.timed("POST /entrustments", func() error {
			return r.mk.Entrust(ctx, m.P, workflow.EntrustmentInput{AgentID: ag.ID, AgreementNo: fmt.Sprintf("%s-WT-%d", r.plan.Tag, i+1), StartsOn: r.today})
		}); err != nil {
			return err
		}
		r.merchants[i] = m
		return nil
	}); err != nil || r.o.Bulk == 0 {
		return err
	}
	// With --bulk the agents register the sales, for buyers on their own lists: each agent
	// adds its merchants' buyers (the same person is linked, not registered twice).
	type pair struct{ agent, buyer int }
	var pairs []pair
	seen := map[pair]bool{}
	for _, m := range r.plan.Merchants {
		for _, b := range m.Buyers {
			if p := (pair{m.Agent, b}); !seen[p] {
				seen[p] = true
				pairs = append(pairs, p)
			}
		}
	}
	return r.stage(ctx, "agents' buyers", len(pairs), "buyers linked", nil, func(ctx context.Context, i int) error {
		p := pairs[i]
		return r.retry(func() error {
			return r.timed("POST /buyers", func() error {
				_, err := r.mk.RegisterBuyer(ctx, r.agents[p.agent].P, r.plan.Buyers[p.buyer].In)
				return err
			})
		})
	})
}

// retry repeats a step that lost a race with a concurrent one (the same buyer registered by
// two merchants at once): up to three tries on a conflict or a duplicate.
func (r *loadRun) retry(f func() error) error {
	var err error
	for range 3 {
		if err = f(); err == nil {
			return nil
		}
		var he *httpError
		if !apperr.Is(err, apperr.Conflict) && !apperr.Is(err, apperr.Invalid) && !(errors.As(err, &he) && (he.Status == 409 || he.Status == 422)) {
			return err
		}
	}
	return err
}

// setupGoods: every merchant registers the catalogue; supervision recognises each item.
func (r *loadRun) setupGoods(ctx context.Context) error {
	n := len(r.merchants) * len(loadgenCatalogue)
	for i := range r.merchants {
		r.merchants[i].Goods = make([]int64, len(loadgenCatalogue))
	}
	return r.stage(ctx, "goods", n, "goods", nil, func(ctx context.Context, i int) error {
		m, k := &r.merchants[i/len(loadgenCatalogue)], i%len(loadgenCatalogue)
		if m.P.Username == "" {
			return errors.New("merchant not set up")
		}
		g := loadgenCatalogue[k]
		var id int64
		err := r.timed("POST /goods", func() (err error) {
			id, err = r.mk.CreateGoods(ctx, m.P, workflow.GoodsInput{SKU: fmt.Sprintf("%s-%02d", r.plan.Tag, k+1), NameZh: g.zh, NameEn: g.en,
				HSCode: g.hs, Spec: "压测规格", Producer: "义乌", LegalUnit: g.unit, TransactionUnit: g.unit})
			return err
		})
		if err != nil {
			return err
		}
		err = r.timed(direct("recognise goods"), func() error {
			_, err := r.svc.RecogniseGoods(ctx, r.sup.Actor, id, workflow.GoodsDecision{Version: 1})
			return err
		})
		m.Goods[k] = id
		return err
	})
}

// saleInput is sale i as its registration asks for it, submitted.
func (r *loadRun) saleInput(i int) (workflow.NewTransaction, error) {
	s := r.plan.Sales[i]
	m := r.merchants[s.Merchant]
	if m.P.Username == "" || m.Buyers[s.Buyer] == 0 {
		return workflow.NewTransaction{}, errors.New("merchant or buyer not set up")
	}
	in := workflow.NewTransaction{TransactionInput: workflow.TransactionInput{MerchantID: m.ID, BuyerID: m.Buyers[s.Buyer],
		TradeDate: r.today, Currency: s.Currency}, Submit: true}
	for _, l := range s.Lines {
		in.Lines = append(in.Lines, workflow.LineInput{GoodsID: m.Goods[l.Goods], Quantity: fmt.Sprint(l.Quantity),
			Unit: loadgenCatalogue[l.Goods].unit, UnitPrice: l.Price, Cartons: fmt.Sprint(l.Cartons), NetKg: l.NetKg, GrossKg: l.GrossKg})
	}
	return in, nil
}

// registerTransactions: every sale registered and submitted, one per request by its merchant,
// or with --bulk by the merchant's agent in calls of that many sales.
func (r *loadRun) registerTransactions(ctx context.Context) error {
	r.sales = make([][]lineRef, len(r.plan.Sales))
	if r.o.Bulk > 0 {
		return r.ingestTransactions(ctx)
	}
	return r.stage(ctx, "transactions", len(r.plan.Sales), "transactions", nil, func(ctx context.Context, i int) error {
		in, err := r.saleInput(i)
		if err != nil {
			return err
		}
		m := r.merchants[r.plan.Sales[i].Merchant]
		var lines []lineRef
		err = r.timed("POST /transactions", func() (err error) { lines, err = r.mk.RegisterTransaction(ctx, m.P, in); return err })
		if err == nil {
			r.sales[i] = lines
			r.counts.Lines.Add(int64(len(lines)))
		}
		return err
	})
}

// ingestTransactions: each agent's system sends its merchants' sales in bulk calls of --bulk
// sales (POST /transactions/bulk); the answer's ids, trace codes and amounts are completed
// with the cartons and weights the plan sent.
func (r *loadRun) ingestTransactions(ctx context.Context) error {
	var calls [][]int // sale indexes per call
	byAgent := make([][]int, len(r.agents))
	for i, s := range r.plan.Sales {
		a := r.plan.Merchants[s.Merchant].Agent
		byAgent[a] = append(byAgent[a], i)
	}
	for _, sales := range byAgent {
		for len(sales) > 0 {
			n := min(len(sales), r.o.Bulk)
			calls = append(calls, sales[:n])
			sales = sales[n:]
		}
	}
	return r.stage(ctx, "transactions", len(calls), "bulk calls", func() int { return int(r.counts.Lines.Load()) / max(1, r.o.LinesPerTxn) },
		func(ctx context.Context, k int) error {
			sales := calls[k]
			in := make([]workflow.NewTransaction, len(sales))
			for j, i := range sales {
				var err error
				if in[j], err = r.saleInput(i); err != nil {
					return err
				}
			}
			ag := r.agents[r.plan.Merchants[r.plan.Sales[sales[0]].Merchant].Agent]
			var got [][]lineRef
			err := r.timed("POST /transactions/bulk", func() (err error) { got, err = r.mk.IngestTransactions(ctx, ag.P, in); return err })
			if err != nil {
				return err
			}
			if len(got) != len(sales) {
				return fmt.Errorf("bulk ingest answered %d transactions for %d sent", len(got), len(sales))
			}
			for j, i := range sales {
				plan := r.plan.Sales[i].Lines
				if len(got[j]) != len(plan) {
					return fmt.Errorf("bulk ingest answered %d lines for sale %d of %d", len(got[j]), i, len(plan))
				}
				for n := range got[j] {
					l := &got[j][n]
					g, _ := models.ParseKg(plan[n].GrossKg)
					l.Cartons, l.NetKg, l.GrossKg, l.GrossGrams = plan[n].Cartons, plan[n].NetKg, plan[n].GrossKg, int64(g)
				}
				r.sales[i] = got[j]
				r.counts.Lines.Add(int64(len(got[j])))
			}
			return nil
		})
}

// consolidate: each agent files its merchants' registered lines into consolidations of
// --lines-per-consolidation lines, adds 40HQ containers of at most 20 t of goods, packs every
// line and closes.
func (r *loadRun) consolidate(ctx context.Context) error {
	// An agent's lines, or with --consolidate-by buyer an agent's lines for one buyer (the
	// buyer's containers, filled from many stalls), in the order the sales were drawn.
	type group struct{ agent, buyer int }
	var order []group
	byGroup := map[group][]lineRef{}
	for i, lines := range r.sales {
		s := r.plan.Sales[i]
		g := group{agent: r.plan.Merchants[s.Merchant].Agent, buyer: -1}
		if r.o.ConsolidateBy == "buyer" {
			g.buyer = s.Buyer
		}
		if _, seen := byGroup[g]; !seen {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], lines...)
	}
	for _, g := range order {
		lines := byGroup[g]
		for len(lines) > 0 {
			n := min(len(lines), r.o.LinesPerConsolidation)
			r.consolidations = append(r.consolidations, consolidationRun{Agent: g.agent, Lines: lines[:n]})
			lines = lines[n:]
		}
	}
	var boxes atomic.Int64
	return r.stage(ctx, "consolidations", len(r.consolidations), "consolidations", nil, func(ctx context.Context, i int) error {
		c := &r.consolidations[i]
		ag := r.agents[c.Agent]
		dest := loadgenCountries[i%len(loadgenCountries)]
		err := r.timed("POST /consolidations", func() (err error) {
			c.ID, err = r.mk.OpenConsolidation(ctx, ag.P, workflow.ConsolidationInput{DestinationCountry: dest[0], DestinationPort: dest[1],
				TransportMode: "2", TradeTerms: "FOB", ExitPort: "Ningbo", StuffingPlace: "义乌国际陆港监管场站"})
			return err
		})
		if err != nil {
			return err
		}
		ids := make([]int64, len(c.Lines))
		for k, l := range c.Lines {
			ids[k] = l.ID
		}
		for k := 0; k < len(ids); k += 2000 {
			chunk := ids[k:min(len(ids), k+2000)]
			if err := r.timed("POST /consolidations/:id/lines", func() error { return r.mk.AllocateLines(ctx, ag.P, c.ID, chunk) }); err != nil {
				return err
			}
		}
		const perBox = 20_000_000 // grams of goods per 40HQ, well under its payload
		var box, load int64
		var in workflow.PackingInput
		// pack sends the container's lines in one request, as an agent's system would.
		pack := func() error {
			if len(in.Entries) == 0 {
				return nil
			}
			err := r.timed("POST /consolidations/:id/packing", func() error { return r.mk.Pack(ctx, ag.P, c.ID, in) })
			in.Entries = nil
			return err
		}
		for _, l := range c.Lines {
			if box == 0 || load+l.GrossGrams > perBox {
				if err := pack(); err != nil {
					return err
				}
				n := int(boxes.Add(1))
				err := r.timed("POST /consolidations/:id/containers", func() (err error) {
					box, err = r.mk.AddContainer(ctx, ag.P, c.ID, workflow.ContainerInput{Number: loadgenContainer(r.o.Seed, n),
						SizeType: "40HQ", SealNo: fmt.Sprintf("LG%08d", n), TareKg: "3900"})
					return err
				})
				if err != nil {
					return err
				}
				r.counts.Containers.Add(1)
				load = 0
				in.ContainerID = box
			}
			in.Entries = append(in.Entries, workflow.PackingEntry{LineID: l.ID, Cartons: fmt.Sprint(l.Cartons), NetKg: l.NetKg, GrossKg: l.GrossKg})
			load += l.GrossGrams
		}
		if err := pack(); err != nil {
			return err
		}
		err = r.timed("POST /consolidations/:id/close", func() error { return r.mk.CloseConsolidation(ctx, ag.P, c.ID) })
		if err == nil {
			r.counts.Consolidations.Add(1)
		}
		return err
	})
}

// declare: the agent generates each closed consolidation's declarations, acknowledges their
// warnings and submits every one without an error finding.
func (r *loadRun) declare(ctx context.Context) error {
	return r.stage(ctx, "declarations", len(r.consolidations), "declarations", func() int { return int(r.counts.Submitted.Load()) },
		func(ctx context.Context, i int) error {
			c := &r.consolidations[i]
			if c.ID == 0 {
				return errors.New("consolidation not made")
			}
			ag := r.agents[c.Agent]
			var ds []declRef
			if err := r.timed("POST /consolidations/:id/declare", func() (err error) {
				ds, err = r.mk.GenerateDeclarations(ctx, ag.P, c.ID)
				return err
			}); err != nil {
				return err
			}
			r.counts.Declarations.Add(int64(len(ds)))
			for _, d := range ds {
				var fs []findingRef
				if err := r.timed("GET /declarations/:id", func() (err error) { fs, err = r.mk.Findings(ctx, ag.P, d.ID); return err }); err != nil {
					return err
				}
				blocked := false
				for _, f := range fs {
					switch {
					case f.Error:
						blocked = true
					case !f.Acked:
						if err := r.timed("POST /declarations/:id/findings/:fid/ack", func() error {
							return r.mk.AcknowledgeFinding(ctx, ag.P, d.ID, f.ID)
						}); err != nil {
							return err
						}
					}
				}
				if blocked {
					continue
				}
				var sub declRef
				if err := r.timed("POST /declarations/:id/submit", func() (err error) {
					sub, err = r.mk.SubmitDeclaration(ctx, ag.P, d.ID, workflow.SubmitInput{SignerName: "王报关", SignerRole: "报关员", Statement: true})
					return err
				}); err != nil {
					return err
				}
				r.counts.Submitted.Add(1)
				c.Declarations = append(c.Declarations, sub)
			}
			return nil
		})
}

// loadgenPDF is the smallest file the document checks take as a PDF.
var loadgenPDF = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

// clearCustoms: customs accepts every submitted declaration (risk routing); a red lane's
// inspector records a conforming result, a yellow lane's agent uploads the documents asked
// for; then release and exit.
func (r *loadRun) clearCustoms(ctx context.Context) error {
	type job struct{ c, d int }
	var jobs []job
	for ci := range r.consolidations {
		for di := range r.consolidations[ci].Declarations {
			jobs = append(jobs, job{ci, di})
		}
	}
	return r.stage(ctx, "customs", len(jobs), "declarations exited", func() int { return int(r.counts.Exited.Load()) },
		func(ctx context.Context, i int) error {
			c := &r.consolidations[jobs[i].c]
			d := c.Declarations[jobs[i].d]
			if err := r.timed("POST /customs/declarations/:id/accept", func() (err error) {
				d, err = r.mk.AcceptDeclaration(ctx, r.customs, d.ID, d.Version)
				return err
			}); err != nil {
				return err
			}
			version := d.Version
			switch d.Lane {
			case workflow.LaneRed:
				r.counts.Red.Add(1)
				version = 0 // the inspection changed the declaration
				if err := r.inspect(ctx, d.ID); err != nil {
					return err
				}
			case workflow.LaneYellow:
				r.counts.Yellow.Add(1)
				version = 0
				agent := r.agents[c.Agent].P
				err := r.timed(direct("upload declaration documents"), func() error {
					_, err := r.svc.UploadDeclarationDocuments(ctx, agent.Actor, d.ID, workflow.CustomsDocContract, []workflow.DocumentUpload{{
						FileName: "contract.pdf", Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(loadgenPDF)), nil }}})
					return err
				})
				if err != nil {
					return err
				}
			}
			if err := r.timed("POST /customs/declarations/:id/release", func() (err error) {
				d, err = r.mk.ReleaseDeclaration(ctx, r.customs, d.ID, version)
				return err
			}); err != nil {
				return err
			}
			r.counts.Released.Add(1)
			if err := r.timed("POST /customs/declarations/:id/exit", func() (err error) {
				d, err = r.mk.ConfirmExit(ctx, r.customs, d.ID, workflow.ExitInput{Version: d.Version, ExitDate: r.today})
				return err
			}); err != nil {
				return err
			}
			r.counts.Exited.Add(1)
			c.Exited.Add(1)
			return nil
		})
}

// inspect records a conforming result of a red-lane declaration's inspection as its inspector.
func (r *loadRun) inspect(ctx context.Context, declarationID int64) error {
	var in models.Inspection
	if err := r.db.WithContext(ctx).Where("declaration_id = ?", declarationID).Order("id DESC").Take(&in).Error; err != nil {
		return err
	}
	p, ok := r.inspectors.Load(in.InspectorUserID)
	if !ok {
		var u models.User
		if err := r.db.WithContext(ctx).Take(&u, in.InspectorUserID).Error; err != nil {
			return err
		}
		a, err := r.svc.ActAs(ctx, u.Username)
		if err != nil {
			return err
		}
		p, _ = r.inspectors.LoadOrStore(in.InspectorUserID, party{Username: u.Username, Actor: a})
	}
	return r.timed(direct("record inspection"), func() error {
		_, err := r.svc.RecordInspection(ctx, p.(party).Actor, in.ID, workflow.CustomsFindingInput{Result: workflow.CustomsConform, Findings: "货证相符"})
		return err
	})
}

// receiveFX: for every sale whose goods all left the country, the buyer's payment reaches the
// merchant: the FX desk records the receipt and allocates it to the sale's lines, one request
// each per receipt, or with --bulk through the statement and bulk allocation APIs.
func (r *loadRun) receiveFX(ctx context.Context) error {
	exited := map[int64]bool{}
	for ci := range r.consolidations {
		c := &r.consolidations[ci]
		if c.ID != 0 && len(c.Declarations) > 0 && c.Exited.Load() == int64(len(c.Declarations)) {
			for _, l := range c.Lines {
				exited[l.ID] = true
			}
		}
	}
	var paid []int
	for i, lines := range r.sales {
		ok := len(lines) > 0
		for _, l := range lines {
			ok = ok && exited[l.ID]
		}
		if ok {
			paid = append(paid, i)
		}
	}
	if r.o.Bulk > 0 {
		return r.receiveFXBulk(ctx, paid)
	}
	return r.stage(ctx, "fx", len(paid), "receipts allocated", nil, func(ctx context.Context, k int) error {
		receipt, in, err := r.salePayment(paid[k])
		if err != nil {
			return err
		}
		var id int64
		if err := r.timed("POST /fx/receipts", func() (err error) { id, err = r.mk.RecordReceipt(ctx, r.fx, receipt); return err }); err != nil {
			return err
		}
		err = r.timed("POST /fx/receipts/:id/allocations", func() error { return r.mk.AllocateReceipt(ctx, r.fx, id, in) })
		if err == nil {
			r.counts.Receipts.Add(1)
		}
		return err
	})
}

// salePayment is the buyer's payment of sale i as the bank records it, and its allocation to
// every line of the sale in full.
func (r *loadRun) salePayment(i int) (workflow.FXReceiptInput, workflow.FXAllocateInput, error) {
	s := r.plan.Sales[i]
	b := r.plan.Buyers[s.Buyer].In
	var total models.Money
	var in workflow.FXAllocateInput
	for _, l := range r.sales[i] {
		a, err := models.ParseMoney(l.Amount)
		if err != nil {
			return workflow.FXReceiptInput{}, in, err
		}
		total += a
		in.Items = append(in.Items, workflow.FXAllocationItem{LineID: l.ID, Amount: l.Amount})
	}
	return workflow.FXReceiptInput{BankRef: fmt.Sprintf("%s-BOC-%d", r.plan.Tag, i+1), Payer: b.Name, PayerCountry: b.Nationality,
		Currency: s.Currency, Amount: total.String(), ValueDate: r.today, Beneficiary: r.merchants[s.Merchant].USCC}, in, nil
}

// receiveFXBulk: the bank's system records the paid sales' receipts from statements of --bulk
// receipts (POST /fx/statements) and the FX desk's allocates each statement's receipts in one
// bulk call (POST /fx/allocations/bulk), within the limits of both.
func (r *loadRun) receiveFXBulk(ctx context.Context, paid []int) error {
	per := min(r.o.Bulk, workflow.MaxStatementRows, workflow.MaxFXBulkReceipts, workflow.MaxFXBulkItems/max(1, r.o.LinesPerTxn))
	var calls [][]int
	for len(paid) > 0 {
		n := min(len(paid), per)
		calls = append(calls, paid[:n])
		paid = paid[n:]
	}
	return r.stage(ctx, "fx", len(calls), "receipts allocated", func() int { return int(r.counts.Receipts.Load()) }, func(ctx context.Context, k int) error {
		var file bytes.Buffer
		w := csv.NewWriter(&file)
		_ = w.Write([]string{"bank_ref", "payer", "payer_country", "currency", "amount", "value_date", "beneficiary_uscc"})
		in := make([]workflow.FXBulkAllocation, len(calls[k]))
		for j, i := range calls[k] {
			p, a, err := r.salePayment(i)
			if err != nil {
				return err
			}
			_ = w.Write([]string{p.BankRef, p.Payer, p.PayerCountry, p.Currency, p.Amount, p.ValueDate, p.Beneficiary})
			in[j] = workflow.FXBulkAllocation{Version: 1, Items: a.Items}
		}
		w.Flush()
		var recorded []receiptRef
		err := r.timed("POST /fx/statements", func() (err error) {
			recorded, err = r.mk.RecordStatement(ctx, r.fx, fmt.Sprintf("%s-statement-%d.csv", r.plan.Tag, k+1), file.Bytes())
			return err
		})
		if err != nil {
			return err
		}
		if len(recorded) != len(in) {
			return fmt.Errorf("statement answered %d receipts for %d rows", len(recorded), len(in))
		}
		for j, rc := range recorded { // in the file's order
			in[j].ReceiptID = rc.ID
		}
		err = r.timed("POST /fx/allocations/bulk", func() error { return r.mk.AllocateBulk(ctx, r.fx, in) })
		if err == nil {
			r.counts.Receipts.Add(int64(len(in)))
		}
		return err
	})
}

// fileVAT: every merchant with exited goods builds and files its exemption filing for the
// month; the tax officer accepts it.
func (r *loadRun) fileVAT(ctx context.Context) error {
	withExits := map[int]bool{}
	exited := map[int64]bool{}
	for ci := range r.consolidations {
		c := &r.consolidations[ci]
		if c.Exited.Load() > 0 {
			for _, l := range c.Lines {
				exited[l.ID] = true
			}
		}
	}
	for i, lines := range r.sales {
		for _, l := range lines {
			if exited[l.ID] {
				withExits[r.plan.Sales[i].Merchant] = true
			}
		}
	}
	var filers []int
	for i := range r.merchants {
		if withExits[i] {
			filers = append(filers, i)
		}
	}
	period := r.svc.CurrentMonth()
	return r.stage(ctx, "vat", len(filers), "filings accepted", nil, func(ctx context.Context, k int) error {
		m := r.merchants[filers[k]]
		var id, version int64
		if err := r.timed("POST /tax/filings", func() (err error) {
			id, version, err = r.mk.BuildFiling(ctx, m.P, workflow.TaxFilingInput{MerchantID: m.ID, Period: period})
			return err
		}); err != nil {
			return err
		}
		if err := r.timed("POST /tax/filings/:id/file", func() (err error) { version, err = r.mk.FileFiling(ctx, m.P, id, version); return err }); err != nil {
			return err
		}
		err := r.timed("POST /tax/filings/:id/accept", func() error { return r.mk.AcceptFiling(ctx, r.tax, id, version) })
		if err == nil {
			r.counts.Filings.Add(1)
		}
		return err
	})
}

// attach finds the parties of an earlier run of the same seed in the database, for
// --reads-only: the officers, agents and merchants by their usernames, each with a new API token,
// and a sample of up to 20,000 trace codes spread over the day's lines.
func (r *loadRun) attach(ctx context.Context) error {
	if err := r.staff(ctx); err != nil {
		return err
	}
	r.agents = make([]agentRun, len(r.plan.Agents))
	for i, a := range r.plan.Agents {
		p, err := r.partyOf(ctx, a.Username)
		if err != nil {
			return fmt.Errorf("agent %s of seed %d: %w (run the day first with the same --seed and sizes)", a.Username, r.o.Seed, err)
		}
		r.agents[i] = agentRun{P: p}
	}
	r.merchants = make([]merchantRun, min(len(r.plan.Merchants), r.o.Reads))
	for i := range r.merchants {
		p, err := r.partyOf(ctx, r.plan.Merchants[i].Username)
		if err != nil {
			return fmt.Errorf("merchant %s of seed %d: %w", r.plan.Merchants[i].Username, r.o.Seed, err)
		}
		r.merchants[i] = merchantRun{P: p}
	}
	var n int64
	if err := r.db.WithContext(ctx).Model(&models.TransactionLine{}).Count(&n).Error; err != nil {
		return err
	}
	var codes []string
	if err := r.db.WithContext(ctx).Model(&models.TransactionLine{}).Where("id % ? = 0", max(1, n/20_000)).
		Limit(20_000).Pluck("trace_code", &codes).Error; err != nil {
		return err
	}
	r.sales = [][]lineRef{make([]lineRef, len(codes))}
	for i, c := range codes {
		r.sales[0][i] = lineRef{TraceCode: c}
	}
	return nil
}

// readLists: --readers concurrent clients read the pages people keep open on the full day's
// data (HTTP only): a merchant's transactions, an agent's declarations, the customs queue, the
// FX receipts, and traces of random lines by an admin.
func (r *loadRun) readLists(ctx context.Context) error {
	h, ok := r.mk.(httpMarket)
	if !ok || r.o.Readers < 1 || r.o.Reads < 1 {
		return nil
	}
	var codes []string
	for _, lines := range r.sales {
		for _, l := range lines {
			codes = append(codes, l.TraceCode)
		}
	}
	saved := r.o.Concurrency
	r.o.Concurrency = r.o.Readers
	defer func() { r.o.Concurrency = saved }()
	return r.stage(ctx, "reads", r.o.Reads, "GET requests", nil, func(ctx context.Context, i int) error {
		if r.o.Think > 0 {
			// Each pause is drawn between half and one and a half times --think, the first one
			// too, so that the readers do not move in step (people do not either).
			pause := time.Duration(float64(r.o.Think) * (0.5 + rand.Float64()))
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		m, a := r.merchants[i%len(r.merchants)], r.agents[i%len(r.agents)]
		page := 1 + i%3
		switch i % 5 {
		case 0:
			return r.timed("GET /transactions (list)", func() error { return h.call(ctx, m.P, "GET", fmt.Sprintf("/transactions?page=%d", page), nil, nil) })
		case 1:
			return r.timed("GET /declarations (list)", func() error { return h.call(ctx, a.P, "GET", fmt.Sprintf("/declarations?page=%d", page), nil, nil) })
		case 2:
			return r.timed("GET /customs/queue (list)", func() error { return h.call(ctx, r.customs, "GET", "/customs/queue?stage=released", nil, nil) })
		case 3:
			return r.timed("GET /fx/receipts (list)", func() error { return h.call(ctx, r.fx, "GET", fmt.Sprintf("/fx/receipts?page=%d", page), nil, nil) })
		}
		if len(codes) == 0 {
			return nil
		}
		code := codes[(i*7919)%len(codes)]
		return r.timed("GET /trace/:code", func() error { return h.call(ctx, r.admin, "GET", "/trace/"+code, nil, nil) })
	})
}
