package main

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow"
)

// prepare makes sure four closed consolidations wait to be declared in the next round (built
// through the service while the server is stopped, as the agent would through the pages); a
// closed consolidation whose generation a kill interrupted is declared again.
func (r *crashRig) prepare() {
	t := r.t
	r.withService(func(ctx context.Context, db *gorm.DB, svc *workflow.Service) {
		merchant, err := svc.ActAs(ctx, "merchant1")
		if err != nil {
			t.Fatal(err)
		}
		agent, err := svc.ActAs(ctx, "agent1")
		if err != nil {
			t.Fatal(err)
		}
		var closed []int64
		if err := db.Model(&models.Consolidation{}).Where("agent_id = ? AND status = ?", agent.AgentID, models.ConsolidationClosed).
			Order("id").Pluck("id", &closed).Error; err != nil {
			t.Fatal(err)
		}
		for len(closed) < 4 {
			closed = append(closed, r.closedConsolidation(ctx, db, svc, merchant, agent))
		}
		r.ledger.mu.Lock()
		r.ledger.closed = closed
		r.ledger.mu.Unlock()
	})
}

// closedConsolidation registers one or two sales of 20–80 lines and files, packs and closes them.
func (r *crashRig) closedConsolidation(ctx context.Context, db *gorm.DB, svc *workflow.Service, merchant, agent workflow.Actor) int64 {
	t := r.t
	var lineIDs []int64
	for range 1 + r.rng.IntN(2) {
		in := workflow.NewTransaction{TransactionInput: workflow.TransactionInput{MerchantID: r.world.merchantID,
			BuyerID: r.world.buyers[r.rng.IntN(len(r.world.buyers))].ID, TradeDate: r.world.today, Currency: "USD"}, Submit: true}
		for range 20 + r.rng.IntN(61) {
			net := 1 + r.rng.IntN(20)
			in.Lines = append(in.Lines, workflow.LineInput{GoodsID: r.world.goods[r.rng.IntN(len(r.world.goods))].ID,
				Quantity: fmt.Sprint(1 + r.rng.IntN(500)), UnitPrice: crashPrice(r.rng),
				Cartons: fmt.Sprint(1 + r.rng.IntN(5)), NetKg: fmt.Sprint(net), GrossKg: fmt.Sprint(net + 1)})
		}
		var detail *workflow.TransactionDetail
		if _, _, err := svc.RegisterTransaction(ctx, merchant, in, workflow.Idempotency{}, func(d *workflow.TransactionDetail) (workflow.Answer, error) {
			detail = d
			return workflow.Answer{}, nil
		}); err != nil {
			t.Fatalf("prepare: register a sale: %v", err)
		}
		for _, l := range detail.Lines {
			lineIDs = append(lineIDs, l.ID)
		}
	}
	c, err := svc.OpenConsolidation(ctx, agent, workflow.ConsolidationInput{DestinationCountry: "AE", DestinationPort: "Jebel Ali",
		TransportMode: "2", TradeTerms: "FOB", ExitPort: "Ningbo", StuffingPlace: "义乌国际陆港监管场站"})
	if err != nil {
		t.Fatalf("prepare: open a consolidation: %v", err)
	}
	if _, _, err := svc.AllocateLines(ctx, agent, c.ID, lineIDs); err != nil {
		t.Fatalf("prepare: allocate lines: %v", err)
	}
	r.boxSerial++
	first := fmt.Sprintf("CRSU%06d", r.boxSerial)
	digit, _ := workflow.ContainerCheckDigit(first)
	box, err := svc.AddContainer(ctx, agent, c.ID, workflow.ContainerInput{Number: fmt.Sprintf("%s%d", first, digit), SizeType: "40HQ",
		SealNo: fmt.Sprintf("CR%06d", r.boxSerial), TareKg: "3900"})
	if err != nil {
		t.Fatalf("prepare: add a container: %v", err)
	}
	if _, err := svc.PackRest(ctx, agent, c.ID, box.ID, 0); err != nil {
		t.Fatalf("prepare: pack: %v", err)
	}
	if err := db.WithContext(ctx).Take(c, c.ID).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CloseConsolidation(ctx, agent, c.ID, c.Version); err != nil {
		t.Fatalf("prepare: close: %v", err)
	}
	return c.ID
}

// check opens the killed server's database and checks it.
func (r *crashRig) check() {
	r.withService(func(ctx context.Context, db *gorm.DB, _ *workflow.Service) {
		c := &crashCheck{rig: r, db: db.WithContext(ctx)}
		c.integrity()
		c.transactions()
		c.imports()
		c.declarations()
		c.fx()
		v, err := models.VerifyAudit(ctx, db, nil, nil)
		if err != nil || !v.OK() {
			c.fail("the audit chain does not verify: %+v %v", v, err)
		}
	})
}

// crashCheck is one round's checks of the database.
type crashCheck struct {
	rig *crashRig
	db  *gorm.DB
}

