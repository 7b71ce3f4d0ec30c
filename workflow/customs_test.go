package workflow_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// customsWorld is the seeded world with a second on-duty customs officer (customs-2), a data
// directory for documents, and a clock tests can move.
type customsWorld struct {
	t   *testing.T
	db  *gorm.DB
	svc *workflow.Service
	*testkit.World
	now      time.Time
	officer2 models.User
}

const customsUser2 = "customs-2"

func newCustomsWorld(t *testing.T, db *gorm.DB) *customsWorld {
	t.Helper()
	w := &customsWorld{t: t, db: db, World: testkit.Seed(t, db), now: testkit.Now}
	w.svc = servicetest.Service(t, db, func() time.Time { return w.now })
	w.svc.DataDir = t.TempDir()
	w.officer2 = w.customsOfficer(t, customsUser2, true)
	return w
}

// customsOfficer adds a customs user, on duty or not.
func (w *customsWorld) customsOfficer(t *testing.T, name string, onDuty bool) models.User {
	t.Helper()
	u := models.User{Username: name, DisplayName: "Officer " + name, PasswordHash: "x", Role: models.RoleCustoms, Lang: "en",
		OnDuty: onDuty, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	if err := w.db.Create(&u).Error; err != nil {
		t.Fatal(err)
	}
	w.Users[name] = u
	return u
}

func (w *customsWorld) actor(name string) workflow.Actor {
	return servicetest.Actor(w.t, w.World, name)
}

// lane publishes a rule set that sends every declaration of toys and tableware (the default
// trade's lines) to a lane, with no random selection; green publishes no rule at all.
func (w *customsWorld) lane(t *testing.T, lane string) {
	t.Helper()
	rules := `{"rules": []}`
	if lane != workflow.LaneGreen {
		rules = fmt.Sprintf(`{"rules": [{"code": "T-%s", "kind": "hs_prefix", "lane": %q, "prefixes": ["95", "39"],
			"name_en": "test", "name_zh": "测试"}]}`, strings.ToUpper(lane), lane)
	}
	if _, err := w.svc.PublishRuleSet(context.Background(), w.actor(testkit.UserAdmin), workflow.RuleSetInput{RulesJSON: rules,
		MinRates: map[string]string{"red": "0", "yellow": "0", "blue": "0"}, Note: "customs test: " + lane}); err != nil {
		t.Fatalf("publish %s rules: %v", lane, err)
	}
}

// submitted is a declaration of MerchantA through AgentX, submitted to customs.
func (w *customsWorld) submitted(t *testing.T) models.Declaration {
	t.Helper()
	return servicetest.Submitted(t, w.svc, w.db, w.World, servicetest.TradeSpec{}).Declaration
}

func (w *customsWorld) decl(t *testing.T, id int64) models.Declaration {
	t.Helper()
	var d models.Declaration
	if err := w.db.Take(&d, id).Error; err != nil {
		t.Fatal(err)
	}
	return d
}

// audits lists the audit entries written since a mark (an entry id).
func (w *customsWorld) audits(t *testing.T, after int64) []models.AuditEntry {
	t.Helper()
	var es []models.AuditEntry
	if err := w.db.Where("id > ?", after).Order("id").Find(&es).Error; err != nil {
		t.Fatal(err)
	}
	return es
}

func (w *customsWorld) auditMark(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := w.db.Model(&models.AuditEntry{}).Select("COALESCE(MAX(id), 0)").Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

// oneAudit runs a step and checks that it wrote exactly one audit entry, on the declaration,
// with the action and both old and new values.
func (w *customsWorld) oneAudit(t *testing.T, action string, declID int64, step func() error) {
	t.Helper()
	mark := w.auditMark(t)
	if err := step(); err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	es := w.audits(t, mark)
	if len(es) != 1 {
		t.Fatalf("%s wrote %d audit entries, want 1", action, len(es))
	}
	e := es[0]
	if e.Entity != "declaration" || e.EntityID != fmt.Sprint(declID) || e.Action != action || len(e.OldJSON) < 3 || len(e.NewJSON) < 3 {
		t.Errorf("%s audit entry %+v", action, e)
	}
}

func customsPDF(name string) workflow.DocumentUpload {
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n" + name)
	return workflow.DocumentUpload{FileName: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(pdf)), nil }}
}

func customsWant(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("%s: got %v (%s), want %s", what, err, apperr.CodeOf(err), code)
	}
}

func customsEventKinds(t *testing.T, db *gorm.DB, declID int64) []string {
	t.Helper()
	var kinds []string
	if err := db.Model(&models.CustomsEvent{}).Where("declaration_id = ?", declID).Order("id").Pluck("kind", &kinds).Error; err != nil {
		t.Fatal(err)
	}
	return kinds
}

