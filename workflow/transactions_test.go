package workflow_test

import (
	"context"
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

// txnWorld is the seeded world with recognised goods for both merchants, a service on the
// seed's clock and a data directory for documents.
type txnWorld struct {
	svc *workflow.Service
	db  *gorm.DB
	*testkit.World
	EarringsA, CupA, PendingA, BearB models.Goods
}

// txnDay is the Yiwu date of testkit.Now.
const txnDay = testkit.Day

func newTxnWorld(t testing.TB, db *gorm.DB) *txnWorld {
	t.Helper()
	svc := servicetest.Service(t, db, nil)
	svc.DataDir = t.TempDir()
	w := &txnWorld{svc: svc, db: db, World: testkit.Seed(t, db)}
	w.EarringsA = w.goods(t, w.MerchantA.ID, "EAR-001", "合金耳环", "Alloy earrings", "7117190000", "025", models.GoodsRecognised)
	w.CupA = w.goods(t, w.MerchantA.ID, "CUP-002", "塑料水杯", "Plastic cup", "3924100000", "007", models.GoodsRecognised)
	w.PendingA = w.goods(t, w.MerchantA.ID, "TOY-003", "毛绒玩具", "Plush toy", "9503002100", "007", models.GoodsPending)
	w.BearB = w.goods(t, w.MerchantB.ID, "BEAR-001", "毛绒玩具熊", "Plush teddy bear", "9503002100", "007", models.GoodsRecognised)
	return w
}

// goods writes goods straight into the database, already in a status.
func (w *txnWorld) goods(t testing.TB, merchantID int64, sku, zh, en, hs, unit, status string) models.Goods {
	t.Helper()
	g := models.Goods{MerchantID: merchantID, SKU: sku, NameZh: zh, NameEn: en, HSCode: hs, LegalUnit: "035",
		TransactionUnit: unit, Status: status, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	if err := w.db.Create(&g).Error; err != nil {
		t.Fatal(err)
	}
	return g
}

// actor is a seeded user as a request of testkit.Now would carry it.
func (w *txnWorld) actor(t testing.TB, username string) workflow.Actor {
	t.Helper()
	return servicetest.Actor(t, w.World, username)
}

// draft creates a draft of merchant-a (or merchant-b) for its own buyer.
func (w *txnWorld) draft(t testing.TB, username string) models.Transaction {
	t.Helper()
	in := workflow.TransactionInput{BuyerID: w.BuyerA.ID, TradeDate: "2026-11-28", Currency: "USD"}
	if username == testkit.UserMerchantB {
		in.BuyerID = w.BuyerB.ID
	}
	res, err := w.svc.CreateTransaction(context.Background(), w.actor(t, username), in)
	if err != nil {
		t.Fatalf("create draft: %v", err)
	}
	return res.Transaction
}

// line is a line of goods that passes every check.
func txnOKLine(goodsID int64) workflow.LineInput {
	return workflow.LineInput{GoodsID: goodsID, Quantity: "120", UnitPrice: "0.85", Cartons: "2", NetKg: "9.6", GrossKg: "10.4"}
}

// addLine adds a line at the transaction's current version and returns the transaction.
func (w *txnWorld) addLine(t testing.TB, username string, tr models.Transaction, in workflow.LineInput) *workflow.LineSaved {
	t.Helper()
	res, err := w.svc.AddLine(context.Background(), w.actor(t, username), tr.ID, tr.Version, in)
	if err != nil {
		t.Fatalf("add line: %v", err)
	}
	return res
}

// registered makes a registered transaction of merchant-a with n lines.
func (w *txnWorld) registered(t testing.TB, n int) models.Transaction {
	t.Helper()
	tr := w.draft(t, testkit.UserMerchantA)
	for range n {
		tr = w.addLine(t, testkit.UserMerchantA, tr, txnOKLine(w.EarringsA.ID)).Transaction
	}
	res, err := w.svc.SubmitTransaction(context.Background(), w.actor(t, testkit.UserMerchantA), tr.ID, tr.Version)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return res.Transaction
}

func (w *txnWorld) reload(t testing.TB, id int64) models.Transaction {
	t.Helper()
	var tr models.Transaction
	if err := w.db.Where("id = ?", id).Take(&tr).Error; err != nil {
		t.Fatal(err)
	}
	return tr
}

func (w *txnWorld) lines(t testing.TB, id int64) []models.TransactionLine {
	t.Helper()
	var ls []models.TransactionLine
	if err := w.db.Where("transaction_id = ?", id).Order("line_no").Find(&ls).Error; err != nil {
		t.Fatal(err)
	}
	return ls
}

// consolidate files a transaction's first line into a consolidation of agent X.
func (w *txnWorld) consolidate(t testing.TB, id int64) models.Consolidation {
	t.Helper()
	c := models.Consolidation{BookingCode: "CB-" + time.Now().Format("150405.000000"), AgentID: w.AgentX.ID, Status: models.ConsolidationOpen,
		Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	if err := w.db.Create(&c).Error; err != nil {
		t.Fatal(err)
	}
	l := w.lines(t, id)[0]
	if err := w.db.Create(&models.ConsolidationLine{ConsolidationID: c.ID, TransactionLineID: l.ID, CreatedAt: testkit.Now}).Error; err != nil {
		t.Fatal(err)
	}
	return c
}

// wantTxnErr fails unless err carries code ("" for none) and, for a field, names it in both
// languages.
func wantTxnErr(t testing.TB, err error, code apperr.Code, field string) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	if field == "" {
		return
	}
	for _, f := range apperr.As(err).Fields {
		if f.Field == field {
			if f.Text.En == "" || f.Text.Zh == "" {
				t.Errorf("field %s: message not in both languages: %+v", field, f.Text)
			}
			return
		}
	}
	t.Fatalf("error %v: no problem with field %q", err, field)
}

func TestCreateTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		for _, tc := range []struct {
			name  string
			user  string
			in    workflow.TransactionInput
			code  apperr.Code
			field string
		}{
			{"OKMerchant", testkit.UserMerchantA, workflow.TransactionInput{BuyerID: w.BuyerA.ID, TradeDate: "2026-11-28", Currency: "usd"}, "", ""},
			{"ErrAgentBuyerNotInItsList", testkit.UserAgentX, workflow.TransactionInput{MerchantID: w.MerchantA.ID, BuyerID: w.BuyerA.ID,
				TradeDate: txnDay, Currency: "CNY"}, apperr.Invalid, "buyer_id"}, // agent X has no buyers of its own yet
			{"ErrAgentNotEntrusted", testkit.UserAgentX, workflow.TransactionInput{MerchantID: w.MerchantB.ID, BuyerID: w.BuyerA.ID,
				TradeDate: txnDay, Currency: "CNY"}, apperr.Invalid, "merchant_id"},
			{"ErrBuyerNotInList", testkit.UserMerchantA, workflow.TransactionInput{BuyerID: w.BuyerB.ID, TradeDate: txnDay, Currency: "USD"}, apperr.Invalid, "buyer_id"},
			{"ErrFutureDate", testkit.UserMerchantA, workflow.TransactionInput{BuyerID: w.BuyerA.ID, TradeDate: "2026-11-30", Currency: "USD"}, apperr.Invalid, "trade_date"},
			{"ErrBadDate", testkit.UserMerchantA, workflow.TransactionInput{BuyerID: w.BuyerA.ID, TradeDate: "2026-02-30", Currency: "USD"}, apperr.Invalid, "trade_date"},
			{"ErrCurrency", testkit.UserMerchantA, workflow.TransactionInput{BuyerID: w.BuyerA.ID, TradeDate: txnDay, Currency: "RMB"}, apperr.Invalid, "currency"},
			{"ErrCustomsRole", testkit.UserCustoms, workflow.TransactionInput{BuyerID: w.BuyerA.ID, TradeDate: txnDay, Currency: "USD"}, apperr.Forbidden, ""},
			{"ErrAuditorRole", testkit.UserAuditor, workflow.TransactionInput{BuyerID: w.BuyerA.ID, TradeDate: txnDay, Currency: "USD"}, apperr.Forbidden, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := w.svc.CreateTransaction(ctx, w.actor(t, tc.user), tc.in)
				wantTxnErr(t, err, tc.code, tc.field)
			})
		}
	})
}

