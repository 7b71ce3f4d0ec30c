package workflow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
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

// taxWorld is the seeded world on a movable clock, with declarations made to exit on chosen
// days (written straight into the database, as the customs desk would leave them).
type taxWorld struct {
	*testkit.World
	db  *gorm.DB
	svc *workflow.Service
	now time.Time
	seq int
}

// yiwu is a wall-clock time in Yiwu (UTC+8).
func taxYiwu(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, workflow.MarketZone).UTC()
}

func newTaxWorld(t *testing.T, db *gorm.DB) *taxWorld {
	t.Helper()
	tw := &taxWorld{World: testkit.Seed(t, db), db: db, now: taxYiwu(2026, 10, 5, 9, 0)}
	tw.svc = servicetest.Service(t, db, func() time.Time { return tw.now })
	return tw
}

func (tw *taxWorld) actor(t *testing.T, username string) workflow.Actor {
	t.Helper()
	a := servicetest.Actor(t, tw.World, username)
	a.Day = tw.now.In(workflow.MarketZone).Format("2006-01-02")
	return a
}

// tradeB is a trade of merchant B through agent Y.
func (tw *taxWorld) tradeB(lines ...servicetest.Line) servicetest.TradeSpec {
	return servicetest.TradeSpec{MerchantID: tw.MerchantB.ID, BuyerID: tw.BuyerB.ID, AgentID: tw.AgentY.ID,
		AgentUser: testkit.UserAgentY, Lines: lines}
}

// exited submits a trade and marks its declaration accepted, released and exited on a Yiwu
// date ("" leaves it submitted).
func (tw *taxWorld) exited(t *testing.T, spec servicetest.TradeSpec, exitDate string) *servicetest.Trade {
	t.Helper()
	tr := servicetest.Submitted(t, tw.svc, tw.db, tw.World, spec)
	if exitDate == "" {
		return tr
	}
	tw.seq++
	now := tw.now
	entry := fmt.Sprintf("293320260%09d", 500_000_000+tr.Declaration.ID)
	if err := tw.db.Model(&models.Declaration{}).Where("id = ?", tr.Declaration.ID).Updates(map[string]any{
		"status": models.DeclarationExited, "exit_date": exitDate, "accepted_at": now, "released_at": now,
		"entry_no": entry, "lane": models.LaneGreen}).Error; err != nil {
		t.Fatal(err)
	}
	tr.Declaration.Status, tr.Declaration.ExitDate, tr.Declaration.EntryNo = models.DeclarationExited, exitDate, &entry
	return tr
}