// TestCustomsAcceptAssignsEntryNumber: acceptance assigns a valid 18-digit entry number from
// its own series (office, year, export flag 0, sequence), distinct per declaration, routes the
// declaration (a decision and a "routed" event) and writes one audit entry with old and new
// status, entry number and lane.
func TestCustomsAcceptAssignsEntryNumber(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newCustomsWorld(t, db)
		w.lane(t, workflow.LaneGreen)
		ctx := context.Background()
		officer := w.actor(testkit.UserCustoms)
		seen := map[string]bool{}
		for i := range 2 {
			d := w.submitted(t)
			var got *models.Declaration
			w.oneAudit(t, "accept", d.ID, func() (err error) {
				got, err = w.svc.AcceptDeclaration(ctx, officer, d.ID, d.Version)
				return err
			})
			if got.Status != models.DeclarationAccepted || got.EntryNo == nil || got.Lane != workflow.LaneGreen || got.AcceptedAt == nil {
				t.Fatalf("accepted: %+v", got)
			}
			no := *got.EntryNo
			if v := workflow.CheckDeclarationNumber(no); !v.OK {
				t.Errorf("entry no %s: %v", no, v)
			}
			if want := fmt.Sprintf("293320260%09d", i+1); no != want {
				t.Errorf("entry no %s, want %s (own series, sequence %d)", no, want, i+1)
			}
			if seen[no] {
				t.Errorf("entry no %s not unique", no)
			}
			seen[no] = true
			var n int64
			db.Model(&models.CustomsDecision{}).Where("declaration_id = ?", d.ID).Count(&n)
			if n != 1 {
				t.Errorf("%d decisions", n)
			}
			if k := customsEventKinds(t, db, d.ID); strings.Join(k[len(k)-2:], ",") != "accepted,routed" {
				t.Errorf("events %v", k)
			}
			var e models.AuditEntry
			db.Where("entity = ? AND entity_id = ? AND action = ?", "declaration", fmt.Sprint(d.ID), "accept").Take(&e)
			var old, nw map[string]any
			_ = json.Unmarshal([]byte(e.OldJSON), &old)
			_ = json.Unmarshal([]byte(e.NewJSON), &nw)
			if old["status"] != "submitted" || nw["status"] != "accepted" || nw["entry_no"] != no || nw["lane"] != "green" {
				t.Errorf("audit old %v new %v", old, nw)
			}
		}
		d := w.submitted(t)
		_, err := w.svc.AcceptDeclaration(ctx, officer, d.ID, d.Version+5)
		customsWant(t, "stale version", err, apperr.Conflict)
		_, err = w.svc.AcceptDeclaration(ctx, w.actor(testkit.UserAgentX), d.ID, 0)
		customsWant(t, "agent accepts", err, apperr.Forbidden)
	})
}

