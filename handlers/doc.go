// Package handlers is mpt's HTTP edge: Echo handlers for the pages and /api/v1, request structs
// with validate tags, middleware (request ids, logging, language, security headers), typed page
// structs, and the one HTTPErrorHandler that maps apperr codes to statuses. Handlers bind and
// validate input, call workflow, and render or redirect; rules of the trade live in workflow.
package handlers