// claim writes a filing of a status holding a trade's lines straight into the database.
func (tw *taxWorld) claim(t *testing.T, tr *servicetest.Trade, period, status string) models.TaxFiling {
	t.Helper()
	tw.seq++
	f := models.TaxFiling{Number: fmt.Sprintf("MSX%08d", tw.seq), MerchantID: tr.Transaction.MerchantID, Period: period,
		DueDate: workflow.TaxDueDate(period, 15), Status: status, LineCount: len(tr.Lines), Version: 1, CreatedAt: tw.now, UpdatedAt: tw.now}
	if err := tw.db.Create(&f).Error; err != nil {
		t.Fatal(err)
	}
	for _, l := range tr.Lines {
		fl := models.TaxFilingLine{FilingID: f.ID, TransactionLineID: l.ID, DeclarationID: tr.Declaration.ID, Currency: "USD",
			Amount: l.Amount, AmountCNY: models.ToCNY(l.Amount, 7_100_000), Claimed: status != models.FilingRejected}
		if err := tw.db.Create(&fl).Error; err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func taxLineIDs(trs ...*servicetest.Trade) []int64 {
	var out []int64
	for _, tr := range trs {
		for _, l := range tr.Lines {
			out = append(out, l.ID)
		}
	}
	slices.Sort(out)
	return out
}

func (tw *taxWorld) filingLineIDs(t *testing.T, filingID int64) []int64 {
	t.Helper()
	var ids []int64
	if err := tw.db.Model(&models.TaxFilingLine{}).Where("filing_id = ?", filingID).Order("transaction_line_id").
		Pluck("transaction_line_id", &ids).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

func taxPreviewIDs(ls []workflow.TaxLine) []int64 {
	var out []int64
	for _, l := range ls {
		out = append(out, l.LineID)
	}
	slices.Sort(out)
	return out
}

func taxWantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("error %v (%s), want %s", err, apperr.CodeOf(err), code)
	}
}

// TestTaxFilingHoldsExactlyTheMonthsLines: a filing of November holds exactly the merchant's
// lines whose declarations exited from 1 to 30 November: not those exited on 31 October or
// 1 December, not another merchant's, not lines whose declaration has not exited, not lines
// already in a filed filing; lines of a rejected filing are free again. The filing's total is
// the CNY value at the declaration month's rate, its due date the 15th of December.
func TestTaxFilingHoldsExactlyTheMonthsLines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tw := newTaxWorld(t, db)
		prev := tw.exited(t, servicetest.TradeSpec{}, "2026-10-31")
		first := tw.exited(t, servicetest.TradeSpec{}, "2026-11-01")
		last := tw.exited(t, servicetest.TradeSpec{}, "2026-11-30")
		next := tw.exited(t, servicetest.TradeSpec{}, "2026-12-01")
		other := tw.exited(t, tw.tradeB(), "2026-11-15")
		tw.exited(t, servicetest.TradeSpec{}, "") // submitted, never exited
		filed := tw.exited(t, servicetest.TradeSpec{}, "2026-11-10")
		tw.claim(t, filed, "2026-11", models.FilingFiled)
		rejected := tw.exited(t, servicetest.TradeSpec{}, "2026-11-20")
		tw.claim(t, rejected, "2026-11", models.FilingRejected)
		_, _ = prev, next

		tw.now = taxYiwu(2026, 12, 5, 10, 0)
		merchant := tw.actor(t, testkit.UserMerchantA)
		pv, err := tw.svc.TaxPreview(context.Background(), merchant, 0, "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		want := taxLineIDs(first, last, rejected)
		if got := taxPreviewIDs(pv.Eligible); !slices.Equal(got, want) {
			t.Fatalf("preview eligible %v, want %v", got, want)
		}
		if got := taxPreviewIDs(pv.Claimed); !slices.Equal(got, taxLineIDs(filed)) {
			t.Errorf("preview claimed %v, want %v", got, taxLineIDs(filed))
		}
		if len(pv.Failing) != 0 || pv.DueDate != "2026-12-15" || pv.PeriodOpen {
			t.Errorf("failing %d, due %s, open %v", len(pv.Failing), pv.DueDate, pv.PeriodOpen)
		}
		f, err := tw.svc.BuildTaxFiling(context.Background(), merchant, workflow.TaxFilingInput{Period: "2026-11"})
		if err != nil {
			t.Fatal(err)
		}
		if got := tw.filingLineIDs(t, f.ID); !slices.Equal(got, want) {
			t.Fatalf("filing holds %v, want %v", got, want)
		}
		// Three trades of USD 1,200.00 + 800.00 at 7.100000 CNY (October's rate, the declarations' month).
		if f.Status != models.FilingDraft || f.LineCount != 6 || f.TotalCNY != 3*14_200_00 || f.DueDate != "2026-12-15" ||
			!strings.HasPrefix(f.Number, "MS202611") || f.MerchantID != tw.MerchantA.ID || f.Period != "2026-11" {
			t.Errorf("filing %+v", f)
		}
		for _, l := range pv.Eligible {
			if l.RateMonth != "2026-10" || l.AmountCNY != models.ToCNY(l.Amount, 7_100_000) || l.EntryNo == "" || l.DeclarationNo() != l.EntryNo {
				t.Errorf("line %+v", l)
			}
		}
		// A second build finds nothing left.
		_, err = tw.svc.BuildTaxFiling(context.Background(), merchant, workflow.TaxFilingInput{Period: "2026-11"})
		taxWantCode(t, err, apperr.Conflict)
		// October holds the line exited on the 31st, December the one exited on the 1st.
		oct, err := tw.svc.TaxPreview(context.Background(), merchant, 0, "2026-10")
		if err != nil {
			t.Fatal(err)
		}
		if got := taxPreviewIDs(oct.Eligible); !slices.Equal(got, taxLineIDs(prev)) {
			t.Errorf("October %v, want %v", got, taxLineIDs(prev))
		}
		dec, err := tw.svc.TaxPreview(context.Background(), merchant, 0, "2026-12")
		if err != nil {
			t.Fatal(err)
		}
		if got := taxPreviewIDs(dec.Eligible); !slices.Equal(got, taxLineIDs(next)) || !dec.PeriodOpen {
			t.Errorf("December %v (open %v), want %v", got, dec.PeriodOpen, taxLineIDs(next))
		}
		bNov, err := tw.svc.TaxPreview(context.Background(), tw.actor(t, testkit.UserMerchantB), 0, "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		if got := taxPreviewIDs(bNov.Eligible); !slices.Equal(got, taxLineIDs(other)) {
			t.Errorf("merchant B November %v, want %v", got, taxLineIDs(other))
		}
	})
}

// TestTaxFilingMonthIsYiwuTime: the current month, the default export month and "past due" are
// read on Yiwu's clock (UTC+8), not UTC.
func TestTaxFilingMonthIsYiwuTime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tw := newTaxWorld(t, db)
		nov := tw.exited(t, servicetest.TradeSpec{}, "2026-11-20")
		merchant := func() workflow.Actor { return tw.actor(t, testkit.UserMerchantA) }

		tw.now = taxYiwu(2026, 11, 30, 23, 59) // 15:59 UTC
		if got := tw.svc.DefaultTaxPeriod(); got != "2026-10" {
			t.Errorf("default period on 30 November 23:59 = %s", got)
		}
		_, err := tw.svc.TaxPreview(context.Background(), merchant(), 0, "2026-12")
		taxWantCode(t, err, apperr.Invalid)

		tw.now = taxYiwu(2026, 12, 1, 0, 0) // still 30 November in UTC
		if got := tw.svc.DefaultTaxPeriod(); got != "2026-11" {
			t.Errorf("default period on 1 December 00:00 = %s", got)
		}
		if _, err := tw.svc.TaxPreview(context.Background(), merchant(), 0, "2026-12"); err != nil {
			t.Fatal(err)
		}

		tax := tw.actor(t, testkit.UserTax)
		overdue := func() []workflow.TaxOverdueMerchant {
			t.Helper()
			o, err := tw.svc.TaxOverdue(context.Background(), tax)
			if err != nil {
				t.Fatal(err)
			}
			return o.Merchants
		}
		tw.now = taxYiwu(2026, 12, 15, 23, 59) // due day, last minute
		if got := overdue(); len(got) != 0 {
			t.Errorf("overdue on the due day: %+v", got)
		}
		tw.now = taxYiwu(2026, 12, 16, 0, 0) // 15 December 16:00 UTC
		got := overdue()
		if len(got) != 1 || got[0].MerchantID != tw.MerchantA.ID || got[0].Period != "2026-11" || got[0].DaysOverdue != 1 ||
			got[0].Lines != len(nov.Lines) {
			t.Errorf("overdue the day after: %+v", got)
		}
	})
}