// TestCustomsLanesToRelease: each lane's path from acceptance to release, exit and (blue) the
// post-clearance audit; every step writes exactly one audit entry; release is refused before
// the documents (yellow) or the inspection (red), and for the inspector (an officer cannot
// inspect and release the same declaration), while another officer releases.
func TestCustomsLanesToRelease(t *testing.T) {
	for _, lane := range []string{workflow.LaneGreen, workflow.LaneBlue, workflow.LaneYellow, workflow.LaneRed} {
		t.Run(lane, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
				w := newCustomsWorld(t, db)
				w.lane(t, lane)
				ctx := context.Background()
				officer, officer2 := w.actor(testkit.UserCustoms), w.actor(customsUser2)
				agent := w.actor(testkit.UserAgentX)
				d := w.submitted(t)
				w.oneAudit(t, "accept", d.ID, func() error { _, err := w.svc.AcceptDeclaration(ctx, officer, d.ID, 0); return err })
				if got := w.decl(t, d.ID); got.Lane != lane {
					t.Fatalf("lane %s, want %s", got.Lane, lane)
				}
				releaser := officer
				switch lane {
				case workflow.LaneYellow:
					if k := customsEventKinds(t, db, d.ID); k[len(k)-1] != workflow.CustomsEventDocumentsRequested {
						t.Errorf("events %v", k)
					}
					_, err := w.svc.ReleaseDeclaration(ctx, officer, d.ID, 0)
					customsWant(t, "release before documents", err, apperr.Conflict)
					w.oneAudit(t, "upload_documents", d.ID, func() error {
						_, err := w.svc.UploadDeclarationDocuments(ctx, agent, d.ID, workflow.CustomsDocContract,
							[]workflow.DocumentUpload{customsPDF("contract.pdf"), customsPDF("invoice.pdf")})
						return err
					})
					var docs int64
					db.Model(&models.Document{}).Where("declaration_id = ?", d.ID).Count(&docs)
					if docs != 2 {
						t.Errorf("%d documents", docs)
					}
					// A further request blocks the release again until the next upload.
					w.oneAudit(t, "request_documents", d.ID, func() error {
						_, err := w.svc.RequestDocuments(ctx, officer, d.ID, workflow.RequestDocumentsInput{Kinds: []string{"packing"}, Text: "signed packing list"})
						return err
					})
					_, err = w.svc.ReleaseDeclaration(ctx, officer, d.ID, 0)
					customsWant(t, "release before the second upload", err, apperr.Conflict)
					if _, err := w.svc.UploadDeclarationDocuments(ctx, agent, d.ID, workflow.CustomsDocPacking,
						[]workflow.DocumentUpload{customsPDF("packing.pdf")}); err != nil {
						t.Fatal(err)
					}
				case workflow.LaneRed:
					var ins models.Inspection
					if err := db.Where("declaration_id = ?", d.ID).Take(&ins).Error; err != nil {
						t.Fatal(err)
					}
					if ins.InspectorUserID != w.officer2.ID {
						t.Fatalf("inspector %d, want the only other on-duty officer %d", ins.InspectorUserID, w.officer2.ID)
					}
					_, err := w.svc.ReleaseDeclaration(ctx, officer, d.ID, 0)
					customsWant(t, "release before the inspection", err, apperr.Conflict)
					_, err = w.svc.RecordInspection(ctx, officer, ins.ID, workflow.CustomsFindingInput{Result: workflow.CustomsConform})
					customsWant(t, "another officer records the result", err, apperr.Forbidden)
					w.oneAudit(t, "inspect", d.ID, func() error {
						_, err := w.svc.RecordInspection(ctx, officer2, ins.ID, workflow.CustomsFindingInput{Result: workflow.CustomsConform})
						return err
					})
					_, err = w.svc.ReleaseDeclaration(ctx, officer2, d.ID, 0)
					customsWant(t, "the inspector releases", err, apperr.Forbidden)
					if got := w.decl(t, d.ID); got.Status != models.DeclarationAccepted {
						t.Fatalf("status %s after the inspector's refused release", got.Status)
					}
				}
				w.oneAudit(t, "release", d.ID, func() error { _, err := w.svc.ReleaseDeclaration(ctx, releaser, d.ID, 0); return err })
				got := w.decl(t, d.ID)
				if got.Status != models.DeclarationReleased || got.ReleasedAt == nil {
					t.Fatalf("after release: %s", got.Status)
				}
				if lane == workflow.LaneBlue {
					w.oneAudit(t, "post_audit", d.ID, func() error {
						_, err := w.svc.PostAudit(ctx, officer2, d.ID, workflow.CustomsFindingInput{Result: workflow.CustomsConform, Findings: "papers in order"})
						return err
					})
					_, err := w.svc.PostAudit(ctx, officer2, d.ID, workflow.CustomsFindingInput{Result: workflow.CustomsConform})
					customsWant(t, "second post-clearance audit", err, apperr.Conflict)
				} else {
					_, err := w.svc.PostAudit(ctx, officer2, d.ID, workflow.CustomsFindingInput{Result: workflow.CustomsConform})
					customsWant(t, "post-clearance audit of a "+lane+" declaration", err, apperr.Conflict)
				}
				w.oneAudit(t, "exit", d.ID, func() error {
					_, err := w.svc.ConfirmExit(ctx, officer, d.ID, workflow.ExitInput{ExitDate: "2026-11-29"})
					return err
				})
				got = w.decl(t, d.ID)
				if got.Status != models.DeclarationExited || got.ExitDate != "2026-11-29" {
					t.Errorf("after exit: %s %s", got.Status, got.ExitDate)
				}
				if lane == workflow.LaneBlue && got.PostAuditResult != workflow.CustomsConform {
					t.Errorf("post audit %q", got.PostAuditResult)
				}
				var notes int64
				db.Model(&models.Notification{}).Where("kind = ? AND user_id = ?", "declaration.released", w.Users[testkit.UserMerchantA].ID).Count(&notes)
				if notes != 1 {
					t.Errorf("merchant got %d release notifications", notes)
				}
			})
		})
	}
}

// TestCustomsInspectorDraw: the inspector is drawn among the on-duty customs officers other
// than the accepting one (never an officer off duty or disabled), and the stored seed replays
// the draw over the stored candidates.
func TestCustomsInspectorDraw(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newCustomsWorld(t, db)
		third := w.customsOfficer(t, "customs-3", true)
		off := w.customsOfficer(t, "customs-off", false)
		gone := w.customsOfficer(t, "customs-gone", true)
		db.Model(&models.User{}).Where("id = ?", gone.ID).Update("disabled", true)
		w.lane(t, workflow.LaneRed)
		ctx := context.Background()
		for i := range 6 {
			d := w.submitted(t)
			accepter := w.actor(testkit.UserCustoms)
			if i%2 == 1 {
				accepter = w.actor("customs-3")
			}
			if _, err := w.svc.AcceptDeclaration(ctx, accepter, d.ID, 0); err != nil {
				t.Fatal(err)
			}
			var ins models.Inspection
			if err := db.Where("declaration_id = ?", d.ID).Take(&ins).Error; err != nil {
				t.Fatal(err)
			}
			switch ins.InspectorUserID {
			case accepter.UserID:
				t.Errorf("declaration %d: the accepting officer was drawn as inspector", d.ID)
			case off.ID, gone.ID:
				t.Errorf("declaration %d: an officer off duty or disabled was drawn", d.ID)
			}
			if ins.InspectorUserID != w.officer2.ID && ins.InspectorUserID != third.ID && ins.InspectorUserID != w.Users[testkit.UserCustoms].ID {
				t.Errorf("inspector %d is not a customs officer on duty", ins.InspectorUserID)
			}
			var e models.CustomsEvent
			db.Where("declaration_id = ? AND kind = ?", d.ID, workflow.CustomsEventInspectionAssigned).Take(&e)
			var detail struct {
				Seed       int64   `json:"seed"`
				Candidates []int64 `json:"candidates"`
			}
			_ = json.Unmarshal([]byte(e.DetailJSON), &detail)
			if detail.Seed != ins.Seed || workflow.DrawInspector(detail.Candidates, ins.Seed) != ins.InspectorUserID {
				t.Errorf("stored seed %d over %v does not replay inspector %d", ins.Seed, detail.Candidates, ins.InspectorUserID)
			}
		}
	})
}

