package workflow_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// declWorld is the seeded world with the November 2026 customs rates (USD 7.1000, EUR 7.7000
// CNY per unit) and helpers that write goods, transactions, lines and consolidations directly.
type declWorld struct {
	t   testing.TB
	svc *workflow.Service
	db  *gorm.DB
	*testkit.World
	now time.Time
	seq int
	sku int
}

func newDeclWorld(t testing.TB, db *gorm.DB) *declWorld {
	t.Helper()
	w := &declWorld{t: t, db: db, World: testkit.Seed(t, db), now: testkit.Now}
	w.svc = servicetest.Service(t, db, func() time.Time { return w.now })
	for cur, r := range map[string]models.Rate{"USD": 7_100_000, "EUR": 7_700_000} {
		w.create(t, &models.ExchangeRate{Month: "2026-11", Currency: cur, CNYPerUnit: r, CreatedAt: testkit.Now, UpdatedAt: testkit.Now})
	}
	return w
}

func (w *declWorld) create(t testing.TB, v any) {
	t.Helper()
	if err := w.db.Create(v).Error; err != nil {
		t.Fatalf("create %T: %v", v, err)
	}
}

// actor is a seeded user as the service sees them.
func (w *declWorld) actor(username string) workflow.Actor {
	return servicetest.Actor(w.t, w.World, username)
}

