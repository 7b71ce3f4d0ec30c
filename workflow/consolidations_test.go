package workflow_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// consWorld is the seeded world with recognised goods and a service on the seed's clock;
// transactions are written straight into the database, already in their status.
type consWorld struct {
	svc *workflow.Service
	db  *gorm.DB
	*testkit.World
	EarringsA, BearB models.Goods
	seq              int
}

func newConsWorld(t testing.TB, db *gorm.DB) *consWorld {
	t.Helper()
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	svc := workflow.NewService(db, ref, func() time.Time { return testkit.Now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w := &consWorld{svc: svc, db: db, World: testkit.Seed(t, db)}
	goods := func(merchantID int64, sku, zh, en, hs string) models.Goods {
		g := models.Goods{MerchantID: merchantID, SKU: sku, NameZh: zh, NameEn: en, HSCode: hs, LegalUnit: "035",
			TransactionUnit: "007", Status: models.GoodsRecognised, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
		if err := db.Create(&g).Error; err != nil {
			t.Fatal(err)
		}
		return g
	}
	w.EarringsA = goods(w.MerchantA.ID, "EAR-001", "合金耳环", "Alloy earrings", "7117190000")
	w.BearB = goods(w.MerchantB.ID, "BEAR-001", "毛绒玩具熊", "Plush teddy bear", "9503002100")
	return w
}

// actor is a seeded user as a request of testkit.Now would carry it.
func (w *consWorld) actor(t testing.TB, username string) workflow.Actor {
	t.Helper()
	return servicetest.Actor(t, w.World, username)
}

// header is a shipment header that passes every check.
func consHeader() workflow.ConsolidationInput {
	return workflow.ConsolidationInput{DestinationCountry: "AE", DestinationPort: "Jebel Ali", TransportMode: "2",
		TradeTerms: "FOB", ExitPort: "Ningbo", StuffingPlace: "Yiwu consolidation site"}
}

// open opens a consolidation as an agent user.
func (w *consWorld) open(t testing.TB, agent string) *models.Consolidation {
	t.Helper()
	c, err := w.svc.OpenConsolidation(context.Background(), w.actor(t, agent), consHeader())
	if err != nil {
		t.Fatalf("open consolidation: %v", err)
	}
	return c
}

// transaction writes a transaction of merchant-a or merchant-b in a status with n lines of
// 2 cartons, 9.6 kg net, 10.4 kg gross, USD 102.00 each, and returns its line ids.
func (w *consWorld) transaction(t testing.TB, merchant, status string, n int) []int64 {
	t.Helper()
	m, b, g := w.MerchantA, w.BuyerA, w.EarringsA
	if merchant == testkit.UserMerchantB {
		m, b, g = w.MerchantB, w.BuyerB, w.BearB
	}
	w.seq++
	tr := models.Transaction{Number: fmt.Sprintf("T20261128C%04d", w.seq), MerchantID: m.ID, BuyerID: b.ID, TradeDate: "2026-11-28",
		Currency: "USD", Status: status, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	if err := w.db.Create(&tr).Error; err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range n {
		l := models.TransactionLine{TransactionID: tr.ID, LineNo: i + 1, GoodsID: g.ID, TraceCode: fmt.Sprintf("C%05dL%03d", w.seq, i),
			Quantity: 120_000, Unit: "007", UnitPrice: 8500, Amount: 10200, Cartons: 2, NetGrams: 9600, GrossGrams: 10400,
			CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
		if err := w.db.Create(&l).Error; err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
	}
	return ids
}

// registeredOf makes a registered transaction of merchant-a or merchant-b with n lines.
func (w *consWorld) registeredOf(t testing.TB, merchant string, n int) []int64 {
	t.Helper()
	return w.transaction(t, merchant, models.TransactionRegistered, n)
}

// wantConsErr fails unless err carries code ("" for none) and, for a field, names it in both
// languages.
func wantConsErr(t testing.TB, err error, code apperr.Code, field string) {
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
				t.Fatalf("field %s: message missing a language: %+v", field, f.Text)
			}
			return
		}
	}
	t.Fatalf("error %v does not name field %q", err, field)
}

// entrustBX records that merchant B also entrusts agent X.
func (w *consWorld) entrustBX(t testing.TB) {
	t.Helper()
	e := models.Entrustment{MerchantID: w.MerchantB.ID, AgentID: w.AgentX.ID, AgreementNo: "WT-B-X", StartsOn: "2026-01-01",
		Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	if err := w.db.Create(&e).Error; err != nil {
		t.Fatal(err)
	}
}

func (w *consWorld) auditCount(t testing.TB, id int64, action string) int64 {
	t.Helper()
	var n int64
	if err := w.db.Model(&models.AuditEntry{}).Where("entity = ? AND entity_id = ? AND action = ?", "consolidation",
		strconv.FormatInt(id, 10), action).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBookingCode(t *testing.T) {
	code := workflow.NewBookingCode(rand.New(rand.NewPCG(1, 2)))
	wrongCheck := code[:7] + string(workflow.TraceAlphabet[(len(workflow.TraceAlphabet)+consIndexOf(code[7])+1)%32])
	typo := string(workflow.TraceAlphabet[(consIndexOf(code[0])+1)%32]) + code[1:]
	for _, tc := range []struct {
		name, raw string
		ok        bool
	}{
		{"OK", code, true},
		{"OKTypedLowerWithHyphen", consLower(code[:4]) + "-" + consLower(code[4:]), true},
		{"ErrWrongCheckChar", wrongCheck, false},
		{"ErrOneCharTyped", typo, false},
		{"ErrTooShort", code[:7], false},
		{"ErrEmpty", "", false},
		{"ErrNotInAlphabet", "UUUUUUUU", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := workflow.CheckBookingCode(tc.raw)
			if v.OK != tc.ok {
				t.Fatalf("CheckBookingCode(%q) = %+v, want ok=%v", tc.raw, v, tc.ok)
			}
			if !tc.ok && (v.Problem.En == "" || v.Problem.Zh == "") {
				t.Errorf("no message in both languages: %+v", v.Problem)
			}
			if tc.ok && v.Value != code {
				t.Errorf("normalised to %q, want %q", v.Value, code)
			}
		})
	}
	if got := workflow.FormatBookingCode(code); got != code[:4]+"-"+code[4:] {
		t.Errorf("FormatBookingCode = %q", got)
	}
}

func consIndexOf(c byte) int {
	for i := range len(workflow.TraceAlphabet) {
		if workflow.TraceAlphabet[i] == c {
			return i
		}
	}
	return -1
}

func consLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func TestOpenConsolidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newConsWorld(t, db)
		ctx := context.Background()
		bad := consHeader()
		bad.DestinationCountry, bad.TransportMode, bad.TradeTerms, bad.ExitPort = "UAE", "9", "XYZ", ""
		for _, tc := range []struct {
			name  string
			user  string
			in    workflow.ConsolidationInput
			code  apperr.Code
			field string
		}{
			{"OK", testkit.UserAgentX, consHeader(), "", ""},
			{"ErrBadHeader", testkit.UserAgentX, bad, apperr.Invalid, "destination_country"},
			{"ErrMerchantMayNot", testkit.UserMerchantA, consHeader(), apperr.Forbidden, ""},
			{"ErrAuditorMayNot", testkit.UserAuditor, consHeader(), apperr.Forbidden, ""},
			{"ErrAnonymous", "", consHeader(), apperr.Unauthenticated, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c, err := w.svc.OpenConsolidation(ctx, w.actor(t, tc.user), tc.in)
				wantConsErr(t, err, tc.code, tc.field)
				if err != nil {
					return
				}
				if !workflow.ValidBookingCode(c.BookingCode) || c.Status != models.ConsolidationOpen || c.AgentID != w.AgentX.ID || c.Version != 1 {
					t.Errorf("opened %+v", c)
				}
				if n := w.auditCount(t, c.ID, "open"); n != 1 {
					t.Errorf("%d open audit entries", n)
				}
			})
		}
		for _, f := range []string{"transport_mode", "trade_terms", "exit_port"} {
			_, err := w.svc.OpenConsolidation(ctx, w.actor(t, testkit.UserAgentX), bad)
			wantConsErr(t, err, apperr.Invalid, f)
		}
	})
}