// TestCustomsNoInspectorOnDuty: a red-lane acceptance with no other officer on duty is a
// conflict, and nothing is written: no entry number, decision, inspection, event, audit entry
// or number series.
func TestCustomsNoInspectorOnDuty(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newCustomsWorld(t, db)
		db.Model(&models.User{}).Where("id = ?", w.officer2.ID).Update("on_duty", false)
		w.lane(t, workflow.LaneRed)
		d := w.submitted(t)
		mark := w.auditMark(t)
		events := len(customsEventKinds(t, db, d.ID))
		_, err := w.svc.AcceptDeclaration(context.Background(), w.actor(testkit.UserCustoms), d.ID, 0)
		customsWant(t, "accept without an inspector", err, apperr.Conflict)
		if !strings.Contains(apperr.As(err).Text.En, "on duty") {
			t.Errorf("message %q", apperr.As(err).Text.En)
		}
		got := w.decl(t, d.ID)
		var decisions, inspections, series int64
		db.Model(&models.CustomsDecision{}).Where("declaration_id = ?", d.ID).Count(&decisions)
		db.Model(&models.Inspection{}).Where("declaration_id = ?", d.ID).Count(&inspections)
		db.Model(&models.NumberSequence{}).Where("name LIKE ?", "entry:%").Count(&series)
		if got.Status != models.DeclarationSubmitted || got.EntryNo != nil || got.Lane != "" || got.Version != d.Version ||
			decisions+inspections+series != 0 || len(customsEventKinds(t, db, d.ID)) != events || len(w.audits(t, mark)) != 0 {
			t.Errorf("something was written: %+v, %d decisions, %d inspections, %d series", got, decisions, inspections, series)
		}
	})
}

// TestCheckExitDate: the exit date is a date not before the release day and not after today,
// in Yiwu time (UTC+8).
func TestCheckExitDate(t *testing.T) {
	released := time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC) // 2026-11-28 01:00 in Yiwu
	now := time.Date(2026, 11, 29, 17, 0, 0, 0, time.UTC)      // 2026-11-30 01:00 in Yiwu
	for _, tc := range []struct {
		name, raw, want string
	}{
		{"OKReleaseDayInYiwu", "2026-11-28", "2026-11-28"},
		{"OKTodayInYiwu", "2026-11-30", "2026-11-30"},
		{"OKSpaces", " 2026-11-29 ", "2026-11-29"},
		{"ErrBeforeRelease", "2026-11-27", ""},
		{"ErrFuture", "2026-12-01", ""},
		{"ErrFormat", "30/11/2026", ""},
		{"ErrNoDay", "2026-02-30", ""},
		{"ErrEmpty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := workflow.CheckExitDate(tc.raw, released, now)
			if tc.want == "" {
				if apperr.CodeOf(err) != apperr.Invalid || apperr.As(err).Fields[0].Field != "exit_date" {
					t.Fatalf("got %q, %v; want an exit_date error", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %s", got, err, tc.want)
			}
		})
	}
}

// TestCustomsExit: exit is confirmed only for a released declaration, with a date checked
// against the release day.
func TestCustomsExit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newCustomsWorld(t, db)
		w.lane(t, workflow.LaneGreen)
		ctx := context.Background()
		officer := w.actor(testkit.UserCustoms)
		d := w.submitted(t)
		_, err := w.svc.ConfirmExit(ctx, officer, d.ID, workflow.ExitInput{ExitDate: "2026-11-29"})
		customsWant(t, "exit before acceptance", err, apperr.Conflict)
		if _, err := w.svc.AcceptDeclaration(ctx, officer, d.ID, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.ReleaseDeclaration(ctx, officer, d.ID, 0); err != nil {
			t.Fatal(err)
		}
		w.now = w.now.Add(48 * time.Hour)
		for _, tc := range []struct{ date, field string }{{"2026-11-28", "exit_date"}, {"2026-12-02", "exit_date"}} {
			_, err := w.svc.ConfirmExit(ctx, officer, d.ID, workflow.ExitInput{ExitDate: tc.date})
			customsWant(t, "exit on "+tc.date, err, apperr.Invalid)
		}
		if _, err := w.svc.ConfirmExit(ctx, officer, d.ID, workflow.ExitInput{ExitDate: "2026-12-01"}); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.ConfirmExit(ctx, officer, d.ID, workflow.ExitInput{ExitDate: "2026-12-01"})
		customsWant(t, "second exit", err, apperr.Conflict)
	})
}

