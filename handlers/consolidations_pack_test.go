package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow/testkit"
)

// TestAPIPacksManyLinesInOneCall: an agent's system packs a whole container in one request
// with entries; a bad entry names its line and nothing is packed; a request with neither a line
// nor entries names what to give.
func TestAPIPacksManyLinesInOneCall(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newConsApp(t, db)
		lines := a.registered(t, testkit.UserMerchantA, 3)
		api := a.apiAs(t, testkit.UserAgentX)
		rec := api.postJSON("/api/v1/consolidations", `{"destination_country":"AE","destination_port":"Jebel Ali","transport_mode":"2","trade_terms":"FOB","exit_port":"Ningbo","stuffing_place":"Yiwu"}`)
		if rec.Code != http.StatusCreated {
			t.Fatalf("open: %d %s", rec.Code, rec.Body)
		}
		var cons models.Consolidation
		if err := db.Order("id DESC").Take(&cons).Error; err != nil {
			t.Fatal(err)
		}
		base := fmt.Sprintf("/api/v1/consolidations/%d", cons.ID)
		if rec := api.postJSON(base+"/lines", fmt.Sprintf(`{"line_ids":[%d,%d,%d]}`, lines[0], lines[1], lines[2])); rec.Code != http.StatusOK {
			t.Fatalf("allocate: %d %s", rec.Code, rec.Body)
		}
		if rec := api.postJSON(base+"/containers", `{"number":"CSQU3054383","size_type":"40HQ","seal_no":"S1","tare_kg":"3900"}`); rec.Code != http.StatusCreated && rec.Code != http.StatusOK {
			t.Fatalf("container: %d %s", rec.Code, rec.Body)
		}
		var box models.Container
		if err := db.Where("consolidation_id = ?", cons.ID).Take(&box).Error; err != nil {
			t.Fatal(err)
		}
		entry := func(id int64, cartons string) string {
			return fmt.Sprintf(`{"line_id":%d,"cartons":%s,"net_kg":"9.6","gross_kg":"10.4"}`, id, cartons)
		}
		bad := fmt.Sprintf(`{"container_id":%d,"entries":[%s,%s,%s]}`, box.ID, entry(lines[0], "2"), entry(lines[1], "3"), entry(lines[2], "2"))
		rec = api.postJSON(base+"/packing", bad)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), fmt.Sprintf("line.%d", lines[1])) {
			t.Fatalf("over-packing one line: %d %s", rec.Code, rec.Body)
		}
		var packed int64
		db.Model(&models.PackingLine{}).Where("container_id = ?", box.ID).Count(&packed)
		if packed != 0 {
			t.Fatalf("%d lines packed by a refused request", packed)
		}
		if rec := api.postJSON(base+"/packing", fmt.Sprintf(`{"container_id":%d}`, box.ID)); rec.Code != http.StatusUnprocessableEntity ||
			!strings.Contains(rec.Body.String(), "entries") {
			t.Fatalf("nothing to pack: %d %s", rec.Code, rec.Body)
		}
		good := fmt.Sprintf(`{"container_id":%d,"entries":[%s,%s,%s]}`, box.ID, entry(lines[0], "2"), entry(lines[1], "2"), entry(lines[2], "2"))
		if rec := api.postJSON(base+"/packing", good); rec.Code != http.StatusOK {
			t.Fatalf("pack three lines: %d %s", rec.Code, rec.Body)
		}
		db.Model(&models.PackingLine{}).Where("container_id = ?", box.ID).Count(&packed)
		if packed != 3 {
			t.Fatalf("%d lines packed, want 3", packed)
		}
	})
}
