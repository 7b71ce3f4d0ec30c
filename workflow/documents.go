package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// Kinds of a transaction's original documents (DOMAIN §3 step 2: receipt photos, the order).
const (
	DocumentReceipt = "receipt"
	DocumentOrder   = "order"
	DocumentInvoice = "invoice"
	DocumentOther   = "other"
)

// DocumentKinds lists the kinds in display order.
var DocumentKinds = []string{DocumentReceipt, DocumentOrder, DocumentInvoice, DocumentOther}

// Limits of uploaded documents.
const (
	MaxDocumentSize       = 10 << 20 // bytes per file
	MaxDocumentsPerUpload = 20
)

// DocumentTypes are the content types a document may have, as detected from its bytes (never
// from its name or the browser's word): photos (JPEG, PNG, WebP) and PDF.
var DocumentTypes = []string{"image/jpeg", "image/png", "image/webp", "application/pdf"}

var txnDocumentNoun = apperr.T("Document", "单据")

// DocumentUpload is one uploaded file: the name the user's device gave it and a way to read it.
type DocumentUpload struct {
	FileName string
	Open     func() (io.ReadCloser, error)
}

// storedUpload is a file written to the data directory.
type storedUpload struct {
	Name, ContentType, SHA256 string
	Size                      int64
}

// CleanFileName keeps the last element of a file name as a device sent it, without control
// characters, at most 200 characters; "document" when nothing is left.
func CleanFileName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError || r == '"' {
			return -1
		}
		return r
	}, name))
	if utf8.RuneCountInString(name) > 200 {
		name = string([]rune(name)[:200])
	}
	if name == "" || name == "." || name == "/" || name == ".." {
		return "document"
	}
	return name
}

// docStoreDir is where documents live: DataDir/documents.
func (s *Service) docStoreDir() (string, error) {
	if s.DataDir == "" {
		return "", errors.New("no data directory configured for documents")
	}
	return filepath.Join(s.DataDir, "documents"), nil
}

// docStorePath is where a document's bytes are: documents/ab/cd/<sha256>.
func (s *Service) docStorePath(sum string) (string, error) {
	dir, err := s.docStoreDir()
	if err != nil {
		return "", err
	}
	if len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
		return "", errors.New("malformed document hash")
	}
	return filepath.Join(dir, sum[:2], sum[2:4], sum), nil
}

