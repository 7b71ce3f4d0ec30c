package workflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"mpt/models"
	"mpt/workflow/apperr"
)

// AuthPolicy holds the login rules; tests shorten them.
type AuthPolicy struct {
	IdleTimeout     time.Duration // a session unused this long ends
	AbsoluteTimeout time.Duration // a session ends this long after login, used or not
	TouchEvery      time.Duration // last-seen is written at most this often
	MaxFailures     int           // failed logins before an account is locked
	IPMaxFailures   int           // failed logins from one address before it is locked
	LockFor         time.Duration // how long a lock lasts
	BcryptCost      int
}

// DefaultAuthPolicy is the production policy: 2 h idle, 12 h absolute, a 15-minute lock after 5
// failures for an account (or 20 from one address).
func DefaultAuthPolicy() AuthPolicy {
	return AuthPolicy{
		IdleTimeout: 2 * time.Hour, AbsoluteTimeout: 12 * time.Hour, TouchEvery: time.Minute,
		MaxFailures: 5, IPMaxFailures: 20, LockFor: 15 * time.Minute, BcryptCost: bcrypt.DefaultCost,
	}
}

// HashPassword hashes a password with bcrypt after checking it meets the password rules.
func HashPassword(password string, cost int) (string, error) {
	if err := checkPassword("password", password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", apperr.Wrap(err, "hash password")
	}
	return string(h), nil
}

// checkPassword: at least 8 characters, at most 72 bytes (bcrypt's limit), not only digits.
func checkPassword(field, p string) error {
	switch {
	case utf8.RuneCountInString(p) < 8:
		return apperr.Field(field, apperr.T("Use at least 8 characters", "密码至少 8 个字符"))
	case len(p) > 72:
		return apperr.Field(field, apperr.T("Use at most 72 bytes (about 24 Chinese characters)", "密码最长 72 字节（约 24 个汉字）"))
	case strings.Trim(p, "0123456789") == "":
		return apperr.Field(field, apperr.T("Use letters as well as digits", "密码不能只含数字"))
	}
	return nil
}

// randomToken returns a URL-safe random token and its SHA-256 (what the database keeps).
func randomToken(prefix string) (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, TokenHash(token)
}

// TokenHash is how session and API tokens are stored: only their SHA-256.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

var errBadLogin = apperr.New(apperr.Unauthenticated,
	apperr.T("Wrong username or password", "用户名或密码错误"))

// LoginResult is a new session: the cookie value and when it ends.
type LoginResult struct {
	Token     string
	ExpiresAt time.Time
	Actor     Actor
}

// Login checks a username and password, throttling failures per account and per client address,
// and opens a server-side session. Every failure and success is audited.
func (s *Service) Login(ctx context.Context, username, password, ip, userAgent string) (*LoginResult, error) {
	username = strings.TrimSpace(strings.ToLower(username))
	now := s.now()
	userKey, ipKey := "user:"+username, "ip:"+ip
	if until, locked, err := s.lockedUntil(ctx, userKey, ipKey); err != nil {
		return nil, err
	} else if locked {
		mins := int(until.Sub(now).Minutes()) + 1
		return nil, apperr.New(apperr.Forbidden, apperr.Tf(
			"Too many failed logins. Try again in %d minute(s).", "登录失败次数过多，请 %d 分钟后再试。", mins))
	}
	var u models.User
	err := s.db.WithContext(ctx).Where("username = ?", username).Take(&u).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.Wrap(err, "load user")
	}
	ok := err == nil && !u.Disabled && bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil
	if err != nil {
		// Spend the same time as a real comparison so timing does not reveal which names exist.
		_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
	}
	if !ok {
		if ferr := s.loginFailed(ctx, userKey, ipKey, username, ip, u.ID); ferr != nil {
			return nil, ferr
		}
		return nil, errBadLogin
	}
	actor := actorOf(&u)
	actor.Day = s.EntrustmentToday()
	token, hash := randomToken("")
	sess := models.Session{
		ID: hash, UserID: u.ID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.Policy.AbsoluteTimeout), IP: ip, UserAgent: truncate(userAgent, 250),
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&sess).Error; err != nil {
			return err
		}
		if err := tx.Where("key IN ?", []string{userKey, ipKey}).Delete(&models.LoginThrottle{}).Error; err != nil {
			return err
		}
		if err := tx.Model(&models.User{}).Where("id = ?", u.ID).Update("last_login_at", now).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "user", strconv.FormatInt(u.ID, 10), "login", nil, map[string]string{"ip": ip})
	})
	if err != nil {
		return nil, apperr.Wrap(err, "open session")
	}
	actor.SessionID = hash
	return &LoginResult{Token: token, ExpiresAt: sess.ExpiresAt, Actor: actor}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// lockedUntil reports whether the account or the address is locked.