// TestCustomsRejectFixResubmit: customs rejects an accepted declaration with coded reasons; the
// agent's fix view shows each reason with the field's original value; an incomplete fix is
// refused field by field; the fix changes the field, answers R09 and resubmits (old and new
// values kept); customs accepts it again, keeping the entry number and routing it again.
func TestCustomsRejectFixResubmit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newCustomsWorld(t, db)
		w.lane(t, workflow.LaneGreen)
		ctx := context.Background()
		officer, agent := w.actor(testkit.UserCustoms), w.actor(testkit.UserAgentX)
		d := w.submitted(t)
		accepted, err := w.svc.AcceptDeclaration(ctx, officer, d.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		entry := *accepted.EntryNo
		reasons := []workflow.RejectionInput{{Code: "R01", Note: "the buyer's port is Dubai"}, {Code: "R09", Note: "confirm the buyer's passport"}}
		w.oneAudit(t, "reject", d.ID, func() error {
			_, err := w.svc.RejectDeclaration(ctx, officer, d.ID, workflow.RejectInput{Reasons: reasons})
			return err
		})
		if got := w.decl(t, d.ID); got.Status != models.DeclarationRejected {
			t.Fatalf("status %s", got.Status)
		}
		_, err = w.svc.ReleaseDeclaration(ctx, officer, d.ID, 0)
		customsWant(t, "release a rejected declaration", err, apperr.Conflict)

		view, err := w.svc.DeclarationFix(ctx, agent, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(view.Reasons) != 2 || view.Reasons[0].Field != "destination_port" || view.Reasons[0].Value != "Jebel Ali" ||
			view.Reasons[0].Note != "the buyer's port is Dubai" || view.Reasons[1].Code != "R09" || strings.Join(view.Fields, ",") != "destination_port" {
			t.Fatalf("fix view %+v", view)
		}
		_, err = w.svc.DeclarationFix(ctx, w.actor(testkit.UserAgentY), d.ID)
		customsWant(t, "another agent's fix view", err, apperr.NotFound)

		signed := workflow.FixInput{SignerName: "王小明", SignerRole: "报关员", Statement: true}
		for _, tc := range []struct {
			name   string
			values map[string]string
			reply  map[string]string
			fields []string
		}{
			{"ErrNothingAnswered", map[string]string{"destination_port": "Jebel Ali"}, nil, []string{"destination_port", "reply_R09"}},
			{"ErrFieldNotRejected", map[string]string{"destination_port": "Dubai", "exit_port": "Shanghai"}, map[string]string{"R09": "checked"}, []string{"exit_port"}},
			{"ErrBadValue", map[string]string{"destination_port": " "}, map[string]string{"R09": "checked"}, []string{"destination_port"}},
		} {
			in := signed
			in.Values, in.Replies = tc.values, tc.reply
			_, err := w.svc.FixDeclaration(ctx, agent, d.ID, in)
			customsWant(t, tc.name, err, apperr.Invalid)
			var got []string
			for _, f := range apperr.As(err).Fields {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Errorf("%s: fields %v, want %v", tc.name, got, tc.fields)
			}
		}
		fix := signed
		fix.Values = map[string]string{"destination_port": "Dubai"}
		fix.Replies = map[string]string{"R09": "passport P1234567 checked against the original"}
		w.oneAudit(t, "resubmit", d.ID, func() error { _, err := w.svc.FixDeclaration(ctx, agent, d.ID, fix); return err })
		got := w.decl(t, d.ID)
		if got.Status != models.DeclarationSubmitted || got.DestinationPort != "Dubai" {
			t.Fatalf("after the fix: %s %s", got.Status, got.DestinationPort)
		}
		detail, err := w.svc.Declaration(ctx, officer, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		rs := detail.Customs.Resubmissions
		if len(rs) != 1 || len(rs[0].Changes) != 1 || rs[0].Changes[0] != (workflow.FieldChange{Field: "destination_port", Old: "Jebel Ali", New: "Dubai"}) ||
			len(rs[0].Replies) != 1 || rs[0].Replies[0].Code != "R09" {
			t.Errorf("resubmissions %+v", rs)
		}
		_, err = w.svc.FixDeclaration(ctx, agent, d.ID, fix)
		customsWant(t, "second fix", err, apperr.Conflict)

		again, err := w.svc.AcceptDeclaration(ctx, officer, d.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if *again.EntryNo != entry {
			t.Errorf("entry no %s after the fix, want %s kept", *again.EntryNo, entry)
		}
		var decisions int64
		db.Model(&models.CustomsDecision{}).Where("declaration_id = ?", d.ID).Count(&decisions)
		if decisions != 2 {
			t.Errorf("%d decisions, want a second one", decisions)
		}
		want := "generated,submitted,accepted,routed,rejected,resubmitted,accepted,routed"
		if k := strings.Join(customsEventKinds(t, db, d.ID), ","); k != want {
			t.Errorf("events %s, want %s", k, want)
		}
		_, err = w.svc.RejectDeclaration(ctx, officer, d.ID, workflow.RejectInput{})
		customsWant(t, "reject without a reason", err, apperr.Invalid)
		if _, err := w.svc.ReleaseDeclaration(ctx, officer, d.ID, 0); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.RejectDeclaration(ctx, officer, d.ID, workflow.RejectInput{Reasons: reasons})
		customsWant(t, "reject after release", err, apperr.Conflict)
	})
}

// TestCheckRejection: reasons are known codes tied to one of their fields, with a note (needed
// for R09), each code and field once.
func TestCheckRejection(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    []workflow.RejectionInput
		field string // "" for OK
	}{
		{"OKSingleFieldDefault", []workflow.RejectionInput{{Code: "R02"}}, ""},
		{"OKTwoFieldsOfR04", []workflow.RejectionInput{{Code: "R04", Field: "freight"}, {Code: "R04", Field: "insurance"}}, ""},
		{"OKOtherWithNote", []workflow.RejectionInput{{Code: "R09", Note: "call us"}}, ""},
		{"ErrNone", nil, "reasons"},
		{"ErrUnknownCode", []workflow.RejectionInput{{Code: "R77"}}, "reasons"},
		{"ErrR04NoField", []workflow.RejectionInput{{Code: "R04"}}, "field_R04"},
		{"ErrWrongField", []workflow.RejectionInput{{Code: "R01", Field: "marks"}}, "field_R01"},
		{"ErrOtherNoNote", []workflow.RejectionInput{{Code: "R09"}}, "note_R09"},
		{"ErrTwice", []workflow.RejectionInput{{Code: "R03"}, {Code: "R03", Field: "trade_terms"}}, "reasons"},
		{"ErrLongNote", []workflow.RejectionInput{{Code: "R05", Field: "marks", Note: strings.Repeat("长", 401)}}, "note_R05"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := workflow.CheckRejection(tc.in)
			if tc.field == "" {
				if err != nil || len(out) != len(tc.in) || (out[0].Field == "") != (out[0].Code == workflow.RejectOther) {
					t.Fatalf("got %+v, %v", out, err)
				}
				return
			}
			if apperr.CodeOf(err) != apperr.Invalid || apperr.As(err).Fields[0].Field != tc.field {
				t.Fatalf("got %v, want an error on %s", err, tc.field)
			}
		})
	}
}

