package workflow

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// UsersPerPage is the page size of the admin's user list.
const UsersPerPage = 50

// usernameRule: 3–64 characters of a–z, 0–9, dot, underscore and hyphen. Login lower-cases what
// is typed, so a username is stored lower-case.
var usernameRule = regexp.MustCompile(`^[a-z0-9._-]{3,64}$`)

var userNoun = apperr.T("User", "用户")

// officerRoles are the roles whose users can be on duty (drawn for inspections and spot checks).
var officerRoles = []string{models.RoleCustoms, models.RoleTax, models.RoleFX, models.RoleSupervision}

// IsOfficerRole reports whether a role is an authority's officer, who can be on duty.
func IsOfficerRole(role string) bool { return slices.Contains(officerRoles, role) }

// UserFilter selects users on the admin's list.
type UserFilter struct {
	Role  string // "" for every role
	Query string // part of the username or display name
	Page  int    // 1-based; out of range means the first or last page
}

// UserRow is a user with the names of the merchant or agent it belongs to.
type UserRow struct {
	models.User
	MerchantName string
	AgentName    string
}

// UserList is one page of users.
type UserList struct {
	Rows  []UserRow
	Total int64
	Page  int
	Pages int
}

// ListUsers lists users by username, filtered by role and a search text, one page at a time.
func (s *Service) ListUsers(ctx context.Context, actor Actor, f UserFilter) (*UserList, error) {
	if err := actor.Require(ActUserManage); err != nil {
		return nil, err
	}
	q := s.db.WithContext(ctx).Model(&models.User{})
	if f.Role != "" {
		q = q.Where("role = ?", f.Role)
	}
	if text := strings.ToLower(strings.TrimSpace(f.Query)); text != "" {
		like := "%" + likeEscaper.Replace(text) + "%"
		q = q.Where(`(LOWER(username) LIKE ? ESCAPE '\' OR LOWER(display_name) LIKE ? ESCAPE '\')`, like, like)
	}
	out := &UserList{}
	if err := q.Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count users")
	}
	out.Pages = max(1, int((out.Total+UsersPerPage-1)/UsersPerPage))
	out.Page = min(max(f.Page, 1), out.Pages)
	var users []models.User
	if err := q.Order("username").Limit(UsersPerPage).Offset((out.Page - 1) * UsersPerPage).Find(&users).Error; err != nil {
		return nil, apperr.Wrap(err, "list users")
	}
	rows, err := s.userRows(ctx, users)
	out.Rows = rows
	return out, err
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// userRows adds the merchant and agent names to users.
func (s *Service) userRows(ctx context.Context, users []models.User) ([]UserRow, error) {
	var mids, aids []int64
	for _, u := range users {
		if u.MerchantID != nil {
			mids = append(mids, *u.MerchantID)
		}
		if u.AgentID != nil {
			aids = append(aids, *u.AgentID)
		}
	}
	type named struct {
		ID   int64
		Name string
	}
	names := func(model any, ids []int64) (map[int64]string, error) {
		out := map[int64]string{}
		if len(ids) == 0 {
			return out, nil
		}
		var rows []named
		if err := s.db.WithContext(ctx).Model(model).Select("id, name").Where("id IN ?", uniqueIDs(ids)).Find(&rows).Error; err != nil {
			return nil, apperr.Wrap(err, "load names")
		}
		for _, r := range rows {
			out[r.ID] = r.Name
		}
		return out, nil
	}
	merchants, err := names(&models.Merchant{}, mids)
	if err != nil {
		return nil, err
	}
	agents, err := names(&models.Agent{}, aids)
	if err != nil {
		return nil, err
	}
	out := make([]UserRow, len(users))
	for i, u := range users {
		out[i] = UserRow{User: u}
		if u.MerchantID != nil {
			out[i].MerchantName = merchants[*u.MerchantID]
		}
		if u.AgentID != nil {
			out[i].AgentName = agents[*u.AgentID]
		}
	}
	return out, nil
}

// UserDetail is one user as the admin sees it: the account, its open sessions and its history.
type UserDetail struct {
	UserRow
	Sessions int64
	History  []Change
}