// TestTaxFilingDueDate: the due date is the configured day of the month after the export month:
// that month's tax_due_days row when an admin moved it (never the export month's own row), else
// the default setting.
func TestTaxFilingDueDate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tw := newTaxWorld(t, db)
		tw.exited(t, servicetest.TradeSpec{}, "2026-10-20")
		tw.exited(t, servicetest.TradeSpec{}, "2026-11-20")
		for month, day := range map[string]int{"2026-11": 25, "2026-12": 20} {
			if err := db.Create(&models.TaxDueDay{Month: month, Day: day, UpdatedAt: tw.now}).Error; err != nil {
				t.Fatal(err)
			}
		}
		tw.now = taxYiwu(2026, 12, 2, 9, 0)
		merchant := tw.actor(t, testkit.UserMerchantA)
		for period, due := range map[string]string{"2026-11": "2026-12-20", "2026-10": "2026-11-25"} {
			f, err := tw.svc.BuildTaxFiling(context.Background(), merchant, workflow.TaxFilingInput{Period: period})
			if err != nil {
				t.Fatal(err)
			}
			if f.DueDate != due {
				t.Errorf("%s due %s, want %s", period, f.DueDate, due)
			}
		}
		if _, err := tw.svc.SetSettings(context.Background(), tw.actor(t, testkit.UserAdmin), workflow.SettingsInput{
			CapUSD: "150000.00", ItemLimit: "50", CustomsOffice: "2933", TaxDueDay: "10"}); err != nil {
			t.Fatal(err)
		}
		for period, due := range map[string]string{"2026-09": "2026-10-10", "2026-12": "2027-01-10", "2026-11": "2026-12-20"} {
			if got, err := tw.svc.TaxDueDateOf(context.Background(), period); err != nil || got != due {
				t.Errorf("%s due %s (%v), want %s", period, got, err, due)
			}
		}
	})
}

