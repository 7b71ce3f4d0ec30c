package handlers_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// postMultipart sends the verify form with an optional checkpoint file.
func (c *client) postMultipart(path, field, name string, body []byte) *httptest.ResponseRecorder {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("_csrf", c.csrf())
	if field != "" {
		fw, _ := mw.CreateFormFile(field, name)
		_, _ = fw.Write(body)
	}
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// TestAuditPages: only auditors and admins open the audit log; verification reports an intact
// chain, then names the entry an attacker changed; checkpoints export as CSV; a bad checkpoint
// file is refused with a field error.
func TestAuditPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newSeededApp(t, db)
		svc := servicetest.Service(t, db, nil)
		servicetest.Submitted(t, svc, db, a.World, servicetest.TradeSpec{})
		for _, user := range testkit.Everyone {
			want := http.StatusForbidden
			switch user {
			case "":
				want = http.StatusSeeOther
			case testkit.UserAuditor, testkit.UserAdmin:
				want = http.StatusOK
			}
			c := a.anon(t)
			if user != "" {
				c = a.as(t, user)
			}
			for _, path := range []string{"/audit", "/audit/checkpoints.csv", "/audit/dashboard"} {
				if rec := c.get(path); rec.Code != want {
					t.Errorf("GET %s as %q: %d, want %d", path, user, rec.Code, want)
				}
			}
			api := a.apiAs(t, svc, user)
			wantAPI := want
			if user == "" {
				wantAPI = http.StatusUnauthorized
			}
			if rec := api.get("/api/v1/audit/verify"); rec.Code != wantAPI {
				t.Errorf("API verify as %q: %d, want %d", user, rec.Code, wantAPI)
			}
		}

		auditor := a.as(t, testkit.UserAuditor)
		doc, err := goquery.NewDocumentFromReader(auditor.postMultipart("/audit/verify", "", "", nil).Body)
		if err != nil {
			t.Fatal(err)
		}
		if doc.Find("p.audit-ok").Length() != 1 || doc.Find("tr.audit-entry").Length() == 0 {
			t.Fatalf("verification of an intact log: %s", doc.Find("#audit-result").Text())
		}
		cps := auditor.get("/audit/checkpoints.csv").Body.Bytes()
		if !strings.HasPrefix(string(cps), "day,last_id,hash,entries\n") {
			t.Fatalf("checkpoints: %q", cps)
		}
		if rec := auditor.postMultipart("/audit/verify", "checkpoints", "cp.csv", cps); !strings.Contains(rec.Body.String(), "audit-ok") {
			t.Errorf("verification against own checkpoints failed: %s", rec.Body)
		}
		if rec := auditor.postMultipart("/audit/verify", "checkpoints", "cp.csv", []byte("nonsense")); rec.Code != http.StatusUnprocessableEntity ||
			!strings.Contains(rec.Body.String(), "checkpoint file cannot be read") {
			t.Errorf("bad checkpoint file: %d", rec.Code)
		}

		var victim models.AuditEntry
		if err := db.Order("id").Offset(1).Take(&victim).Error; err != nil {
			t.Fatal(err)
		}
		stmt := "DROP TRIGGER audit_entries_no_update"
		if db.Dialector.Name() == "postgres" {
			stmt = "ALTER TABLE audit_entries DISABLE TRIGGER USER"
		}
		if err := db.Exec(stmt).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Model(&models.AuditEntry{}).Where("id = ?", victim.ID).Update("new_json", `{"status":"forged"}`).Error; err != nil {
			t.Fatal(err)
		}
		doc, err = goquery.NewDocumentFromReader(auditor.postMultipart("/audit/verify", "", "", nil).Body)
		if err != nil {
			t.Fatal(err)
		}
		if got := doc.Find(".audit-broken").AttrOr("data-entry", ""); got != strconv.FormatInt(victim.ID, 10) {
			t.Errorf("broken entry named %q, want %d: %s", got, victim.ID, doc.Find("#audit-result").Text())
		}
		if rec := auditor.get("/audit/checkpoints.csv"); rec.Code != http.StatusConflict {
			t.Errorf("checkpoints of a broken log: %d", rec.Code)
		}
	})
}
