// Package apperr is mpt's one error type. Every layer returns *Error (or wraps a cause in it);
// handlers map its Code to an HTTP status in one place and show its Text in the user's language.
// It is a leaf package so that models, workflow and handlers can all use it without cycles.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an error for the edge: each maps to one HTTP status.
type Code string

// The codes. Keep this list short: it is a contract with every handler and API client.
const (
	Invalid         Code = "invalid"         // input breaks a rule; Fields say which and how to fix it
	NotFound        Code = "not_found"       // no such record, or not one the caller may see
	Conflict        Code = "conflict"        // duplicate, or the record changed under the caller
	Forbidden       Code = "forbidden"       // the caller's role may not do this
	Unauthenticated Code = "unauthenticated" // no valid session or token
	Internal        Code = "internal"        // a fault of ours; its cause is logged, never shown
)

// Text is a message in both of mpt's languages. Domain rules write their messages next to the
// rule, in both languages, so a message can never be missing a translation.
type Text struct {
	En string `json:"en"`
	Zh string `json:"zh"`
}

// T builds a Text from an English and a Chinese message.
func T(en, zh string) Text { return Text{En: en, Zh: zh} }

// Tf builds a Text whose two messages take the same arguments.
func Tf(en, zh string, args ...any) Text {
	return Text{En: fmt.Sprintf(en, args...), Zh: fmt.Sprintf(zh, args...)}
}

// In returns the message for a language tag ("zh", "zh-CN", "en", …); English is the fallback.
func (t Text) In(lang string) string {
	if strings.HasPrefix(strings.ToLower(lang), "zh") && t.Zh != "" {
		return t.Zh
	}
	return t.En
}

// IsZero reports whether the text is empty.
func (t Text) IsZero() bool { return t.En == "" && t.Zh == "" }

// FieldError says which input field is wrong and what to do about it.
type FieldError struct {
	Field string `json:"field"`
	Text  Text   `json:"message"`
}

// Error is the application error.
type Error struct {
	Code   Code
	Text   Text         // summary shown to the user (for Internal, a generic one)
	Fields []FieldError // per-field problems, for Invalid
	Err    error        // cause, for logs only
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Text.En != "" {
		b.WriteString(": ")
		b.WriteString(e.Text.En)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Text.En)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and a message.
func New(code Code, text Text) *Error { return &Error{Code: code, Text: text} }

// Wrap returns an Internal error around a cause. The cause is logged, never shown.
func Wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		return err
	}
	return &Error{Code: Internal, Text: T("Something went wrong on our side", "系统内部错误"), Err: fmt.Errorf("%s: %w", what, err)}
}

// Field returns an Invalid error about one field.
func Field(field string, text Text) *Error {
	return &Error{Code: Invalid, Text: T("Please correct the marked field", "请更正标出的字段"), Fields: []FieldError{{Field: field, Text: text}}}
}

// Fields collects field problems; Err returns nil when there are none.
type Fields []FieldError

// Add records a problem with a field.
func (fs *Fields) Add(field string, text Text) {
	*fs = append(*fs, FieldError{Field: field, Text: text})
}

// Err returns an Invalid error holding every problem, or nil.
func (fs Fields) Err() error {
	if len(fs) == 0 {
		return nil
	}
	return &Error{Code: Invalid, Text: T("Please correct the marked fields", "请更正标出的字段"), Fields: fs}
}

// CodeOf returns the code of err, Internal for foreign errors and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return Internal
}

// As returns err as *Error, wrapping foreign errors as Internal.
func As(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	return Wrap(err, "unexpected").(*Error)
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return CodeOf(err) == code }