func (c *crashCheck) fail(format string, args ...any) {
	c.rig.t.Helper()
	c.rig.t.Errorf("round %d (seed %d): %s", c.rig.round, c.rig.seed, fmt.Sprintf(format, args...))
}

// ids runs a query listing offending ids; each is a failure.
func (c *crashCheck) none(what, query string, args ...any) {
	c.rig.t.Helper()
	var ids []int64
	if err := c.db.Raw(query, args...).Scan(&ids).Error; err != nil {
		c.fail("%s: %v", what, err)
		return
	}
	if len(ids) > 0 {
		c.fail("%s: %v", what, ids[:min(len(ids), 20)])
	}
}

func (c *crashCheck) integrity() {
	var res []string
	if err := c.db.Raw("PRAGMA integrity_check").Scan(&res).Error; err != nil || len(res) != 1 || res[0] != "ok" {
		c.fail("PRAGMA integrity_check: %v %v", res, err)
	}
	var fk []map[string]any
	if err := c.db.Raw("PRAGMA foreign_key_check").Scan(&fk).Error; err != nil || len(fk) > 0 {
		c.fail("PRAGMA foreign_key_check: %v %v", fk, err)
	}
}

// transactions: every acknowledged transaction is there with its lines, no transaction's totals
// disagree with its lines, and no retried create made a transaction twice.
func (c *crashCheck) transactions() {
	l := c.rig.ledger
	c.none("transactions whose line count or total disagrees with their lines", `SELECT t.id FROM transactions t
		LEFT JOIN transaction_lines tl ON tl.transaction_id = t.id GROUP BY t.id
		HAVING t.line_count <> COUNT(tl.id) OR t.total_amount <> COALESCE(SUM(tl.amount), 0)`)
	for id, want := range l.txns {
		var got struct {
			Number string
			Lines  int64
		}
		c.db.Raw(`SELECT t.number, (SELECT COUNT(*) FROM transaction_lines WHERE transaction_id = t.id) AS lines
			FROM transactions t WHERE t.id = ?`, id).Scan(&got)
		if got.Number != want.Number || got.Lines != int64(len(want.Lines)) {
			c.fail("acknowledged transaction %d %s with %d lines is %q with %d lines", id, want.Number, len(want.Lines), got.Number, got.Lines)
			continue
		}
		if len(want.Lines) == 0 {
			continue
		}
		var n int64
		c.db.Model(&models.TransactionLine{}).Where("transaction_id = ? AND id IN ?", id, want.Lines).Count(&n)
		if n != int64(len(want.Lines)) {
			c.fail("acknowledged transaction %d: %d of its %d acknowledged line ids are there", id, n, len(want.Lines))
		}
		var audited int64
		c.db.Model(&models.AuditEntry{}).Where("entity = ? AND entity_id = ?", "transaction", fmt.Sprint(id)).Count(&audited)
		if audited == 0 {
			c.fail("acknowledged transaction %d has no audit entry", id)
		}
	}
	scale := int64(math.Pow10(models.QuantityScale))
	c.none("transactions created twice by a retried request (first-line markers)", `SELECT tl.quantity FROM transaction_lines tl
		WHERE tl.line_no = 1 AND tl.quantity >= ? GROUP BY tl.quantity HAVING COUNT(*) > 1`, crashMarker(0)*scale)
	for id, want := range l.txns {
		if want.Seq == 0 {
			continue
		}
		var q int64
		c.db.Raw(`SELECT quantity FROM transaction_lines WHERE transaction_id = ? AND line_no = 1`, id).Scan(&q)
		if q != crashMarker(want.Seq)*scale {
			c.fail("acknowledged transaction %d (marker %d) has first-line quantity %d", id, want.Seq, q)
		}
	}
}

// imports: an import wrote all its lines or none, an acknowledged one all, and its job says so.
func (c *crashCheck) imports() {
	for _, im := range c.rig.ledger.imports {
		var n int64
		c.db.Model(&models.TransactionLine{}).Where("transaction_id = ?", im.TransactionID).Count(&n)
		var job models.ImportJob
		if err := c.db.Take(&job, im.JobID).Error; err != nil {
			c.fail("import job %d (round %d) is gone: %v", im.JobID, im.Round, err)
			continue
		}
		switch {
		case n != 0 && n != int64(im.Rows):
			c.fail("import into transaction %d (job %d, round %d) is half-written: %d of %d lines", im.TransactionID, im.JobID, im.Round, n, im.Rows)
		case im.Acked && n != int64(im.Rows):
			c.fail("acknowledged import into transaction %d (job %d) has %d of %d lines", im.TransactionID, im.JobID, n, im.Rows)
		case n == int64(im.Rows) && job.Status != models.ImportDone:
			c.fail("import into transaction %d committed its %d lines but its job %d (round %d) says %q, so its page will say nothing was imported",
				im.TransactionID, n, im.JobID, im.Round, job.Status)
		case n == 0 && job.Status == models.ImportDone:
			c.fail("import job %d says done but transaction %d has no lines", im.JobID, im.TransactionID)
		}
	}
}