func TestFileLines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newConsWorld(t, db)
		ctx := context.Background()
		cx := w.open(t, testkit.UserAgentX)
		cy := w.open(t, testkit.UserAgentY)
		closed := w.open(t, testkit.UserAgentX)
		if err := db.Model(&models.Consolidation{}).Where("id = ?", closed.ID).Update("status", models.ConsolidationClosed).Error; err != nil {
			t.Fatal(err)
		}
		a := w.registeredOf(t, testkit.UserMerchantA, 3)
		b := w.registeredOf(t, testkit.UserMerchantB, 1)
		draftLine := w.transaction(t, testkit.UserMerchantA, models.TransactionDraft, 1)
		held := w.transaction(t, testkit.UserMerchantA, models.TransactionHeld, 1)
		voided := w.transaction(t, testkit.UserMerchantA, models.TransactionVoided, 1)
		inY := w.registeredOf(t, testkit.UserMerchantB, 1)
		if _, _, err := w.svc.FileLines(ctx, w.actor(t, testkit.UserMerchantB), cy.BookingCode, inY); err != nil {
			t.Fatalf("file into Y: %v", err)
		}
		for _, tc := range []struct {
			name  string
			user  string
			code  string
			lines []int64
			want  apperr.Code
			field string
		}{
			{"OK", testkit.UserMerchantA, cx.BookingCode, a[:2], "", ""},
			{"OKCodeAsTyped", testkit.UserMerchantA, consLower(workflow.FormatBookingCode(cx.BookingCode)), a[2:], "", ""},
			{"ErrAlreadyInThisConsolidation", testkit.UserMerchantA, cx.BookingCode, a[:1], apperr.Conflict, ""},
			{"ErrNotEntrusted", testkit.UserMerchantB, cx.BookingCode, b, apperr.Forbidden, ""},
			{"ErrLineOfAnotherMerchantNotFound", testkit.UserMerchantA, cx.BookingCode, b, apperr.NotFound, ""},
			{"ErrDraftLine", testkit.UserMerchantA, cx.BookingCode, draftLine, apperr.Invalid, "line." + strconv.FormatInt(draftLine[0], 10)},
			{"ErrHeldLine", testkit.UserMerchantA, cx.BookingCode, held, apperr.Invalid, "line." + strconv.FormatInt(held[0], 10)},
			{"ErrVoidedLine", testkit.UserMerchantA, cx.BookingCode, voided, apperr.Invalid, "line." + strconv.FormatInt(voided[0], 10)},
			{"ErrClosedConsolidation", testkit.UserMerchantA, closed.BookingCode, a[:1], apperr.Conflict, ""},
			{"ErrUnknownCode", testkit.UserMerchantA, workflow.NewBookingCode(rand.New(rand.NewPCG(9, 9))), a[:1], apperr.Invalid, "booking_code"},
			{"ErrNoLines", testkit.UserMerchantA, cx.BookingCode, nil, apperr.Invalid, "line_ids"},
			{"ErrAgentMayNotFileByCode", testkit.UserAgentX, cx.BookingCode, a[:1], apperr.Forbidden, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, n, err := w.svc.FileLines(ctx, w.actor(t, tc.user), tc.code, tc.lines)
				wantConsErr(t, err, tc.want, tc.field)
				if err == nil && n != len(tc.lines) {
					t.Errorf("filed %d, want %d", n, len(tc.lines))
				}
			})
		}
		// Agent X allocates: B's lines are not its (NotFound) until B entrusts X; a line in Y's
		// consolidation is a conflict.
		_, _, err := w.svc.AllocateLines(ctx, w.actor(t, testkit.UserAgentX), cx.ID, b)
		wantConsErr(t, err, apperr.NotFound, "")
		w.entrustBX(t)
		_, _, err = w.svc.AllocateLines(ctx, w.actor(t, testkit.UserAgentX), cx.ID, inY)
		wantConsErr(t, err, apperr.Conflict, "")
		if _, n, err := w.svc.AllocateLines(ctx, w.actor(t, testkit.UserAgentX), cx.ID, b); err != nil || n != 1 {
			t.Fatalf("allocate B's line: %d %v", n, err)
		}
		_, _, err = w.svc.AllocateLines(ctx, w.actor(t, testkit.UserAgentY), cx.ID, b)
		wantConsErr(t, err, apperr.NotFound, "")
		d, err := w.svc.Consolidation(ctx, w.actor(t, testkit.UserAgentX), cx.ID)
		if err != nil || len(d.Lines) != 4 || len(d.Groups) != 2 {
			t.Fatalf("detail: %v %+v", err, d)
		}
		// Merchant A sees only its own lines; agent Y does not see X's consolidation.
		if d, err := w.svc.Consolidation(ctx, w.actor(t, testkit.UserMerchantA), cx.ID); err != nil || len(d.Lines) != 3 {
			t.Errorf("merchant view: %v", err)
		}
		_, err = w.svc.Consolidation(ctx, w.actor(t, testkit.UserAgentY), cx.ID)
		wantConsErr(t, err, apperr.NotFound, "")
		if n := w.auditCount(t, cx.ID, "file_lines"); n != 2 {
			t.Errorf("%d file_lines audit entries, want 2", n)
		}
		if n := w.auditCount(t, cx.ID, "allocate_lines"); n != 1 {
			t.Errorf("%d allocate_lines audit entries, want 1", n)
		}
		// A consolidated line's transaction can no longer be voided.
		var l models.TransactionLine
		db.Where("id = ?", a[0]).Take(&l)
		_, err = w.svc.VoidTransaction(ctx, w.actor(t, testkit.UserMerchantA), l.TransactionID, workflow.VoidInput{Reason: "mistake"})
		wantConsErr(t, err, apperr.Conflict, "")
	})
}