// UserDetail returns a user with its open sessions and the latest changes to the account.
func (s *Service) UserDetail(ctx context.Context, actor Actor, id int64) (*UserDetail, error) {
	if err := actor.Require(ActUserManage); err != nil {
		return nil, err
	}
	var u models.User
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&u).Error; err != nil {
		return nil, models.Translate(err, userNoun)
	}
	rows, err := s.userRows(ctx, []models.User{u})
	if err != nil {
		return nil, err
	}
	d := &UserDetail{UserRow: rows[0]}
	if err := s.db.WithContext(ctx).Model(&models.Session{}).Where("user_id = ? AND expires_at > ?", id, s.now()).
		Count(&d.Sessions).Error; err != nil {
		return nil, apperr.Wrap(err, "count sessions")
	}
	d.History, err = s.changes(ctx, "user", []string{strconv.FormatInt(id, 10)}, 30)
	return d, err
}

// UserChoices are the merchants and agents a merchant or agent user can belong to.
type UserChoices struct {
	Merchants []models.Merchant // every merchant except rejected registrations, by name
	Agents    []models.Agent    // every agent, by name
}

// UserChoices lists what the user forms offer for a merchant or agent user.
func (s *Service) UserChoices(ctx context.Context, actor Actor) (*UserChoices, error) {
	if err := actor.Require(ActUserManage); err != nil {
		return nil, err
	}
	out := &UserChoices{}
	db := s.db.WithContext(ctx)
	if err := db.Select("id, name, uscc, status").Where("status <> ?", models.MerchantRejected).
		Order("name, id").Find(&out.Merchants).Error; err != nil {
		return nil, apperr.Wrap(err, "list merchants")
	}
	if err := db.Select("id, name, uscc, status").Order("name, id").Find(&out.Agents).Error; err != nil {
		return nil, apperr.Wrap(err, "list agents")
	}
	return out, nil
}

// NewUserInput is a user an admin creates. Who the user belongs to follows the users table:
// a merchant user names its merchant, an agent user its agent, every other role neither.
type NewUserInput struct {
	Username    string
	DisplayName string
	Role        string
	MerchantID  int64 // required for the merchant role, else 0
	AgentID     int64 // required for the agent role, else 0
	Password    string
	OnDuty      bool // officers only; ignored for other roles
}

// accountAudit is the audit form of a user: never its password hash.
type accountAudit struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	MerchantID  *int64 `json:"merchant_id"`
	AgentID     *int64 `json:"agent_id"`
	OnDuty      bool   `json:"on_duty"`
	Disabled    bool   `json:"disabled"`
	// PasswordChangedAt shows a password reset without showing anything of the password.
	PasswordChangedAt *time.Time `json:"password_changed_at"`
	SessionsEnded     *int64     `json:"sessions_ended,omitempty"`
}

func auditOfAccount(u *models.User) accountAudit {
	return accountAudit{Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, MerchantID: u.MerchantID,
		AgentID: u.AgentID, OnDuty: u.OnDuty, Disabled: u.Disabled, PasswordChangedAt: u.PasswordChangedAt}
}

// CreateUser creates a user with an initial password the admin passes on. The username is
// stored lower-case; a merchant or agent user must name an existing merchant or agent.
func (s *Service) CreateUser(ctx context.Context, actor Actor, in NewUserInput) (*models.User, error) {
	if err := actor.Require(ActUserManage); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	username := strings.ToLower(strings.TrimSpace(in.Username))
	if !usernameRule.MatchString(username) {
		fe.Add("username", apperr.T("Use 3–64 characters: lower-case letters a–z, digits, and . _ -",
			"请使用 3–64 个字符：小写字母 a–z、数字及 . _ -"))
	}
	display := strings.TrimSpace(in.DisplayName)
	if display == "" || utf8.RuneCountInString(display) > 100 {
		fe.Add("display_name", apperr.T("Enter the person's name, at most 100 characters", "请填写姓名，最多 100 个字符"))
	}
	if err := checkPassword("password", in.Password); err != nil {
		fe = append(fe, apperr.As(err).Fields...)
	}
	db := s.db.WithContext(ctx)
	merchantID, agentID := s.checkOwner(db, &fe, in.Role, in.MerchantID, in.AgentID)
	if len(fe) == 0 {
		var n int64
		if err := db.Model(&models.User{}).Where("username = ?", username).Count(&n).Error; err != nil {
			return nil, apperr.Wrap(err, "check username")
		}
		if n > 0 {
			fe.Add("username", errAccountNameTaken)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password, s.Policy.BcryptCost)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := models.User{Username: username, DisplayName: display, PasswordHash: hash, Role: in.Role,
		MerchantID: merchantID, AgentID: agentID, OnDuty: in.OnDuty && IsOfficerRole(in.Role),
		PasswordChangedAt: &now, Version: 1, CreatedAt: now, UpdatedAt: now}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&u).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "user", strconv.FormatInt(u.ID, 10), "create", nil, auditOfAccount(&u))
	})
	if models.IsUniqueViolation(err) {
		return nil, apperr.Field("username", errAccountNameTaken)
	}
	if err != nil {
		return nil, apperr.Wrap(err, "create user")
	}
	return &u, nil
}

