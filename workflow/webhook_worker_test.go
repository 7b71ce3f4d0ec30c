package workflow_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// TestWebhookBackoff: 30 s doubled after each failed attempt, at most 6 h, plus 0–10% jitter
// that is the same for the same event and attempt.
func TestWebhookBackoff(t *testing.T) {
	tests := []struct {
		attempts int
		base     time.Duration
	}{
		{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {5, 8 * time.Minute},
		{9, 128 * time.Minute}, {10, 256 * time.Minute}, {11, 6 * time.Hour}, {40, 6 * time.Hour},
	}
	for _, tc := range tests {
		got := workflow.WebhookBackoff(tc.attempts, "ev1")
		if got < tc.base || got >= tc.base+tc.base/10 {
			t.Errorf("after %d attempts: %s, want %s plus under 10%%", tc.attempts, got, tc.base)
		}
		if again := workflow.WebhookBackoff(tc.attempts, "ev1"); again != got {
			t.Errorf("after %d attempts: %s then %s", tc.attempts, got, again)
		}
	}
}

// TestVerifyWebhookSignature: the signature of the exact body under the secret verifies; another
// secret, a changed body or a malformed header does not.
func TestVerifyWebhookSignature(t *testing.T) {
	secret, body := []byte(strings.Repeat("ab", 32)), []byte(`{"id":"1","kind":"webhook.ping"}`)
	sig := workflow.SignWebhook(secret, body)
	tests := []struct {
		name   string
		secret []byte
		body   []byte
		header string
		want   bool
	}{
		{"OK", secret, body, sig, true},
		{"OKSpaces", secret, body, " " + sig + " ", true},
		{"ErrOtherSecret", []byte(strings.Repeat("cd", 32)), body, sig, false},
		{"ErrChangedBody", secret, []byte(`{"id":"1","kind":"webhook.pong"}`), sig, false},
		{"ErrNoPrefix", secret, body, strings.TrimPrefix(sig, "sha256="), false},
		{"ErrOtherAlgorithm", secret, body, "sha1=" + strings.TrimPrefix(sig, "sha256="), false},
		{"ErrShort", secret, body, sig[:len(sig)-2], false},
		{"ErrNotHex", secret, body, "sha256=" + strings.Repeat("zz", 32), false},
		{"ErrEmpty", secret, body, "", false},
	}
	for _, tc := range tests {
		if got := workflow.VerifyWebhookSignature(tc.secret, tc.body, tc.header); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}

// receiver is an agent's webhook endpoint in a test: it records what it got and answers
// with the status it is told.
type receiver struct {
	srv    *httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	got    []received
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.status.Store(http.StatusOK)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.Header.Clone(), body})
		r.mu.Unlock()
		w.WriteHeader(int(r.status.Load()))
		_, _ = io.WriteString(w, "receiver says\nno")
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// hookWorld is a service with a movable clock in development mode (so a webhook may point
// at a local test server) and agent-x's actor.
type hookWorld struct {
	svc   *workflow.Service
	db    *gorm.DB
	clock *time.Time
	x     workflow.Actor
}

func newHookWorld(t *testing.T, db *gorm.DB) *hookWorld {
	w := testkit.Seed(t, db)
	now := testkit.Now
	var mu sync.Mutex
	svc := servicetest.Service(t, db, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	svc.WebhookPolicy.AllowLocalHTTP = true
	return &hookWorld{svc: svc, db: db, clock: &now, x: servicetest.Actor(t, w, testkit.UserAgentX)}
}

func (h *hookWorld) register(t *testing.T, url string) *workflow.CreatedWebhook {
	t.Helper()
	c, err := h.svc.RegisterWebhook(context.Background(), h.x, workflow.WebhookInput{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (h *hookWorld) ping(t *testing.T, id int64) *models.WebhookDelivery {
	t.Helper()
	d, err := h.svc.PingWebhook(context.Background(), h.x, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (h *hookWorld) delivery(t *testing.T, id int64) models.WebhookDelivery {
	t.Helper()
	var d models.WebhookDelivery
	if err := h.db.Take(&d, id).Error; err != nil {
		t.Fatal(err)
	}
	return d
}

func (h *hookWorld) deliver(t *testing.T, client *http.Client) (int, int) {
	t.Helper()
	sent, failed, err := h.svc.DeliverWebhooks(context.Background(), client, 10)
	if err != nil {
		t.Fatal(err)
	}
	return sent, failed
}

// TestDeliverWebhookOK: a due delivery is POSTed once with its event, delivery id and a
// signature that verifies under the webhook's secret; 2xx makes it delivered.
func TestDeliverWebhookOK(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHookWorld(t, db)
		r := newReceiver(t)
		hook := h.register(t, r.srv.URL+"/events")
		d := h.ping(t, hook.Webhook.ID)
		if sent, failed := h.deliver(t, r.srv.Client()); sent != 1 || failed != 0 {
			t.Fatalf("sent %d failed %d", sent, failed)
		}
		got := r.received()
		if len(got) != 1 {
			t.Fatalf("received %d", len(got))
		}
		hd := got[0].header
		if hd.Get("Content-Type") != "application/json" || hd.Get("X-MPT-Event") != "webhook.ping" || hd.Get("X-MPT-Delivery") != d.EventID {
			t.Errorf("headers %v", hd)
		}
		if string(got[0].body) != d.PayloadJSON || !workflow.VerifyWebhookSignature([]byte(hook.Secret), got[0].body, hd.Get("X-MPT-Signature")) {
			t.Errorf("body %s does not verify with %s", got[0].body, hd.Get("X-MPT-Signature"))
		}
		after := h.delivery(t, d.ID)
		if after.Status != models.DeliveryDelivered || after.Attempts != 1 || after.LastStatusCode != 200 || after.LastError != "" ||
			after.DeliveredAt == nil || !after.DeliveredAt.Equal(testkit.Now) {
			t.Errorf("after %+v", after)
		}
		if sent, failed := h.deliver(t, r.srv.Client()); sent+failed != 0 || len(r.received()) != 1 {
			t.Errorf("delivered again: %d %d", sent, failed)
		}
	})
}

// TestDeliverWebhookRetries: a 500 answer is kept (status and the body's start) and retried
// after a growing wait on the service clock, nothing is sent before it is due, the delivery
// fails after WebhookMaxAttempts, and a resend sends it again.
func TestDeliverWebhookRetries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHookWorld(t, db)
		r := newReceiver(t)
		r.status.Store(http.StatusInternalServerError)
		hook := h.register(t, r.srv.URL)
		d := h.ping(t, hook.Webhook.ID)
		var lastWait time.Duration
		for attempt := 1; attempt <= workflow.WebhookMaxAttempts; attempt++ {
			if sent, failed := h.deliver(t, r.srv.Client()); sent != 0 || failed != 1 {
				t.Fatalf("attempt %d: sent %d failed %d", attempt, sent, failed)
			}
			got := h.delivery(t, d.ID)
			if got.Attempts != attempt || got.LastStatusCode != 500 || !strings.HasPrefix(got.LastError, "HTTP 500") ||
				!strings.Contains(got.LastError, "receiver says no") {
				t.Fatalf("attempt %d: %+v", attempt, got)
			}
			if attempt == workflow.WebhookMaxAttempts {
				if got.Status != models.DeliveryFailed {
					t.Fatalf("after %d attempts: %s", attempt, got.Status)
				}
				break
			}
			wait := got.NextAttemptAt.Sub(*h.clock)
			if got.Status != models.DeliveryPending || wait != workflow.WebhookBackoff(attempt, d.EventID) || wait <= lastWait {
				t.Fatalf("attempt %d: %s, wait %s after %s", attempt, got.Status, wait, lastWait)
			}
			lastWait = wait
			*h.clock = got.NextAttemptAt.Add(-time.Second)
			if sent, failed := h.deliver(t, r.srv.Client()); sent+failed != 0 {
				t.Fatalf("attempt %d: sent before due", attempt)
			}
			*h.clock = got.NextAttemptAt
		}
		if n := len(r.received()); n != workflow.WebhookMaxAttempts {
			t.Fatalf("received %d", n)
		}
		*h.clock = h.clock.Add(24 * time.Hour)
		if sent, failed := h.deliver(t, r.srv.Client()); sent+failed != 0 {
			t.Fatal("a failed delivery was sent again")
		}
		r.status.Store(http.StatusNoContent)
		if _, err := h.svc.ResendWebhookDelivery(context.Background(), h.x, hook.Webhook.ID, d.ID); err != nil {
			t.Fatal(err)
		}
		if sent, failed := h.deliver(t, r.srv.Client()); sent != 1 || failed != 0 {
			t.Fatalf("resend: sent %d failed %d", sent, failed)
		}
		if got := h.delivery(t, d.ID); got.Status != models.DeliveryDelivered || got.Attempts != 1 || got.LastStatusCode != 204 {
			t.Fatalf("after resend %+v", got)
		}
	})
}

// TestDeliverWebhookDisabledWaits: a disabled webhook's pending deliveries wait; enabled
// again, they are sent.
func TestDeliverWebhookDisabledWaits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHookWorld(t, db)
		r := newReceiver(t)
		hook := h.register(t, r.srv.URL)
		d := h.ping(t, hook.Webhook.ID)
		ctx := context.Background()
		if err := h.svc.SetWebhookActive(ctx, h.x, hook.Webhook.ID, false, 1); err != nil {
			t.Fatal(err)
		}
		if sent, failed := h.deliver(t, r.srv.Client()); sent+failed != 0 || len(r.received()) != 0 {
			t.Fatal("sent to a disabled webhook")
		}
		if err := h.svc.SetWebhookActive(ctx, h.x, hook.Webhook.ID, true, 2); err != nil {
			t.Fatal(err)
		}
		if sent, _ := h.deliver(t, r.srv.Client()); sent != 1 || h.delivery(t, d.ID).Status != models.DeliveryDelivered {
			t.Fatal("not sent after enabling")
		}
	})
}