// goods writes recognised-or-not goods of a merchant.
func (w *declWorld) goods(t testing.TB, merchantID int64, hs, name, spec, unit, status string) models.Goods {
	t.Helper()
	w.sku++
	g := models.Goods{MerchantID: merchantID, SKU: fmt.Sprintf("SKU-%d", w.sku), NameZh: name, NameEn: name, HSCode: hs, Spec: spec,
		LegalUnit: unit, TransactionUnit: unit, Status: status, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	w.create(t, &g)
	return g
}

// lineSpec is one line to write: goods, amount in the transaction currency, cartons and kg.
type lineSpec struct {
	goods          models.Goods
	amount         models.Money
	qty            models.Quantity
	cartons        int64
	netKg, grossKg models.Grams
}

// transaction writes a registered transaction of a merchant for a buyer with its lines.
func (w *declWorld) transaction(t testing.TB, merchantID, buyerID int64, currency string, specs ...lineSpec) []models.TransactionLine {
	t.Helper()
	w.seq++
	tr := models.Transaction{Number: fmt.Sprintf("TR20261129%05d", w.seq), MerchantID: merchantID, BuyerID: buyerID,
		TradeDate: "2026-11-29", Currency: currency, Status: models.TransactionRegistered, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	w.create(t, &tr)
	lines := make([]models.TransactionLine, len(specs))
	for i, s := range specs {
		qty := s.qty
		if qty == 0 {
			qty = 100_000
		}
		net, gross := s.netKg, s.grossKg
		if net == 0 {
			net = 10_000
		}
		if gross < net {
			gross = net + 1_000
		}
		cartons := s.cartons
		if cartons == 0 {
			cartons = 2
		}
		lines[i] = models.TransactionLine{TransactionID: tr.ID, LineNo: i + 1, GoodsID: s.goods.ID,
			TraceCode: fmt.Sprintf("YW%08d%03d", w.seq, i+1), Quantity: qty, Unit: s.goods.LegalUnit,
			UnitPrice: 1, Amount: s.amount, Cartons: cartons, NetGrams: net, GrossGrams: gross, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	}
	if len(lines) > 0 {
		if err := w.db.CreateInBatches(&lines, 500).Error; err != nil {
			t.Fatal(err)
		}
	}
	return lines
}

// consolidation writes a consolidation of an agent in a status, files the lines into it and
// packs them all into one 40HQ container.
func (w *declWorld) consolidation(t testing.TB, agentID int64, status string, lines ...models.TransactionLine) models.Consolidation {
	t.Helper()
	w.seq++
	c := models.Consolidation{BookingCode: fmt.Sprintf("BK%06d", w.seq), AgentID: agentID, DestinationCountry: "AE",
		DestinationPort: "Jebel Ali", TransportMode: "2", TradeTerms: "FOB", ExitPort: "Ningbo", StuffingPlace: "Yiwu",
		Status: status, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	w.create(t, &c)
	ct := models.Container{ConsolidationID: c.ID, Number: fmt.Sprintf("MSCU%06d%d", w.seq%1_000_000, 7), SizeType: "40HQ",
		SealNo: "SEAL1", CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	w.create(t, &ct)
	cls := make([]models.ConsolidationLine, len(lines))
	pls := make([]models.PackingLine, len(lines))
	for i, l := range lines {
		cls[i] = models.ConsolidationLine{ConsolidationID: c.ID, TransactionLineID: l.ID, CreatedAt: testkit.Now}
		pls[i] = models.PackingLine{ContainerID: ct.ID, TransactionLineID: l.ID, Cartons: l.Cartons, NetGrams: l.NetGrams,
			GrossGrams: l.GrossGrams, CreatedAt: testkit.Now}
	}
	if len(lines) > 0 {
		if err := w.db.CreateInBatches(&cls, 500).Error; err != nil {
			t.Fatal(err)
		}
		if err := w.db.CreateInBatches(&pls, 500).Error; err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func (w *declWorld) generate(t testing.TB, c models.Consolidation) *workflow.GenerateResult {
	t.Helper()
	res, err := w.svc.GenerateDeclarations(context.Background(), w.actor(testkit.UserAgentX), c.ID)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	return res
}

func (w *declWorld) detail(t testing.TB, id int64) *workflow.DeclarationDetail {
	t.Helper()
	d, err := w.svc.Declaration(context.Background(), w.actor(testkit.UserAgentX), id)
	if err != nil {
		t.Fatalf("detail: %v", err)
	}
	return d
}

func (w *declWorld) consolidationStatus(t testing.TB, id int64) string {
	t.Helper()
	var c models.Consolidation
	if err := w.db.Take(&c, id).Error; err != nil {
		t.Fatal(err)
	}
	return c.Status
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func dollars(n int64) models.Money { return models.Money(n * 100) }

var signed = workflow.SubmitInput{SignerName: "王小明", SignerRole: "报关员", Statement: true}

// TestGenerateDeclarations: several buyers, several currencies converted via CNY at the
// declaration month's rate, identical goods of several merchants merged into one variety,
// 18-digit sequential pre-entry numbers, the header filled and the consolidation declared.
func TestGenerateDeclarations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newDeclWorld(t, db)
		cupA := w.goods(t, w.MerchantA.ID, "3924100000", "塑料水杯", "PP 350ml", "007", models.GoodsRecognised)
		cupB := w.goods(t, w.MerchantB.ID, "3924100000", "塑料水杯", "PP 350ml", "007", models.GoodsRecognised)
		toy := w.goods(t, w.MerchantA.ID, "9503002100", "毛绒玩具", "", "007", models.GoodsRecognised)
		var lines []models.TransactionLine
		lines = append(lines, w.transaction(t, w.MerchantA.ID, w.BuyerA.ID, "USD", lineSpec{goods: cupA, amount: dollars(1000)})...)
		lines = append(lines, w.transaction(t, w.MerchantB.ID, w.BuyerA.ID, "USD", lineSpec{goods: cupB, amount: dollars(500)})...)
		// EUR 770.00 → CNY 5,929.00 → USD 835.07; CNY 710.00 → USD 100.00.
		lines = append(lines, w.transaction(t, w.MerchantA.ID, w.BuyerB.ID, "EUR", lineSpec{goods: toy, amount: dollars(770)})...)
		lines = append(lines, w.transaction(t, w.MerchantA.ID, w.BuyerB.ID, "CNY", lineSpec{goods: cupA, amount: dollars(710)})...)
		c := w.consolidation(t, w.AgentX.ID, models.ConsolidationClosed, lines...)

		res := w.generate(t, c)
		if len(res.Declarations) != 2 {
			t.Fatalf("declarations: %d", len(res.Declarations))
		}
		a, b := res.Declarations[0], res.Declarations[1]
		if a.BuyerID != w.BuyerA.ID || b.BuyerID != w.BuyerB.ID {
			t.Errorf("buyers %d %d", a.BuyerID, b.BuyerID)
		}
		for i, d := range res.Declarations {
			if len(d.PreEntryNo) != 18 || !workflow.CheckDeclarationNumber(d.PreEntryNo).OK {
				t.Errorf("pre-entry %q", d.PreEntryNo)
			}
			if want := fmt.Sprintf("293320260%09d", i+1); d.PreEntryNo != want {
				t.Errorf("pre-entry %s, want %s", d.PreEntryNo, want)
			}
			if d.SupervisionMode != "1039" || d.RateMonth != "2026-11" || d.Status != models.DeclarationDraft || d.PackageType != "22" {
				t.Errorf("header %+v", d)
			}
		}
		if a.Currency != "USD" || a.TotalUSD != dollars(1500) || a.Packages != 4 {
			t.Errorf("buyer A: %s %s %d", a.Currency, a.TotalUSD, a.Packages)
		}
		if !strings.Contains(a.Remarks, w.BuyerA.Name) || !strings.Contains(a.Remarks, "AE") || !strings.Contains(a.Remarks, w.BuyerA.DocNumber) {
			t.Errorf("remarks %q", a.Remarks)
		}
		if b.Currency != "USD" || b.TotalUSD != 83507+10000 {
			t.Errorf("buyer B (EUR + CNY → USD): %s %s", b.Currency, b.TotalUSD)
		}
		da := w.detail(t, a.ID)
		if len(da.Items) != 1 || len(da.Items[0].Lines) != 2 || da.Items[0].TotalUSD != dollars(1500) {
			t.Fatalf("identical goods of two merchants should merge into one variety: %+v", da.Items)
		}
		if da.Items[0].Lines[0].MerchantName == da.Items[0].Lines[1].MerchantName {
			t.Errorf("correspondence should name both merchants")
		}
		if len(da.Containers) != 1 || len(da.Packing) != 2 {
			t.Errorf("containers %d packing %d", len(da.Containers), len(da.Packing))
		}
		if len(da.Timeline) == 0 || da.Timeline[0].Kind != workflow.EventGenerated {
			t.Errorf("timeline %+v", da.Timeline)
		}
		if got := w.consolidationStatus(t, c.ID); got != models.ConsolidationDeclared {
			t.Errorf("consolidation %s", got)
		}
		_, err := w.svc.GenerateDeclarations(context.Background(), w.actor(testkit.UserAgentX), c.ID)
		wantCode(t, err, apperr.Conflict)

		// The next consolidation continues the series.
		more := w.transaction(t, w.MerchantA.ID, w.BuyerA.ID, "USD", lineSpec{goods: toy, amount: dollars(10)})
		c2 := w.consolidation(t, w.AgentX.ID, models.ConsolidationClosed, more...)
		if got := w.generate(t, c2).Declarations[0].PreEntryNo; got != "293320260000000003" {
			t.Errorf("third number %s", got)
		}
	})
}

// TestGenerateRefusals: outcomes of generation that write nothing.
func TestGenerateRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newDeclWorld(t, db)
		toy := w.goods(t, w.MerchantA.ID, "9503002100", "毛绒玩具", "", "007", models.GoodsRecognised)
		gun := w.goods(t, w.MerchantA.ID, "9303200000", "猎枪", "", "011", models.GoodsRecognised)
		ctx := context.Background()
		agentX := w.actor(testkit.UserAgentX)
		cases := []struct {
			name  string
			setup func() models.Consolidation
			actor workflow.Actor
			code  apperr.Code
			field string
		}{
			{"ErrLineOverCap", func() models.Consolidation {
				ls := w.transaction(t, w.MerchantA.ID, w.BuyerA.ID, "USD", lineSpec{goods: toy, amount: dollars(150_000) + 1}, lineSpec{goods: toy, amount: dollars(5)})
				return w.consolidation(t, w.AgentX.ID, models.ConsolidationClosed, ls...)
			}, agentX, apperr.Invalid, "value_usd"},
			{"ErrIneligibleHS", func() models.Consolidation {
				ls := w.transaction(t, w.MerchantA.ID, w.BuyerA.ID, "USD", lineSpec{goods: gun, amount: dollars(5)})
				return w.consolidation(t, w.AgentX.ID, models.ConsolidationClosed, ls...)
			}, agentX, apperr.Invalid, "hs_code"},
			{"ErrMissingRate", func() models.Consolidation {
				ls := w.transaction(t, w.MerchantA.ID, w.BuyerA.ID, "GBP", lineSpec{goods: toy, amount: dollars(5)})
				return w.consolidation(t, w.AgentX.ID, models.ConsolidationClosed, ls...)
			}, agentX, apperr.Conflict, ""},
			{"ErrNotClosed", func() models.Consolidation {
				ls := w.transaction(t, w.MerchantA.ID, w.BuyerA.ID, "USD", lineSpec{goods: toy, amount: dollars(5)})
				return w.consolidation(t, w.AgentX.ID, models.ConsolidationOpen, ls...)
			}, agentX, apperr.Conflict, ""},
			{"ErrNotOwner", func() models.Consolidation {
				ls := w.transaction(t, w.MerchantA.ID, w.BuyerA.ID, "USD", lineSpec{goods: toy, amount: dollars(5)})
				return w.consolidation(t, w.AgentX.ID, models.ConsolidationClosed, ls...)
			}, w.actor(testkit.UserAgentY), apperr.NotFound, ""},
			{"ErrForbiddenRole", func() models.Consolidation {
				ls := w.transaction(t, w.MerchantA.ID, w.BuyerA.ID, "USD", lineSpec{goods: toy, amount: dollars(5)})
				return w.consolidation(t, w.AgentX.ID, models.ConsolidationClosed, ls...)
			}, w.actor(testkit.UserCustoms), apperr.Forbidden, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := tc.setup()
				_, err := w.svc.GenerateDeclarations(ctx, tc.actor, c.ID)
				wantCode(t, err, tc.code)
				if tc.field != "" {
					ae := apperr.As(err)
					if len(ae.Fields) != 1 || !strings.HasSuffix(ae.Fields[0].Field, "."+tc.field) || !strings.Contains(ae.Fields[0].Text.En, "YW") {
						t.Errorf("problems %+v", ae.Fields)
					}
				}
				if tc.name == "ErrMissingRate" && !strings.Contains(apperr.As(err).Text.En, "GBP in 2026-11") {
					t.Errorf("message %q", apperr.As(err).Text.En)
				}
				var n int64
				w.db.Model(&models.Declaration{}).Where("consolidation_id = ?", c.ID).Count(&n)
				if n != 0 || (tc.name != "ErrNotClosed" && w.consolidationStatus(t, c.ID) != models.ConsolidationClosed) {
					t.Errorf("something was written: %d declarations", n)
				}
			})
		}
	})
}

// TestGenerateExactlyAtCapAndSplitting: lines totalling exactly the cap make one declaration;
// more than 50 varieties of not-simplifiable goods split on the item limit.
func TestGenerateExactlyAtCapAndSplitting(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newDeclWorld(t, db)
		toy := w.goods(t, w.MerchantA.ID, "9503002100", "毛绒玩具", "", "007", models.GoodsRecognised)
		cup := w.goods(t, w.MerchantA.ID, "3924100000", "塑料水杯", "", "007", models.GoodsRecognised)
		ls := w.transaction(t, w.MerchantA.ID, w.BuyerA.ID, "USD", lineSpec{goods: toy, amount: dollars(100_000)}, lineSpec{goods: cup, amount: dollars(50_000)})
		res := w.generate(t, w.consolidation(t, w.AgentX.ID, models.ConsolidationClosed, ls...))
		if len(res.Declarations) != 1 || res.Declarations[0].TotalUSD != dollars(150_000) {
			t.Fatalf("exactly at the cap: %d declarations", len(res.Declarations))
		}

		// Chapter 21 is seeded as not simplifiable (statutory inspection).
		var specs []lineSpec
		for i := range 60 {
			g := w.goods(t, w.MerchantA.ID, "2106909090", fmt.Sprintf("食品%02d", i), "", "035", models.GoodsRecognised)
			specs = append(specs, lineSpec{goods: g, amount: dollars(100 + int64(i))})
		}
		ls = w.transaction(t, w.MerchantA.ID, w.BuyerA.ID, "USD", specs...)
		res = w.generate(t, w.consolidation(t, w.AgentX.ID, models.ConsolidationClosed, ls...))
		if len(res.Declarations) != 2 {
			t.Fatalf("60 unsimplifiable items: %d declarations", len(res.Declarations))
		}
		total := 0
		for _, d := range res.Declarations {
			n := len(w.detail(t, d.ID).Items)
			if n > 50 {
				t.Errorf("%d items", n)
			}
			total += n
		}
		if total != 60 {
			t.Errorf("items %d", total)
		}
	})
}