var errAccountNameTaken = apperr.T("This username is taken; choose another", "该用户名已被使用，请换一个")

// checkOwner applies the users table's rule: a merchant user belongs to a merchant, an agent
// user to an agent, every other role to neither. It returns the columns to store.
func (s *Service) checkOwner(db *gorm.DB, fe *apperr.Fields, role string, merchantID, agentID int64) (*int64, *int64) {
	if !slices.Contains(models.Roles, role) {
		fe.Add("role", apperr.T("Choose a role from the list", "请从列表中选择角色"))
		return nil, nil
	}
	var mid, aid *int64
	switch {
	case role == models.RoleMerchant && merchantID == 0:
		fe.Add("merchant_id", apperr.T("A merchant user belongs to a merchant: choose it", "经营户用户必须属于一个经营户，请选择"))
	case role == models.RoleMerchant:
		var m models.Merchant
		err := db.Select("id, status").Where("id = ?", merchantID).Take(&m).Error
		switch {
		case noSuchRow(err):
			fe.Add("merchant_id", apperr.T("This merchant does not exist", "该经营户不存在"))
		case err != nil:
			fe.Add("merchant_id", apperr.T("The merchant could not be checked; try again", "无法核对该经营户，请重试"))
		case m.Status == models.MerchantRejected:
			fe.Add("merchant_id", apperr.T("This merchant's registration was rejected", "该经营户的备案已被驳回"))
		default:
			mid = &merchantID
		}
	case merchantID != 0:
		fe.Add("merchant_id", apperr.T("Only a merchant user belongs to a merchant: leave this empty for this role", "只有经营户用户属于经营户，此角色请留空"))
	}
	switch {
	case role == models.RoleAgent && agentID == 0:
		fe.Add("agent_id", apperr.T("An agent user belongs to an agent: choose it", "外贸代理用户必须属于一个外贸代理，请选择"))
	case role == models.RoleAgent:
		var n int64
		if err := db.Model(&models.Agent{}).Where("id = ?", agentID).Count(&n).Error; err != nil || n == 0 {
			fe.Add("agent_id", apperr.T("This agent does not exist", "该外贸代理不存在"))
		} else {
			aid = &agentID
		}
	case agentID != 0:
		fe.Add("agent_id", apperr.T("Only an agent user belongs to an agent: leave this empty for this role", "只有外贸代理用户属于外贸代理，此角色请留空"))
	}
	return mid, aid
}

// UserVersion names a user as the admin saw it: a change is refused when the account has
// changed since (optimistic locking on User.Version).
type UserVersion struct {
	ID      int64
	Version int64
}

// DisableUser disables a user and ends all of its sessions; its API tokens stop working too.
// An admin cannot disable their own account.
func (s *Service) DisableUser(ctx context.Context, actor Actor, in UserVersion) error {
	return s.setDisabled(ctx, actor, in, true)
}

// EnableUser lets a disabled user log in again.
func (s *Service) EnableUser(ctx context.Context, actor Actor, in UserVersion) error {
	return s.setDisabled(ctx, actor, in, false)
}

func (s *Service) setDisabled(ctx context.Context, actor Actor, in UserVersion, disabled bool) error {
	if err := actor.Require(ActUserManage); err != nil {
		return err
	}
	if disabled && in.ID == actor.UserID {
		return apperr.New(apperr.Invalid, apperr.T("You cannot disable your own account; ask another administrator",
			"不能停用自己的账户，请由其他管理员操作"))
	}
	action := map[bool]string{true: "disable", false: "enable"}[disabled]
	return s.changeUser(ctx, actor, in, action, func(u *models.User) (map[string]any, error) {
		if u.Disabled == disabled {
			return nil, apperr.New(apperr.Invalid, map[bool]apperr.Text{
				true:  apperr.T("This user is already disabled", "该用户已停用"),
				false: apperr.T("This user is already enabled", "该用户已启用"),
			}[disabled])
		}
		u.Disabled = disabled
		return map[string]any{"disabled": disabled}, nil
	}, disabled)
}

