package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// AdminUsersPage lists users with a role filter and a search box, one page at a time.
type AdminUsersPage struct {
	AdminPage
	Role, Query string
	List        *workflow.UserList
}

// RoleOptions are the role filter's choices, "all roles" first.
func (p AdminUsersPage) RoleOptions() []Option {
	return append([]Option{{Value: "", Label: p.T("admin.users.all_roles")}}, roleOptions(p.Page)...)
}

// PrevURL links to the previous page of the list.
func (p AdminUsersPage) PrevURL() string { return p.PageURL(p.List.Page - 1) }

// NextURL links to the next page of the list.
func (p AdminUsersPage) NextURL() string { return p.PageURL(p.List.Page + 1) }

// PageURL links to another page of the same list.
func (p AdminUsersPage) PageURL(n int) string {
	q := url.Values{}
	if p.Role != "" {
		q.Set("role", p.Role)
	}
	if p.Query != "" {
		q.Set("q", p.Query)
	}
	if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	if len(q) == 0 {
		return "/admin/users"
	}
	return "/admin/users?" + q.Encode()
}

func roleOptions(p Page) []Option {
	out := make([]Option, len(models.Roles))
	for i, r := range models.Roles {
		out[i] = Option{Value: r, Label: p.T("role." + r)}
	}
	return out
}

type userListRequest struct {
	Role  string `query:"role" validate:"omitempty,oneof=merchant agent customs tax fx supervision auditor admin"`
	Query string `query:"q" validate:"max=100"`
	Page  int    `query:"page" validate:"min=0"`
}

func (s *Server) adminUsers(c echo.Context) error {
	var req userListRequest
	p := AdminUsersPage{AdminPage: s.adminPage(c)}
	status := http.StatusOK
	if err := s.bind(c, &req); err != nil {
		if !p.withErrors(err) {
			return err
		}
		req, status = userListRequest{}, http.StatusUnprocessableEntity
	}
	p.Role, p.Query = req.Role, req.Query
	list, err := s.svc.ListUsers(c.Request().Context(), p.Actor, workflow.UserFilter{Role: req.Role, Query: req.Query, Page: req.Page})
	if err != nil {
		return err
	}
	p.List = list
	return s.views.Render(c, status, "admin_users", p)
}

// userForm is what the user forms show again: the typed values (never the password).
type userForm struct {
	Username, DisplayName, Role, MerchantID, AgentID string
	OnDuty                                           bool
}

// AdminUserNewPage is the form that creates a user.
type AdminUserNewPage struct {
	AdminPage
	Form    userForm
	Choices *workflow.UserChoices
}

// RoleOptions are the roles a user can have.
func (p AdminUserNewPage) RoleOptions() []Option { return roleOptions(p.Page) }

// MerchantOptions are the merchants a merchant user can belong to.
func (p AdminUserNewPage) MerchantOptions() []Option { return merchantOptions(p.Page, p.Choices) }

// AgentOptions are the agents an agent user can belong to.
func (p AdminUserNewPage) AgentOptions() []Option { return agentOptions(p.Page, p.Choices) }

func merchantOptions(p Page, ch *workflow.UserChoices) []Option {
	out := []Option{{Value: "", Label: p.T("admin.user.none")}}
	for _, m := range ch.Merchants {
		out = append(out, Option{Value: strconv.FormatInt(m.ID, 10), Label: m.Name + " · " + m.USCC})
	}
	return out
}

func agentOptions(p Page, ch *workflow.UserChoices) []Option {
	out := []Option{{Value: "", Label: p.T("admin.user.none")}}
	for _, a := range ch.Agents {
		out = append(out, Option{Value: strconv.FormatInt(a.ID, 10), Label: a.Name + " · " + a.USCC})
	}
	return out
}