func (s *Service) lockedUntil(ctx context.Context, keys ...string) (time.Time, bool, error) {
	var rows []models.LoginThrottle
	if err := s.db.WithContext(ctx).Where("key IN ?", keys).Find(&rows).Error; err != nil {
		return time.Time{}, false, apperr.Wrap(err, "load throttle")
	}
	now := s.now()
	var until time.Time
	for _, r := range rows {
		if r.LockedUntil != nil && r.LockedUntil.After(now) && r.LockedUntil.After(until) {
			until = *r.LockedUntil
		}
	}
	return until, !until.IsZero(), nil
}

// loginFailed counts a failure for the account and the address, locks them past the limits,
// and audits the attempt.
func (s *Service) loginFailed(ctx context.Context, userKey, ipKey, username, ip string, userID int64) error {
	now := s.now()
	return apperr.Wrap(s.tx(ctx, func(tx *gorm.DB) error {
		for _, k := range []struct {
			key   string
			limit int
		}{{userKey, s.Policy.MaxFailures}, {ipKey, s.Policy.IPMaxFailures}} {
			if err := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "key"}},
				DoUpdates: clause.Assignments(map[string]any{"failures": gorm.Expr("login_throttles.failures + 1"), "updated_at": now}),
			}).Create(&models.LoginThrottle{Key: k.key, Failures: 1, UpdatedAt: now}).Error; err != nil {
				return err
			}
			lock := now.Add(s.Policy.LockFor)
			if err := tx.Model(&models.LoginThrottle{}).Where("key = ? AND failures >= ?", k.key, k.limit).
				Updates(map[string]any{"locked_until": lock, "failures": 0}).Error; err != nil {
				return err
			}
		}
		rec := models.AuditRecord{RequestID: requestID(ctx), Entity: "user", EntityID: username, Action: "login_failed",
			New: map[string]string{"ip": ip}}
		if userID != 0 {
			rec.ActorUserID = &userID
			rec.EntityID = strconv.FormatInt(userID, 10)
		}
		return models.AppendAudit(tx, now, rec)
	}), "record failed login")
}

func actorOf(u *models.User) Actor {
	a := Actor{UserID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, Lang: u.Lang}
	if u.MerchantID != nil {
		a.MerchantID = *u.MerchantID
	}
	if u.AgentID != nil {
		a.AgentID = *u.AgentID
	}
	if a.DisplayName == "" {
		a.DisplayName = u.Username
	}
	return a
}