// TestCreditAfterDiscrepancy: A → B → C, and C stays C.
func TestCreditAfterDiscrepancy(t *testing.T) {
	for from, want := range map[string]string{"A": "B", "B": "C", "C": "C"} {
		if got := workflow.CreditAfterDiscrepancy(from); got != want {
			t.Errorf("%s → %s, want %s", from, got, want)
		}
	}
}

// TestDrawInspector: the draw picks one of the candidates, the same for the same seed whatever
// their order, and spreads over all of them.
func TestDrawInspector(t *testing.T) {
	if workflow.DrawInspector(nil, 1) != 0 {
		t.Error("a draw from nobody")
	}
	counts := map[int64]int{}
	for seed := range int64(300) {
		a := workflow.DrawInspector([]int64{7, 3, 9}, seed)
		if b := workflow.DrawInspector([]int64{9, 7, 3}, seed); a != b {
			t.Fatalf("seed %d: %d then %d", seed, a, b)
		}
		counts[a]++
	}
	if len(counts) != 3 || counts[3] < 50 || counts[7] < 50 || counts[9] < 50 {
		t.Errorf("draws %v", counts)
	}
}

// TestCustomsDiscrepancyLowersCredit: a discrepancy found by an inspection lowers the credit
// class of the merchant whose lines are in the discrepant items and of the agent (A→B, B→C),
// with one audit entry and a notification per party changed; C stays C with no entry. A
// discrepancy needs findings and an existing item.
func TestCustomsDiscrepancyLowersCredit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newCustomsWorld(t, db)
		w.lane(t, workflow.LaneRed)
		db.Model(&models.Merchant{}).Where("id = ?", w.MerchantA.ID).Update("credit_class", models.CreditA)
		ctx := context.Background()
		officer2 := w.actor(customsUser2)
		inspect := func(t *testing.T) (models.Declaration, models.Inspection) {
			t.Helper()
			d := w.submitted(t)
			if _, err := w.svc.AcceptDeclaration(ctx, w.actor(testkit.UserCustoms), d.ID, 0); err != nil {
				t.Fatal(err)
			}
			var ins models.Inspection
			if err := db.Where("declaration_id = ?", d.ID).Take(&ins).Error; err != nil {
				t.Fatal(err)
			}
			return d, ins
		}
		credit := func() (string, string) {
			var m models.Merchant
			var a models.Agent
			db.Take(&m, w.MerchantA.ID)
			db.Take(&a, w.AgentX.ID)
			return m.CreditClass, a.CreditClass
		}
		d, ins := inspect(t)
		for _, tc := range []struct {
			name  string
			in    workflow.CustomsFindingInput
			field string
		}{
			{"ErrNoFindings", workflow.CustomsFindingInput{Result: workflow.CustomsDiscrepancy, ItemNos: []int{1}}, "findings"},
			{"ErrNoItems", workflow.CustomsFindingInput{Result: workflow.CustomsDiscrepancy, Findings: "x"}, "items"},
			{"ErrNoSuchItem", workflow.CustomsFindingInput{Result: workflow.CustomsDiscrepancy, Findings: "x", ItemNos: []int{9}}, "items"},
			{"ErrNoResult", workflow.CustomsFindingInput{}, "result"},
		} {
			_, err := w.svc.RecordInspection(ctx, officer2, ins.ID, tc.in)
			customsWant(t, tc.name, err, apperr.Invalid)
			if apperr.As(err).Fields[0].Field != tc.field {
				t.Errorf("%s: field %s", tc.name, apperr.As(err).Fields[0].Field)
			}
		}
		for i, want := range []struct{ merchant, agent string }{{"B", "C"}, {"C", "C"}, {"C", "C"}} {
			if i > 0 {
				d, ins = inspect(t)
			}
			mBefore, aBefore := credit()
			mark := w.auditMark(t)
			got, err := w.svc.RecordInspection(ctx, officer2, ins.ID, workflow.CustomsFindingInput{Result: workflow.CustomsDiscrepancy,
				Findings: "cartons hold other goods", ItemNos: []int{1, 1}})
			if err != nil {
				t.Fatal(err)
			}
			if got.DiscrepancyItems != "1" || got.CompletedAt == nil {
				t.Errorf("inspection %+v", got)
			}
			m, a := credit()
			if m != want.merchant || a != want.agent {
				t.Fatalf("round %d: merchant %s agent %s, want %s %s", i, m, a, want.merchant, want.agent)
			}
			wantAudits := map[string]bool{"declaration": true}
			if m != mBefore {
				wantAudits["merchant"] = true
			}
			if a != aBefore {
				wantAudits["agent"] = true
			}
			es := w.audits(t, mark)
			if len(es) != len(wantAudits) {
				t.Errorf("round %d: %d audit entries, want %d", i, len(es), len(wantAudits))
			}
			for _, e := range es {
				if !wantAudits[e.Entity] || (e.Entity != "declaration" && (e.Action != "credit_lowered" || !strings.Contains(e.OldJSON, `"credit_class"`))) {
					t.Errorf("round %d: audit %s %s %s → %s", i, e.Entity, e.Action, e.OldJSON, e.NewJSON)
				}
			}
			_ = d
		}
		var notes int64
		db.Model(&models.Notification{}).Where("kind = ? AND user_id = ?", "merchant.credit_lowered", w.Users[testkit.UserMerchantA].ID).Count(&notes)
		if notes != 2 {
			t.Errorf("merchant got %d credit notifications, want 2 (A→B, B→C)", notes)
		}
	})
}