func TestCreateTransactionRulesOfParties(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		// The agent lists buyer A too: now it may register for merchant A.
		if err := db.Create(&models.BuyerLink{BuyerID: w.BuyerA.ID, AgentID: &w.AgentX.ID, CreatedByUserID: w.Users[testkit.UserAgentX].ID, CreatedAt: testkit.Now}).Error; err != nil {
			t.Fatal(err)
		}
		t.Run("OKAgent", func(t *testing.T) {
			res, err := w.svc.CreateTransaction(ctx, w.actor(t, testkit.UserAgentX), workflow.TransactionInput{MerchantID: w.MerchantA.ID,
				BuyerID: w.BuyerA.ID, TradeDate: txnDay, Currency: "CNY"})
			wantTxnErr(t, err, "", "")
			if res.Transaction.AgentID == nil || *res.Transaction.AgentID != w.AgentX.ID || res.Transaction.MerchantID != w.MerchantA.ID {
				t.Errorf("agent/merchant not recorded: %+v", res.Transaction)
			}
			if len(res.Warnings) != 0 {
				t.Errorf("CNY needs no rate: %v", res.Warnings)
			}
		})
		t.Run("WarnNoRate", func(t *testing.T) {
			res, err := w.svc.CreateTransaction(ctx, w.actor(t, testkit.UserMerchantA), workflow.TransactionInput{BuyerID: w.BuyerA.ID,
				TradeDate: txnDay, Currency: "USD"})
			wantTxnErr(t, err, "", "")
			if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].En, "2026-11") {
				t.Errorf("warnings %v", res.Warnings)
			}
		})
		t.Run("ErrPendingMerchant", func(t *testing.T) {
			if err := db.Create(&models.BuyerLink{BuyerID: w.BuyerA.ID, MerchantID: &w.Pending.ID, CreatedByUserID: w.Users[testkit.UserPending].ID, CreatedAt: testkit.Now}).Error; err != nil {
				t.Fatal(err)
			}
			_, err := w.svc.CreateTransaction(ctx, w.actor(t, testkit.UserPending), workflow.TransactionInput{BuyerID: w.BuyerA.ID,
				TradeDate: txnDay, Currency: "USD"})
			wantTxnErr(t, err, apperr.Forbidden, "")
		})
		t.Run("ErrSuspendedMerchant", func(t *testing.T) {
			if err := db.Model(&models.Merchant{}).Where("id = ?", w.MerchantB.ID).Update("status", models.MerchantSuspended).Error; err != nil {
				t.Fatal(err)
			}
			_, err := w.svc.CreateTransaction(ctx, w.actor(t, testkit.UserMerchantB), workflow.TransactionInput{BuyerID: w.BuyerB.ID,
				TradeDate: txnDay, Currency: "USD"})
			wantTxnErr(t, err, apperr.Forbidden, "")
		})
	})
}