func idText(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func (s *Server) adminUserNewPage(c echo.Context, p AdminUserNewPage, status int) error {
	ch, err := s.svc.UserChoices(c.Request().Context(), p.Actor)
	if err != nil {
		return err
	}
	p.Choices = ch
	return s.views.Render(c, status, "admin_user_new", p)
}

func (s *Server) adminUserNew(c echo.Context) error {
	return s.adminUserNewPage(c, AdminUserNewPage{AdminPage: s.adminPage(c), Form: userForm{Role: models.RoleMerchant}}, http.StatusOK)
}

// userCreateRequest is the new-user form. It has no id, version, password hash, status or
// timestamps: those are never taken from input.
type userCreateRequest struct {
	Username    string `form:"username" validate:"required,max=64"`
	DisplayName string `form:"display_name" validate:"required,max=100"`
	Role        string `form:"role" validate:"required"`
	MerchantID  int64  `form:"merchant_id" validate:"min=0"`
	AgentID     int64  `form:"agent_id" validate:"min=0"`
	Password    string `form:"password" validate:"required,max=200"`
	OnDuty      bool   `form:"on_duty"`
}

func (s *Server) adminUserCreate(c echo.Context) error {
	var req userCreateRequest
	err := s.bind(c, &req)
	if err == nil {
		var u *models.User
		u, err = s.svc.CreateUser(c.Request().Context(), actorOf(c), workflow.NewUserInput{
			Username: req.Username, DisplayName: req.DisplayName, Role: req.Role,
			MerchantID: req.MerchantID, AgentID: req.AgentID, Password: req.Password, OnDuty: req.OnDuty,
		})
		if err == nil {
			return s.redirect(c, "/admin/users/"+strconv.FormatInt(u.ID, 10),
				apperr.Tf("User %s created. Give them the initial password in person.", "用户 %s 已创建，请当面告知初始密码。", u.Username))
		}
	}
	p := AdminUserNewPage{AdminPage: s.adminPage(c), Form: userForm{Username: req.Username, DisplayName: req.DisplayName,
		Role: req.Role, MerchantID: idText(req.MerchantID), AgentID: idText(req.AgentID), OnDuty: req.OnDuty}}
	if !p.withErrors(err) {
		return err
	}
	return s.adminUserNewPage(c, p, http.StatusUnprocessableEntity)
}

// AdminUserPage shows one user with the forms that change it.
type AdminUserPage struct {
	AdminPage
	User     *workflow.UserDetail
	RoleForm userForm
	Choices  *workflow.UserChoices
}

// Self reports whether the page shows the admin's own account.
func (p AdminUserPage) Self() bool { return p.User.ID == p.Actor.UserID }

// Officer reports whether the user's role can be on duty.
func (p AdminUserPage) Officer() bool { return workflow.IsOfficerRole(p.User.Role) }

// RoleOptions are the roles a user can have.
func (p AdminUserPage) RoleOptions() []Option { return roleOptions(p.Page) }

// MerchantOptions are the merchants a merchant user can belong to.
func (p AdminUserPage) MerchantOptions() []Option { return merchantOptions(p.Page, p.Choices) }

// AgentOptions are the agents an agent user can belong to.
func (p AdminUserPage) AgentOptions() []Option { return agentOptions(p.Page, p.Choices) }

// VersionText is the user's version for the forms' optimistic locking.
func (p AdminUserPage) VersionText() string { return strconv.FormatInt(p.User.Version, 10) }

// adminUserPage renders a user's page; form, when not nil, is the role form as submitted.
func (s *Server) adminUserPage(c echo.Context, p AdminUserPage, form *userForm, status int) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if p.User, err = s.svc.UserDetail(ctx, p.Actor, id); err != nil {
		return err
	}
	if p.Choices, err = s.svc.UserChoices(ctx, p.Actor); err != nil {
		return err
	}
	u := p.User.User
	p.RoleForm = userForm{Role: u.Role, OnDuty: u.OnDuty}
	if u.MerchantID != nil {
		p.RoleForm.MerchantID = idText(*u.MerchantID)
	}
	if u.AgentID != nil {
		p.RoleForm.AgentID = idText(*u.AgentID)
	}
	if form != nil {
		p.RoleForm = *form
	}
	return s.views.Render(c, status, "admin_user", p)
}