// TestFindingsAndSubmission: findings stored and linked to fields; submission blocked by an
// error, then by unacknowledged warnings; acknowledged, signed and submitted; an identical
// resubmission within 48 hours refused.
func TestFindingsAndSubmission(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newDeclWorld(t, db)
		ctx := context.Background()
		agent := w.actor(testkit.UserAgentX)
		toy := w.goods(t, w.MerchantA.ID, "9503002100", "毛绒玩具", "", "007", models.GoodsRecognised)
		pending := w.goods(t, w.MerchantB.ID, "9503002100", "积木", "", "007", models.GoodsPending)

		// An error (goods not recognised) on buyer B's declaration.
		lsB := w.transaction(t, w.MerchantB.ID, w.BuyerB.ID, "USD", lineSpec{goods: pending, amount: dollars(10)})
		// A warning (net 200 kg per carton) on buyer A's.
		lsA := w.transaction(t, w.MerchantA.ID, w.BuyerA.ID, "USD", lineSpec{goods: toy, amount: dollars(10), cartons: 1, netKg: 200_000})
		res := w.generate(t, w.consolidation(t, w.AgentX.ID, models.ConsolidationClosed, append(lsA, lsB...)...))
		dA, dB := res.Declarations[0], res.Declarations[1]

		detB := w.detail(t, dB.ID)
		if len(detB.Findings) != 1 || detB.Findings[0].Code != workflow.FindingGoodsNotRecognised || detB.Findings[0].Anchor != fmt.Sprintf("line-%d", lsB[0].ID) {
			t.Fatalf("findings B %+v", detB.Findings)
		}
		_, err := w.svc.SubmitDeclaration(ctx, agent, dB.ID, signed)
		wantCode(t, err, apperr.Conflict)
		_, err = w.svc.AcknowledgeFinding(ctx, agent, dB.ID, detB.Findings[0].ID)
		wantCode(t, err, apperr.Conflict)

		detA := w.detail(t, dA.ID)
		if len(detA.Findings) != 1 || detA.Findings[0].Code != workflow.FindingWeightPerCarton || detA.Findings[0].Field != fmt.Sprintf("lines[%d].net_kg", lsA[0].ID) {
			t.Fatalf("findings A %+v", detA.Findings)
		}
		if len(detA.Items[0].Findings) != 1 {
			t.Errorf("finding not under its item")
		}
		_, err = w.svc.SubmitDeclaration(ctx, agent, dA.ID, signed)
		wantCode(t, err, apperr.Conflict)
		_, err = w.svc.AcknowledgeFinding(ctx, w.actor(testkit.UserAgentY), dA.ID, detA.Findings[0].ID)
		wantCode(t, err, apperr.NotFound)
		if _, err := w.svc.AcknowledgeFinding(ctx, agent, dA.ID, detA.Findings[0].ID); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.SubmitDeclaration(ctx, agent, dA.ID, workflow.SubmitInput{SignerName: "王小明", SignerRole: "报关员"})
		wantCode(t, err, apperr.Invalid)
		sub, err := w.svc.SubmitDeclaration(ctx, agent, dA.ID, signed)
		if err != nil {
			t.Fatal(err)
		}
		if sub.Status != models.DeclarationSubmitted || sub.SubmittedAt == nil {
			t.Errorf("submitted %+v", sub)
		}
		detA = w.detail(t, dA.ID)
		if detA.Signer == nil || detA.Signer.Name != "王小明" || detA.Signer.Role != "报关员" {
			t.Errorf("signer %+v", detA.Signer)
		}
		kinds := []string{}
		for _, e := range detA.Timeline {
			kinds = append(kinds, e.Kind)
		}
		if strings.Join(kinds, ",") != "generated,acknowledged,submitted" {
			t.Errorf("timeline %v", kinds)
		}
		_, err = w.svc.SubmitDeclaration(ctx, agent, dA.ID, signed)
		wantCode(t, err, apperr.Conflict)
		// Customs sees it now.
		if _, err := w.svc.Declaration(ctx, w.actor(testkit.UserCustoms), dA.ID); err != nil {
			t.Errorf("customs: %v", err)
		}
		_, err = w.svc.Declaration(ctx, w.actor(testkit.UserCustoms), dB.ID)
		wantCode(t, err, apperr.NotFound)

		// Cancel everything, declare again: the identical declaration is refused within 48 h.
		for _, d := range res.Declarations {
			if _, err := w.svc.CancelDeclaration(ctx, agent, d.ID, workflow.CancelInput{ReasonCode: "duplicate"}); err != nil {
				t.Fatal(err)
			}
		}
		var c models.Consolidation
		w.db.Take(&c, dA.ConsolidationID)
		if c.Status != models.ConsolidationClosed {
			t.Fatalf("consolidation %s after all cancelled", c.Status)
		}
		res2 := w.generate(t, c)
		again := res2.Declarations[0]
		f := w.detail(t, again.ID).Findings[0]
		if _, err := w.svc.AcknowledgeFinding(ctx, agent, again.ID, f.ID); err != nil {
			t.Fatal(err)
		}
		w.now = testkit.Now.Add(47 * time.Hour)
		_, err = w.svc.SubmitDeclaration(ctx, agent, again.ID, signed)
		wantCode(t, err, apperr.Conflict)
		if !strings.Contains(apperr.As(err).Text.En, "48 hours") {
			t.Errorf("message %q", apperr.As(err).Text.En)
		}
		w.now = testkit.Now.Add(49 * time.Hour)
		if _, err := w.svc.SubmitDeclaration(ctx, agent, again.ID, signed); err != nil {
			t.Errorf("after 48 h: %v", err)
		}
	})
}