// PasswordResetInput is a new password an admin sets for a user who lost theirs.
type PasswordResetInput struct {
	UserVersion
	Password string
}

// ResetUserPassword sets a new password given by the admin and ends the user's sessions.
// Admins change their own password on their account page, which asks for the current one.
func (s *Service) ResetUserPassword(ctx context.Context, actor Actor, in PasswordResetInput) error {
	if err := actor.Require(ActUserManage); err != nil {
		return err
	}
	if in.ID == actor.UserID {
		return apperr.Field("password", apperr.T("Change your own password under My account", "请在“我的账户”中修改自己的密码"))
	}
	hash, err := HashPassword(in.Password, s.Policy.BcryptCost)
	if err != nil {
		return err
	}
	now := s.now()
	return s.changeUser(ctx, actor, in.UserVersion, "password_reset", func(u *models.User) (map[string]any, error) {
		u.PasswordHash, u.PasswordChangedAt = hash, &now
		return map[string]any{"password_hash": hash, "password_changed_at": now}, nil
	}, true)
}

// RoleChangeInput is a user's new role, with the merchant or agent the role needs and, for
// officers, whether they are on duty.
type RoleChangeInput struct {
	UserVersion
	Role       string
	MerchantID int64
	AgentID    int64
	OnDuty     bool
}

// ChangeUserRole changes a user's role (and merchant, agent or on-duty flag) and ends the user's
// sessions, so the new rights apply from the next login. Admins cannot remove their own admin
// role.
func (s *Service) ChangeUserRole(ctx context.Context, actor Actor, in RoleChangeInput) error {
	if err := actor.Require(ActUserManage); err != nil {
		return err
	}
	var fe apperr.Fields
	if in.ID == actor.UserID && in.Role != models.RoleAdmin {
		fe.Add("role", apperr.T("You cannot remove your own administrator role; ask another administrator",
			"不能取消自己的管理员角色，请由其他管理员操作"))
	}
	mid, aid := s.checkOwner(s.db.WithContext(ctx), &fe, in.Role, in.MerchantID, in.AgentID)
	if err := fe.Err(); err != nil {
		return err
	}
	onDuty := in.OnDuty && IsOfficerRole(in.Role)
	return s.changeUser(ctx, actor, in.UserVersion, "role_change", func(u *models.User) (map[string]any, error) {
		if u.Role == in.Role && sameID(u.MerchantID, mid) && sameID(u.AgentID, aid) && u.OnDuty == onDuty {
			return nil, apperr.Field("role", apperr.T("Nothing to change: the user already has this role", "没有变化：该用户已是此角色"))
		}
		u.Role, u.MerchantID, u.AgentID, u.OnDuty = in.Role, mid, aid, onDuty
		return map[string]any{"role": in.Role, "merchant_id": mid, "agent_id": aid, "on_duty": onDuty}, nil
	}, in.ID != actor.UserID)
}

func sameID(a, b *int64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// changeUser loads a user, applies a change at the version the admin saw, optionally ends the
// user's sessions, and audits the old and new account in one transaction.
func (s *Service) changeUser(ctx context.Context, actor Actor, in UserVersion, action string,
	change func(u *models.User) (map[string]any, error), endSessions bool) error {
	now := s.now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var u models.User
		if err := tx.Where("id = ?", in.ID).Take(&u).Error; err != nil {
			return models.Translate(err, userNoun)
		}
		if u.Version != in.Version {
			return errUserChanged
		}
		before := auditOfAccount(&u)
		cols, err := change(&u)
		if err != nil {
			return err
		}
		cols["version"], cols["updated_at"] = u.Version+1, now
		res := tx.Model(&models.User{}).Where("id = ? AND version = ?", u.ID, in.Version).Updates(cols)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errUserChanged
		}
		after := auditOfAccount(&u)
		if endSessions {
			del := tx.Where("user_id = ?", u.ID).Delete(&models.Session{})
			if del.Error != nil {
				return del.Error
			}
			after.SessionsEnded = &del.RowsAffected
		}
		return s.audit(ctx, tx, actor, "user", strconv.FormatInt(u.ID, 10), action, before, after)
	})
	return apperr.Wrap(err, "change user "+strconv.FormatInt(in.ID, 10))
}

var errUserChanged = apperr.New(apperr.Conflict, apperr.T(
	"Someone changed this user since you opened the page. Reload it and try again.",
	"您打开页面后该用户已被他人修改，请刷新后重试。"))