// TestTaxFilingChecks: a line failing a consistency check is shown with the check and its
// reason and left out of the filing; the other lines are filed.
func TestTaxFilingChecks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tw := newTaxWorld(t, db)
		one := func(hs string) servicetest.TradeSpec {
			return servicetest.TradeSpec{Lines: []servicetest.Line{{HSCode: hs, Amount: 50_000}}}
		}
		exec := func(sql string, args ...any) {
			t.Helper()
			if err := db.Exec(sql, args...).Error; err != nil {
				t.Fatal(err)
			}
		}
		good := tw.exited(t, one(""), "2026-11-03")
		cases := map[string]struct {
			tr    *servicetest.Trade
			check string
			word  string
		}{}
		add := func(name, check, word string, tr *servicetest.Trade) {
			cases[name] = struct {
				tr    *servicetest.Trade
				check string
				word  string
			}{tr, check, word}
		}
		late := tw.exited(t, one(""), "2026-11-04")
		exec("UPDATE transactions SET registered_at = ? WHERE id = ?", tw.now.Add(time.Hour), late.Transaction.ID)
		add("ErrRegisteredAfterDeclaration", workflow.TaxCheckRegisteredFirst, "after the declaration", late)

		held := tw.exited(t, one(""), "2026-11-05")
		exec("UPDATE goods SET status = ? WHERE id = ?", models.GoodsHeld, held.Lines[0].GoodsID)
		add("ErrGoodsHeld", workflow.TaxCheckGoodsEligible, "not recognised", held)

		banned := tw.exited(t, one("9505100000"), "2026-11-06")
		exec("INSERT INTO hs_prefixes (list, prefix, reason_en, reason_zh, created_at) VALUES (?, ?, ?, ?, ?)",
			models.ListIneligible, "950510", "test ban", "测试", tw.now)
		add("ErrGoodsIneligible", workflow.TaxCheckGoodsEligible, "ineligible", banned)

		mode := tw.exited(t, one(""), "2026-11-07")
		exec("UPDATE declarations SET supervision_mode = '0110' WHERE id = ?", mode.Declaration.ID)
		add("ErrNot1039", workflow.TaxCheckMode1039, "0110", mode)

		value := tw.exited(t, one(""), "2026-11-08")
		exec("UPDATE declaration_item_lines SET value = value - 100 WHERE transaction_line_id = ?", value.Lines[0].ID)
		add("ErrDeclaredValueDiffers", workflow.TaxCheckAmountsAgree, "declares USD 499.00", value)

		eur := tw.exited(t, servicetest.TradeSpec{Currency: "EUR", Lines: []servicetest.Line{{Amount: 50_000}}}, "2026-11-09")
		add("ErrNoRate", workflow.TaxCheckRateKnown, "EUR", eur)

		abnormal := tw.exited(t, tw.tradeB(servicetest.Line{Amount: 50_000}), "2026-11-10")
		exec("DELETE FROM exchange_rates WHERE currency = 'EUR'") // after the last trade, which adds the month's rates
		exec("UPDATE merchants SET status = ? WHERE id = ?", models.MerchantAbnormal, tw.MerchantB.ID)

		tw.now = taxYiwu(2026, 12, 3, 9, 0)
		pv, err := tw.svc.TaxPreview(context.Background(), tw.actor(t, testkit.UserMerchantA), 0, "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		failing := map[int64]workflow.TaxLine{}
		for _, l := range pv.Failing {
			failing[l.LineID] = l
		}
		for name, c := range cases {
			t.Run(name, func(t *testing.T) {
				l, ok := failing[c.tr.Lines[0].ID]
				if !ok {
					t.Fatalf("line not among the failing lines")
				}
				f := l.Failed()
				if len(f) != 1 || f[0].Code != c.check || !strings.Contains(f[0].Reason.En, c.word) || f[0].Reason.Zh == "" {
					t.Errorf("failed checks %+v, want only %s mentioning %q", f, c.check, c.word)
				}
			})
		}
		if got := taxPreviewIDs(pv.Eligible); !slices.Equal(got, taxLineIDs(good)) || len(pv.Failing) != len(cases) {
			t.Errorf("eligible %v, want %v; %d failing", got, taxLineIDs(good), len(pv.Failing))
		}
		f, err := tw.svc.BuildTaxFiling(context.Background(), tw.actor(t, testkit.UserMerchantA), workflow.TaxFilingInput{Period: "2026-11"})
		if err != nil {
			t.Fatal(err)
		}
		if got := tw.filingLineIDs(t, f.ID); !slices.Equal(got, taxLineIDs(good)) {
			t.Errorf("filing holds %v, want %v", got, taxLineIDs(good))
		}
		// Merchant B is abnormal: every line fails, so nothing can be filed.
		pvB, err := tw.svc.TaxPreview(context.Background(), tw.actor(t, testkit.UserAgentY), tw.MerchantB.ID, "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		if len(pvB.Eligible) != 0 || len(pvB.Failing) != 1 || pvB.Failing[0].Failed()[0].Code != workflow.TaxCheckMerchantActive ||
			pvB.Failing[0].LineID != abnormal.Lines[0].ID {
			t.Errorf("merchant B preview %+v", pvB)
		}
		_, err = tw.svc.BuildTaxFiling(context.Background(), tw.actor(t, testkit.UserAgentY), workflow.TaxFilingInput{MerchantID: tw.MerchantB.ID, Period: "2026-11"})
		taxWantCode(t, err, apperr.Conflict)
	})
}

// TestTaxFilingRecheck: the filing page runs the checks again and flags what changed since the
// draft was built (an exit withdrawn, a line's amount changed, the declaration amended); filing
// such a draft is refused naming each line, and so is accepting such a filing.
func TestTaxFilingRecheck(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tw := newTaxWorld(t, db)
		a := tw.exited(t, servicetest.TradeSpec{}, "2026-11-03")
		b := tw.exited(t, servicetest.TradeSpec{}, "2026-11-04")
		c := tw.exited(t, servicetest.TradeSpec{}, "2026-11-05")
		tw.now = taxYiwu(2026, 12, 3, 9, 0)
		merchant := tw.actor(t, testkit.UserMerchantA)
		f, err := tw.svc.BuildTaxFiling(context.Background(), merchant, workflow.TaxFilingInput{Period: "2026-11"})
		if err != nil {
			t.Fatal(err)
		}
		d, err := tw.svc.TaxFiling(context.Background(), merchant, f.ID)
		if err != nil || d.Disagreements != 0 || len(d.Lines) != 6 || !d.CanFile || d.CanDecide {
			t.Fatalf("fresh filing: %v %+v", err, d)
		}
		tw.now = tw.now.Add(time.Hour)
		db.Model(&models.Declaration{}).Where("id = ?", a.Declaration.ID).Update("status", models.DeclarationReleased)
		db.Model(&models.TransactionLine{}).Where("id = ?", b.Lines[0].ID).Update("amount", b.Lines[0].Amount+1)
		db.Create(&models.CustomsEvent{DeclarationID: c.Declaration.ID, Kind: workflow.EventAmended, DetailJSON: "{}", CreatedAt: tw.now})

		d, err = tw.svc.TaxFiling(context.Background(), tw.actor(t, testkit.UserTax), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		flags := map[int64][]string{}
		for _, l := range d.Lines {
			for _, ch := range l.Failed() {
				flags[l.LineID] = append(flags[l.LineID], ch.Code)
			}
		}
		want := map[int64][]string{
			a.Lines[0].ID: {workflow.TaxCheckExitConfirmed}, a.Lines[1].ID: {workflow.TaxCheckExitConfirmed},
			b.Lines[0].ID: {workflow.TaxCheckAmountsAgree},
			c.Lines[0].ID: {workflow.TaxCheckUnchanged}, c.Lines[1].ID: {workflow.TaxCheckUnchanged},
		}
		if fmt.Sprint(flags) != fmt.Sprint(want) || d.Disagreements != 5 {
			t.Errorf("flags %v, want %v (%d disagreements)", flags, want, d.Disagreements)
		}
		_, err = tw.svc.FileTaxFiling(context.Background(), merchant, f.ID, f.Version)
		taxWantCode(t, err, apperr.Conflict)
		fs := apperr.As(err).Fields
		named := false
		for _, f := range fs {
			named = named || strings.Contains(f.Text.En, a.Lines[0].TraceCode)
		}
		if len(fs) != 5 || !named {
			t.Errorf("refusal names %+v", fs)
		}
		// Filed anyway (written directly), the officer cannot accept it either.
		db.Model(&models.TaxFiling{}).Where("id = ?", f.ID).Update("status", models.FilingFiled)
		if d, err := tw.svc.TaxFiling(context.Background(), tw.actor(t, testkit.UserTax), f.ID); err != nil || !d.CanDecide || d.CanAccept {
			t.Errorf("officer may accept a filing whose checks fail: %v %+v", err, d)
		}
		_, err = tw.svc.DecideTaxFiling(context.Background(), tw.actor(t, testkit.UserTax), f.ID, workflow.TaxDecision{Accept: true})
		taxWantCode(t, err, apperr.Conflict)
		if _, err := tw.svc.DecideTaxFiling(context.Background(), tw.actor(t, testkit.UserTax), f.ID,
			workflow.TaxDecision{Reason: "exit withdrawn, amount changed"}); err != nil {
			t.Fatal(err)
		}
	})
}

