package handlers

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// ---- Settings: cap, item limit, customs office, default tax due day ---------------------------

// AdminSettingsPage shows the settings with who changed them when; admins get the form.
type AdminSettingsPage struct {
	AdminPage
	Overview *workflow.SettingsOverview
	Form     settingsRequest
}

// SettingLabel names a setting key in the page's language.
func (p AdminSettingsPage) SettingLabel(key string) string { return p.T("admin.setting." + key) }

type settingsRequest struct {
	CapUSD        string `form:"cap_usd" validate:"required,max=30"`
	ItemLimit     string `form:"item_limit" validate:"required,max=6"`
	CustomsOffice string `form:"customs_office" validate:"required,max=10"`
	TaxDueDay     string `form:"tax_due_day" validate:"required,max=4"`
	SpotCheck     string `form:"spot_check_min_permille" validate:"required,max=5"`
	FXDays        string `form:"fx_unallocated_days" validate:"required,max=4"`
	Revision      string `form:"revision" validate:"max=64"` // the settings' revision the form was made from
}

func (s *Server) adminSettingsPage(c echo.Context, p AdminSettingsPage, form *settingsRequest, status int) error {
	ov, err := s.svc.SettingsOverview(c.Request().Context(), p.Actor)
	if err != nil {
		return err
	}
	p.Overview = ov
	cur := ov.Current
	p.Form = settingsRequest{CapUSD: cur.CapUSD.String(), ItemLimit: strconv.Itoa(cur.ItemLimit),
		CustomsOffice: cur.CustomsOffice, TaxDueDay: strconv.Itoa(cur.TaxDueDay),
		SpotCheck: strconv.Itoa(cur.SpotCheckMinPermille), FXDays: strconv.Itoa(cur.FXUnallocatedDays), Revision: ov.Revision}
	if form != nil {
		p.Form = *form
	}
	return s.views.Render(c, status, "admin_settings", p)
}

func (s *Server) adminSettings(c echo.Context) error {
	return s.adminSettingsPage(c, AdminSettingsPage{AdminPage: s.adminPage(c)}, nil, http.StatusOK)
}

func (s *Server) adminSettingsSave(c echo.Context) error {
	var req settingsRequest
	err := s.bind(c, &req)
	if err == nil {
		var n int
		n, err = s.svc.SetSettings(c.Request().Context(), actorOf(c), workflow.SettingsInput{
			CapUSD: req.CapUSD, ItemLimit: req.ItemLimit, CustomsOffice: req.CustomsOffice, TaxDueDay: req.TaxDueDay,
			SpotCheckMinPermille: req.SpotCheck, FXUnallocatedDays: req.FXDays, Revision: req.Revision})
		if err == nil {
			msg := apperr.Tf("Settings saved: %d change(s)", "设置已保存：%d 项变更", n)
			if n == 0 {
				msg = apperr.T("Nothing changed", "没有变更")
			}
			return s.redirect(c, "/admin/settings", msg)
		}
	}
	p := AdminSettingsPage{AdminPage: s.adminPage(c)}
	if !p.withErrors(err) {
		return err
	}
	return s.adminSettingsPage(c, p, &req, http.StatusUnprocessableEntity)
}

// ---- Customs monthly exchange rates -----------------------------------------------------------

// AdminRatesPage shows a month's customs rates (海关月度汇率), with links to the months around
// it; admins get a form for one rate and a CSV upload.
type AdminRatesPage struct {
	AdminPage
	Month, Prev, Next, Current string
	Rates                      []workflow.RateRow
	Form                       rateRequest
	UploadErrors               []string // every problem of a refused upload
	MaxRows                    int
	currencyNames              map[string]string
}

// MonthURL links to a month's rates.
func (p AdminRatesPage) MonthURL(month string) string {
	return "/admin/rates?month=" + url.QueryEscape(month)
}

// CurrencyName is a currency's ISO 4217 name.
func (p AdminRatesPage) CurrencyName(code string) string { return p.currencyNames[code] }

type rateMonthRequest struct {
	Month string `query:"month" validate:"max=20"`
}

type rateRequest struct {
	Month      string `form:"month" validate:"required,max=20"`
	Currency   string `form:"currency" validate:"required,max=10"`
	CNYPerUnit string `form:"cny_per_unit" validate:"required,max=30"`
}

