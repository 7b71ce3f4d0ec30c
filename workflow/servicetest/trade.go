package servicetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/testkit"
)

// Line is one transaction line of a Trade. Zero fields take the defaults noted.
type Line struct {
	HSCode   string          // 10 digits; default 9503009000 (toys)
	Name     string          // default "塑料玩具"
	Unit     string          // legal and transaction unit; default 007 (个)
	Amount   models.Money    // in the trade's currency; default 1,000.00
	Quantity models.Quantity // default 100
	Cartons  int64           // default 2
	NetGrams models.Grams    // default 10 kg; gross is net + 1 kg
}

// TradeSpec says whose trade it is. Zero fields take the seeded world's MerchantA, BuyerA,
// AgentX and USD.
type TradeSpec struct {
	MerchantID int64
	BuyerID    int64
	AgentID    int64
	AgentUser  string // the agent user who generates and submits; default testkit.UserAgentX
	Currency   string
	Lines      []Line // default: two lines, 9503 toys 1,200.00 and 3924 tableware 800.00
}

// Trade is a declaration on its way through customs and what it was built from.
type Trade struct {
	Transaction   models.Transaction
	Lines         []models.TransactionLine
	Consolidation models.Consolidation
	Declaration   models.Declaration // as submitted
}

var tradeSeq atomic.Int64

// Submitted builds a registered transaction (written directly), files its lines into a closed
// consolidation of the agent packed into one container, then generates and submits the
// declaration through the service, as the agent would. The month's USD and EUR rates are
// added if missing. It fails the test unless exactly one declaration results.
func Submitted(t testing.TB, svc *workflow.Service, db *gorm.DB, w *testkit.World, spec TradeSpec) *Trade {
	t.Helper()
	if spec.MerchantID == 0 {
		spec.MerchantID = w.MerchantA.ID
	}
	if spec.BuyerID == 0 {
		spec.BuyerID = w.BuyerA.ID
	}
	if spec.AgentID == 0 {
		spec.AgentID = w.AgentX.ID
	}
	if spec.AgentUser == "" {
		spec.AgentUser = testkit.UserAgentX
	}
	if spec.Currency == "" {
		spec.Currency = "USD"
	}
	if len(spec.Lines) == 0 {
		spec.Lines = []Line{{Amount: 120_000}, {HSCode: "3924100000", Name: "塑料餐具", Amount: 80_000}}
	}
	now := svc.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("servicetest.Submitted: %v", err)
		}
	}
	month := now.In(workflow.MarketZone).Format("2006-01")
	for cur, r := range map[string]models.Rate{"USD": 7_100_000, "EUR": 7_700_000} {
		must(db.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.ExchangeRate{Month: month, Currency: cur,
			CNYPerUnit: r, CreatedAt: now, UpdatedAt: now}).Error)
	}
	n := tradeSeq.Add(1)
	tr := models.Transaction{Number: fmt.Sprintf("TR%s%06d", now.In(workflow.MarketZone).Format("20060102"), n),
		MerchantID: spec.MerchantID, BuyerID: spec.BuyerID, TradeDate: now.In(workflow.MarketZone).Format("2006-01-02"),
		Currency: spec.Currency, Status: models.TransactionRegistered, Version: 1, CreatedAt: now, UpdatedAt: now}
	reg := now
	tr.RegisteredAt = &reg
	must(db.Create(&tr).Error)
	c := models.Consolidation{BookingCode: fmt.Sprintf("BKT%06d", n), AgentID: spec.AgentID, DestinationCountry: "AE",
		DestinationPort: "Jebel Ali", TransportMode: "2", TradeTerms: "FOB", ExitPort: "Ningbo", StuffingPlace: "Yiwu",
		Status: models.ConsolidationClosed, ClosedAt: &reg, Version: 1, CreatedAt: now, UpdatedAt: now}
	must(db.Create(&c).Error)
	ct := models.Container{ConsolidationID: c.ID, Number: fmt.Sprintf("MSCU%06d7", n%1_000_000), SizeType: "40HQ",
		SealNo: fmt.Sprintf("SEAL%d", n), CreatedAt: now, UpdatedAt: now}
	must(db.Create(&ct).Error)
	out := &Trade{Transaction: tr, Consolidation: c}
	codes := rand.New(rand.NewPCG(uint64(n), 0x6d7074)) // valid trace codes, so labels and QR codes work
	for i, l := range spec.Lines {
		if l.HSCode == "" {
			l.HSCode = "9503009000"
		}
		if l.Name == "" {
			l.Name = "塑料玩具"
		}
		if l.Unit == "" {
			l.Unit = "007"
		}
		if l.Amount == 0 {
			l.Amount = 100_000
		}
		if l.Quantity == 0 {
			l.Quantity = 100_000
		}
		if l.Cartons == 0 {
			l.Cartons = 2
		}
		if l.NetGrams == 0 {
			l.NetGrams = 10_000
		}
		g := models.Goods{MerchantID: spec.MerchantID, SKU: fmt.Sprintf("T%d-%d", n, i+1), NameZh: l.Name, NameEn: l.Name,
			HSCode: l.HSCode, LegalUnit: l.Unit, TransactionUnit: l.Unit, Status: models.GoodsRecognised, Version: 1,
			CreatedAt: now, UpdatedAt: now}
		must(db.Create(&g).Error)
		tl := models.TransactionLine{TransactionID: tr.ID, LineNo: i + 1, GoodsID: g.ID, TraceCode: workflow.NewTraceCode(codes),
			Quantity: l.Quantity, Unit: l.Unit, UnitPrice: workflow.UnitPrice(l.Amount, l.Quantity), Amount: l.Amount,
			Cartons: l.Cartons, NetGrams: l.NetGrams, GrossGrams: l.NetGrams + 1_000, CreatedAt: now, UpdatedAt: now}
		must(db.Create(&tl).Error)
		tr.TotalAmount += tl.Amount
		tr.LineCount++
		must(db.Create(&models.ConsolidationLine{ConsolidationID: c.ID, TransactionLineID: tl.ID, CreatedAt: now}).Error)
		must(db.Create(&models.PackingLine{ContainerID: ct.ID, TransactionLineID: tl.ID, Cartons: tl.Cartons,
			NetGrams: tl.NetGrams, GrossGrams: tl.GrossGrams, CreatedAt: now}).Error)
		out.Lines = append(out.Lines, tl)
	}
	must(db.Model(&tr).Updates(map[string]any{"total_amount": tr.TotalAmount, "line_count": tr.LineCount}).Error)
	out.Transaction = tr
	agent := Actor(t, w, spec.AgentUser)
	res, err := svc.GenerateDeclarations(context.Background(), agent, c.ID)
	must(err)
	if len(res.Declarations) != 1 {
		t.Fatalf("servicetest.Submitted: %d declarations, want 1", len(res.Declarations))
	}
	d, err := svc.SubmitDeclaration(context.Background(), agent, res.Declarations[0].ID,
		workflow.SubmitInput{SignerName: "王小明", SignerRole: "报关员", Statement: true})
	must(err)
	out.Declaration = *d
	return out
}