type taxAuditRow struct {
	Action, Old, New string
}

func taxAudit(t *testing.T, db *gorm.DB, id int64) []taxAuditRow {
	t.Helper()
	var rows []models.AuditEntry
	if err := db.Where("entity = ? AND entity_id = ?", "tax_filing", fmt.Sprint(id)).Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]taxAuditRow, len(rows))
	for i, r := range rows {
		out[i] = taxAuditRow{r.Action, r.OldJSON, r.NewJSON}
	}
	return out
}

func taxAuditStatus(t *testing.T, raw string) string {
	t.Helper()
	if raw == "" || raw == "null" {
		return ""
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("audit value %q: %v", raw, err)
	}
	return fmt.Sprint(m["status"])
}

func taxNotified(t *testing.T, db *gorm.DB, kind string) []string {
	t.Helper()
	var names []string
	if err := db.Table("notifications n").Joins("JOIN users u ON u.id = n.user_id").Where("n.kind = ?", kind).
		Order("u.username").Pluck("u.username", &names).Error; err != nil {
		t.Fatal(err)
	}
	return names
}

// TestTaxFilingDecisions: the agent builds and files for an entrusting merchant; the tax officer
// is notified; a draft cannot be decided; a rejection needs a reason, releases the lines (a new
// filing may claim them) and notifies the merchant and the agent; acceptance is final; stale
// versions are refused; a draft may be deleted; every change is one audit entry with its old and
// new values.
func TestTaxFilingDecisions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tw := newTaxWorld(t, db)
		tr := tw.exited(t, servicetest.TradeSpec{}, "2026-11-03")
		tw.now = taxYiwu(2026, 12, 18, 9, 0) // after the due date (15 December)
		ctx := context.Background()
		agent, merchant, tax := tw.actor(t, testkit.UserAgentX), tw.actor(t, testkit.UserMerchantA), tw.actor(t, testkit.UserTax)

		f, err := tw.svc.BuildTaxFiling(ctx, agent, workflow.TaxFilingInput{MerchantID: tw.MerchantA.ID, Period: "2026-11"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = tw.svc.DecideTaxFiling(ctx, tax, f.ID, workflow.TaxDecision{Accept: true})
		taxWantCode(t, err, apperr.Conflict)
		_, err = tw.svc.FileTaxFiling(ctx, agent, f.ID, f.Version+1)
		taxWantCode(t, err, apperr.Conflict)
		_, err = tw.svc.FileTaxFiling(ctx, tax, f.ID, f.Version)
		taxWantCode(t, err, apperr.Forbidden)
		filed, err := tw.svc.FileTaxFiling(ctx, agent, f.ID, f.Version)
		if err != nil {
			t.Fatal(err)
		}
		if filed.Status != models.FilingFiled || filed.FiledByAgentID == nil || *filed.FiledByAgentID != tw.AgentX.ID ||
			filed.FiledByUserID == nil || *filed.FiledByUserID != agent.UserID || filed.FiledAt == nil {
			t.Errorf("filed %+v", filed)
		}
		if got := taxNotified(t, db, "tax.filed"); !slices.Equal(got, []string{testkit.UserTax}) {
			t.Errorf("tax.filed went to %v", got)
		}
		if got := taxNotified(t, db, "tax.filed_by_agent"); !slices.Equal(got, []string{testkit.UserMerchantA}) {
			t.Errorf("tax.filed_by_agent went to %v", got)
		}
		d, err := tw.svc.TaxFiling(ctx, tax, f.ID)
		if err != nil || !d.Late || d.DaysLate != 3 || d.FiledBy != testkit.UserAgentX || d.FiledByAgent != tw.AgentX.Name || !d.CanDecide || !d.CanAccept || d.CanFile {
			t.Errorf("detail %v %+v", err, d)
		}
		_, err = tw.svc.FileTaxFiling(ctx, agent, f.ID, 0)
		taxWantCode(t, err, apperr.Conflict)
		_, err = tw.svc.DecideTaxFiling(ctx, tax, f.ID, workflow.TaxDecision{Reason: "  "})
		if apperr.CodeOf(err) != apperr.Invalid || apperr.As(err).Fields[0].Field != "reason" {
			t.Fatalf("reject without reason: %v", err)
		}
		_, err = tw.svc.DecideTaxFiling(ctx, merchant, f.ID, workflow.TaxDecision{Reason: "x"})
		taxWantCode(t, err, apperr.Forbidden)
		_, err = tw.svc.DecideTaxFiling(ctx, tax, f.ID, workflow.TaxDecision{Reason: "x", Version: filed.Version - 1})
		taxWantCode(t, err, apperr.Conflict)
		rej, err := tw.svc.DecideTaxFiling(ctx, tax, f.ID, workflow.TaxDecision{Reason: "  Buyer   name\n differs ", Version: filed.Version})
		if err != nil {
			t.Fatal(err)
		}
		if rej.Status != models.FilingRejected || rej.DecisionReason != "Buyer name differs" || rej.DecidedByUserID == nil {
			t.Errorf("rejected %+v", rej)
		}
		if got := taxNotified(t, db, "tax.rejected"); !slices.Equal(got, []string{testkit.UserAgentX, testkit.UserMerchantA}) {
			t.Errorf("tax.rejected went to %v", got)
		}
		_, err = tw.svc.DecideTaxFiling(ctx, tax, f.ID, workflow.TaxDecision{Accept: true})
		taxWantCode(t, err, apperr.Conflict)

		// The rejected filing freed its lines: the merchant builds a new one holding them.
		f2, err := tw.svc.BuildTaxFiling(ctx, merchant, workflow.TaxFilingInput{Period: "2026-11"})
		if err != nil {
			t.Fatal(err)
		}
		if got := tw.filingLineIDs(t, f2.ID); !slices.Equal(got, taxLineIDs(tr)) || f2.Number == f.Number {
			t.Errorf("second filing %s holds %v", f2.Number, got)
		}
		if _, err := tw.svc.FileTaxFiling(ctx, merchant, f2.ID, f2.Version); err != nil {
			t.Fatal(err)
		}
		acc, err := tw.svc.DecideTaxFiling(ctx, tax, f2.ID, workflow.TaxDecision{Accept: true})
		if err != nil || acc.Status != models.FilingAccepted {
			t.Fatalf("accept: %v %+v", err, acc)
		}
		if got := taxNotified(t, db, "tax.accepted"); !slices.Equal(got, []string{testkit.UserMerchantA}) {
			t.Errorf("tax.accepted went to %v", got)
		}
		_, err = tw.svc.DecideTaxFiling(ctx, tax, f2.ID, workflow.TaxDecision{Reason: "x"})
		taxWantCode(t, err, apperr.Conflict)

		// One audit entry per change, each with the old and new status.
		for id, want := range map[int64][]taxAuditRow{
			f.ID:  {{"create", "", models.FilingDraft}, {"file", models.FilingDraft, models.FilingFiled}, {"reject", models.FilingFiled, models.FilingRejected}},
			f2.ID: {{"create", "", models.FilingDraft}, {"file", models.FilingDraft, models.FilingFiled}, {"accept", models.FilingFiled, models.FilingAccepted}},
		} {
			got := taxAudit(t, db, id)
			if len(got) != len(want) {
				t.Fatalf("filing %d: %d audit entries, want %d", id, len(got), len(want))
			}
			for i, g := range got {
				if g.Action != want[i].Action || taxAuditStatus(t, g.Old) != want[i].Old || taxAuditStatus(t, g.New) != want[i].New {
					t.Errorf("filing %d entry %d: %s %s → %s, want %+v", id, i, g.Action, taxAuditStatus(t, g.Old), taxAuditStatus(t, g.New), want[i])
				}
			}
		}

		// A draft may be deleted by the merchant (or its agent); its lines are free again.
		tr2 := tw.exited(t, servicetest.TradeSpec{}, "2026-11-25")
		f3, err := tw.svc.BuildTaxFiling(ctx, merchant, workflow.TaxFilingInput{Period: "2026-11"})
		if err != nil {
			t.Fatal(err)
		}
		if got := tw.filingLineIDs(t, f3.ID); !slices.Equal(got, taxLineIDs(tr2)) {
			t.Errorf("third filing holds %v", got)
		}
		_, err = tw.svc.DeleteTaxFiling(ctx, tw.actor(t, testkit.UserAgentY), f3.ID, f3.Version)
		taxWantCode(t, err, apperr.NotFound)
		if _, err := tw.svc.DeleteTaxFiling(ctx, agent, f3.ID, f3.Version); err != nil {
			t.Fatal(err)
		}
		_, err = tw.svc.TaxFiling(ctx, merchant, f3.ID)
		taxWantCode(t, err, apperr.NotFound)
		if got := taxAudit(t, db, f3.ID); len(got) != 2 || got[1].Action != "delete" || taxAuditStatus(t, got[1].Old) != models.FilingDraft ||
			!strings.Contains(got[1].Old, fmt.Sprint(tr2.Lines[0].ID)) || got[1].New != "" {
			t.Errorf("delete audit %+v", got)
		}
		_, err = tw.svc.DeleteTaxFiling(ctx, merchant, f2.ID, 0)
		taxWantCode(t, err, apperr.Conflict)
		if _, err := tw.svc.BuildTaxFiling(ctx, merchant, workflow.TaxFilingInput{Period: "2026-11"}); err != nil {
			t.Errorf("rebuild after delete: %v", err)
		}
	})
}

