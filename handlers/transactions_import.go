package handlers

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"mpt/workflow"
	"mpt/workflow/apperr"
)

// TxnImportPage is the form that uploads a file of lines into a transaction.
type TxnImportPage struct {
	TxnPage
	D *workflow.TransactionDetail
}

// Version is the transaction's version the form carries.
func (p TxnImportPage) Version() string { return strconv.FormatInt(p.D.Transaction.Version, 10) }

// Columns are the template's columns, for the explanation.
func (p TxnImportPage) Columns() []workflow.ImportColumn { return workflow.ImportColumns }

// MaxRows is the row limit, for the explanation.
func (p TxnImportPage) MaxRows() int { return workflow.MaxImportRows }

func (s *Server) txnImportPage(c echo.Context, p TxnImportPage, status int) error {
	d, err := s.txnDetail(c)
	if err != nil {
		return err
	}
	if !d.Editable() {
		return apperr.New(apperr.Conflict, d.Block)
	}
	p.D = d
	return s.views.Render(c, status, "transaction_import", p)
}

func (s *Server) txnImportForm(c echo.Context) error {
	return s.txnImportPage(c, TxnImportPage{TxnPage: s.txnPage(c)}, http.StatusOK)
}

// txnImportStart reads the uploaded file (at most 10 MB) and starts the import as a job (kept in
// the database, so any instance shows its progress); the browser goes to the job's progress page.
func (s *Server) txnImportStart(c echo.Context) error {
	id, err := txnID(c)
	if err != nil {
		return err
	}
	p := TxnImportPage{TxnPage: s.txnPage(c)}
	in := workflow.ImportInput{}
	in.Version, _ = strconv.ParseInt(c.FormValue("version"), 10, 64)
	fh, ferr := c.FormFile("file")
	if ferr == nil {
		in.FileName = fh.Filename
		f, err := fh.Open()
		if err != nil {
			return apperr.Wrap(err, "open upload")
		}
		var buf bytes.Buffer
		_, err = io.Copy(&buf, io.LimitReader(f, workflow.MaxImportFileSize+1))
		f.Close()
		if err != nil {
			return apperr.Wrap(err, "read upload")
		}
		in.Data = buf.Bytes()
	}
	job, err := s.svc.StartImport(c.Request().Context(), p.Actor, id, in)
	if err != nil {
		status, shown := txnFormFailed(&p.Page, err)
		if !shown {
			return err
		}
		return s.txnImportPage(c, p, status)
	}
	return c.Redirect(http.StatusSeeOther, "/imports/"+strconv.FormatInt(job, 10))
}

// TxnImportJobPage shows an import's progress, then its result or every problem of the file.
// While the import runs, the progress block asks for itself again every 500 ms (htmx).
type TxnImportJobPage struct {
	TxnPage
	S workflow.ImportStatus
}

// Running reports whether the import is still running.
func (p TxnImportJobPage) Running() bool { return p.S.State == workflow.ImportRunning }

// Done reports whether every row was imported.
func (p TxnImportJobPage) Done() bool { return p.S.State == workflow.ImportDone }

// ErrText is the error of a failed import (not the file's problems), in the page's language.
func (p TxnImportJobPage) ErrText() string {
	if p.S.Err == nil {
		return ""
	}
	ae := apperr.As(p.S.Err)
	if ae.Code == apperr.Internal {
		return p.T("error.500")
	}
	return ae.Text.In(p.Lang)
}

// More is how many problems were counted but not listed.
func (p TxnImportJobPage) More() int {
	if p.S.Result == nil {
		return 0
	}
	return p.S.Result.ErrorCount - len(p.S.Result.Errors)
}

// Progress says where the import is, e.g. "1,200 of 10,000 rows checked".
func (p TxnImportJobPage) Progress() string {
	switch {
	case p.S.Total == 0:
		return p.T("txn.import.reading")
	case p.S.Checked < p.S.Total:
		return p.Count("txn.import.checked", p.S.Checked, p.S.Total)
	}
	return p.Count("txn.import.written", p.S.Written, p.S.Total)
}

// Count fills "%s of %s" messages with grouped numbers.
func (p TxnImportJobPage) Count(id string, n, of int64) string {
	return txnArgs(p.T(id), txnGroupThousands(strconv.FormatInt(n, 10)), txnGroupThousands(strconv.FormatInt(of, 10)))
}

// txnArgs puts values in place of the {0}, {1}… of a message.
func txnArgs(msg string, args ...string) string {
	for i, a := range args {
		msg = strings.ReplaceAll(msg, "{"+strconv.Itoa(i)+"}", a)
	}
	return msg
}

// ResultText sums up a finished import.
func (p TxnImportJobPage) ResultText() string {
	r := p.S.Result
	if r == nil {
		return ""
	}
	return txnArgs(p.T("txn.import.done"), strconv.Itoa(r.Imported), strconv.Itoa(r.FirstLine), strconv.Itoa(r.LastLine))
}

// ErrorsText sums up the problems of a file.
func (p TxnImportJobPage) ErrorsText() string {
	r := p.S.Result
	if r == nil {
		return ""
	}
	return txnArgs(p.T("txn.import.errors"), strconv.Itoa(r.ErrorCount), strconv.Itoa(r.Rows))
}

// txnImportStatus shows a job of the user's: the page, or its progress block for htmx.
func (s *Server) txnImportStatus(c echo.Context) error {
	p := TxnImportJobPage{TxnPage: s.txnPage(c)}
	id, _ := strconv.ParseInt(c.Param("job"), 10, 64) // not a number: no such job
	st, err := s.svc.ImportStatus(c.Request().Context(), p.Actor, id)
	if err != nil {
		return err
	}
	p.S = st
	c.Response().Header().Add("Vary", "HX-Request")
	if txnHTMX(c) {
		return s.views.Render(c, http.StatusOK, "transaction_import_status", p)
	}
	return s.views.Render(c, http.StatusOK, "transaction_import_job", p)
}

// txnTemplateCSV downloads the CSV import template.
func (s *Server) txnTemplateCSV(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderContentDisposition, txnContentDisposition("attachment", "交易明细导入模板 lines-template.csv"))
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", workflow.ImportTemplateCSV())
}

// txnTemplateXLSX downloads the .xlsx import template.
func (s *Server) txnTemplateXLSX(c echo.Context) error {
	b, err := workflow.ImportTemplateXLSX()
	if err != nil {
		return apperr.Wrap(err, "import template")
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, txnContentDisposition("attachment", "交易明细导入模板 lines-template.xlsx"))
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
}