func TestTransactionNumbersAreDailySequences(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		first := w.draft(t, testkit.UserMerchantA)
		txnErrOf := w.draft(t, testkit.UserMerchantB)
		if first.Number != "TR2026112900001" || txnErrOf.Number != "TR2026112900002" {
			t.Errorf("numbers %s, %s", first.Number, txnErrOf.Number)
		}
		// The demo leaves the day's sequence row; numbering continues after it.
		if err := db.Model(&models.NumberSequence{}).Where("name = ?", "transaction:20261129").Update("next", 42).Error; err != nil {
			t.Fatal(err)
		}
		if n := w.draft(t, testkit.UserMerchantA).Number; n != "TR2026112900042" {
			t.Errorf("after the demo's numbers: %s", n)
		}
		// A peak day passes 99,999 transactions: the sequence goes on in six digits, up to
		// MaxTransactionsPerDay, and then refuses with a conflict that names the limit.
		setNext := func(n int64) {
			t.Helper()
			if err := db.Model(&models.NumberSequence{}).Where("name = ?", "transaction:20261129").Update("next", n).Error; err != nil {
				t.Fatal(err)
			}
		}
		setNext(99_999)
		if a, b := w.draft(t, testkit.UserMerchantA).Number, w.draft(t, testkit.UserMerchantA).Number; a != "TR2026112999999" || b != "TR20261129100000" {
			t.Errorf("past 99,999: %s, %s", a, b)
		}
		setNext(workflow.MaxTransactionsPerDay)
		if n := w.draft(t, testkit.UserMerchantA).Number; n != "TR20261129999999" {
			t.Errorf("the day's last number: %s", n)
		}
		_, err := w.svc.CreateTransaction(context.Background(), w.actor(t, testkit.UserMerchantA), workflow.TransactionInput{BuyerID: w.BuyerA.ID,
			TradeDate: txnDay, Currency: "USD"})
		wantTxnErr(t, err, apperr.Conflict, "")
		if err != nil && !strings.Contains(apperr.As(err).Text.En, "999999 transactions today") {
			t.Errorf("full numbering: %v", err)
		}
	})
}

func TestSubmitTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		a := w.actor(t, testkit.UserMerchantA)

		t.Run("ErrNoLines", func(t *testing.T) {
			tr := w.draft(t, testkit.UserMerchantA)
			_, err := w.svc.SubmitTransaction(ctx, a, tr.ID, tr.Version)
			wantTxnErr(t, err, apperr.Invalid, "lines")
		})
		t.Run("ErrGoodsNoLongerRecognisedNamesTheLine", func(t *testing.T) {
			tr := w.draft(t, testkit.UserMerchantA)
			tr = w.addLine(t, testkit.UserMerchantA, tr, txnOKLine(w.CupA.ID)).Transaction
			tr = w.addLine(t, testkit.UserMerchantA, tr, txnOKLine(w.EarringsA.ID)).Transaction
			if err := db.Model(&models.Goods{}).Where("id = ?", w.EarringsA.ID).Update("status", models.GoodsHeld).Error; err != nil {
				t.Fatal(err)
			}
			defer db.Model(&models.Goods{}).Where("id = ?", w.EarringsA.ID).Update("status", models.GoodsRecognised)
			_, err := w.svc.SubmitTransaction(ctx, a, tr.ID, tr.Version)
			wantTxnErr(t, err, apperr.Invalid, "line.2")
			if !strings.Contains(apperr.As(err).Fields[0].Text.Zh, "第 2 行") {
				t.Errorf("message does not name the line: %v", err)
			}
		})
		t.Run("ErrStaleVersion", func(t *testing.T) {
			tr := w.draft(t, testkit.UserMerchantA)
			stale := tr.Version
			w.addLine(t, testkit.UserMerchantA, tr, txnOKLine(w.CupA.ID))
			_, err := w.svc.SubmitTransaction(ctx, a, tr.ID, stale)
			wantTxnErr(t, err, apperr.Conflict, "")
		})
		t.Run("OK", func(t *testing.T) {
			tr := w.registered(t, 2)
			if tr.Status != models.TransactionRegistered || tr.RegisteredAt == nil {
				t.Errorf("not registered: %+v", tr)
			}
			_, err := w.svc.SubmitTransaction(ctx, a, tr.ID, tr.Version)
			wantTxnErr(t, err, apperr.Conflict, "")
		})
		t.Run("ErrMerchantNotActive", func(t *testing.T) {
			tr := w.draft(t, testkit.UserMerchantA)
			tr = w.addLine(t, testkit.UserMerchantA, tr, txnOKLine(w.CupA.ID)).Transaction
			db.Model(&models.Merchant{}).Where("id = ?", w.MerchantA.ID).Update("status", models.MerchantAbnormal)
			defer db.Model(&models.Merchant{}).Where("id = ?", w.MerchantA.ID).Update("status", models.MerchantActive)
			_, err := w.svc.SubmitTransaction(ctx, a, tr.ID, tr.Version)
			wantTxnErr(t, err, apperr.Forbidden, "")
		})
	})
}