// adminRatesPage renders the rates of p.Month (the current month when it is empty or invalid).
func (s *Server) adminRatesPage(c echo.Context, p AdminRatesPage, status int) error {
	p.Current = s.svc.CurrentMonth()
	month, ok := workflow.ParseMonth(p.Month)
	if !ok {
		month = p.Current
	}
	p.Month, p.Prev, p.Next, p.MaxRows = month, workflow.AddMonths(month, -1), workflow.AddMonths(month, 1), workflow.RateFileMaxRows
	if p.Form.Month == "" {
		p.Form.Month = month
	}
	rates, err := s.svc.MonthRates(c.Request().Context(), p.Actor, month)
	if err != nil {
		return err
	}
	p.Rates, p.currencyNames = rates, map[string]string{}
	for _, r := range rates {
		if cur, ok := s.svc.Ref().Currency(r.Currency); ok {
			p.currencyNames[r.Currency] = cur.Name
		}
	}
	return s.views.Render(c, status, "admin_rates", p)
}

func (s *Server) adminRates(c echo.Context) error {
	var req rateMonthRequest
	p := AdminRatesPage{AdminPage: s.adminPage(c)}
	if err := s.bind(c, &req); err != nil {
		return err
	}
	status := http.StatusOK
	if _, ok := workflow.ParseMonth(req.Month); req.Month != "" && !ok {
		p.withErrors(apperr.Field("month", apperr.T("This is not a month such as 2026-11; showing the current month",
			"不是有效的月份（例如 2026-11），现显示本月")))
		status = http.StatusUnprocessableEntity
	}
	p.Month = req.Month
	return s.adminRatesPage(c, p, status)
}

func (s *Server) adminRateSet(c echo.Context) error {
	var req rateRequest
	err := s.bind(c, &req)
	if err == nil {
		var r *models.ExchangeRate
		r, err = s.svc.SetRate(c.Request().Context(), actorOf(c), workflow.RateInput{
			Month: req.Month, Currency: req.Currency, CNYPerUnit: req.CNYPerUnit})
		if err == nil {
			return s.redirect(c, "/admin/rates?month="+url.QueryEscape(r.Month), apperr.Tf(
				"Rate saved: 1 %s = %s CNY for %s", "汇率已保存：%[3]s 1 %[1]s = %[2]s 人民币", r.Currency, r.CNYPerUnit.String(), r.Month))
		}
	}
	p := AdminRatesPage{AdminPage: s.adminPage(c), Month: req.Month, Form: req}
	if !p.withErrors(err) {
		return err
	}
	return s.adminRatesPage(c, p, http.StatusUnprocessableEntity)
}

// adminRatesUpload imports a CSV file of rates: all rows or none.
func (s *Server) adminRatesUpload(c echo.Context) error {
	back := c.FormValue("month")
	err := s.importRates(c)
	if err == nil {
		return nil
	}
	p := AdminRatesPage{AdminPage: s.adminPage(c), Month: back}
	if !p.withErrors(err) {
		return err
	}
	ae := apperr.As(err)
	for _, f := range ae.Fields {
		p.UploadErrors = append(p.UploadErrors, f.Text.In(p.Lang))
	}
	p.Errors["file"] = ae.Text.In(p.Lang)
	return s.adminRatesPage(c, p, http.StatusUnprocessableEntity)
}

func (s *Server) importRates(c echo.Context) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return apperr.Field("file", apperr.T("Choose a CSV file to upload", "请选择要上传的 CSV 文件"))
	}
	if fh.Size > workflow.RateFileMaxBytes {
		return apperr.Field("file", apperr.T("The file is larger than 1 MB; split it into smaller files", "文件超过 1 MB，请拆分为多个较小的文件"))
	}
	f, err := fh.Open()
	if err != nil {
		return apperr.Wrap(err, "open upload")
	}
	defer f.Close()
	res, err := s.svc.ImportRates(c.Request().Context(), actorOf(c), f)
	if err != nil {
		return err
	}
	back := "/admin/rates"
	if m, ok := workflow.ParseMonth(c.FormValue("month")); ok {
		back += "?month=" + m
	}
	return s.redirect(c, back, apperr.Tf("Imported %d rate(s): %d new, %d changed, %d unchanged",
		"已导入 %d 条汇率：新增 %d 条，修改 %d 条，未变 %d 条", res.Rows, res.Created, res.Updated, res.Unchanged))
}