// TestConcurrentFilingOneWinner files the same line into two consolidations at once: exactly one
// filing wins, the other is a conflict.
func TestConcurrentFilingOneWinner(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newConsWorld(t, db)
		ctx := context.Background()
		c1, c2 := w.open(t, testkit.UserAgentX), w.open(t, testkit.UserAgentX)
		for round := range 3 {
			line := w.registeredOf(t, testkit.UserMerchantA, 1)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, c := range []*models.Consolidation{c1, c2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if i == 0 {
						_, _, errs[i] = w.svc.FileLines(ctx, w.actor(t, testkit.UserMerchantA), c.BookingCode, line)
					} else {
						_, _, errs[i] = w.svc.AllocateLines(ctx, w.actor(t, testkit.UserAgentX), c.ID, line)
					}
				}()
			}
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch apperr.CodeOf(err) {
				case "":
					wins++
				case apperr.Conflict:
				default:
					t.Errorf("round %d: unexpected error %v", round, err)
				}
			}
			if wins != 1 {
				t.Fatalf("round %d: %d winners (%v)", round, wins, errs)
			}
			var n int64
			db.Model(&models.ConsolidationLine{}).Where("transaction_line_id = ?", line[0]).Count(&n)
			if n != 1 {
				t.Fatalf("round %d: line filed %d times", round, n)
			}
		}
	})
}

