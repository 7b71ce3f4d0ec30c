package workflow_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// addNotifications writes n notifications for a user, one minute apart, the newest last.
func addNotifications(t *testing.T, db *gorm.DB, userID int64, n int, kind string) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range n {
		row := models.Notification{UserID: userID, Kind: kind, TextEn: fmt.Sprintf("Note %d", i), TextZh: fmt.Sprintf("通知 %d", i),
			Link: fmt.Sprintf("/declarations/%d", i+1), CreatedAt: testkit.Now.Add(time.Duration(i) * time.Minute)}
		if err := db.Create(&row).Error; err != nil {
			t.Fatal(err)
		}
		ids[i] = row.ID
	}
	return ids
}

// TestNotificationsScoping: a user lists only their own notifications, newest first, a page at
// a time, unread only if asked; reading one marks it read once (another user's answers
// NotFound and stays unread); read-all marks the rest; nobody has none.
func TestNotificationsScoping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := testkit.Seed(t, db)
		now := testkit.Now.Add(time.Hour)
		svc := servicetest.Service(t, db, func() time.Time { return now })
		ctx := context.Background()
		a, b := servicetest.Actor(t, w, testkit.UserMerchantA), servicetest.Actor(t, w, testkit.UserMerchantB)
		mine := addNotifications(t, db, a.UserID, workflow.NotificationsPerPage+5, "mine")
		theirs := addNotifications(t, db, b.UserID, 2, "theirs")

		list, err := svc.Notifications(ctx, a, workflow.NotificationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if list.Total != int64(len(mine)) || list.Unread != int64(len(mine)) || list.Pages != 2 || len(list.Items) != workflow.NotificationsPerPage ||
			list.Items[0].ID != mine[len(mine)-1] {
			t.Fatalf("page 1: total %d unread %d pages %d items %d first %d", list.Total, list.Unread, list.Pages, len(list.Items), list.Items[0].ID)
		}
		page2, err := svc.Notifications(ctx, a, workflow.NotificationFilter{Page: 2})
		if err != nil || len(page2.Items) != 5 || page2.Items[4].ID != mine[0] {
			t.Fatalf("page 2: %+v %v", page2, err)
		}
		for _, l := range []*workflow.NotificationList{list, page2} {
			for _, n := range l.Items {
				if n.UserID != a.UserID {
					t.Fatalf("merchant-a sees %+v", n)
				}
			}
		}

		if _, err := svc.ReadNotification(ctx, a, theirs[0]); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("reading another's: %v", err)
		}
		if n, _ := svc.UnreadNotifications(ctx, b); n != 2 {
			t.Errorf("merchant-b unread %d after merchant-a tried to read", n)
		}
		read, err := svc.ReadNotification(ctx, a, mine[3])
		if err != nil || read.ReadAt == nil || !read.ReadAt.Equal(now) || read.Link != "/declarations/4" {
			t.Fatalf("read %+v %v", read, err)
		}
		now = now.Add(time.Hour)
		again, err := svc.ReadNotification(ctx, a, mine[3])
		if err != nil || !again.ReadAt.Equal(now.Add(-time.Hour)) {
			t.Fatalf("read again %+v %v", again, err)
		}
		if n, _ := svc.UnreadNotifications(ctx, a); n != int64(len(mine)-1) {
			t.Errorf("unread %d", n)
		}
		unread, err := svc.Notifications(ctx, a, workflow.NotificationFilter{Unread: true, Page: 2})
		if err != nil || unread.Total != int64(len(mine)-1) || len(unread.Items) != 4 {
			t.Fatalf("unread page 2: %+v %v", unread, err)
		}

		n, err := svc.ReadAllNotifications(ctx, a)
		if err != nil || n != int64(len(mine)-1) {
			t.Fatalf("read all: %d %v", n, err)
		}
		if n, _ := svc.UnreadNotifications(ctx, a); n != 0 {
			t.Errorf("unread after read-all: %d", n)
		}
		if n, _ := svc.UnreadNotifications(ctx, b); n != 2 {
			t.Errorf("merchant-b unread after merchant-a's read-all: %d", n)
		}
		if n, err := svc.UnreadNotifications(ctx, workflow.Actor{}); n != 0 || err != nil {
			t.Errorf("nobody: %d %v", n, err)
		}
		if _, err := svc.Notifications(ctx, workflow.Actor{}, workflow.NotificationFilter{}); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("nobody lists: %v", err)
		}
	})
}

// TestLocalLink: only paths of this site are followed.
func TestLocalLink(t *testing.T) {
	for in, want := range map[string]string{
		"/declarations/12": "/declarations/12", "/merchants/3?tab=x": "/merchants/3?tab=x", "": "",
		"//evil.example.com": "", "/\\evil.example.com": "", "https://evil.example.com": "", "javascript:alert(1)": "",
		"declarations/12": "", "/a\r\nLocation: x": "",
	} {
		if got := workflow.LocalLink(in); got != want {
			t.Errorf("LocalLink(%q) = %q, want %q", in, got, want)
		}
	}
}
