package handlers_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"mpt/models/dbtest"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// TestTracePagesAndAccess: every trace route answers each seeded user as its scope says (the
// owner, its agent, auditors and admins see the line; another party gets 404; officers 403),
// the search leads from a declaration number to the line and from a trace code straight to it,
// and the exports carry the chain.
func TestTracePagesAndAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newSeededApp(t, db)
		w := a.World
		svc := servicetest.Service(t, db, nil)
		tr := servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{})
		code := tr.Lines[0].TraceCode
		pre := url.QueryEscape(tr.Declaration.PreEntryNo)
		routes := []string{"/trace/" + code, "/trace/" + code + "/export.json", "/trace/" + code + "/export.csv",
			"/trace?q=" + pre, "/api/v1/trace/" + code, "/api/v1/trace?q=" + pre}
		for _, user := range testkit.Everyone {
			for _, path := range routes {
				want := http.StatusOK
				switch user {
				case "":
					want = http.StatusSeeOther
					if strings.HasPrefix(path, "/api/") {
						want = http.StatusUnauthorized
					}
				case testkit.UserMerchantB, testkit.UserAgentY, testkit.UserPending:
					if !strings.Contains(path, "?q=") {
						want = http.StatusNotFound
					}
				case testkit.UserCustoms, testkit.UserTax, testkit.UserFX, testkit.UserSupervisor:
					want = http.StatusForbidden
				}
				c := a.anon(t)
				if strings.HasPrefix(path, "/api/") {
					c = a.apiAs(t, svc, user)
				} else if user != "" {
					c = a.as(t, user)
				}
				if rec := c.get(path); rec.Code != want {
					t.Errorf("GET %s as %q: %d, want %d", path, user, rec.Code, want)
				}
			}
		}

		// The QR code printed on a declaration: for those who may read declarations.
		for _, user := range testkit.Everyone {
			want := http.StatusOK
			switch user {
			case "":
				want = http.StatusSeeOther
			case testkit.UserTax, testkit.UserFX, testkit.UserSupervisor:
				want = http.StatusForbidden
			}
			c := a.anon(t)
			if user != "" {
				c = a.as(t, user)
			}
			rec := c.get("/qr/declarations/" + tr.Declaration.PreEntryNo + ".png")
			if rec.Code != want || (want == http.StatusOK && rec.Header().Get("Content-Type") != "image/png") {
				t.Errorf("declaration QR as %q: %d %s, want %d", user, rec.Code, rec.Header().Get("Content-Type"), want)
			}
		}
		if rec := a.as(t, testkit.UserAuditor).get("/qr/declarations/12345.png"); rec.Code != http.StatusNotFound {
			t.Errorf("QR of a malformed number: %d", rec.Code)
		}

		auditor := a.as(t, testkit.UserAuditor)
		rec := auditor.get("/trace?q=" + pre)
		doc, err := goquery.NewDocumentFromReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		if n := doc.Find(`section.trace-match[data-kind="declaration"] tr.trace-hit`).Length(); n != len(tr.Lines) {
			t.Errorf("search by pre-entry number: %d lines, want %d", n, len(tr.Lines))
		}
		if rec := auditor.get("/trace?q=" + strings.ToLower(code)); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/trace/"+code {
			t.Errorf("search by trace code: %d %q", rec.Code, rec.Header().Get("Location"))
		}
		if rec := auditor.get("/trace?q=%20"); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("blank search: %d", rec.Code)
		}

		doc, err = goquery.NewDocumentFromReader(auditor.get("/trace/" + code).Body)
		if err != nil {
			t.Fatal(err)
		}
		for _, sel := range []string{`[data-section="transaction"] code`, `[data-section="packing"] .container-number`,
			`[data-section="declaration"] .trace-declaration[data-status="submitted"]`, `.trace-audit-entry[data-action="submit"]`,
			`.trace-step.done[data-step="declared"]`} {
			if doc.Find(sel).Length() == 0 {
				t.Errorf("trace page lacks %s", sel)
			}
		}

		var v struct {
			Line struct {
				TraceCode string `json:"trace_code"`
			} `json:"line"`
			Declarations []struct {
				PreEntryNo string `json:"pre_entry_no"`
			} `json:"declarations"`
		}
		rec = auditor.get("/trace/" + code + "/export.json")
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.Line.TraceCode != code || len(v.Declarations) != 1 ||
			v.Declarations[0].PreEntryNo != tr.Declaration.PreEntryNo {
			t.Errorf("JSON export: %v %+v", err, v)
		}
		rec = auditor.get("/trace/" + code + "/export.csv")
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\xEF\xBB\xBF"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		sections := map[string]bool{}
		for _, r := range rows[1:] {
			sections[r[0]] = true
		}
		for _, s := range []string{"line", "transaction", "packing", "declaration", "audit"} {
			if !sections[s] {
				t.Errorf("CSV export lacks a %s row: %v", s, rows)
			}
		}
	})
}