// storeUpload checks a file's type by its first bytes and its size while copying it into a
// temporary file next to the store, then fsyncs it and renames it to its content hash (a file
// already there is the same content: the copy is dropped). It returns a problem, not an error,
// for a file of the wrong type or size.
func (s *Service) storeUpload(up DocumentUpload) (storedUpload, apperr.Text, error) {
	out := storedUpload{Name: CleanFileName(up.FileName)}
	dir, err := s.docStoreDir()
	if err != nil {
		return out, apperr.Text{}, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return out, apperr.Text{}, err
	}
	rc, err := up.Open()
	if err != nil {
		return out, apperr.Text{}, err
	}
	defer rc.Close()
	head := make([]byte, 3072)
	n, err := io.ReadFull(rc, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return out, apperr.Text{}, err
	}
	head = head[:n]
	if n == 0 {
		return out, apperr.Tf("%s is empty", "%s 是空文件", out.Name), nil
	}
	mt := mimetype.Detect(head)
	for _, t := range DocumentTypes {
		if mt.Is(t) {
			out.ContentType = t
		}
	}
	if out.ContentType == "" {
		return out, apperr.Tf("%[1]s is not a photo or a PDF (its content is %[2]s); upload JPEG, PNG or WebP photos or PDF files",
			"%[1]s 不是照片或 PDF（实际内容为 %[2]s），请上传 JPEG、PNG、WebP 图片或 PDF 文件", out.Name, mt.String()), nil
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return out, apperr.Text{}, err
	}
	renamed := false
	defer func() {
		if !renamed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	w := io.MultiWriter(tmp, h)
	if _, err := w.Write(head); err != nil {
		return out, apperr.Text{}, err
	}
	rest, err := io.Copy(w, io.LimitReader(rc, MaxDocumentSize+1-int64(n)))
	if err != nil {
		return out, apperr.Text{}, err
	}
	out.Size = int64(n) + rest
	if out.Size > MaxDocumentSize {
		return out, apperr.Tf("%s is larger than 10 MB; take a smaller photo or split the PDF", "%s 超过 10 MB，请缩小照片或拆分 PDF", out.Name), nil
	}
	if err := tmp.Sync(); err != nil {
		return out, apperr.Text{}, err
	}
	if err := tmp.Close(); err != nil {
		return out, apperr.Text{}, err
	}
	out.SHA256 = hex.EncodeToString(h.Sum(nil))
	final, err := s.docStorePath(out.SHA256)
	if err != nil {
		return out, apperr.Text{}, err
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return out, apperr.Text{}, err
	}
	if _, err := os.Stat(final); err == nil {
		return out, apperr.Text{}, nil // the same content is stored already; the deferred cleanup drops the copy
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return out, apperr.Text{}, err
	}
	renamed = true
	if d, err := os.Open(filepath.Dir(final)); err == nil {
		_ = d.Sync() // make the rename durable
		_ = d.Close()
	}
	return out, apperr.Text{}, nil
}

// txnDocumentAudit is what the audit log keeps of a document.
func txnDocumentAudit(d *models.Document) map[string]any {
	return map[string]any{"document_id": d.ID, "kind": d.Kind, "file_name": d.FileName, "content_type": d.ContentType,
		"size": d.Size, "sha256": d.SHA256}
}

// AttachDocuments attaches original documents (receipt photos, the order, an invoice) to a
// transaction that can still be edited. Every file is checked by its content (JPEG, PNG, WebP
// or PDF) and size (at most 10 MB) and stored under the data directory by its SHA-256; if one
// is refused, none is attached and every problem is listed. The document rows and their audit
// entries are written in one transaction.
func (s *Service) AttachDocuments(ctx context.Context, actor Actor, transactionID int64, kind string, files []DocumentUpload) ([]models.Document, error) {
	if err := transactionManager(actor); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	if !slices.Contains(DocumentKinds, kind) {
		fe.Add("kind", apperr.T("Choose what the documents are: receipt, order, invoice or other", "请选择单据类型：收据、订单、发票或其他"))
	}
	switch {
	case len(files) == 0:
		fe.Add("files", apperr.T("Choose one or more files (photos or PDF)", "请选择一个或多个文件（照片或 PDF）"))
	case len(files) > MaxDocumentsPerUpload:
		fe.Add("files", apperr.Tf("Upload at most %d files at a time", "每次最多上传 %d 个文件", MaxDocumentsPerUpload))
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	// Check first that the transaction may take documents, so no file of a refused upload is kept.
	var t models.Transaction
	db := s.db.WithContext(ctx)
	if err := scopedTransactions(db, actor).Where("transactions.id = ?", transactionID).Take(&t).Error; err != nil {
		return nil, models.Translate(err, transactionNoun)
	}
	if why, err := txnEditBlock(db, &t); err != nil {
		return nil, apperr.Wrap(err, "transaction block")
	} else if !why.IsZero() {
		return nil, apperr.New(apperr.Conflict, why)
	}
	stored := make([]storedUpload, 0, len(files))
	for _, f := range files {
		sd, problem, err := s.storeUpload(f)
		if err != nil {
			return nil, apperr.Wrap(err, "store document")
		}
		if !problem.IsZero() {
			fe.Add("files", problem)
		}
		stored = append(stored, sd)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out []models.Document
	err := s.tx(ctx, func(tx *gorm.DB) error {
		t, err := s.lockTransaction(tx, actor, transactionID)
		if err != nil {
			return err
		}
		if err := s.requireTxnEditable(tx, t, 0); err != nil {
			return err
		}
		now := s.now()
		for _, sd := range stored {
			d := models.Document{TransactionID: &t.ID, Kind: kind, FileName: sd.Name, ContentType: sd.ContentType, Size: sd.Size,
				SHA256: sd.SHA256, UploadedByUserID: actorUserRef(actor), CreatedAt: now}
			if err := tx.Create(&d).Error; err != nil {
				return err
			}
			if err := s.audit(ctx, tx, actor, "transaction", strconv.FormatInt(t.ID, 10), "document_add", nil, txnDocumentAudit(&d)); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, apperr.Wrap(err, "attach documents")
	}
	return out, nil
}

// scopedTxnDocument loads a transaction's document inside the actor's scope; documents of other
// merchants' transactions (and documents of no transaction) are NotFound.
func scopedTxnDocument(db *gorm.DB, actor Actor, id int64) (*models.Document, error) {
	var d models.Document
	q := models.MerchantColumnScoped(db.Model(&models.Document{}).Joins("JOIN transactions ON transactions.id = documents.transaction_id"),
		"transactions", actor.Scope())
	if err := q.Select("documents.*").Where("documents.id = ?", id).Take(&d).Error; err != nil {
		return nil, models.Translate(err, txnDocumentNoun)
	}
	return &d, nil
}

// DocumentFile is a document and where its bytes are.
type DocumentFile struct {
	Document models.Document
	Path     string
}

// TransactionDocument returns a document of a transaction the actor may see, and the path of its bytes.
func (s *Service) TransactionDocument(ctx context.Context, actor Actor, id int64) (*DocumentFile, error) {
	if err := actor.Require(ActTransactionView); err != nil {
		return nil, err
	}
	d, err := scopedTxnDocument(s.db.WithContext(ctx), actor, id)
	if err != nil {
		return nil, err
	}
	p, err := s.docStorePath(d.SHA256)
	if err != nil {
		return nil, apperr.Wrap(err, "document path")
	}
	return &DocumentFile{Document: *d, Path: p}, nil
}

// DeleteDocument removes a document from a transaction that can still be edited. The stored
// bytes stay (they are shared by content hash, and the audit entry names them).
func (s *Service) DeleteDocument(ctx context.Context, actor Actor, id int64) (*models.Document, error) {
	if err := transactionManager(actor); err != nil {
		return nil, err
	}
	var out models.Document
	err := s.tx(ctx, func(tx *gorm.DB) error {
		d, err := scopedTxnDocument(tx, actor, id)
		if err != nil {
			return err
		}
		t, err := s.lockTransaction(tx, actor, *d.TransactionID)
		if err != nil {
			return err
		}
		if err := s.requireTxnEditable(tx, t, 0); err != nil {
			return err
		}
		if err := tx.Where("id = ?", d.ID).Delete(&models.Document{}).Error; err != nil {
			return err
		}
		out = *d
		return s.audit(ctx, tx, actor, "transaction", strconv.FormatInt(t.ID, 10), "document_delete", txnDocumentAudit(d), nil)
	})
	if err != nil {
		return nil, apperr.Wrap(err, "delete document")
	}
	return &out, nil
}
