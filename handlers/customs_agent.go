package handlers

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/labstack/echo/v4"

	"mpt/workflow"
	"mpt/workflow/apperr"
)

// The agent's side of the customs desk: the documents customs asked for, and the fix of a
// rejected declaration.

// declarationDocumentsUpload attaches the uploaded files (multipart "files", one or more, of a
// "kind") that customs asked for.
func (s *Server) declarationDocumentsUpload(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	kind := c.FormValue("kind")
	var uploads []workflow.DocumentUpload
	if form, ferr := c.MultipartForm(); ferr == nil {
		for _, fh := range form.File["files"] {
			uploads = append(uploads, workflow.DocumentUpload{FileName: fh.Filename, Open: func() (io.ReadCloser, error) { return fh.Open() }})
		}
	}
	docs, err := s.svc.UploadDeclarationDocuments(c.Request().Context(), actorOf(c), id, kind, uploads)
	if err != nil {
		return s.customsStepFailed(c, "upload", err, CustomsForms{Kind: kind})
	}
	return s.redirect(c, declarationURL(id)+"#customs-documents", apperr.Tf("%d document(s) uploaded for customs", "已为海关上传 %d 份单证", len(docs)))
}

// declarationDocumentDownload streams a document uploaded for customs to a user who may see the
// declaration (404 for anyone else), as transaction documents are served.
func (s *Server) declarationDocumentDownload(c echo.Context) error {
	id, err := declParam(c, "id")
	if err != nil {
		return err
	}
	docID, err := declParam(c, "doc")
	if err != nil {
		return err
	}
	f, err := s.svc.DeclarationDocument(c.Request().Context(), actorOf(c), id, docID)
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

// customsFixRequest is the signed fix of a rejected declaration. In the form, corrected values come
// under the field's name and answers as reply_<code>; in JSON as "values" and "replies".
type customsFixRequest struct {
	Version    int64             `json:"version" validate:"min=0"`
	Values     map[string]string `json:"values" validate:"max=8,dive,max=400"`
	Replies    map[string]string `json:"replies" validate:"max=10,dive,max=400"`
	SignerName string            `json:"signer_name" validate:"max=100"`
	SignerRole string            `json:"signer_role" validate:"max=100"`
	Statement  bool              `json:"statement"`
}

func (r customsFixRequest) input() workflow.FixInput {
	return workflow.FixInput{Version: r.Version, Values: r.Values, Replies: r.Replies, SignerName: r.SignerName,
		SignerRole: r.SignerRole, Statement: r.Statement}
}

// customsFixForm reads the fix form: the corrected value of every field the rejection names and the
// answers per reason code.
func customsFixForm(c echo.Context, v *workflow.FixView) (customsFixRequest, error) {
	if err := c.Request().ParseForm(); err != nil {
		return customsFixRequest{}, apperr.New(apperr.Invalid, apperr.T("The form could not be read", "无法读取表单"))
	}
	f := c.Request().PostForm
	req := customsFixRequest{Values: map[string]string{}, Replies: map[string]string{}, SignerName: f.Get("signer_name"),
		SignerRole: f.Get("signer_role"), Statement: f.Get("statement") == "true"}
	req.Version, _ = customsVersion(f.Get("version"))
	for _, field := range v.Fields {
		if vals, ok := f[field]; ok && len(vals) > 0 {
			req.Values[field] = vals[0]
		}
	}
	for _, r := range v.Reasons {
		var answers []string
		for _, a := range f["reply_"+r.Code] {
			if a = strings.TrimSpace(a); a != "" && !strings.Contains(strings.Join(answers, "\n"), a) {
				answers = append(answers, a)
			}
		}
		req.Replies[r.Code] = strings.Join(answers, " ")
	}
	return req, nil
}

// CustomsFixPage is the agent's fix view of a rejected declaration: each reason with the field's
// original value and an input for the corrected one, the answers, and the signed statement.
type CustomsFixPage struct {
	Page
	DeclarationFormat
	V          *workflow.FixView
	Req        customsFixRequest
	TradeTerms []Option
}

// ReasonName names a rejection reason code.
func (p CustomsFixPage) ReasonName(code string) string {
	r, ok := workflow.RejectReasonOf(code)
	if !ok {
		return code
	}
	return r.Name.In(p.Lang)
}

// Value is the value of a field in the form: as sent, else as it stands.
func (p CustomsFixPage) Value(field string) string {
	if v, ok := p.Req.Values[field]; ok {
		return v
	}
	return workflow.HeaderValue(&p.V.Declaration, field)
}

// FieldInput is the input of a field's corrected value.
func (p CustomsFixPage) FieldInput(field string) FieldView {
	if field == "trade_terms" {
		return p.Select(field, "customs.fix.corrected", p.Value(field), p.TradeTerms)
	}
	typ := "text"
	if field == "remarks" || field == "marks" {
		typ = "textarea"
	}
	return p.Field(typ, field, "customs.fix.corrected", p.Value(field))
}

// FirstOfCode reports whether reason i is the first of its code (one answer per code).
func (p CustomsFixPage) FirstOfCode(i int) bool {
	for j := range i {
		if p.V.Reasons[j].Code == p.V.Reasons[i].Code {
			return false
		}
	}
	return true
}

// ReplyInput is the input of the answer to a reason.
func (p CustomsFixPage) ReplyInput(code string) FieldView {
	f := p.Field("textarea", "reply_"+code, "customs.fix.reply", p.Req.Replies[code])
	if code == workflow.RejectOther {
		return f.Req()
	}
	return f.WithHint(p.T("customs.fix.reply_hint"))
}

func (s *Server) fixPage(c echo.Context) (CustomsFixPage, error) {
	p := CustomsFixPage{Page: s.page(c)}
	p.DeclarationFormat = s.declarationFormat(p.Lang)
	id, err := declParam(c, "id")
	if err != nil {
		return p, err
	}
	if p.V, err = s.svc.DeclarationFix(c.Request().Context(), p.Actor, id); err != nil {
		return p, err
	}
	p.Req = customsFixRequest{Version: p.V.Declaration.Version, SignerName: p.Actor.DisplayName, Values: map[string]string{}, Replies: map[string]string{}}
	for _, t := range workflow.TradeTermsCodes {
		p.TradeTerms = append(p.TradeTerms, Option{Value: t, Label: t})
	}
	return p, nil
}

func (s *Server) declarationFixForm(c echo.Context) error {
	p, err := s.fixPage(c)
	if err != nil {
		return err
	}
	return s.render(c, "customs_fix", p)
}

func (s *Server) declarationFix(c echo.Context) error {
	p, err := s.fixPage(c)
	if err != nil {
		return err
	}
	req, err := customsFixForm(c, p.V)
	if err == nil {
		_, err = s.svc.FixDeclaration(c.Request().Context(), p.Actor, p.V.Declaration.ID, req.input())
	}
	if err != nil {
		code := apperr.CodeOf(err)
		if code != apperr.Invalid && code != apperr.Conflict {
			return err
		}
		p.Req = req
		if code == apperr.Conflict {
			p.Errors = map[string]string{"_": apperr.As(err).Text.In(p.Lang)}
		} else {
			p.withErrors(err)
		}
		return s.views.Render(c, statusOf(code), "customs_fix", p)
	}
	return s.redirect(c, declarationURL(p.V.Declaration.ID)+"#customs", apperr.T("Declaration corrected and resubmitted to customs", "报关单已修改并重新申报"))
}