// TestAmendAndCancel: amend keeps old and new values with the signer; amend of a draft or with
// nothing changed is refused; a second cancel says when and by whom; the consolidation goes
// back to closed only when every declaration is cancelled.
func TestAmendAndCancel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newDeclWorld(t, db)
		ctx := context.Background()
		agent := w.actor(testkit.UserAgentX)
		toy := w.goods(t, w.MerchantA.ID, "9503002100", "毛绒玩具", "", "007", models.GoodsRecognised)
		ls := w.transaction(t, w.MerchantA.ID, w.BuyerA.ID, "USD", lineSpec{goods: toy, amount: dollars(10)})
		ls = append(ls, w.transaction(t, w.MerchantA.ID, w.BuyerB.ID, "USD", lineSpec{goods: toy, amount: dollars(20)})...)
		res := w.generate(t, w.consolidation(t, w.AgentX.ID, models.ConsolidationClosed, ls...))
		d1, d2 := res.Declarations[0], res.Declarations[1]
		port, freight := "Dubai", "1200.50"
		amend := workflow.AmendInput{Reason: "port changed by the line", SignerName: "王小明", SignerRole: "报关员",
			DestinationPort: &port, Freight: &freight}
		_, err := w.svc.AmendDeclaration(ctx, agent, d1.ID, amend)
		wantCode(t, err, apperr.Conflict) // draft
		if _, err := w.svc.SubmitDeclaration(ctx, agent, d1.ID, signed); err != nil {
			t.Fatal(err)
		}
		am, err := w.svc.AmendDeclaration(ctx, agent, d1.ID, amend)
		if err != nil {
			t.Fatal(err)
		}
		if am.DestinationPort != "Dubai" || am.Freight != 120050 {
			t.Errorf("amended %+v", am)
		}
		_, err = w.svc.AmendDeclaration(ctx, agent, d1.ID, amend)
		wantCode(t, err, apperr.Invalid) // nothing changed
		det := w.detail(t, d1.ID)
		if len(det.Amendments) != 1 {
			t.Fatalf("amendments %+v", det.Amendments)
		}
		got := det.Amendments[0]
		if got.SignerName != "王小明" || len(got.Changes) != 2 || got.Changes[0] != (workflow.FieldChange{Field: "destination_port", Old: "Jebel Ali", New: "Dubai"}) ||
			got.Changes[1] != (workflow.FieldChange{Field: "freight", Old: "0.00", New: "1200.50"}) {
			t.Errorf("amendment %+v", got)
		}

		if _, err := w.svc.CancelDeclaration(ctx, agent, d1.ID, workflow.CancelInput{ReasonCode: "other"}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("other without text: %v", err)
		}
		if _, err := w.svc.CancelDeclaration(ctx, agent, d1.ID, workflow.CancelInput{ReasonCode: "other", Text: "buyer withdrew"}); err != nil {
			t.Fatal(err)
		}
		if got := w.consolidationStatus(t, d1.ConsolidationID); got != models.ConsolidationDeclared {
			t.Errorf("one of two cancelled: consolidation %s", got)
		}
		_, err = w.svc.CancelDeclaration(ctx, agent, d1.ID, workflow.CancelInput{ReasonCode: "duplicate"})
		wantCode(t, err, apperr.Conflict)
		if msg := apperr.As(err).Text.En; !strings.Contains(msg, "already cancelled on 2026-11-29 17:00 by "+testkit.UserAgentX) {
			t.Errorf("second cancel: %q", msg)
		}
		_, err = w.svc.CancelDeclaration(ctx, w.actor(testkit.UserAgentY), d2.ID, workflow.CancelInput{ReasonCode: "duplicate"})
		wantCode(t, err, apperr.NotFound)
		if _, err := w.svc.CancelDeclaration(ctx, agent, d2.ID, workflow.CancelInput{ReasonCode: "no_longer_needed"}); err != nil {
			t.Fatal(err)
		}
		if got := w.consolidationStatus(t, d1.ConsolidationID); got != models.ConsolidationClosed {
			t.Errorf("all cancelled: consolidation %s", got)
		}
	})
}