// TestTaxFilingScope: an agent files for a merchant that entrusts it, not for another (404);
// a merchant only for itself; another party's filing answers 404; officers, auditors and admins
// read every filing; only merchants and agents build, only the tax officer decides.
func TestTaxFilingScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tw := newTaxWorld(t, db)
		tw.exited(t, servicetest.TradeSpec{}, "2026-11-03")
		tw.exited(t, tw.tradeB(), "2026-11-04")
		tw.now = taxYiwu(2026, 12, 3, 9, 0)
		ctx := context.Background()
		as := func(u string) workflow.Actor { return tw.actor(t, u) }
		in := func(m int64) workflow.TaxFilingInput {
			return workflow.TaxFilingInput{MerchantID: m, Period: "2026-11"}
		}

		_, err := tw.svc.BuildTaxFiling(ctx, as(testkit.UserAgentX), in(tw.MerchantB.ID))
		taxWantCode(t, err, apperr.NotFound)
		_, err = tw.svc.TaxPreview(ctx, as(testkit.UserAgentX), tw.MerchantB.ID, "2026-11")
		taxWantCode(t, err, apperr.NotFound)
		_, err = tw.svc.BuildTaxFiling(ctx, as(testkit.UserMerchantA), in(tw.MerchantB.ID))
		taxWantCode(t, err, apperr.NotFound)
		_, err = tw.svc.BuildTaxFiling(ctx, as(testkit.UserAgentX), in(0))
		taxWantCode(t, err, apperr.Invalid)
		for _, u := range []string{testkit.UserTax, testkit.UserAuditor, testkit.UserAdmin, testkit.UserCustoms} {
			_, err = tw.svc.BuildTaxFiling(ctx, as(u), in(tw.MerchantA.ID))
			taxWantCode(t, err, apperr.Forbidden)
		}
		fa, err := tw.svc.BuildTaxFiling(ctx, as(testkit.UserAgentX), in(tw.MerchantA.ID))
		if err != nil {
			t.Fatal(err)
		}
		fb, err := tw.svc.BuildTaxFiling(ctx, as(testkit.UserMerchantB), in(0))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			user string
			id   int64
			code apperr.Code // "" for found
		}{
			{testkit.UserMerchantA, fa.ID, ""}, {testkit.UserAgentX, fa.ID, ""}, {testkit.UserTax, fa.ID, ""},
			{testkit.UserAuditor, fa.ID, ""}, {testkit.UserAdmin, fb.ID, ""},
			{testkit.UserMerchantB, fa.ID, apperr.NotFound}, {testkit.UserAgentY, fa.ID, apperr.NotFound},
			{testkit.UserAgentX, fb.ID, apperr.NotFound}, {testkit.UserPending, fa.ID, apperr.NotFound},
			{testkit.UserCustoms, fa.ID, apperr.Forbidden}, {testkit.UserFX, fa.ID, apperr.Forbidden},
		} {
			_, err := tw.svc.TaxFiling(ctx, as(c.user), c.id)
			if apperr.CodeOf(err) != c.code && !(c.code == "" && err == nil) {
				t.Errorf("%s reads filing %d: %v, want %q", c.user, c.id, err, c.code)
			}
		}
		_, err = tw.svc.FileTaxFiling(ctx, as(testkit.UserAgentY), fa.ID, 0)
		taxWantCode(t, err, apperr.NotFound)
		for user, want := range map[string][]int64{testkit.UserMerchantA: {fa.ID}, testkit.UserAgentY: {fb.ID},
			testkit.UserTax: {fb.ID, fa.ID}, testkit.UserAuditor: {fb.ID, fa.ID}, testkit.UserPending: nil} {
			l, err := tw.svc.TaxFilings(ctx, as(user), workflow.TaxFilingFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range l.Rows {
				got = append(got, r.ID)
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) || l.Total != int64(len(want)) {
				t.Errorf("%s lists %v, want %v", user, got, want)
			}
		}
		l, err := tw.svc.TaxFilings(ctx, as(testkit.UserTax), workflow.TaxFilingFilter{MerchantID: tw.MerchantB.ID, Status: models.FilingDraft, Period: "2026-11"})
		if err != nil || len(l.Rows) != 1 || l.Rows[0].ID != fb.ID || l.Rows[0].MerchantName != tw.MerchantB.Name {
			t.Errorf("filtered list %v %+v", err, l)
		}
		_, err = tw.svc.TaxFilings(ctx, as(testkit.UserTax), workflow.TaxFilingFilter{Status: "lost", Period: "11/2026x"})
		if apperr.CodeOf(err) != apperr.Invalid || len(apperr.As(err).Fields) != 2 {
			t.Errorf("bad filter: %v", err)
		}
		choices, err := tw.svc.TaxMerchantChoices(ctx, as(testkit.UserAgentX))
		if err != nil || len(choices) != 1 || choices[0].ID != tw.MerchantA.ID {
			t.Errorf("agent X choices %v %+v", err, choices)
		}
	})
}

