package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
)

// TestAuditVerifyCommand: an intact log verifies (exit 0) and exports checkpoints; a changed
// entry makes verify exit 1 and name it; a cut-off tail is caught against saved checkpoints.
func TestAuditVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mpt.db")
	if _, errOut, code := runCmd(t, "migrate", "--db", path); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	db, err := models.Open(context.Background(), path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(db)
	at := time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)
	for i := range 4 {
		err := db.Transaction(func(tx *gorm.DB) error {
			return models.AppendAudit(tx, at.Add(time.Duration(i)*time.Hour), models.AuditRecord{ActorRole: "admin",
				Entity: "setting", EntityID: "tax.due_day", Action: "update", Old: map[string]int{"v": i}, New: map[string]int{"v": i + 1}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code := runCmd(t, "audit", "verify", "--db", path)
	if code != 0 || !strings.Contains(out, "audit log intact: 4 entries") {
		t.Fatalf("verify: %d %q %q", code, out, errOut)
	}
	cps := filepath.Join(dir, "checkpoints.csv")
	if _, errOut, code := runCmd(t, "audit", "checkpoints", "--db", path, "--out", cps); code != 0 {
		t.Fatalf("checkpoints: %d %s", code, errOut)
	}
	b, _ := os.ReadFile(cps)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], "2026-11-29,4,") {
		t.Fatalf("checkpoint file %q", b)
	}
	if out, _, code := runCmd(t, "audit", "verify", "--db", path, "--checkpoints", cps); code != 0 || !strings.Contains(out, "1 checkpoint(s) match") {
		t.Fatalf("verify against checkpoints: %d %q", code, out)
	}
	for _, s := range []string{"DROP TRIGGER audit_entries_no_update", "DROP TRIGGER audit_entries_no_delete"} {
		if err := db.Exec(s).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Delete(&models.AuditEntry{}, 4).Error; err != nil {
		t.Fatal(err)
	}
	if _, _, code := runCmd(t, "audit", "verify", "--db", path); code != 0 {
		t.Fatal("a cut tail is invisible without checkpoints, but verify failed")
	}
	if out, _, code := runCmd(t, "audit", "verify", "--db", path, "--checkpoints", cps); code != 1 || !strings.Contains(out, "checkpoint at entry 4") {
		t.Fatalf("verify of a cut tail against checkpoints: %d %q", code, out)
	}
	if err := db.Model(&models.AuditEntry{}).Where("id = 2").Update("new_json", `{"v":99}`).Error; err != nil {
		t.Fatal(err)
	}
	out, _, code = runCmd(t, "audit", "verify", "--db", path)
	if code != 1 || !strings.Contains(out, "audit entry 2 (position 2) was changed") {
		t.Fatalf("verify of a changed entry: %d %q", code, out)
	}
	if _, _, code := runCmd(t, "audit", "verify", "--db", path, "--checkpoints", filepath.Join(dir, "none.csv")); code != 2 {
		t.Fatalf("missing checkpoint file: exit %d, want 2", code)
	}
}