// TestCustomsConcurrentAccept: two officers accept the same declaration at once: one wins, the
// other gets a conflict; one entry number, one decision, one audit entry. Run with -race.
func TestCustomsConcurrentAccept(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newCustomsWorld(t, db)
		w.lane(t, workflow.LaneGreen)
		d := w.submitted(t)
		mark := w.auditMark(t)
		officers := []workflow.Actor{w.actor(testkit.UserCustoms), w.actor(customsUser2)}
		errs := make([]error, len(officers))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, o := range officers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = w.svc.AcceptDeclaration(context.Background(), o, d.ID, d.Version)
			}()
		}
		close(start)
		wg.Wait()
		ok, conflicts := 0, 0
		for _, err := range errs {
			switch apperr.CodeOf(err) {
			case "":
				ok++
			case apperr.Conflict:
				conflicts++
			default:
				t.Errorf("unexpected error %v", err)
			}
		}
		if ok != 1 || conflicts != 1 {
			t.Fatalf("%d accepted, %d conflicts: %v", ok, conflicts, errs)
		}
		var decisions int64
		db.Model(&models.CustomsDecision{}).Where("declaration_id = ?", d.ID).Count(&decisions)
		if decisions != 1 || len(w.audits(t, mark)) != 1 {
			t.Errorf("%d decisions, %d audit entries", decisions, len(w.audits(t, mark)))
		}
	})
}

