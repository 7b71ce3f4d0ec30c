package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow/apperr"
)

// statusOf maps an application error code to its HTTP status. This is the only such mapping.
func statusOf(code apperr.Code) int {
	switch code {
	case apperr.Invalid:
		return http.StatusUnprocessableEntity
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	}
	return http.StatusInternalServerError
}

// CodeBusy is the API error code of a request the database could not take in time (503): nothing
// was saved and the same request may be sent again.
const CodeBusy apperr.Code = "busy"

// apiError is the JSON body of every error under /api.
type apiError struct {
	Error struct {
		Code      string          `json:"code"`
		Message   string          `json:"message"`
		Fields    []apiFieldError `json:"fields,omitempty"`
		RequestID string          `json:"request_id,omitempty"`
	} `json:"error"`
}

type apiFieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ErrorPage is the HTML error page.
type ErrorPage struct {
	Page
	Status  int
	Message string
	Fields  []apiFieldError
}

// handleError is Echo's HTTPErrorHandler: it turns any error into a status and a message in the
// user's language: JSON under /api, an HTML page elsewhere. Internal errors are logged with their
// cause; the user sees only a generic message and the request id.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	lang := langOf(c)
	status, code, message, fields := s.describe(err, lang)
	if status >= 500 {
		s.deps.Log.Error("internal error", "error", err.Error(),
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID), "path", c.Request().URL.Path)
	}
	if code == CodeBusy {
		c.Response().Header().Set("Retry-After", "2")
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		var body apiError
		body.Error.Code = string(code)
		body.Error.Message = message
		body.Error.Fields = fields
		body.Error.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
		_ = c.JSON(status, body)
		return
	}
	page := ErrorPage{Page: s.page(c), Status: status, Message: message, Fields: fields}
	if rerr := s.views.Render(c, status, "error", page); rerr != nil {
		s.deps.Log.Error("render error page", "error", rerr.Error())
		_ = c.String(status, message)
	}
}

// describe classifies an error for the response.
func (s *Server) describe(err error, lang string) (int, apperr.Code, string, []apiFieldError) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code := apperr.Internal
		switch he.Code {
		case http.StatusNotFound:
			code = apperr.NotFound
		case http.StatusUnauthorized:
			code = apperr.Unauthenticated
		case http.StatusForbidden:
			code = apperr.Forbidden
		case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge, http.StatusMethodNotAllowed:
			code = apperr.Invalid
		case http.StatusConflict:
			code = apperr.Conflict
		}
		return he.Code, code, s.tr.T(lang, "error."+strconv.Itoa(he.Code)), nil
	}
	ae := apperr.As(err)
	if ae.Code == apperr.Internal && models.IsBusy(err) {
		// The database could not take the write in time: nothing was saved, and trying again
		// shortly is the answer (Retry-After is set by handleError).
		return http.StatusServiceUnavailable, CodeBusy, s.tr.T(lang, "error.busy"), nil
	}
	status := statusOf(ae.Code)
	message := s.tr.T(lang, "error."+strconv.Itoa(status))
	if ae.Code != apperr.Internal && !ae.Text.IsZero() {
		message = ae.Text.In(lang)
	}
	var fields []apiFieldError
	for _, f := range ae.Fields {
		fields = append(fields, apiFieldError{Field: f.Field, Message: f.Text.In(lang)})
	}
	return status, ae.Code, message, fields
}
