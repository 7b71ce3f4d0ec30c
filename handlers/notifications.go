package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// notificationRoutes registers the pages and API of in-app notifications and webhooks (issue 6).
func (s *Server) notificationRoutes() {
	get, post := http.MethodGet, http.MethodPost
	s.handle(get, "/notifications", workflow.Authenticated, s.notificationList)
	s.handle(get, "/notifications/:id", workflow.Authenticated, s.notificationOpen)
	s.handle(post, "/notifications/:id/read", workflow.Authenticated, s.notificationRead)
	s.handle(post, "/notifications/read-all", workflow.Authenticated, s.notificationReadAll)

	s.handle(get, "/api/v1/notifications", workflow.Authenticated, s.apiNotifications)
	s.handle(post, "/api/v1/notifications/:id/read", workflow.Authenticated, s.apiNotificationRead)
	s.handle(post, "/api/v1/notifications/read-all", workflow.Authenticated, s.apiNotificationReadAll)

	s.webhookRoutes() // notifications_webhooks.go
}

// unreadCount is the number on the bell: one indexed COUNT per page for a logged-in user. A
// failure is logged and shows no number; the page itself still renders.
func (s *Server) unreadCount(c echo.Context, actor workflow.Actor) int64 {
	if actor.Anonymous() {
		return 0
	}
	n, err := s.svc.UnreadNotifications(c.Request().Context(), actor)
	if err != nil {
		s.deps.Log.Warn("count unread notifications", "err", err, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		return 0
	}
	return n
}

// UnreadBadge is the bell's number: the unread count, "99+" above 99.
func (p Page) UnreadBadge() string {
	if p.Unread > 99 {
		return "99+"
	}
	return strconv.FormatInt(p.Unread, 10)
}

// BellLabel names the bell link for screen readers, with the unread count.
func (p Page) BellLabel() string {
	if p.Unread == 0 {
		return p.T("notify.bell")
	}
	return strings.Replace(p.T("notify.bell_unread"), "{n}", strconv.FormatInt(p.Unread, 10), 1)
}

// OnNotifications reports whether the page is the notification list (for the bell's
// aria-current).
func (p Page) OnNotifications() bool {
	path, _, _ := strings.Cut(p.Path, "?")
	return path == "/notifications"
}

// notificationFilterRequest selects a page of the notification list.
type notificationFilterRequest struct {
	Unread bool `query:"unread"`
	Page   int  `query:"page" validate:"min=0,max=1000000"`
}

// NotificationListPage is the user's notification list.
type NotificationListPage struct {
	Page
	Filter notificationFilterRequest
	List   *workflow.NotificationList
}

// Text is a notification's sentence in the page's language.
func (p NotificationListPage) Text(n models.Notification) string { return notificationText(p.Lang, n) }

func notificationText(lang string, n models.Notification) string {
	if lang == "en" {
		return n.TextEn
	}
	return n.TextZh
}

// KindLabel names a notification's kind in the page's language, or "" when it has no name.
func (p NotificationListPage) KindLabel(kind string) string {
	if l := p.T("notify.kind." + kind); l != "notify.kind."+kind {
		return l
	}
	return ""
}

// PageURL links to page n of the list with the same filter.
func (p NotificationListPage) PageURL(n int) string {
	q := url.Values{}
	if p.Filter.Unread {
		q.Set("unread", "1")
	}
	if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	if len(q) == 0 {
		return "/notifications"
	}
	return "/notifications?" + q.Encode()
}

// PrevURL and NextURL link to the neighbouring pages.
func (p NotificationListPage) PrevURL() string { return p.PageURL(p.List.Page - 1) }

// NextURL links to the next page.
func (p NotificationListPage) NextURL() string { return p.PageURL(p.List.Page + 1) }

func (s *Server) notificationList(c echo.Context) error {
	var f notificationFilterRequest
	if err := s.bind(c, &f); err != nil {
		return err
	}
	list, err := s.svc.Notifications(c.Request().Context(), actorOf(c), workflow.NotificationFilter{Unread: f.Unread, Page: f.Page})
	if err != nil {
		return err
	}
	p := NotificationListPage{Page: s.page(c), Filter: f, List: list}
	p.Unread = list.Unread // counted just now
	return s.render(c, "notification_list", p)
}

// notificationOpen marks a notification read and follows its link (a path of this site; the
// list otherwise).
func (s *Server) notificationOpen(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	n, err := s.svc.ReadNotification(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	to := workflow.LocalLink(n.Link)
	if to == "" {
		to = "/notifications"
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// notificationRead marks a notification read and returns to the list page it was on.
func (s *Server) notificationRead(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := s.svc.ReadNotification(c.Request().Context(), actorOf(c), id); err != nil {
		return err
	}
	return s.redirect(c, notificationBack(c.FormValue("back")), apperr.Text{})
}

func (s *Server) notificationReadAll(c echo.Context) error {
	n, err := s.svc.ReadAllNotifications(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	return s.redirect(c, "/notifications", apperr.Tf("%d notification(s) marked as read", "已将 %d 条通知标为已读", n))
}

// notificationBack is where a form on the list returns: the list page it names, or the list.
func notificationBack(back string) string {
	if back == "/notifications" || strings.HasPrefix(back, "/notifications?") {
		if workflow.LocalLink(back) != "" {
			return back
		}
	}
	return "/notifications"
}

// notificationJSON is a notification in the API: its text in both languages.
type notificationJSON struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	Text      string     `json:"text"` // in the request's language
	TextEn    string     `json:"text_en"`
	TextZh    string     `json:"text_zh"`
	Link      string     `json:"link"`
	Entity    string     `json:"entity"`
	EntityID  string     `json:"entity_id"`
	ReadAt    *time.Time `json:"read_at"`
	CreatedAt time.Time  `json:"created_at"`
}

func toNotificationJSON(lang string, n models.Notification) notificationJSON {
	return notificationJSON{ID: n.ID, Kind: n.Kind, Text: notificationText(lang, n), TextEn: n.TextEn, TextZh: n.TextZh,
		Link: n.Link, Entity: n.Entity, EntityID: n.EntityID, ReadAt: n.ReadAt, CreatedAt: n.CreatedAt}
}

type notificationListJSON struct {
	Items   []notificationJSON `json:"items"`
	Total   int64              `json:"total"`
	Unread  int64              `json:"unread"`
	Page    int                `json:"page"`
	Pages   int                `json:"pages"`
	PerPage int                `json:"per_page"`
}

func (s *Server) apiNotifications(c echo.Context) error {
	var f notificationFilterRequest
	if err := s.bind(c, &f); err != nil {
		return err
	}
	list, err := s.svc.Notifications(c.Request().Context(), actorOf(c), workflow.NotificationFilter{Unread: f.Unread, Page: f.Page})
	if err != nil {
		return err
	}
	out := notificationListJSON{Items: make([]notificationJSON, len(list.Items)), Total: list.Total, Unread: list.Unread,
		Page: list.Page, Pages: list.Pages, PerPage: list.PerPage}
	for i, n := range list.Items {
		out.Items[i] = toNotificationJSON(langOf(c), n)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiNotificationRead(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	n, err := s.svc.ReadNotification(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toNotificationJSON(langOf(c), *n))
}

func (s *Server) apiNotificationReadAll(c echo.Context) error {
	n, err := s.svc.ReadAllNotifications(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int64{"marked_read": n})
}
