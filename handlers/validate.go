package handlers

import (
	"errors"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"

	"mpt/workflow/apperr"
)

// newValidator reports fields by their form name, the name the user's page and API client know.
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		for _, tag := range []string{"form", "json", "query", "param"} {
			if name, _, _ := strings.Cut(f.Tag.Get(tag), ","); name != "" && name != "-" {
				return name
			}
		}
		return f.Name
	})
	return v
}

// bind reads a request into a request struct and checks its validate tags, returning an
// Invalid error that names each field and what to fix.
func (s *Server) bind(c echo.Context, req any) error {
	if err := c.Bind(req); err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return apperr.New(apperr.Invalid, apperr.T("The form could not be read; check the values and try again", "无法读取表单，请检查后重试"))
		}
		return err
	}
	return s.check(req)
}

// check runs the validate tags of a request struct.
func (s *Server) check(req any) error {
	err := s.validate.Struct(req)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return apperr.Wrap(err, "validate")
	}
	var fs apperr.Fields
	for _, fe := range ves {
		fs.Add(fe.Field(), fieldMessage(fe))
	}
	return fs.Err()
}

// fieldMessage says in both languages what a failed validate tag asks of the user.
func fieldMessage(fe validator.FieldError) apperr.Text {
	p := fe.Param()
	switch fe.Tag() {
	case "required", "required_if", "required_unless", "required_with":
		return apperr.T("This field is required", "此项必填")
	case "min":
		if fe.Kind() == reflect.String {
			return apperr.Tf("Use at least %s characters", "至少 %s 个字符", p)
		}
		return apperr.Tf("Must be at least %s", "不能小于 %s", p)
	case "max":
		if fe.Kind() == reflect.String {
			return apperr.Tf("Use at most %s characters", "最多 %s 个字符", p)
		}
		return apperr.Tf("Must be at most %s", "不能大于 %s", p)
	case "len":
		return apperr.Tf("Must be exactly %s characters", "必须为 %s 个字符", p)
	case "email":
		return apperr.T("Enter an e-mail address such as name@example.com", "请输入电子邮箱，例如 name@example.com")
	case "oneof":
		return apperr.Tf("Choose one of: %s", "请选择以下之一：%s", p)
	case "numeric", "number":
		return apperr.T("Use digits only", "只能填写数字")
	case "datetime":
		return apperr.T("Use a date such as 2026-11-29", "请使用日期格式，例如 2026-11-29")
	case "e164":
		return apperr.T("Enter a phone number with country code, e.g. +8613800000000", "请输入带国家代码的电话号码，例如 +8613800000000")
	}
	return apperr.Tf("This value is not accepted (%s)", "该值无效（%s）", fe.Tag())
}
