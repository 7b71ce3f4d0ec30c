package workflow

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"mpt/models"
	"mpt/workflow/apperr"
)

// The delivery schedule of webhooks. An attempt that does not answer 2xx within
// WebhookTimeout is retried after WebhookBackoff; after WebhookMaxAttempts the delivery is
// failed (the agent may resend it).
const (
	WebhookTimeout     = 10 * time.Second
	WebhookMaxAttempts = 10
	webhookBaseDelay   = 30 * time.Second
	webhookMaxDelay    = 6 * time.Hour
	// webhookLease is how long a claimed delivery is kept from other workers: far longer than
	// an attempt may take, so two workers never send it at once; a worker that died while
	// sending leaves it to the others after the lease.
	webhookLease = 2 * time.Minute
	// webhookSenders is how many deliveries one worker sends at once, and webhookPerHook how
	// many of one webhook's it takes into a batch (at most a quarter of the batch), so a slow
	// receiver cannot hold up the others.
	webhookSenders = 4
	webhookPerHook = 10
	// The headers of a delivery.
	HeaderWebhookEvent     = "X-MPT-Event"
	HeaderWebhookDelivery  = "X-MPT-Delivery"
	HeaderWebhookSignature = "X-MPT-Signature"
)

// WebhookBackoff is the wait after the attempts-th failed attempt: 30 s doubled after each
// failure (30 s, 1 min, 2 min, … ), at most 6 h, plus up to 10% jitter derived from the event
// id and the attempt, so that receivers coming back from an outage are not hit by every
// retry at the same moment, yet the schedule is reproducible.
func WebhookBackoff(attempts int, eventID string) time.Duration {
	d := webhookBaseDelay
	for i := 1; i < attempts && d < webhookMaxDelay; i++ {
		d *= 2
	}
	d = min(d, webhookMaxDelay)
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%d", eventID, attempts)
	return d + d*time.Duration(h.Sum32()%1000)/10000
}

// SignWebhook is the X-MPT-Signature header of a body: "sha256=" and the hex HMAC-SHA256 of
// the exact body bytes, keyed with the webhook's secret as shown to the agent (its 64 hex
// characters as text).
func SignWebhook(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhookSignature is what a receiver does with a delivery: it recomputes the HMAC of
// the body it received under its secret and compares it with the X-MPT-Signature header in
// constant time.
func VerifyWebhookSignature(secret, body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// NewWebhookClient is the HTTP client deliveries are sent with: a short timeout, no
// redirects followed (a 3xx answer is a failed attempt), no proxy, and a dialer that refuses
// every address the policy does not allow, checked after name resolution.
func NewWebhookClient(p WebhookPolicy) *http.Client {
	dialer := &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			if !webhookDialAllowed(p, address) {
				return errAddressRefused
			}
			return nil
		},
	}
	return &http.Client{
		Timeout: WebhookTimeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: WebhookTimeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

var errAddressRefused = errors.New("address not allowed for webhooks (private, local or reserved)")

// dueDelivery is a delivery due to be sent, with its webhook's URL and secret.
type dueDelivery struct {
	ID          int64
	WebhookID   int64
	Attempts    int
	EventID     string
	Kind        string
	PayloadJSON string
	URL         string
	Secret      string
}

// deliveryOutcome is what became of one due delivery.
type deliveryOutcome int

const (
	outcomeSkipped   deliveryOutcome = iota // claimed by another worker, or given back on shutdown
	outcomeDelivered                        // answered 2xx
	outcomeFailed                           // another answer or no answer: retried later, or failed for good
)

// DeliverWebhooks sends up to batch due deliveries (pending, next attempt now or earlier, of
// active webhooks) and records each outcome: 2xx → delivered; otherwise the attempt is
// counted with its HTTP status or error and retried after WebhookBackoff, or failed after
// WebhookMaxAttempts. It returns how many were delivered and how many attempts failed.
//
// Several workers (instances of mpt) may run at once: each delivery is claimed with a
// conditional UPDATE that counts the attempt and pushes its next attempt a lease ahead, on
// condition that its attempt count has not changed since it was read and that it is still
// due; only the worker whose UPDATE changed the row sends it, and it records the outcome only
// while its claim holds. No transaction is held while a request is in flight.
func (s *Service) DeliverWebhooks(ctx context.Context, client *http.Client, batch int) (sent, failed int, err error) {
	if batch <= 0 {
		batch = 50
	}
	due, err := s.dueDeliveries(ctx, batch)
	if err != nil {
		return 0, 0, err
	}

	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
		down     = map[int64]bool{} // webhooks that failed in this batch: their other deliveries wait
		sem      = make(chan struct{}, webhookSenders)
	)
	for _, d := range due {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		mu.Lock()
		skip := down[d.WebhookID]
		mu.Unlock()
		if skip {
			<-sem
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			out, err := s.deliverOne(ctx, client, d)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && firstErr == nil:
				firstErr = err
			case out == outcomeDelivered:
				sent++
			case out == outcomeFailed:
				failed++
				down[d.WebhookID] = true
			}
		}()
	}
	wg.Wait()
	return sent, failed, firstErr
}