func TestPackCloseReopenCancel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newConsWorld(t, db)
		ctx := context.Background()
		agent := w.actor(t, testkit.UserAgentX)
		c := w.open(t, testkit.UserAgentX)
		lines := w.registeredOf(t, testkit.UserMerchantA, 2)
		// Closing an empty consolidation lists both missing things.
		_, err := w.svc.CloseConsolidation(ctx, agent, c.ID, 0)
		wantConsErr(t, err, apperr.Invalid, "lines")
		wantConsErr(t, err, apperr.Invalid, "containers")
		if _, _, err := w.svc.FileLines(ctx, w.actor(t, testkit.UserMerchantA), c.BookingCode, lines); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.AddContainer(ctx, agent, c.ID, workflow.ContainerInput{Number: "MSCU6639871", SizeType: "40HQ", TareKg: "3900"})
		wantConsErr(t, err, apperr.Invalid, "number")
		_, err = w.svc.AddContainer(ctx, agent, c.ID, workflow.ContainerInput{Number: "CSQU3054383", SizeType: "99XX", TareKg: "3900"})
		wantConsErr(t, err, apperr.Invalid, "size_type")
		box, err := w.svc.AddContainer(ctx, agent, c.ID, workflow.ContainerInput{Number: "csqu 305438-3", SizeType: "40HQ", SealNo: "SL123", TareKg: "3900"})
		if err != nil || box.Number != "CSQU3054383" {
			t.Fatalf("add container: %+v %v", box, err)
		}
		_, err = w.svc.AddContainer(ctx, agent, c.ID, workflow.ContainerInput{Number: "CSQU3054383", SizeType: "40HQ", TareKg: "3900"})
		wantConsErr(t, err, apperr.Invalid, "number")
		empty, err := w.svc.AddContainer(ctx, agent, c.ID, workflow.ContainerInput{Number: "MSCU6639870", SizeType: "20GP", TareKg: "2200"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.AddContainer(ctx, w.actor(t, testkit.UserAgentY), c.ID, workflow.ContainerInput{Number: "MSCU6639870", SizeType: "20GP", TareKg: "2200"})
		wantConsErr(t, err, apperr.NotFound, "")
		// Each line is 2 cartons, 9.6 kg net, 10.4 kg gross. Over-packing is refused at once.
		line0 := "line." + strconv.FormatInt(lines[0], 10)
		_, err = w.svc.SetPacking(ctx, agent, c.ID, workflow.PackingInput{ContainerID: box.ID, Entries: []workflow.PackingEntry{
			{LineID: lines[0], Cartons: "3", NetKg: "9.6", GrossKg: "10.4"}}})
		wantConsErr(t, err, apperr.Invalid, line0)
		// Split line 0: one carton in each container.
		for _, id := range []int64{box.ID, empty.ID} {
			if _, err := w.svc.SetPacking(ctx, agent, c.ID, workflow.PackingInput{ContainerID: id, Entries: []workflow.PackingEntry{
				{LineID: lines[0], Cartons: "1", NetKg: "4.8", GrossKg: "5.2"}}}); err != nil {
				t.Fatalf("pack: %v", err)
			}
		}
		_, err = w.svc.SetPacking(ctx, agent, c.ID, workflow.PackingInput{ContainerID: box.ID, Entries: []workflow.PackingEntry{
			{LineID: lines[0], Cartons: "2", NetKg: "4.8", GrossKg: "5.2"}}})
		wantConsErr(t, err, apperr.Invalid, line0)
		// Line 1 is not packed: closing names it.
		_, err = w.svc.CloseConsolidation(ctx, agent, c.ID, 0)
		wantConsErr(t, err, apperr.Invalid, "line."+strconv.FormatInt(lines[1], 10))
		if _, err := w.svc.PackRest(ctx, agent, c.ID, box.ID, 0); err != nil {
			t.Fatalf("pack rest: %v", err)
		}
		_, err = w.svc.PackRest(ctx, agent, c.ID, box.ID, 0)
		wantConsErr(t, err, apperr.Invalid, "")
		// A stale version is refused.
		_, err = w.svc.CloseConsolidation(ctx, agent, c.ID, 1)
		wantConsErr(t, err, apperr.Conflict, "")
		d, _ := w.svc.Consolidation(ctx, agent, c.ID)
		if len(d.Problems) != 0 {
			t.Fatalf("problems before closing: %+v", d.Problems)
		}
		closed, err := w.svc.CloseConsolidation(ctx, agent, c.ID, d.Consolidation.Version)
		if err != nil || closed.Status != models.ConsolidationClosed || closed.ClosedAt == nil {
			t.Fatalf("close: %+v %v", closed, err)
		}
		// Closed is read-only.
		_, err = w.svc.RemoveContainer(ctx, agent, c.ID, empty.ID)
		wantConsErr(t, err, apperr.Conflict, "")
		_, err = w.svc.RemoveLine(ctx, agent, c.ID, lines[0])
		wantConsErr(t, err, apperr.Conflict, "")
		_, _, err = w.svc.FileLines(ctx, w.actor(t, testkit.UserMerchantA), c.BookingCode, w.registeredOf(t, testkit.UserMerchantA, 1))
		wantConsErr(t, err, apperr.Conflict, "")
		_, err = w.svc.CancelConsolidation(ctx, agent, c.ID, 0)
		wantConsErr(t, err, apperr.Conflict, "")
		// The declaration engineer's read.
		src, err := w.svc.ClosedConsolidationLines(ctx, agent, c.ID)
		if err != nil || len(src.Lines) != 2 || src.Lines[0].LineID != lines[0] || src.Agent.ID != w.AgentX.ID ||
			src.Lines[0].HSCode != "7117190000" || src.Lines[0].Currency != "USD" || src.Lines[0].GrossGrams != 10400 {
			t.Fatalf("closed lines: %+v %v", src, err)
		}
		_, err = w.svc.ClosedConsolidationLines(ctx, w.actor(t, testkit.UserAgentY), c.ID)
		wantConsErr(t, err, apperr.NotFound, "")
		_, err = w.svc.ClosedConsolidationLines(ctx, w.actor(t, testkit.UserFX), c.ID)
		wantConsErr(t, err, apperr.Forbidden, "")
		// Reopen, then close again; a declared consolidation is not reopened.
		if _, err := w.svc.ReopenConsolidation(ctx, agent, c.ID, 0); err != nil {
			t.Fatalf("reopen: %v", err)
		}
		_, err = w.svc.ClosedConsolidationLines(ctx, agent, c.ID)
		wantConsErr(t, err, apperr.Conflict, "")
		if _, err := w.svc.CloseConsolidation(ctx, agent, c.ID, 0); err != nil {
			t.Fatal(err)
		}
		db.Model(&models.Consolidation{}).Where("id = ?", c.ID).Update("status", models.ConsolidationDeclared)
		_, err = w.svc.ReopenConsolidation(ctx, agent, c.ID, 0)
		wantConsErr(t, err, apperr.Conflict, "")
		if apperr.As(err).Text.En == "" || !consContains(apperr.As(err).Text.En, "cancel its declarations first") {
			t.Errorf("reopen declared: %v", err)
		}
		for action, want := range map[string]int64{"open": 1, "file_lines": 1, "add_container": 2, "pack": 2, "pack_rest": 1, "close": 2, "reopen": 1} {
			if n := w.auditCount(t, c.ID, action); n != want {
				t.Errorf("%d %s audit entries, want %d", n, action, want)
			}
		}
	})
}