// TestCustomsQueue: each stage lists its declarations oldest first, with the count of every
// stage; other roles may not open the desk.
func TestCustomsQueue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newCustomsWorld(t, db)
		ctx := context.Background()
		officer := w.actor(testkit.UserCustoms)
		var sub []models.Declaration
		for range 2 {
			sub = append(sub, w.submitted(t))
			w.now = w.now.Add(time.Minute)
		}
		w.lane(t, workflow.LaneYellow)
		yellow := w.submitted(t)
		if _, err := w.svc.AcceptDeclaration(ctx, officer, yellow.ID, 0); err != nil {
			t.Fatal(err)
		}
		w.lane(t, workflow.LaneRed)
		red := w.submitted(t)
		if _, err := w.svc.AcceptDeclaration(ctx, officer, red.ID, 0); err != nil {
			t.Fatal(err)
		}
		w.lane(t, workflow.LaneBlue)
		blue := w.submitted(t)
		if _, err := w.svc.AcceptDeclaration(ctx, officer, blue.ID, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.ReleaseDeclaration(ctx, officer, blue.ID, 0); err != nil {
			t.Fatal(err)
		}
		want := map[string][]int64{
			workflow.StageSubmitted: {sub[0].ID, sub[1].ID}, workflow.StageDocumentsWaiting: {yellow.ID},
			workflow.StageInspectionPending: {red.ID}, workflow.StageReleased: {blue.ID}, workflow.StagePostAudit: {blue.ID},
		}
		for _, st := range workflow.CustomsStageList {
			q, err := w.svc.CustomsQueueOf(ctx, officer, workflow.CustomsQueueFilter{Stage: st})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, r := range q.Rows {
				ids = append(ids, r.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(want[st]) && !(len(ids) == 0 && len(want[st]) == 0) {
				t.Errorf("stage %s: %v, want %v", st, ids, want[st])
			}
			for _, c := range q.Counts {
				if c.Count != int64(len(want[c.Stage])) {
					t.Errorf("count of %s: %d, want %d", c.Stage, c.Count, len(want[c.Stage]))
				}
			}
		}
		if _, err := w.svc.UploadDeclarationDocuments(ctx, w.actor(testkit.UserAgentX), yellow.ID, workflow.CustomsDocPacking,
			[]workflow.DocumentUpload{customsPDF("p.pdf")}); err != nil {
			t.Fatal(err)
		}
		q, _ := w.svc.CustomsQueueOf(ctx, officer, workflow.CustomsQueueFilter{Stage: workflow.StageDocumentsUploaded})
		if len(q.Rows) != 1 || q.Rows[0].ID != yellow.ID {
			t.Errorf("documents uploaded: %+v", q.Rows)
		}
		_, err := w.svc.CustomsQueueOf(ctx, officer, workflow.CustomsQueueFilter{Stage: "nope"})
		customsWant(t, "unknown stage", err, apperr.Invalid)
		_, err = w.svc.CustomsQueueOf(ctx, w.actor(testkit.UserTax), workflow.CustomsQueueFilter{})
		customsWant(t, "tax officer", err, apperr.Forbidden)
	})
}

// TestCustomsDocumentsScope: the agent uploads only when customs asked, only to its own
// declaration; the documents are read by whoever may see the declaration, NotFound otherwise.
func TestCustomsDocumentsScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newCustomsWorld(t, db)
		ctx := context.Background()
		d := w.submitted(t)
		agent := w.actor(testkit.UserAgentX)
		_, err := w.svc.UploadDeclarationDocuments(ctx, agent, d.ID, workflow.CustomsDocContract, []workflow.DocumentUpload{customsPDF("c.pdf")})
		customsWant(t, "upload unasked", err, apperr.Conflict)
		w.lane(t, workflow.LaneYellow)
		if _, err := w.svc.AcceptDeclaration(ctx, w.actor(testkit.UserCustoms), d.ID, 0); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.UploadDeclarationDocuments(ctx, w.actor(testkit.UserAgentY), d.ID, workflow.CustomsDocContract, []workflow.DocumentUpload{customsPDF("c.pdf")})
		customsWant(t, "another agent uploads", err, apperr.NotFound)
		_, err = w.svc.UploadDeclarationDocuments(ctx, agent, d.ID, "receipt", []workflow.DocumentUpload{customsPDF("c.pdf")})
		customsWant(t, "unknown kind", err, apperr.Invalid)
		docs, err := w.svc.UploadDeclarationDocuments(ctx, agent, d.ID, workflow.CustomsDocContract, []workflow.DocumentUpload{customsPDF("c.pdf")})
		if err != nil {
			t.Fatal(err)
		}
		for user, code := range map[string]apperr.Code{
			testkit.UserAgentX: "", testkit.UserCustoms: "", testkit.UserAuditor: "", testkit.UserAdmin: "", testkit.UserMerchantA: "",
			testkit.UserAgentY: apperr.NotFound, testkit.UserMerchantB: apperr.NotFound, testkit.UserTax: apperr.Forbidden,
		} {
			f, err := w.svc.DeclarationDocument(ctx, w.actor(user), d.ID, docs[0].ID)
			if apperr.CodeOf(err) != code || (code == "" && f.Document.SHA256 != docs[0].SHA256) {
				t.Errorf("%s: %v, want %q", user, err, code)
			}
		}
		other := w.submitted(t)
		_, err = w.svc.DeclarationDocument(ctx, agent, other.ID, docs[0].ID)
		customsWant(t, "document of another declaration", err, apperr.NotFound)
	})
}