// dueDeliveries picks up to batch due deliveries of active webhooks, oldest due first, taking
// at most a fair share of any one webhook (its oldest), so a receiver with a long backlog
// cannot crowd out the others. The payloads are loaded for the chosen ones only.
func (s *Service) dueDeliveries(ctx context.Context, batch int) ([]dueDelivery, error) {
	perHook := max(1, min(webhookPerHook, batch/4))
	db := s.db.WithContext(ctx)
	var ids []int64
	err := db.Raw(`SELECT id FROM (
		SELECT d.id, d.next_attempt_at,
		       ROW_NUMBER() OVER (PARTITION BY d.webhook_id ORDER BY d.next_attempt_at, d.id) AS n
		FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
		WHERE d.status = ? AND d.next_attempt_at <= ? AND w.active = ?
	) due WHERE n <= ? ORDER BY next_attempt_at, id LIMIT ?`,
		models.DeliveryPending, s.now(), true, perHook, batch).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		return nil, apperr.Wrap(err, "find due webhook deliveries")
	}
	var due []dueDelivery
	err = db.Table("webhook_deliveries AS d").
		Select("d.id, d.webhook_id, d.attempts, d.event_id, d.kind, d.payload_json, w.url, w.secret").
		Joins("JOIN webhooks w ON w.id = d.webhook_id").
		Where("d.id IN ?", ids).Order("d.next_attempt_at, d.id").Scan(&due).Error
	return due, apperr.Wrap(err, "load due webhook deliveries")
}