// SessionActor returns the user behind a session cookie, ending sessions that are past their
// idle or absolute expiry, and refreshing last-seen at most once per TouchEvery.
func (s *Service) SessionActor(ctx context.Context, token string) (Actor, error) {
	if token == "" {
		return Actor{}, errNoSession
	}
	hash := TokenHash(token)
	var sess models.Session
	if err := s.db.WithContext(ctx).Where("id = ?", hash).Take(&sess).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return Actor{}, errNoSession
		}
		return Actor{}, apperr.Wrap(err, "load session")
	}
	now := s.now()
	if now.After(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > s.Policy.IdleTimeout {
		_ = s.db.WithContext(ctx).Where("id = ?", hash).Delete(&models.Session{}).Error
		return Actor{}, errSessionExpired
	}
	var u models.User
	if err := s.db.WithContext(ctx).Where("id = ?", sess.UserID).Take(&u).Error; err != nil {
		return Actor{}, apperr.Wrap(err, "load session user")
	}
	if u.Disabled {
		return Actor{}, errNoSession
	}
	if now.Sub(sess.LastSeenAt) >= s.Policy.TouchEvery {
		if err := s.db.WithContext(ctx).Model(&models.Session{}).Where("id = ?", hash).Update("last_seen_at", now).Error; err != nil {
			return Actor{}, apperr.Wrap(err, "touch session")
		}
	}
	a := actorOf(&u)
	a.SessionID = hash
	a.Day = s.EntrustmentToday()
	return a, nil
}

var (
	errNoSession      = apperr.New(apperr.Unauthenticated, apperr.T("Please log in", "请先登录"))
	errSessionExpired = apperr.New(apperr.Unauthenticated, apperr.T("Your session has ended. Please log in again.", "会话已过期，请重新登录。"))
)

// Logout ends the actor's current session.
func (s *Service) Logout(ctx context.Context, actor Actor) error {
	return apperr.Wrap(s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", actor.SessionID).Delete(&models.Session{}).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "user", strconv.FormatInt(actor.UserID, 10), "logout", nil, nil)
	}), "logout")
}

// LogoutEverywhere ends every session of the actor's user, on every device.
func (s *Service) LogoutEverywhere(ctx context.Context, actor Actor) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("user_id = ?", actor.UserID).Delete(&models.Session{})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		return s.audit(ctx, tx, actor, "user", strconv.FormatInt(actor.UserID, 10), "logout_everywhere", nil, map[string]int64{"sessions": n})
	})
	return n, apperr.Wrap(err, "logout everywhere")
}

// ChangePassword checks the current password, stores the new one and ends every other session.
func (s *Service) ChangePassword(ctx context.Context, actor Actor, current, next, confirm string) error {
	var fe apperr.Fields
	var u models.User
	if err := s.db.WithContext(ctx).Where("id = ?", actor.UserID).Take(&u).Error; err != nil {
		return models.Translate(err, apperr.T("User", "用户"))
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(current)) != nil {
		fe.Add("current", apperr.T("The current password is not right", "当前密码不正确"))
	}
	if err := checkPassword("new", next); err != nil {
		fe = append(fe, apperr.As(err).Fields...)
	} else if next == current {
		fe.Add("new", apperr.T("Choose a password different from the current one", "新密码不能与当前密码相同"))
	}
	if next != confirm {
		fe.Add("confirm", apperr.T("The two new passwords differ", "两次输入的新密码不一致"))
	}
	if err := fe.Err(); err != nil {
		return err
	}
	hash, err := HashPassword(next, s.Policy.BcryptCost)
	if err != nil {
		return err
	}
	now := s.now()
	return apperr.Wrap(s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&models.User{}).Where("id = ?", u.ID).
			Updates(map[string]any{"password_hash": hash, "password_changed_at": now, "updated_at": now, "version": gorm.Expr("version + 1")}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ? AND id <> ?", u.ID, actor.SessionID).Delete(&models.Session{}).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "user", strconv.FormatInt(u.ID, 10), "password_change", nil, nil)
	}), "change password")
}

// tokenPrefix marks mpt API tokens so they are recognisable in logs and secret scanners.
const tokenPrefix = "mpt_"

// CreatedToken is a new API token; Token is shown once and never stored.
type CreatedToken struct {
	Token string
	Row   models.APIToken
}