// TestNotEditableOnceConsolidatedOrVoided: every change to a voided transaction, or to one with
// a consolidated line, is a conflict that says why.
func TestNotEditableOnceConsolidatedOrVoided(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		a := w.actor(t, testkit.UserMerchantA)
		consolidated := w.registered(t, 2)
		w.consolidate(t, consolidated.ID)
		voided := w.registered(t, 1)
		v, err := w.svc.VoidTransaction(ctx, a, voided.ID, workflow.VoidInput{Reason: "买家取消订单", Version: voided.Version})
		wantTxnErr(t, err, "", "")
		if v.Status != models.TransactionVoided || v.StatusReason != "买家取消订单" {
			t.Fatalf("void: %+v", v)
		}
		png := txnPNGBytes(t)
		for _, tc := range []struct {
			name string
			tr   models.Transaction
			want string
		}{
			{"ErrConsolidated", consolidated, "consolidated"},
			{"ErrVoided", w.reload(t, voided.ID), "voided"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := w.lines(t, tc.tr.ID)
				line := before[0]
				for name, err := range map[string]error{
					"add line":    txnErrOf(w.svc.AddLine(ctx, a, tc.tr.ID, tc.tr.Version, txnOKLine(w.CupA.ID))),
					"update line": txnErrOf(w.svc.UpdateLine(ctx, a, tc.tr.ID, line.ID, tc.tr.Version, txnOKLine(w.CupA.ID))),
					"delete line": txnErrOf(w.svc.DeleteLine(ctx, a, tc.tr.ID, line.ID, tc.tr.Version)),
					"header": txnErrOf(w.svc.UpdateTransaction(ctx, a, tc.tr.ID, workflow.TransactionInput{BuyerID: w.BuyerA.ID,
						TradeDate: txnDay, Currency: "USD", Version: tc.tr.Version})),
					"void":     txnErrOf(w.svc.VoidTransaction(ctx, a, tc.tr.ID, workflow.VoidInput{Reason: "x", Version: tc.tr.Version})),
					"document": txnErrOf(w.svc.AttachDocuments(ctx, a, tc.tr.ID, workflow.DocumentReceipt, []workflow.DocumentUpload{txnUpload("r.png", png)})),
					"import": txnErrOf(w.svc.ImportLines(ctx, a, tc.tr.ID, workflow.ImportInput{FileName: "l.csv",
						Data: []byte("SKU,Quantity,Unit price,Cartons,Net kg,Gross kg\nCUP-002,1,1,1,1,1\n"), Version: tc.tr.Version}, nil)),
				} {
					if apperr.CodeOf(err) != apperr.Conflict || !strings.Contains(apperr.As(err).Text.En, tc.want) {
						t.Errorf("%s: %v, want a conflict saying %q", name, err, tc.want)
					}
				}
				if got := w.reload(t, tc.tr.ID); got.Version != tc.tr.Version || len(w.lines(t, tc.tr.ID)) != len(before) {
					t.Errorf("changed: %+v", got)
				}
			})
		}
		t.Run("ErrVoidWithoutReason", func(t *testing.T) {
			tr := w.draft(t, testkit.UserMerchantA)
			_, err := w.svc.VoidTransaction(ctx, a, tr.ID, workflow.VoidInput{Reason: "  ", Version: tr.Version})
			wantTxnErr(t, err, apperr.Invalid, "reason")
		})
	})
}