// deliverOne claims one delivery, sends it and records the outcome.
func (s *Service) deliverOne(ctx context.Context, client *http.Client, d dueDelivery) (deliveryOutcome, error) {
	db := s.db.WithContext(ctx)
	claimedAt := s.now()
	attempt := d.Attempts + 1
	res := db.Model(&models.WebhookDelivery{}).
		Where("id = ? AND status = ? AND attempts = ? AND next_attempt_at <= ?", d.ID, models.DeliveryPending, d.Attempts, claimedAt).
		Updates(map[string]any{"attempts": attempt, "next_attempt_at": claimedAt.Add(webhookLease), "updated_at": claimedAt})
	if res.Error != nil {
		return outcomeSkipped, apperr.Wrap(res.Error, "claim webhook delivery")
	}
	if res.RowsAffected != 1 {
		return outcomeSkipped, nil // another worker has it
	}

	code, problem := postWebhook(ctx, client, d)
	if ctx.Err() != nil {
		// Shutting down: give the claim back, uncounted, so the next start sends it at once.
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err := s.db.WithContext(bg).Model(&models.WebhookDelivery{}).
			Where("id = ? AND status = ? AND attempts = ?", d.ID, models.DeliveryPending, attempt).
			Updates(map[string]any{"attempts": d.Attempts, "next_attempt_at": s.now(), "updated_at": s.now()}).Error
		return outcomeSkipped, apperr.Wrap(err, "release webhook delivery")
	}

	now := s.now()
	set := map[string]any{"last_status_code": code, "last_error": problem, "updated_at": now}
	out := outcomeFailed
	switch {
	case problem == "":
		out = outcomeDelivered
		set["status"], set["delivered_at"], set["next_attempt_at"] = models.DeliveryDelivered, now, now
	case attempt >= WebhookMaxAttempts:
		set["status"], set["next_attempt_at"] = models.DeliveryFailed, now
	default:
		set["next_attempt_at"] = now.Add(WebhookBackoff(attempt, d.EventID))
	}
	res = db.Model(&models.WebhookDelivery{}).
		Where("id = ? AND status = ? AND attempts = ?", d.ID, models.DeliveryPending, attempt).Updates(set)
	if res.Error != nil {
		return outcomeSkipped, apperr.Wrap(res.Error, "record webhook delivery")
	}
	if res.RowsAffected != 1 {
		s.log.Warn("webhook delivery outcome not recorded: its claim expired", "delivery", d.ID, "event", d.EventID)
		return outcomeSkipped, nil
	}
	if out == outcomeDelivered {
		s.log.Debug("webhook delivered", "delivery", d.ID, "webhook", d.WebhookID, "kind", d.Kind, "status", code)
	} else {
		s.log.Info("webhook delivery failed", "delivery", d.ID, "webhook", d.WebhookID, "kind", d.Kind,
			"attempt", attempt, "status", code, "error", problem, "final", attempt >= WebhookMaxAttempts)
	}
	return out, nil
}

// postWebhook sends one delivery and returns the HTTP status (0 without an answer) and what
// went wrong ("" for a 2xx answer).
func postWebhook(ctx context.Context, client *http.Client, d dueDelivery) (int, string) {
	rctx, cancel := context.WithTimeout(ctx, WebhookTimeout)
	defer cancel()
	body := []byte(d.PayloadJSON)
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return 0, clip("invalid request: " + err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mpt-webhooks/1")
	req.Header.Set(HeaderWebhookEvent, d.Kind)
	req.Header.Set(HeaderWebhookDelivery, d.EventID)
	req.Header.Set(HeaderWebhookSignature, SignWebhook([]byte(d.Secret), body))
	resp, err := client.Do(req)
	if err != nil {
		return 0, clip(err.Error())
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, ""
	}
	msg := "HTTP " + resp.Status
	if text := strings.TrimSpace(printable(head)); text != "" {
		msg += ": " + text
	}
	return resp.StatusCode, clip(msg)
}

// clip keeps an error message short enough to store and show.
func clip(s string) string {
	if len(s) <= 500 {
		return s
	}
	cut := 500
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// printable turns a response body's first bytes into one line of text.
func printable(b []byte) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError:
			return -1
		case unicode.IsSpace(r):
			return ' '
		case !unicode.IsPrint(r):
			return -1
		}
		return r
	}, string(b))
}

// RunWebhookWorker sends due webhook deliveries every interval until ctx ends (mpt serve runs
// it beside the web server). Each round sends batches until none is full; a database error
// is logged and the next round tries again.
func (s *Service) RunWebhookWorker(ctx context.Context, interval time.Duration) {
	const batch = 50
	client := NewWebhookClient(s.WebhookPolicy)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	s.log.Info("webhook worker started", "interval", interval)
	for {
		for ctx.Err() == nil {
			sent, failed, err := s.DeliverWebhooks(ctx, client, batch)
			if err != nil {
				s.log.Error("webhook worker", "err", err)
				break
			}
			if sent+failed > 0 {
				s.log.Info("webhook deliveries", "delivered", sent, "failed_attempts", failed)
			}
			if sent+failed < batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			s.log.Info("webhook worker stopped")
			return
		case <-tick.C:
		}
	}
}