// TestWebhookClientRefusesLocalAddresses: the production client never connects to this
// machine (or another private address), even for a URL registered in development mode; the
// attempt fails with the reason.
func TestWebhookClientRefusesLocalAddresses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHookWorld(t, db)
		r := newReceiver(t)
		hook := h.register(t, r.srv.URL)
		d := h.ping(t, hook.Webhook.ID)
		if sent, failed := h.deliver(t, workflow.NewWebhookClient(workflow.WebhookPolicy{})); sent != 0 || failed != 1 {
			t.Fatalf("sent %d failed %d", sent, failed)
		}
		got := h.delivery(t, d.ID)
		if len(r.received()) != 0 || got.LastStatusCode != 0 || !strings.Contains(got.LastError, "not allowed") {
			t.Fatalf("%+v", got)
		}
		*h.clock = got.NextAttemptAt
		if sent, _ := h.deliver(t, workflow.NewWebhookClient(workflow.WebhookPolicy{AllowLocalHTTP: true})); sent != 1 {
			t.Fatal("the development client did not send")
		}
	})
}

// TestDeliverWebhooksConcurrentWorkers: several workers (as several instances would) deliver
// the same queue at once; every delivery is sent exactly once. Run with -race.
func TestDeliverWebhooksConcurrentWorkers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHookWorld(t, db)
		r := newReceiver(t)
		const events = 24
		hooks := []int64{h.register(t, r.srv.URL+"/a").Webhook.ID, h.register(t, r.srv.URL+"/b").Webhook.ID}
		for i := range events {
			h.ping(t, hooks[i%2])
		}
		var wg sync.WaitGroup
		var delivered atomic.Int64
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for delivered.Load() < events {
					sent, _, err := h.svc.DeliverWebhooks(context.Background(), r.srv.Client(), 5)
					if err != nil {
						errs <- err
						return
					}
					delivered.Add(int64(sent))
					var left int64
					if err := db.Model(&models.WebhookDelivery{}).Where("status = ?", models.DeliveryPending).Count(&left).Error; err != nil {
						errs <- err
						return
					}
					if left == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, g := range r.received() {
			seen[g.header.Get("X-MPT-Delivery")+g.header.Get("X-MPT-Event")]++
		}
		if delivered.Load() != events || len(r.received()) != events || len(seen) != events {
			t.Fatalf("delivered %d, received %d, distinct %d; want %d", delivered.Load(), len(r.received()), len(seen), events)
		}
		var n int64
		db.Model(&models.WebhookDelivery{}).Where("status = ? AND attempts = 1", models.DeliveryDelivered).Count(&n)
		if n != events {
			t.Fatalf("%d delivered with one attempt, want %d", n, events)
		}
	})
}

// TestDeliverWebhooksFairShare: a receiver with a long backlog that keeps failing does not
// hold up another webhook's deliveries queued after it; within a batch, the failing webhook is
// tried once, not once per waiting delivery.
func TestDeliverWebhooksFairShare(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHookWorld(t, db)
		dead, alive := newReceiver(t), newReceiver(t)
		dead.status.Store(http.StatusServiceUnavailable)
		deadHook := h.register(t, dead.srv.URL).Webhook.ID
		for range 12 {
			h.ping(t, deadHook)
		}
		d := h.ping(t, h.register(t, alive.srv.URL).Webhook.ID)
		sent, failed, err := h.svc.DeliverWebhooks(context.Background(), http.DefaultClient, 4)
		if err != nil {
			t.Fatal(err)
		}
		if sent != 1 || failed != 1 || len(dead.received()) != 1 || h.delivery(t, d.ID).Status != models.DeliveryDelivered {
			t.Fatalf("sent %d failed %d, dead received %d", sent, failed, len(dead.received()))
		}
	})
}
