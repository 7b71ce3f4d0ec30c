package demo_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/demo"
)

// TestFlow: the demo's trade taken through the later steps leaves work at every desk (declarations
// waiting for customs and in a lane, released, exited), paid lines and a filed VAT exemption,
// all through the service: every declaration has its audit entries and the chain verifies.
func TestFlow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		clock := time.Now().UTC()
		load(t, db, demo.Defaults(clock))
		svc := workflow.NewService(db, ref(t), func() time.Time { return clock }, slog.New(slog.NewTextHandler(io.Discard, nil)))
		// The shipped rules without random selection, so the lanes (and what the flow can do
		// with them) are the same every run.
		var rules []string
		if err := db.Model(&models.RiskRuleSet{}).Where("active = ?", true).Pluck("rules_json", &rules).Error; err != nil || len(rules) != 1 {
			t.Fatalf("active rules: %v %v", rules, err)
		}
		admin, err := svc.ActAs(context.Background(), "admin")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.PublishRuleSet(context.Background(), admin, workflow.RuleSetInput{RulesJSON: rules[0],
			MinRates: map[string]string{"red": "0", "yellow": "0", "blue": "0"}, Note: "no random lanes in the test"}); err != nil {
			t.Fatal(err)
		}
		sum, err := demo.Flow(context.Background(), svc, db)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Consolidations != 3 || sum.Declarations < 6 || sum.Submitted == 0 || sum.Accepted == 0 || sum.Exited == 0 ||
			sum.Receipts == 0 || sum.Filings != 1 {
			t.Fatalf("flow: %s", sum)
		}
		if got := sum.Submitted + sum.Accepted + sum.Released + sum.Exited; got != sum.Declarations {
			t.Errorf("%d declarations accounted for, want %d", got, sum.Declarations)
		}
		count := func(model any, where string, args ...any) int64 {
			var n int64
			if err := db.Model(model).Where(where, args...).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(&models.Declaration{}, "status = ?", models.DeclarationExited); n != int64(sum.Exited) {
			t.Errorf("%d exited declarations, summary says %d", n, sum.Exited)
		}
		if n := count(&models.TaxFiling{}, "status = ?", models.FilingFiled); n != 1 {
			t.Errorf("%d filed VAT filings", n)
		}
		if n := count(&models.TransactionLine{}, "fx_allocated > 0"); n == 0 {
			t.Error("no line was paid")
		}
		if n := count(&models.Declaration{}, "id NOT IN (SELECT CAST(entity_id AS BIGINT) FROM audit_entries WHERE entity = 'declaration' AND action = 'submit')"); n != 0 {
			t.Errorf("%d declarations without a submission in the audit log", n)
		}
		// A line's trace holds its consolidation's changes to it, not those to the other lines.
		var code string
		if err := db.Raw(`SELECT tl.trace_code FROM transaction_lines tl JOIN packing_lines pl ON pl.transaction_line_id = tl.id
		    ORDER BY tl.id LIMIT 1`).Scan(&code).Error; err != nil || code == "" {
			t.Fatalf("a packed line: %q %v", code, err)
		}
		auditor, err := svc.ActAs(context.Background(), "auditor")
		if err != nil {
			t.Fatal(err)
		}
		tv, err := svc.Trace(context.Background(), auditor, code)
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, e := range tv.Timeline {
			if e.Entity == "consolidation" {
				actions[e.Action]++
			}
		}
		if actions["open"] != 1 || actions["allocate_lines"] != 1 || actions["pack_rest"] != 1 || actions["close"] != 1 {
			t.Errorf("consolidation entries in the trace of %s: %v", code, actions)
		}
		v, err := models.VerifyAudit(context.Background(), db, nil, nil)
		if err != nil || !v.OK() {
			t.Fatalf("audit chain: %v %+v", err, v)
		}
	})
}