// TestTaxOverdue: the overdue list names each merchant and export month with exited lines that
// no filed or accepted filing claims once the due date has passed, with the lines' CNY amount
// and the days overdue (lines in a draft still count), and lists drafts past their due date.
func TestTaxOverdue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tw := newTaxWorld(t, db)
		ctx := context.Background()
		tw.exited(t, servicetest.TradeSpec{}, "2026-10-20")
		tw.exited(t, servicetest.TradeSpec{}, "2026-11-02")
		tw.exited(t, tw.tradeB(servicetest.Line{Amount: 50_000}), "2026-10-12")
		tw.exited(t, tw.tradeB(servicetest.Line{Amount: 70_000}), "2026-11-12")

		tw.now = taxYiwu(2026, 11, 3, 9, 0)
		fb, err := tw.svc.BuildTaxFiling(ctx, tw.actor(t, testkit.UserMerchantB), workflow.TaxFilingInput{Period: "2026-10"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tw.svc.FileTaxFiling(ctx, tw.actor(t, testkit.UserMerchantB), fb.ID, 0); err != nil {
			t.Fatal(err)
		}
		tw.now = taxYiwu(2026, 12, 3, 9, 0)
		draft, err := tw.svc.BuildTaxFiling(ctx, tw.actor(t, testkit.UserMerchantA), workflow.TaxFilingInput{Period: "2026-11"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = tw.svc.TaxOverdue(ctx, tw.actor(t, testkit.UserMerchantA))
		taxWantCode(t, err, apperr.Forbidden)

		tw.now = taxYiwu(2026, 12, 20, 9, 0)
		o, err := tw.svc.TaxOverdue(ctx, tw.actor(t, testkit.UserTax))
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			merchant      int64
			period        string
			days, lines   int
			cny           models.Money
			inDraft       int
			name, dueDate string
		}
		var got []row
		for _, m := range o.Merchants {
			got = append(got, row{m.MerchantID, m.Period, m.DaysOverdue, m.Lines, m.AmountCNY, m.InDraft, m.MerchantName, m.DueDate})
		}
		want := []row{
			{tw.MerchantA.ID, "2026-10", 35, 2, 14_200_00, 0, tw.MerchantA.Name, "2026-11-15"},
			// equally overdue: by merchant name (义乌市福田… before 义乌市稠城…)
			{tw.MerchantB.ID, "2026-11", 5, 1, 4_970_00, 0, tw.MerchantB.Name, "2026-12-15"},
			{tw.MerchantA.ID, "2026-11", 5, 2, 14_200_00, 2, tw.MerchantA.Name, "2026-12-15"},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("overdue merchants\n got %v\nwant %v", got, want)
		}
		if len(o.Drafts) != 1 || o.Drafts[0].ID != draft.ID || o.Drafts[0].DaysOverdue != 5 || o.Drafts[0].MerchantName != tw.MerchantA.Name {
			t.Errorf("overdue drafts %+v", o.Drafts)
		}
	})
}

