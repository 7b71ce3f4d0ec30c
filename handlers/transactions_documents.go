package handlers

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"mpt/workflow"
	"mpt/workflow/apperr"
)

// txnDocumentPolicy is the Content-Security-Policy of a served PDF: sandboxed (no script, a unique
// origin), so a PDF with active content cannot act on the user's session.
const txnDocumentPolicy = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'none'"

// txnDocumentsUpload attaches the uploaded files (multipart "files", one or more) of a kind.
func (s *Server) txnDocumentsUpload(c echo.Context) error {
	id, err := txnID(c)
	if err != nil {
		return err
	}
	p := TxnViewPage{TxnPage: s.txnPage(c)}
	var uploads []workflow.DocumentUpload
	kind := c.FormValue("kind")
	form, err := c.MultipartForm()
	if err != nil {
		return s.txnViewFailed(c, p, id, apperr.Field("files", apperr.T("Choose one or more files (photos or PDF)", "请选择一个或多个文件（照片或 PDF）")))
	}
	for _, fh := range form.File["files"] {
		uploads = append(uploads, workflow.DocumentUpload{FileName: fh.Filename, Open: func() (io.ReadCloser, error) { return openUploadPart(fh) }})
	}
	docs, err := s.svc.AttachDocuments(c.Request().Context(), p.Actor, id, kind, uploads)
	if err != nil {
		return s.txnViewFailed(c, p, id, err)
	}
	return s.redirect(c, txnPath(id)+"#documents", apperr.Tf("%d document(s) attached", "已上传 %d 份单据", len(docs)))
}

// openUploadPart opens an uploaded file (in memory or in a temporary file).
func openUploadPart(fh *multipart.FileHeader) (io.ReadCloser, error) { return fh.Open() }

// txnDocumentID reads the :id of a document route.
func txnDocumentID(c echo.Context) (int64, error) { return txnParam(c, "id") }

// documentDownload streams a document to a user allowed to see its transaction (404 for anyone
// else), with its type as detected at upload, nosniff, a filename* in UTF-8 (RFC 5987) and, for
// PDFs, a sandboxing Content-Security-Policy. ?download=1 asks for an attachment.
func (s *Server) documentDownload(c echo.Context) error {
	id, err := txnDocumentID(c)
	if err != nil {
		return err
	}
	f, err := s.svc.TransactionDocument(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	file, err := os.Open(f.Path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return apperr.Wrap(err, "document file missing")
		}
		return apperr.Wrap(err, "open document")
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return apperr.Wrap(err, "stat document")
	}
	d := f.Document
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, d.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(echo.HeaderCacheControl, "private, no-cache")
	h.Set("ETag", `"`+d.SHA256+`"`)
	disposition := "inline"
	if c.QueryParam("download") == "1" {
		disposition = "attachment"
	}
	h.Set(echo.HeaderContentDisposition, txnContentDisposition(disposition, d.FileName))
	if d.ContentType == "application/pdf" {
		h.Set("Content-Security-Policy", txnDocumentPolicy)
	}
	http.ServeContent(c.Response(), c.Request(), "", st.ModTime(), file)
	return nil
}

// txnContentDisposition writes a Content-Disposition with an ASCII fallback name and the UTF-8
// name as filename* (RFC 5987/6266), so 收据.jpg keeps its name.
func txnContentDisposition(disposition, name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, name)
	return disposition + `; filename="` + ascii + `"; filename*=UTF-8''` + strings.ReplaceAll(url.PathEscape(name), "+", "%2B")
}

// documentDelete removes a document of a transaction that can still be edited.
func (s *Server) documentDelete(c echo.Context) error {
	id, err := txnDocumentID(c)
	if err != nil {
		return err
	}
	d, err := s.svc.DeleteDocument(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return s.redirect(c, txnPath(*d.TransactionID)+"#documents", apperr.Tf("Document %s removed", "已删除单据 %s", d.FileName))
}

// txnDocumentURL is where a document is served.
func txnDocumentURL(id int64) string { return "/documents/" + strconv.FormatInt(id, 10) }
