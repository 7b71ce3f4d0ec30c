package handlers

import (
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"

	"mpt/workflow"
	"mpt/workflow/apperr"
)

// The bulk calls of systems (the ingest of transactions, the FX allocation) share their shape:
// a JSON body read whole, validate tags reported by path, an Idempotency-Key, and the stored
// answer sent again to a retry.

// readBulk reads a bulk call: its JSON body of at most max bytes into req (bad says what the
// body should be when it is not), req's validate tags with each problem named by its path
// (allocations[3].items[5].amount) as the workflow names them, and its Idempotency-Key with
// the hash of the request it goes with.
func (s *Server) readBulk(c echo.Context, max int64, req any, bad apperr.Text) (workflow.Idempotency, error) {
	r := c.Request()
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	switch {
	case err != nil:
		return workflow.Idempotency{}, apperr.Wrap(err, "read body")
	case int64(len(body)) > max:
		return workflow.Idempotency{}, echo.ErrStatusRequestEntityTooLarge
	case json.Unmarshal(body, req) != nil:
		return workflow.Idempotency{}, apperr.New(apperr.Invalid, bad)
	}
	if err := s.checkPaths(req); err != nil {
		return workflow.Idempotency{}, err
	}
	return workflow.Idempotency{Key: strings.TrimSpace(r.Header.Get(txnIdempotencyHeader)),
		RequestHash: workflow.RequestHash(r.Method, r.URL.Path, body)}, nil
}

// checkPaths runs a request's validate tags, naming each problem by its path
// (allocations[3].items[5].amount) as the workflow does.
func (s *Server) checkPaths(req any) error {
	err := s.validate.Struct(req)
	var ves validator.ValidationErrors
	if err == nil || !errors.As(err, &ves) {
		return apperr.Wrap(err, "validate")
	}
	var fs apperr.Fields
	for _, fe := range ves {
		_, path, _ := strings.Cut(fe.Namespace(), ".") // without the struct's name
		fs.Add(path, fieldMessage(fe))
	}
	return fs.Err()
}

// jsonAnswer is an answer to remember under an Idempotency-Key: a status and v as JSON.
func jsonAnswer(status int, v any) (workflow.Answer, error) {
	b, err := json.Marshal(v)
	return workflow.Answer{Status: status, Body: b}, err
}

// sendOnce sends the answer of a call made with an Idempotency-Key (or its error), saying
// when it is the stored answer of an earlier call.
func sendOnce(c echo.Context, ans workflow.Answer, replayed bool, err error) error {
	if err != nil {
		return err
	}
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return c.JSONBlob(ans.Status, ans.Body)
}
