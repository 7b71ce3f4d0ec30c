package handlers

import (
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/labstack/echo/v4"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// The interface languages. Chinese comes first: it is the default for a browser that states no
// preference, as most of mpt's users are Yiwu stall-holders.
var (
	langZh    = language.MustParse("zh-CN")
	langEn    = language.English
	supported = []language.Tag{langZh, langEn}
	matcher   = language.NewMatcher(supported)
)

// LangCookie remembers the language a user chose with the switch.
const LangCookie = "mpt_lang"

// Translator holds the interface message catalogs.
type Translator struct {
	bundle     *i18n.Bundle
	localizers map[string]*i18n.Localizer
}

// NewTranslator loads every catalog file, AREA.LANG.toml (core.en.toml, merchants.zh-CN.toml,
// …): one file per area of the app and language, so areas can be translated independently.
func NewTranslator(catalogs fs.FS) (*Translator, error) {
	b := i18n.NewBundle(langZh)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(catalogs, "*.toml")
	if err != nil {
		return nil, err
	}
	for _, file := range files {
		if _, err := b.LoadMessageFileFS(catalogs, file); err != nil {
			return nil, fmt.Errorf("load translations %s: %w", file, err)
		}
	}
	tr := &Translator{bundle: b, localizers: map[string]*i18n.Localizer{}}
	for _, tag := range supported {
		tr.localizers[tag.String()] = i18n.NewLocalizer(b, tag.String())
	}
	return tr, nil
}

// T translates a message id; an unknown id returns the id itself, which tests catch.
func (tr *Translator) T(lang, id string) string {
	loc := tr.localizers[lang]
	if loc == nil {
		loc = tr.localizers[langZh.String()]
	}
	msg, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id})
	if err != nil {
		return id
	}
	return msg
}

// pickLang chooses the interface language: the cookie set by the language switch, then the
// browser's Accept-Language, then Chinese.
func pickLang(r *http.Request) string {
	if c, err := r.Cookie(LangCookie); err == nil {
		if l := normaliseLang(c.Value); l != "" {
			return l
		}
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, idx, conf := matcher.Match(tags...)
			if conf != language.No {
				return supported[idx].String()
			}
		}
	}
	return langZh.String()
}

// normaliseLang maps what a user may send ("zh", "zh-cn", "en-GB") onto a supported language.
func normaliseLang(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(s, "zh"):
		return langZh.String()
	case strings.HasPrefix(s, "en"):
		return langEn.String()
	}
	return ""
}

const ctxLang = "mpt.lang"

// languageMiddleware stores the request's language in the context.
func languageMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		lang := pickLang(c.Request())
		c.Set(ctxLang, lang)
		c.Response().Header().Set("Content-Language", lang)
		c.Response().Header().Add("Vary", "Accept-Language, Cookie")
		return next(c)
	}
}

// langOf returns the language chosen for a request.
func langOf(c echo.Context) string {
	if l, ok := c.Get(ctxLang).(string); ok {
		return l
	}
	return pickLang(c.Request())
}
