package workflow

import (
	"context"
	"strings"

	"mpt/models"
	"mpt/workflow/apperr"
)

// NotificationsPerPage is the size of a page of a user's notification list.
const NotificationsPerPage = 30

// NotificationFilter selects a page of the actor's notifications.
type NotificationFilter struct {
	Unread bool // only those not read yet
	Page   int  // 1-based
}

// NotificationList is one page of a user's notifications, newest first, and how many of all
// of them are unread.
type NotificationList struct {
	Items   []models.Notification
	Total   int64 // matching the filter
	Unread  int64 // unread, whatever the filter
	Page    int
	Pages   int
	PerPage int
}

var notificationNoun = apperr.T("Notification", "通知")

// Notifications lists the actor's own notifications, newest first. Nobody sees another
// user's notifications.
//
// Notifications are kept: there is no purge yet. Reading one or all of them changes only the
// reader's own list and is not written to the audit log (it is no change to a trade record,
// and one audit entry per click would serialise every reader on the audit chain).
func (s *Service) Notifications(ctx context.Context, actor Actor, f NotificationFilter) (*NotificationList, error) {
	if err := actor.Require(Authenticated); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	out := &NotificationList{PerPage: NotificationsPerPage, Page: max(f.Page, 1)}
	if err := db.Model(&models.Notification{}).Where("user_id = ? AND read_at IS NULL", actor.UserID).
		Count(&out.Unread).Error; err != nil {
		return nil, apperr.Wrap(err, "count unread notifications")
	}
	if f.Unread {
		out.Total = out.Unread
	} else if err := db.Model(&models.Notification{}).Where("user_id = ?", actor.UserID).Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count notifications")
	}
	out.Pages = int((out.Total + NotificationsPerPage - 1) / NotificationsPerPage)
	q := db.Where("user_id = ?", actor.UserID)
	if f.Unread {
		q = q.Where("read_at IS NULL")
	}
	err := q.Order("id DESC").Limit(NotificationsPerPage).Offset((out.Page - 1) * NotificationsPerPage).Find(&out.Items).Error
	return out, apperr.Wrap(err, "list notifications")
}

// UnreadNotifications counts the actor's unread notifications (the number on the bell): one
// COUNT over the index on (user_id, read_at). Nobody has none.
func (s *Service) UnreadNotifications(ctx context.Context, actor Actor) (int64, error) {
	if actor.Anonymous() {
		return 0, nil
	}
	var n int64
	err := s.db.WithContext(ctx).Model(&models.Notification{}).Where("user_id = ? AND read_at IS NULL", actor.UserID).Count(&n).Error
	return n, apperr.Wrap(err, "count unread notifications")
}

// ReadNotification marks one of the actor's notifications read (once: reading it again keeps
// the first time) and returns it, so the page can follow its link. Another user's
// notification answers NotFound.
func (s *Service) ReadNotification(ctx context.Context, actor Actor, id int64) (*models.Notification, error) {
	if err := actor.Require(Authenticated); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	var n models.Notification
	if err := db.Where("id = ? AND user_id = ?", id, actor.UserID).Take(&n).Error; err != nil {
		return nil, models.Translate(err, notificationNoun)
	}
	if n.ReadAt == nil {
		now := s.now()
		res := db.Model(&models.Notification{}).Where("id = ? AND user_id = ? AND read_at IS NULL", id, actor.UserID).
			Update("read_at", now)
		if res.Error != nil {
			return nil, apperr.Wrap(res.Error, "mark notification read")
		}
		if res.RowsAffected == 1 {
			n.ReadAt = &now
		}
	}
	return &n, nil
}

// ReadAllNotifications marks every unread notification of the actor read and says how many.
func (s *Service) ReadAllNotifications(ctx context.Context, actor Actor) (int64, error) {
	if err := actor.Require(Authenticated); err != nil {
		return 0, err
	}
	res := s.db.WithContext(ctx).Model(&models.Notification{}).Where("user_id = ? AND read_at IS NULL", actor.UserID).
		Update("read_at", s.now())
	return res.RowsAffected, apperr.Wrap(res.Error, "mark notifications read")
}

// LocalLink returns a notification's link if it is a path of this site ("/declarations/12"),
// and "" otherwise, so following a notification can never lead to another site.
func LocalLink(link string) string {
	if !strings.HasPrefix(link, "/") || strings.HasPrefix(link, "//") || strings.HasPrefix(link, "/\\") ||
		strings.ContainsAny(link, "\\\r\n\t") {
		return ""
	}
	return link
}