// declarations: none without items or correspondence, totals that add up, a declared
// consolidation has declarations covering every line, a closed one none; the acknowledged ones
// are there.
func (c *crashCheck) declarations() {
	c.none("declarations without items", `SELECT d.id FROM declarations d
		WHERE NOT EXISTS (SELECT 1 FROM declaration_items di WHERE di.declaration_id = d.id)`)
	c.none("declaration items without correspondence", `SELECT di.id FROM declaration_items di
		WHERE NOT EXISTS (SELECT 1 FROM declaration_item_lines dil WHERE dil.declaration_item_id = di.id)`)
	c.none("declarations whose items do not add up to their totals", `SELECT d.id FROM declarations d
		JOIN (SELECT declaration_id, SUM(total_usd) AS usd, SUM(total_value) AS value, SUM(net_grams) AS net
		      FROM declaration_items GROUP BY declaration_id) i ON i.declaration_id = d.id
		WHERE i.usd <> d.total_usd OR i.value <> d.total_value OR i.net <> d.net_grams`)
	c.none("declarations whose correspondence does not add up to their total", `SELECT d.id FROM declarations d
		JOIN (SELECT di.declaration_id, SUM(dil.value_usd) AS usd FROM declaration_item_lines dil
		      JOIN declaration_items di ON di.id = dil.declaration_item_id GROUP BY di.declaration_id) x ON x.declaration_id = d.id
		WHERE x.usd <> d.total_usd`)
	c.none("declared consolidations without declarations", `SELECT c.id FROM consolidations c WHERE c.status = 'declared'
		AND NOT EXISTS (SELECT 1 FROM declarations d WHERE d.consolidation_id = c.id)`)
	c.none("open or closed consolidations with declarations", `SELECT c.id FROM consolidations c WHERE c.status IN ('open', 'closed')
		AND EXISTS (SELECT 1 FROM declarations d WHERE d.consolidation_id = c.id)`)
	c.none("declared consolidations whose declarations do not cover every line", `SELECT c.id FROM consolidations c
		WHERE c.status = 'declared' AND (SELECT COUNT(*) FROM consolidation_lines cl WHERE cl.consolidation_id = c.id) <>
		(SELECT COUNT(DISTINCT dil.transaction_line_id) FROM declaration_item_lines dil
		 JOIN declaration_items di ON di.id = dil.declaration_item_id JOIN declarations d ON d.id = di.declaration_id
		 WHERE d.consolidation_id = c.id)`)
	for cons, want := range c.rig.ledger.declared {
		var got []int64
		c.db.Model(&models.Declaration{}).Where("consolidation_id = ?", cons).Order("id").Pluck("id", &got)
		if !slices.Equal(got, slices.Sorted(slices.Values(want))) {
			c.fail("acknowledged generation of consolidation %d made declarations %v, the database has %v", cons, want, got)
		}
		var audited int64
		c.db.Model(&models.AuditEntry{}).Where("entity = ? AND action = ? AND entity_id IN ?", "declaration", "generate",
			int64Strings(want)).Count(&audited)
		if audited != int64(len(want)) {
			c.fail("acknowledged declarations %v have %d generation audit entries", want, audited)
		}
	}
}

// fx: receipts and lines agree with their allocations, no line is over-allocated, and the
// acknowledged receipts and allocations are there.
func (c *crashCheck) fx() {
	l := c.rig.ledger
	c.none("receipts whose allocated amount is not the sum of their allocations", `SELECT r.id FROM fx_receipts r
		LEFT JOIN (SELECT receipt_id, SUM(amount) AS s FROM fx_allocations GROUP BY receipt_id) a ON a.receipt_id = r.id
		WHERE r.allocated <> COALESCE(a.s, 0) OR r.allocated > r.amount`)
	c.none("lines whose paid amount is not the sum of their allocations, or over their amount", `SELECT tl.id FROM transaction_lines tl
		LEFT JOIN (SELECT transaction_line_id, SUM(amount) AS s FROM fx_allocations GROUP BY transaction_line_id) a
		ON a.transaction_line_id = tl.id WHERE tl.fx_allocated <> COALESCE(a.s, 0) OR tl.fx_allocated > tl.amount`)
	for id, ref := range l.receipts {
		var got string
		c.db.Model(&models.FXReceipt{}).Where("id = ?", id).Pluck("bank_ref", &got)
		if got != ref {
			c.fail("acknowledged receipt %d %s is %q", id, ref, got)
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(l.allocs), func(a, b [2]int64) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	}) {
		var got int64
		c.db.Model(&models.FXAllocation{}).Where("receipt_id = ? AND transaction_line_id = ?", k[0], k[1]).Pluck("amount", &got)
		if models.Money(got) < l.allocs[k] {
			c.fail("acknowledged allocation of %s from receipt %d to line %d: the database has %s", l.allocs[k], k[0], k[1], models.Money(got))
		}
	}
}

func int64Strings(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = fmt.Sprint(id)
	}
	return out
}