// adminRatesTemplate downloads a CSV file to fill in: the header and the month's rates.
func (s *Server) adminRatesTemplate(c echo.Context) error {
	var req rateMonthRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	month, ok := workflow.ParseMonth(req.Month)
	if !ok {
		month = s.svc.CurrentMonth()
	}
	var buf bytes.Buffer
	if err := s.svc.RateTemplate(c.Request().Context(), actorOf(c), month, &buf); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="exchange-rates-`+month+`.csv"`)
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// ---- Tax due day per month -------------------------------------------------------------------

// AdminTaxDaysPage lists the filing months whose due day was moved.
type AdminTaxDaysPage struct {
	AdminPage
	Rows    []workflow.TaxDueDayRow
	Default int
	Form    taxDayRequest
}

type taxDayRequest struct {
	Month string `form:"month" validate:"required,max=20"`
	Day   string `form:"day" validate:"required,max=4"`
}

func (s *Server) adminTaxDaysPage(c echo.Context, p AdminTaxDaysPage, status int) error {
	ctx := c.Request().Context()
	rows, err := s.svc.TaxDueDays(ctx, p.Actor)
	if err != nil {
		return err
	}
	set, err := s.svc.Settings(ctx)
	if err != nil {
		return err
	}
	p.Rows, p.Default = rows, set.TaxDueDay
	if p.Form.Month == "" && !p.HasErrors() {
		p.Form.Month = workflow.AddMonths(s.svc.CurrentMonth(), 1)
	}
	return s.views.Render(c, status, "admin_tax_days", p)
}

func (s *Server) adminTaxDays(c echo.Context) error {
	return s.adminTaxDaysPage(c, AdminTaxDaysPage{AdminPage: s.adminPage(c)}, http.StatusOK)
}

func (s *Server) adminTaxDaySet(c echo.Context) error {
	var req taxDayRequest
	err := s.bind(c, &req)
	if err == nil {
		err = s.svc.SetTaxDueDay(c.Request().Context(), actorOf(c), workflow.TaxDueDayInput{Month: req.Month, Day: req.Day})
		if err == nil {
			return s.redirect(c, "/admin/tax-days", apperr.T("Due day saved", "申报截止日已保存"))
		}
	}
	p := AdminTaxDaysPage{AdminPage: s.adminPage(c), Form: req}
	if !p.withErrors(err) {
		return err
	}
	return s.adminTaxDaysPage(c, p, http.StatusUnprocessableEntity)
}

func (s *Server) adminTaxDayDelete(c echo.Context) error {
	month := c.Param("month")
	if err := s.svc.DeleteTaxDueDay(c.Request().Context(), actorOf(c), month); err != nil {
		return err
	}
	return s.redirect(c, "/admin/tax-days", apperr.Tf("%s uses the default due day again", "%s 恢复使用默认截止日", month))
}

// ---- HS prefix lists -------------------------------------------------------------------------

// AdminHSPrefixesPage shows one HS prefix list with the HS description of each entry.
type AdminHSPrefixesPage struct {
	AdminPage
	List string
	Rows []workflow.HSPrefixRow
	Form hsPrefixRequest
}

// ListTabs switches between the two lists.
func (p AdminHSPrefixesPage) ListTabs() []NavItem {
	var out []NavItem
	for _, l := range workflow.HSLists {
		out = append(out, NavItem{URL: "/admin/hs-prefixes?list=" + l, Label: p.T("admin.hs.list." + l), Current: l == p.List})
	}
	return out
}

// ListLabel names the list shown.
func (p AdminHSPrefixesPage) ListLabel() string { return p.T("admin.hs.list." + p.List) }

// ListHint explains the list shown.
func (p AdminHSPrefixesPage) ListHint() string { return p.T("admin.hs.hint." + p.List) }

type hsListRequest struct {
	List string `query:"list" validate:"omitempty,oneof=ineligible not_simplifiable"`
}

type hsPrefixRequest struct {
	List     string `form:"list" validate:"required,oneof=ineligible not_simplifiable"`
	Prefix   string `form:"prefix" validate:"required,max=20"`
	ReasonEn string `form:"reason_en" validate:"required,max=200"`
	ReasonZh string `form:"reason_zh" validate:"required,max=200"`
}

func (s *Server) adminHSPrefixesPage(c echo.Context, p AdminHSPrefixesPage, status int) error {
	rows, err := s.svc.HSPrefixes(c.Request().Context(), p.Actor, p.List)
	if err != nil {
		return err
	}
	p.Rows = rows
	p.Form.List = p.List
	return s.views.Render(c, status, "admin_hs_prefixes", p)
}

func (s *Server) adminHSPrefixes(c echo.Context) error {
	var req hsListRequest
	if err := s.bind(c, &req); err != nil {
		return echo.ErrNotFound
	}
	p := AdminHSPrefixesPage{AdminPage: s.adminPage(c), List: req.List}
	if p.List == "" {
		p.List = models.ListIneligible
	}
	return s.adminHSPrefixesPage(c, p, http.StatusOK)
}

func (s *Server) adminHSPrefixAdd(c echo.Context) error {
	var req hsPrefixRequest
	err := s.bind(c, &req)
	if err == nil {
		var row *models.HSPrefix
		row, err = s.svc.AddHSPrefix(c.Request().Context(), actorOf(c), workflow.HSPrefixInput{
			List: req.List, Prefix: req.Prefix, ReasonEn: req.ReasonEn, ReasonZh: req.ReasonZh})
		if err == nil {
			return s.redirect(c, "/admin/hs-prefixes?list="+row.List, apperr.Tf("%s added to the list", "%s 已加入清单", row.Prefix))
		}
	}
	p := AdminHSPrefixesPage{AdminPage: s.adminPage(c), List: req.List, Form: req}
	if !p.withErrors(err) {
		return err
	}
	if p.List != models.ListNotSimplifiable {
		p.List = models.ListIneligible
	}
	return s.adminHSPrefixesPage(c, p, http.StatusUnprocessableEntity)
}

func (s *Server) adminHSPrefixDelete(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	row, err := s.svc.DeleteHSPrefix(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return s.redirect(c, "/admin/hs-prefixes?list="+row.List, apperr.Tf("%s removed from the list", "%s 已从清单中移除", row.Prefix))
}

// ---- Brand watch list ------------------------------------------------------------------------

// AdminBrandsPage lists the protected trademarks branded goods are checked against.
type AdminBrandsPage struct {
	AdminPage
	Rows []workflow.BrandRow
	Form brandRequest
}

type brandRequest struct {
	Brand  string `form:"brand" validate:"required,max=100"`
	Holder string `form:"holder" validate:"max=200"`
	Note   string `form:"note" validate:"max=500"`
}

func (s *Server) adminBrandsPage(c echo.Context, p AdminBrandsPage, status int) error {
	rows, err := s.svc.BrandWatches(c.Request().Context(), p.Actor)
	if err != nil {
		return err
	}
	p.Rows = rows
	return s.views.Render(c, status, "admin_brands", p)
}

func (s *Server) adminBrands(c echo.Context) error {
	return s.adminBrandsPage(c, AdminBrandsPage{AdminPage: s.adminPage(c)}, http.StatusOK)
}

func (s *Server) adminBrandAdd(c echo.Context) error {
	var req brandRequest
	err := s.bind(c, &req)
	if err == nil {
		var row *models.BrandWatch
		row, err = s.svc.AddBrandWatch(c.Request().Context(), actorOf(c), workflow.BrandInput{Brand: req.Brand, Holder: req.Holder, Note: req.Note})
		if err == nil {
			return s.redirect(c, "/admin/brands", apperr.Tf("%s added to the watch list", "%s 已加入品牌监控名单", row.Brand))
		}
	}
	p := AdminBrandsPage{AdminPage: s.adminPage(c), Form: req}
	if !p.withErrors(err) {
		return err
	}
	return s.adminBrandsPage(c, p, http.StatusUnprocessableEntity)
}

func (s *Server) adminBrandDelete(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	row, err := s.svc.DeleteBrandWatch(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return s.redirect(c, "/admin/brands", apperr.Tf("%s removed from the watch list", "%s 已从品牌监控名单中移除", row.Brand))
}