func (s *Server) adminUser(c echo.Context) error {
	return s.adminUserPage(c, AdminUserPage{AdminPage: s.adminPage(c)}, nil, http.StatusOK)
}

// userVersionRequest names the version of the user the admin saw.
type userVersionRequest struct {
	Version int64 `form:"version" validate:"required,min=1"`
}

func (r *userVersionRequest) version() int64 { return r.Version }

// versioned is a user-page request: it carries the version of the user the admin saw.
type versioned interface{ version() int64 }

// adminUserChange runs a change from the user page and redirects back to it, or shows the page
// again with the problem; form, when not nil, gives the role form's values to show again.
func (s *Server) adminUserChange(c echo.Context, req versioned, form func() *userForm,
	change func(in workflow.UserVersion) error, done apperr.Text) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err = s.bind(c, req); err == nil {
		err = change(workflow.UserVersion{ID: id, Version: req.version()})
	}
	if err == nil {
		return s.redirect(c, "/admin/users/"+strconv.FormatInt(id, 10), done)
	}
	p := AdminUserPage{AdminPage: s.adminPage(c)}
	status, ok := formFailed(&p.Page, err)
	if !ok {
		return err
	}
	var shown *userForm
	if form != nil {
		shown = form()
	}
	return s.adminUserPage(c, p, shown, status)
}

func (s *Server) adminUserDisable(c echo.Context) error {
	var req userVersionRequest
	return s.adminUserChange(c, &req, nil, func(in workflow.UserVersion) error {
		return s.svc.DisableUser(c.Request().Context(), actorOf(c), in)
	}, apperr.T("User disabled; their sessions were ended", "用户已停用，其会话已全部退出"))
}

func (s *Server) adminUserEnable(c echo.Context) error {
	var req userVersionRequest
	return s.adminUserChange(c, &req, nil, func(in workflow.UserVersion) error {
		return s.svc.EnableUser(c.Request().Context(), actorOf(c), in)
	}, apperr.T("User enabled: they can log in again", "用户已启用，可以重新登录"))
}

type userPasswordRequest struct {
	Version  int64  `form:"version" validate:"required,min=1"`
	Password string `form:"password" validate:"required,max=200"`
}

func (r *userPasswordRequest) version() int64 { return r.Version }

func (s *Server) adminUserPassword(c echo.Context) error {
	var req userPasswordRequest
	return s.adminUserChange(c, &req, nil, func(in workflow.UserVersion) error {
		return s.svc.ResetUserPassword(c.Request().Context(), actorOf(c), workflow.PasswordResetInput{UserVersion: in, Password: req.Password})
	}, apperr.T("Password reset; the user's sessions were ended. Give them the new password in person.",
		"密码已重置，该用户的会话已全部退出。请当面告知新密码。"))
}

type userRoleRequest struct {
	Version    int64  `form:"version" validate:"required,min=1"`
	Role       string `form:"role" validate:"required"`
	MerchantID int64  `form:"merchant_id" validate:"min=0"`
	AgentID    int64  `form:"agent_id" validate:"min=0"`
	OnDuty     bool   `form:"on_duty"`
}

func (r *userRoleRequest) version() int64 { return r.Version }

func (s *Server) adminUserRole(c echo.Context) error {
	var req userRoleRequest
	form := func() *userForm {
		if req.Role == "" {
			return nil // unreadable form: show the user's current values
		}
		return &userForm{Role: req.Role, MerchantID: idText(req.MerchantID), AgentID: idText(req.AgentID), OnDuty: req.OnDuty}
	}
	return s.adminUserChange(c, &req, form, func(in workflow.UserVersion) error {
		return s.svc.ChangeUserRole(c.Request().Context(), actorOf(c), workflow.RoleChangeInput{
			UserVersion: in, Role: req.Role, MerchantID: req.MerchantID, AgentID: req.AgentID, OnDuty: req.OnDuty})
	}, apperr.T("Role changed; the user's sessions were ended so the new rights apply at the next login",
		"角色已变更，该用户的会话已全部退出，新权限在下次登录时生效"))
}