// txnErrOf keeps the error of a two-value call.
func txnErrOf[T any](_ T, err error) error { return err }

func TestTransactionScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		tr := w.registered(t, 1)
		for _, tc := range []struct {
			user string
			code apperr.Code
		}{
			{testkit.UserMerchantA, ""},
			{testkit.UserAgentX, ""},
			{testkit.UserAuditor, ""},
			{testkit.UserAdmin, ""},
			{testkit.UserMerchantB, apperr.NotFound},
			{testkit.UserAgentY, apperr.NotFound},
			{testkit.UserCustoms, apperr.Forbidden},
			{testkit.UserSupervisor, apperr.Forbidden},
			{"", apperr.Unauthenticated},
		} {
			t.Run(tc.user, func(t *testing.T) {
				_, err := w.svc.Transaction(ctx, w.actor(t, tc.user), tr.ID)
				wantTxnErr(t, err, tc.code, "")
				list, err := w.svc.Transactions(ctx, w.actor(t, tc.user), workflow.TransactionFilter{})
				if tc.code == "" && (err != nil || list.Total != 1) {
					t.Errorf("list: %v %+v", err, list)
				}
				if tc.code == apperr.NotFound && (err != nil || list.Total != 0) {
					t.Errorf("list shows another's transaction: %v %+v", err, list)
				}
			})
		}
		t.Run("ErrOtherMerchantChangesNothing", func(t *testing.T) {
			b := w.actor(t, testkit.UserMerchantB)
			d := w.draft(t, testkit.UserMerchantA)
			for name, err := range map[string]error{
				"add":    txnErrOf(w.svc.AddLine(ctx, b, d.ID, d.Version, txnOKLine(w.BearB.ID))),
				"void":   txnErrOf(w.svc.VoidTransaction(ctx, b, d.ID, workflow.VoidInput{Reason: "x", Version: d.Version})),
				"submit": txnErrOf(w.svc.SubmitTransaction(ctx, b, d.ID, d.Version)),
				"labels": txnErrOf(w.svc.TransactionLabels(ctx, b, d.ID, 0)),
			} {
				if !apperr.Is(err, apperr.NotFound) {
					t.Errorf("%s: %v, want not found", name, err)
				}
			}
		})
	})
}

func TestTransactionListFilters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		a := w.actor(t, testkit.UserMerchantA)
		reg := w.registered(t, 1)
		draft := w.draft(t, testkit.UserMerchantA)
		code := w.lines(t, reg.ID)[0].TraceCode
		for _, tc := range []struct {
			name string
			f    workflow.TransactionFilter
			want []int64
		}{
			{"All", workflow.TransactionFilter{}, []int64{draft.ID, reg.ID}},
			{"Status", workflow.TransactionFilter{Status: models.TransactionDraft}, []int64{draft.ID}},
			{"Number", workflow.TransactionFilter{Query: reg.Number[8:]}, []int64{reg.ID}},
			{"TraceCodeAsTyped", workflow.TransactionFilter{Query: strings.ToLower(workflow.GroupTraceCode(code))}, []int64{reg.ID}},
			{"BuyerName", workflow.TransactionFilter{Query: "ahmed"}, []int64{draft.ID, reg.ID}},
			{"Buyer", workflow.TransactionFilter{BuyerID: w.BuyerB.ID}, nil},
			{"DatesOutside", workflow.TransactionFilter{From: "2026-11-29", To: "2026-11-30"}, nil},
			{"DatesInside", workflow.TransactionFilter{From: "2026-11-28", To: "2026-11-28"}, []int64{draft.ID, reg.ID}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, err := w.svc.Transactions(ctx, a, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, r := range list.Rows {
					got = append(got, r.ID)
				}
				if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			})
		}
		_, err := w.svc.Transactions(ctx, a, workflow.TransactionFilter{From: "29/11/2026"})
		wantTxnErr(t, err, apperr.Invalid, "from")
	})
}
