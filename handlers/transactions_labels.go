package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"mpt/workflow"
	"mpt/workflow/apperr"
)

// TxnLabelsPage is a printable A4 sheet of trace labels: one per line, each with the trace code
// in large grouped type, the goods, quantity, cartons, merchant, transaction and date, and a QR
// code that opens the line's trace page.
type TxnLabelsPage struct {
	TxnPage
	Sheet *workflow.LabelSheet
	Base  string // scheme and host the QR codes point at
	One   bool   // a single line's label
}

// TraceURL is the absolute URL of a code's trace page.
func (p TxnLabelsPage) TraceURL(code string) string { return p.Base + workflow.TracePath(code) }

// QR is where a code's QR image is.
func (p TxnLabelsPage) QR(code string) string { return "/qr/" + code + ".png" }

// MerchantName is the merchant's name in the page's language first.
func (p TxnLabelsPage) MerchantName() string {
	if p.Lang == "en" && p.Sheet.MerchantNameEn != "" {
		return p.Sheet.MerchantNameEn
	}
	return p.Sheet.MerchantName
}

// txnBaseURL is the scheme and host of the request (behind a proxy, as it forwards them).
func txnBaseURL(c echo.Context) string { return c.Scheme() + "://" + c.Request().Host }

func (s *Server) txnLabelsPage(c echo.Context, lineID int64) error {
	id, err := txnID(c)
	if err != nil {
		return err
	}
	p := TxnLabelsPage{TxnPage: s.txnPage(c), Base: txnBaseURL(c), One: lineID > 0}
	if p.Sheet, err = s.svc.TransactionLabels(c.Request().Context(), p.Actor, id, lineID); err != nil {
		return err
	}
	return s.render(c, "transaction_labels", p)
}

func (s *Server) txnLabels(c echo.Context) error { return s.txnLabelsPage(c, 0) }

func (s *Server) txnLineLabel(c echo.Context) error {
	lineID, err := txnParam(c, "line")
	if err != nil {
		return err
	}
	return s.txnLabelsPage(c, lineID)
}

// traceQR draws the QR code of a trace code's page as a PNG (only for well-formed codes, so it
// cannot be used to draw arbitrary content). The image depends only on the code and the host,
// so it is cached.
func (s *Server) traceQR(c echo.Context) error {
	code, ok := strings.CutSuffix(c.Param("code"), ".png")
	if !ok || !workflow.ValidTraceCode(code) {
		return echo.ErrNotFound
	}
	png, err := qrcode.Encode(txnBaseURL(c)+workflow.TracePath(code), qrcode.Medium, 256)
	if err != nil {
		return apperr.Wrap(err, "draw QR code")
	}
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "private, max-age=86400")
	h.Add("Vary", "Host")
	return c.Blob(http.StatusOK, "image/png", png)
}