func TestCancelFreesLines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newConsWorld(t, db)
		ctx := context.Background()
		agent := w.actor(t, testkit.UserAgentX)
		c := w.open(t, testkit.UserAgentX)
		lines := w.registeredOf(t, testkit.UserMerchantA, 1)
		if _, _, err := w.svc.AllocateLines(ctx, agent, c.ID, lines); err != nil {
			t.Fatal(err)
		}
		box, err := w.svc.AddContainer(ctx, agent, c.ID, workflow.ContainerInput{Number: "CSQU3054383", SizeType: "40HQ", TareKg: "3900"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.PackRest(ctx, agent, c.ID, box.ID, lines[0]); err != nil {
			t.Fatal(err)
		}
		// Removing a line removes its packing.
		if _, err := w.svc.RemoveLine(ctx, agent, c.ID, lines[0]); err != nil {
			t.Fatal(err)
		}
		var packs int64
		db.Model(&models.PackingLine{}).Count(&packs)
		if packs != 0 {
			t.Errorf("%d packing rows after removing the line", packs)
		}
		if _, _, err := w.svc.AllocateLines(ctx, agent, c.ID, lines); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.CancelConsolidation(ctx, agent, c.ID, 0); err != nil {
			t.Fatalf("cancel: %v", err)
		}
		other := w.open(t, testkit.UserAgentX)
		if _, _, err := w.svc.FileLines(ctx, w.actor(t, testkit.UserMerchantA), other.BookingCode, lines); err != nil {
			t.Fatalf("file a freed line: %v", err)
		}
		_, _, err = w.svc.FileLines(ctx, w.actor(t, testkit.UserMerchantA), c.BookingCode, lines)
		wantConsErr(t, err, apperr.Invalid, "booking_code")
		if n := w.auditCount(t, c.ID, "cancel"); n != 1 {
			t.Errorf("%d cancel audit entries", n)
		}
	})
}

func consContains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