// TestTaxFilingConcurrentBuilds: builds of the same merchant and month at the same time never
// claim a line twice; the builds that lose answer Conflict (run with -race on both databases).
func TestTaxFilingConcurrentBuilds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tw := newTaxWorld(t, db)
		var trades []*servicetest.Trade
		for day := 2; day <= 4; day++ {
			trades = append(trades, tw.exited(t, servicetest.TradeSpec{}, fmt.Sprintf("2026-11-%02d", day)))
		}
		tw.now = taxYiwu(2026, 12, 3, 9, 0)
		actors := []workflow.Actor{tw.actor(t, testkit.UserMerchantA), tw.actor(t, testkit.UserAgentX)}
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = tw.svc.BuildTaxFiling(context.Background(), actors[i%2], workflow.TaxFilingInput{MerchantID: tw.MerchantA.ID, Period: "2026-11"})
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case apperr.CodeOf(err) != apperr.Conflict:
				t.Errorf("build: %v", err)
			default:
				t.Logf("refused: %s", apperr.As(err).Text.En)
			}
		}
		var claims []struct {
			TransactionLineID int64
			N                 int
		}
		if err := db.Model(&models.TaxFilingLine{}).Select("transaction_line_id, COUNT(*) AS n").Where("claimed").
			Group("transaction_line_id").Scan(&claims).Error; err != nil {
			t.Fatal(err)
		}
		var claimed []int64
		for _, c := range claims {
			if c.N != 1 {
				t.Errorf("line %d claimed %d times", c.TransactionLineID, c.N)
			}
			claimed = append(claimed, c.TransactionLineID)
		}
		slices.Sort(claimed)
		if !slices.Equal(claimed, taxLineIDs(trades...)) || ok < 1 {
			t.Errorf("%d builds succeeded; claimed %v, want %v", ok, claimed, taxLineIDs(trades...))
		}
	})
}
