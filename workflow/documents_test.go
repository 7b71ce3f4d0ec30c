package workflow_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/testkit"
)

// txnPNGBytes is a small real PNG image.
func txnPNGBytes(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 11, G: 110, B: 79, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// txnUpload is an uploaded file with a name and content.
func txnUpload(name string, content []byte) workflow.DocumentUpload {
	return workflow.DocumentUpload{FileName: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(content)), nil }}
}

func TestAttachDocuments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		a := w.actor(t, testkit.UserMerchantA)
		tr := w.draft(t, testkit.UserMerchantA)
		img := txnPNGBytes(t)
		pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
		for _, tc := range []struct {
			name  string
			kind  string
			files []workflow.DocumentUpload
			code  apperr.Code
			field string
		}{
			{"OKPhotoAndPDF", workflow.DocumentReceipt, []workflow.DocumentUpload{txnUpload("../../收据.png", img), txnUpload("order.pdf", pdf)}, "", ""},
			{"ErrHTMLNamedPDF", workflow.DocumentOrder, []workflow.DocumentUpload{txnUpload("order.pdf", []byte("<!doctype html><html><script>alert(1)</script></html>"))}, apperr.Invalid, "files"},
			{"ErrOneBadFileRefusesAll", workflow.DocumentOrder, []workflow.DocumentUpload{txnUpload("ok.png", img), txnUpload("x.pdf", []byte("MZ\x90\x00binary"))}, apperr.Invalid, "files"},
			{"ErrTooLarge", workflow.DocumentOther, []workflow.DocumentUpload{txnUpload("big.pdf", append([]byte("%PDF-1.4\n"), make([]byte, workflow.MaxDocumentSize)...))}, apperr.Invalid, "files"},
			{"ErrEmpty", workflow.DocumentOther, []workflow.DocumentUpload{txnUpload("empty.png", nil)}, apperr.Invalid, "files"},
			{"ErrKind", "passport", []workflow.DocumentUpload{txnUpload("ok.png", img)}, apperr.Invalid, "kind"},
			{"ErrNoFiles", workflow.DocumentOther, nil, apperr.Invalid, "files"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := w.svc.AttachDocuments(ctx, a, tr.ID, tc.kind, tc.files)
				wantTxnErr(t, err, tc.code, tc.field)
			})
		}
		var docs []models.Document
		db.Where("transaction_id = ?", tr.ID).Order("id").Find(&docs)
		if len(docs) != 2 || docs[0].ContentType != "image/png" || docs[0].FileName != "收据.png" || docs[1].ContentType != "application/pdf" {
			t.Fatalf("documents %+v", docs)
		}
		f, err := w.svc.TransactionDocument(ctx, a, docs[0].ID)
		wantTxnErr(t, err, "", "")
		if want := filepath.Join(w.svc.DataDir, "documents", docs[0].SHA256[:2], docs[0].SHA256[2:4], docs[0].SHA256); f.Path != want {
			t.Errorf("path %s, want %s", f.Path, want)
		}
		if b, err := os.ReadFile(f.Path); err != nil || !bytes.Equal(b, img) {
			t.Errorf("stored bytes differ: %v", err)
		}
		// The same photo again is stored once.
		_, err = w.svc.AttachDocuments(ctx, a, tr.ID, workflow.DocumentReceipt, []workflow.DocumentUpload{txnUpload("again.png", img)})
		wantTxnErr(t, err, "", "")
		entries, _ := os.ReadDir(filepath.Dir(f.Path))
		leftovers, _ := filepath.Glob(filepath.Join(w.svc.DataDir, "documents", ".upload-*"))
		if len(entries) != 1 || len(leftovers) != 0 {
			t.Errorf("%d files for one content, %d temporary files left", len(entries), len(leftovers))
		}

		t.Run("ErrOtherMerchantsDocument", func(t *testing.T) {
			for _, u := range []string{testkit.UserMerchantB, testkit.UserAgentY} {
				_, err := w.svc.TransactionDocument(ctx, w.actor(t, u), docs[0].ID)
				wantTxnErr(t, err, apperr.NotFound, "")
				_, err = w.svc.DeleteDocument(ctx, w.actor(t, u), docs[0].ID)
				wantTxnErr(t, err, apperr.NotFound, "")
				_, err = w.svc.AttachDocuments(ctx, w.actor(t, u), tr.ID, workflow.DocumentOther, []workflow.DocumentUpload{txnUpload("x.png", img)})
				wantTxnErr(t, err, apperr.NotFound, "")
			}
			for _, u := range []string{testkit.UserAgentX, testkit.UserAuditor} {
				_, err := w.svc.TransactionDocument(ctx, w.actor(t, u), docs[0].ID)
				wantTxnErr(t, err, "", "")
			}
		})
		t.Run("DeleteWhileEditable", func(t *testing.T) {
			d, err := w.svc.DeleteDocument(ctx, a, docs[1].ID)
			wantTxnErr(t, err, "", "")
			if d.ID != docs[1].ID {
				t.Errorf("deleted %+v", d)
			}
			_, err = w.svc.TransactionDocument(ctx, a, docs[1].ID)
			wantTxnErr(t, err, apperr.NotFound, "")
		})
	})
}

func TestCleanFileName(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd":       "passwd",
		`C:\Users\王\收据.jpg`:      "收据.jpg",
		"a\x00b\n.pdf":           "ab.pdf",
		"":                       "document",
		"..":                     "document",
		`say "hi".pdf`:           "say hi.pdf",
		strings.Repeat("长", 300): strings.Repeat("长", 200),
	} {
		if got := workflow.CleanFileName(in); got != want {
			t.Errorf("CleanFileName(%q) = %q, want %q", in, got, want)
		}
	}
}