// TestDeclarationScope: who sees which declaration in the list and the detail.
func TestDeclarationScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newDeclWorld(t, db)
		ctx := context.Background()
		toy := w.goods(t, w.MerchantA.ID, "9503002100", "毛绒玩具", "", "007", models.GoodsRecognised)
		ls := w.transaction(t, w.MerchantA.ID, w.BuyerA.ID, "USD", lineSpec{goods: toy, amount: dollars(10)})
		d := w.generate(t, w.consolidation(t, w.AgentX.ID, models.ConsolidationClosed, ls...)).Declarations[0]
		cases := []struct {
			user string
			list int
			code apperr.Code
		}{
			{testkit.UserAgentX, 1, ""}, {testkit.UserAgentY, 0, apperr.NotFound},
			{testkit.UserMerchantA, 1, ""}, {testkit.UserMerchantB, 0, apperr.NotFound},
			{testkit.UserCustoms, 0, apperr.NotFound}, {testkit.UserAuditor, 1, ""}, {testkit.UserAdmin, 1, ""},
			{testkit.UserTax, -1, apperr.Forbidden},
		}
		for _, tc := range cases {
			t.Run(tc.user, func(t *testing.T) {
				l, err := w.svc.Declarations(ctx, w.actor(tc.user), workflow.DeclarationFilter{})
				if tc.list < 0 {
					wantCode(t, err, apperr.Forbidden)
				} else if err != nil || len(l.Rows) != tc.list {
					t.Errorf("list: %v %v", err, l)
				}
				_, err = w.svc.Declaration(ctx, w.actor(tc.user), d.ID)
				if apperr.CodeOf(err) != tc.code {
					t.Errorf("detail: %v", err)
				}
			})
		}
	})
}