// CreateAPIToken makes a bearer token for /api/v1 carrying the actor's role and scope.
func (s *Service) CreateAPIToken(ctx context.Context, actor Actor, name string) (*CreatedToken, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 60 {
		return nil, apperr.Field("name", apperr.T("Give the token a name of 1–60 characters, e.g. the system that will use it", "请为令牌命名（1–60 个字符），例如使用它的系统"))
	}
	token, hash := randomToken(tokenPrefix)
	row := models.APIToken{UserID: actor.UserID, Name: name, Prefix: token[:len(tokenPrefix)+6], TokenHash: hash, CreatedAt: s.now()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "api_token", strconv.FormatInt(row.ID, 10), "create", nil, map[string]string{"name": name, "prefix": row.Prefix})
	})
	if err != nil {
		return nil, apperr.Wrap(err, "create token")
	}
	return &CreatedToken{Token: token, Row: row}, nil
}

// APITokens lists the actor's tokens, newest first.
func (s *Service) APITokens(ctx context.Context, actor Actor) ([]models.APIToken, error) {
	var rows []models.APIToken
	err := s.db.WithContext(ctx).Where("user_id = ?", actor.UserID).Order("id DESC").Find(&rows).Error
	return rows, apperr.Wrap(err, "list tokens")
}

// RevokeAPIToken revokes one of the actor's own tokens; another user's token is "not found".
func (s *Service) RevokeAPIToken(ctx context.Context, actor Actor, id int64) error {
	now := s.now()
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&models.APIToken{}).Where("id = ? AND user_id = ? AND revoked_at IS NULL", id, actor.UserID).Update("revoked_at", now)
		if res.Error != nil {
			return apperr.Wrap(res.Error, "revoke token")
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.NotFound, apperr.T("Token not found", "未找到该令牌"))
		}
		return s.audit(ctx, tx, actor, "api_token", strconv.FormatInt(id, 10), "revoke", nil, nil)
	})
}

// TokenActor returns the user behind a bearer token; revoked, expired and unknown tokens and
// disabled users are refused alike.
func (s *Service) TokenActor(ctx context.Context, token string) (Actor, error) {
	bad := apperr.New(apperr.Unauthenticated, apperr.T("Invalid or revoked API token", "API 令牌无效或已吊销"))
	if !strings.HasPrefix(token, tokenPrefix) {
		return Actor{}, bad
	}
	var t models.APIToken
	if err := s.db.WithContext(ctx).Where("token_hash = ?", TokenHash(token)).Take(&t).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return Actor{}, bad
		}
		return Actor{}, apperr.Wrap(err, "load token")
	}
	now := s.now()
	if t.RevokedAt != nil || (t.ExpiresAt != nil && now.After(*t.ExpiresAt)) {
		return Actor{}, bad
	}
	var u models.User
	if err := s.db.WithContext(ctx).Where("id = ?", t.UserID).Take(&u).Error; err != nil || u.Disabled {
		return Actor{}, bad
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= s.Policy.TouchEvery {
		_ = s.db.WithContext(ctx).Model(&models.APIToken{}).Where("id = ?", t.ID).Update("last_used_at", now).Error
	}
	a := actorOf(&u)
	a.Day = s.EntrustmentToday()
	return a, nil
}

// dummyHash is a bcrypt hash at the policy's cost, compared against when a username does not
// exist so that a failed login takes as long either way.
func (s *Service) dummyHash() []byte {
	s.dummyOnce.Do(func() {
		s.dummy, _ = bcrypt.GenerateFromPassword([]byte("not a password"), s.Policy.BcryptCost)
	})
	return s.dummy
}

// ActAs returns an enabled user as the service sees them, without a password: for trusted
// in-process callers only (the demo loader, the load generator), never reachable over HTTP.
func (s *Service) ActAs(ctx context.Context, username string) (Actor, error) {
	var u models.User
	if err := s.db.WithContext(ctx).Where("username = ? AND disabled = ?", username, false).Take(&u).Error; err != nil {
		return Actor{}, apperr.Wrap(err, "act as "+username)
	}
	a := actorOf(&u)
	a.Day = s.EntrustmentToday()
	return a, nil
}
