package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/PuerkitoBio/goquery"

	"mpt/models"
)

// crashWriters are the clients of one round: they write until the server dies under them.
type crashWriters struct {
	rig    *crashRig
	ctx    context.Context
	client *http.Client
	// busy counts the requests of each kind in flight (an import counts until its job is done).
	busy [crashKinds]atomic.Int32
	nImp atomic.Int32
}

// The kinds of write, for the record of what a kill interrupted.
const (
	kindTxn = iota
	kindBulk
	kindImport
	kindDeclare
	kindFX
	crashKinds
)

var crashKindNames = [crashKinds]string{"txn", "bulk", "import", "declare", "fx"}

// inFlight names the kinds of write in flight now.
func (w *crashWriters) inFlight() []string {
	var out []string
	for k := range crashKinds {
		if w.busy[k].Load() > 0 {
			out = append(out, crashKindNames[k])
		}
	}
	return out
}

// errKilled is a request that got no complete answer: the server died.
var errKilled = errors.New("no answer")

// send makes one request of a kind and reads the whole answer; errKilled when there is none.
func (w *crashWriters) send(client *http.Client, kind int, method, path, token string, body []byte, header ...string) (int, []byte, http.Header, error) {
	w.busy[kind].Add(1)
	defer w.busy[kind].Add(-1)
	req, err := http.NewRequestWithContext(w.ctx, method, w.rig.url+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, errKilled
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, nil, errKilled
	}
	return res.StatusCode, b, res.Header, nil
}

// unexpected reports an answer no healthy server gives to these requests.
func (w *crashWriters) unexpected(what string, status int, body []byte) {
	if w.ctx.Err() != nil {
		return
	}
	w.rig.t.Errorf("round %d (seed %d): %s answered %d: %s", w.rig.round, w.rig.seed, what, status, body)
}

// ---- transactions ---------------------------------------------------------------------------

// crashMarker is the quantity of a created transaction's first line: it tells which request
// made a transaction, so that a retry that created it twice shows.
func crashMarker(seq int) int64 { return 7_000_000 + int64(seq) }

// apiLine and apiTxn are the JSON of POST /api/v1/transactions (one element of the bulk list).
type apiLine struct {
	GoodsID   int64  `json:"goods_id"`
	Quantity  string `json:"quantity"`
	UnitPrice string `json:"unit_price"`
	Cartons   string `json:"cartons"`
	NetKg     string `json:"net_kg"`
	GrossKg   string `json:"gross_kg"`
}

type apiTxn struct {
	BuyerID   int64     `json:"buyer_id"`
	TradeDate string    `json:"trade_date"`
	Currency  string    `json:"currency"`
	Submit    bool      `json:"submit"`
	Lines     []apiLine `json:"lines"`
}

// newTxn is a registered sale of n lines whose first line carries the marker.
func (w *crashWriters) newTxn(rng *rand.Rand, seq, n int) apiTxn {
	world := &w.rig.world
	t := apiTxn{BuyerID: world.buyers[rng.IntN(len(world.buyers))].ID, TradeDate: world.today, Currency: "USD", Submit: true}
	for i := range n {
		q := strconv.Itoa(1 + rng.IntN(500))
		price := crashPrice(rng)
		if i == 0 {
			q, price = strconv.FormatInt(crashMarker(seq), 10), "0.0001"
		}
		net := 1 + rng.IntN(20)
		t.Lines = append(t.Lines, apiLine{GoodsID: world.goods[rng.IntN(len(world.goods))].ID, Quantity: q, UnitPrice: price,
			Cartons: strconv.Itoa(1 + rng.IntN(5)), NetKg: strconv.Itoa(net), GrossKg: strconv.Itoa(net + 1)})
	}
	return t
}

// newCreate is a single create of 1–30 lines or, for the bulk writer once the bulk API exists, a
// bulk ingest of 2–4 transactions of 50–800 lines.
func (w *crashWriters) newCreate(rng *rand.Rand, bulk bool) *crashCreate {
	l := w.rig.ledger
	if bulk && atomic.LoadInt32(&w.rig.bulk) == 1 {
		seqs := l.seqs(2 + rng.IntN(3))
		c := &crashCreate{Bulk: true, Seqs: seqs, Key: fmt.Sprintf("crash-%d-bulk-%d", w.rig.seed, seqs[0])}
		var body struct {
			Transactions []apiTxn `json:"transactions"`
		}
		for _, s := range seqs {
			n := 50 + rng.IntN(751)
			body.Transactions = append(body.Transactions, w.newTxn(rng, s, n))
			c.Lines = append(c.Lines, n)
		}
		c.Body, _ = json.Marshal(body)
		return c
	}
	seqs := l.seqs(1)
	n := 1 + rng.IntN(30)
	c := &crashCreate{Seqs: seqs, Lines: []int{n}, Key: fmt.Sprintf("crash-%d-txn-%d", w.rig.seed, seqs[0])}
	c.Body, _ = json.Marshal(w.newTxn(rng, seqs[0], n))
	return c
}

// createdTxn is a transaction in a create's answer.
type createdTxn struct {
	ID     int64  `json:"id"`
	Number string `json:"number"`
	Status string `json:"status"`
	Lines  []struct {
		ID int64 `json:"id"`
	} `json:"lines"`
}

// transactions creates transactions until the server dies (worker 0 one by one, worker 1 through
// the bulk API), retrying first (with the same Idempotency-Key) the creates an earlier kill left
// without an answer.
func (w *crashWriters) transactions(worker int) {
	rng := rand.New(rand.NewPCG(w.rig.seed, uint64(w.rig.round*16+worker)))
	l := w.rig.ledger
	for w.ctx.Err() == nil {
		c := l.takePending()
		if c == nil {
			c = w.newCreate(rng, worker == 1)
		}
		kind, path := kindTxn, "/api/v1/transactions"
		if c.Bulk {
			kind, path = kindBulk, "/api/v1/transactions/bulk"
		}
		status, body, header, err := w.send(w.client, kind, http.MethodPost, path, w.rig.tokens["merchant1"], c.Body, "Idempotency-Key", c.Key)
		if err != nil {
			l.unanswered(c)
			return
		}
		if status != http.StatusCreated {
			w.unexpected("create "+c.Key, status, body)
			return
		}
		var got []createdTxn
		if c.Bulk {
			var out struct {
				Transactions []createdTxn `json:"transactions"`
			}
			err = json.Unmarshal(body, &out)
			got = out.Transactions
		} else {
			var one createdTxn
			err = json.Unmarshal(body, &one)
			got = []createdTxn{one}
		}
		if err != nil || len(got) != len(c.Seqs) {
			w.unexpected("create "+c.Key+" (unreadable answer)", status, body)
			return
		}
		for i, g := range got {
			t := crashTxn{Number: g.Number, Seq: c.Seqs[i]}
			for _, line := range g.Lines {
				t.Lines = append(t.Lines, line.ID)
			}
			if len(t.Lines) != c.Lines[i] || g.Status != models.TransactionRegistered {
				w.unexpected(fmt.Sprintf("create %s: %d lines sent, %d answered, status %s", c.Key, c.Lines[i], len(t.Lines), g.Status), status, nil)
			}
			l.ackTxn(crashKindNames[kind], g.ID, t, header.Get("Idempotent-Replayed") == "true")
		}
	}
}

// ---- imports --------------------------------------------------------------------------------

// crashBrowser is a merchant's staff member using the pages: a session cookie and a CSRF token.
type crashBrowser struct {
	user     string
	jar      http.CookieJar
	loggedIn bool
}

func newCrashBrowser(user string) *crashBrowser {
	jar, _ := cookiejar.New(nil)
	return &crashBrowser{user: user, jar: jar}
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// client is the browser over a round's transport.
func (b *crashBrowser) client(tr http.RoundTripper) *http.Client {
	return &http.Client{Jar: b.jar, Transport: tr, CheckRedirect: noRedirect, Timeout: 20 * time.Second}
}

// csrf is the CSRF token the server set in the browser's cookie.
func (b *crashBrowser) csrf(base string) string {
	u, _ := url.Parse(base)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == "mpt_csrf" {
			return c.Value
		}
	}
	return ""
}

// login signs in through the login form. The session lives in the database, so it survives the
// kills; the cookie jar ignores ports, so it follows the server to each round's new port.
func (b *crashBrowser) login(base string) error {
	c := b.client(http.DefaultTransport)
	res, err := c.Get(base + "/login")
	if err != nil {
		return err
	}
	res.Body.Close()
	form := url.Values{"username": {b.user}, "password": {crashPassword}, "_csrf": {b.csrf(base)}}
	res, err = c.PostForm(base+"/login", form)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("login answered %d", res.StatusCode)
	}
	b.loggedIn = true
	return nil
}

// importCSV is a file of rows lines of the merchant's goods.
func (w *crashWriters) importCSV(rng *rand.Rand, rows int) []byte {
	var b bytes.Buffer
	b.WriteString("SKU 货号,Quantity 数量,Unit price 单价,Cartons 箱数,Net kg 净重,Gross kg 毛重\n")
	goods := w.rig.world.goods
	for range rows {
		net := 1 + rng.IntN(9)
		fmt.Fprintf(&b, "%s,%d,%s,%d,%d,%d\n", goods[rng.IntN(len(goods))].SKU, 1+rng.IntN(300), crashPrice(rng), 1+rng.IntN(3), net, net+1)
	}
	return b.Bytes()
}

// imports creates a draft and imports a file of 200–3,000 lines into it, again and again,
// following each job to its end.
func (w *crashWriters) imports() {
	rng := rand.New(rand.NewPCG(w.rig.seed, uint64(w.rig.round*16+8)))
	l := w.rig.ledger
	refused := 0
	for w.ctx.Err() == nil {
		b := w.rig.importers[int(w.nImp.Add(1)+int32(w.rig.round))%len(w.rig.importers)]
		draft, _ := json.Marshal(apiTxn{BuyerID: w.rig.world.buyers[0].ID, TradeDate: w.rig.world.today, Currency: "USD"})
		status, body, _, err := w.send(w.client, kindImport, http.MethodPost, "/api/v1/transactions", w.rig.tokens["merchant1"], draft)
		if err != nil {
			return
		}
		var t struct {
			ID      int64 `json:"id"`
			Version int64 `json:"version"`
		}
		if status != http.StatusCreated || json.Unmarshal(body, &t) != nil {
			w.unexpected("create a draft", status, body)
			return
		}
		rows := 200 + rng.IntN(2801)
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		_ = mw.WriteField("version", strconv.FormatInt(t.Version, 10))
		fw, _ := mw.CreateFormFile("file", "lines.csv")
		_, _ = fw.Write(w.importCSV(rng, rows))
		mw.Close()
		c := b.client(w.client.Transport)
		path := "/transactions/" + strconv.FormatInt(t.ID, 10) + "/import"
		status, body, header, err := w.send(c, kindImport, http.MethodPost, path, "", form.Bytes(),
			"Content-Type", mw.FormDataContentType(), "X-CSRF-Token", b.csrf(w.rig.url))
		if err != nil {
			return
		}
		if status == http.StatusConflict {
			// This user has two jobs of a killed server, counted as running until their heartbeat
			// is a minute old: try the next user, and give up for this round once all were refused.
			if refused++; refused == len(w.rig.importers) {
				w.rig.ledger.importRefused()
				return
			}
			continue
		}
		job, _ := strings.CutPrefix(header.Get("Location"), "/imports/")
		im := &crashImport{TransactionID: t.ID, Rows: rows, User: b.user, Round: w.rig.round}
		if im.JobID, err = strconv.ParseInt(job, 10, 64); status != http.StatusSeeOther || err != nil {
			w.unexpected("import "+path+" as "+b.user, status, body)
			return
		}
		l.startImport(im)
		if !w.followImport(c, im) {
			return
		}
	}
}

// followImport polls an import's job page until the job ends; false when the server died.
func (w *crashWriters) followImport(c *http.Client, im *crashImport) bool {
	w.busy[kindImport].Add(1)
	defer w.busy[kindImport].Add(-1)
	for {
		status, body, _, err := w.send(c, kindImport, http.MethodGet, "/imports/"+strconv.FormatInt(im.JobID, 10), "", nil)
		if err != nil {
			return false
		}
		doc, derr := goquery.NewDocumentFromReader(bytes.NewReader(body))
		if status != http.StatusOK || derr != nil {
			w.unexpected("import job page", status, body)
			return false
		}
		switch state := doc.Find("#import-progress").AttrOr("data-state", ""); state {
		case "done":
			w.rig.ledger.ackImport(im)
			return true
		case "running":
		default:
			w.unexpected(fmt.Sprintf("import job %d ended %q: %s", im.JobID, state, strings.Join(strings.Fields(doc.Find("#import-progress").Text()), " ")), status, nil)
			return false
		}
		select {
		case <-w.ctx.Done():
			return false
		case <-time.After(30 * time.Millisecond):
		}
	}
}

// ---- declarations ---------------------------------------------------------------------------

// declarations generates the declarations of every closed consolidation prepared for the round,
// starting up to 250 ms before the kill so that the kill often comes while a generation runs.
func (w *crashWriters) declarations(after time.Duration) {
	l := w.rig.ledger
	select {
	case <-w.ctx.Done():
		return
	case <-time.After(after):
	}
	for _, id := range l.closedConsolidations() {
		path := "/api/v1/consolidations/" + strconv.FormatInt(id, 10) + "/declare"
		status, body, _, err := w.send(w.client, kindDeclare, http.MethodPost, path, w.rig.tokens["agent1"], nil)
		if err != nil {
			return
		}
		switch status {
		case http.StatusCreated:
			var out struct {
				Declarations []struct {
					ID int64 `json:"id"`
				} `json:"declarations"`
			}
			if err := json.Unmarshal(body, &out); err != nil || len(out.Declarations) == 0 {
				w.unexpected(path+" (no declarations)", status, body)
				return
			}
			var ids []int64
			for _, d := range out.Declarations {
				ids = append(ids, d.ID)
			}
			l.ackDeclared(id, ids)
		case http.StatusConflict: // generated by a request the kill left without an answer
			l.declareConflict()
		default:
			w.unexpected(path, status, body)
			return
		}
	}
}

// ---- FX -------------------------------------------------------------------------------------

// fx records receipts for the merchant and allocates each to a few of its open lines.
func (w *crashWriters) fx() {
	rng := rand.New(rand.NewPCG(w.rig.seed, uint64(w.rig.round*16+9)))
	l := w.rig.ledger
	world := &w.rig.world
	token := w.rig.tokens["fx"]
	for w.ctx.Err() == nil {
		buyer := world.buyers[rng.IntN(len(world.buyers))]
		ref := fmt.Sprintf("CRASH%d-%d", w.rig.seed%1_000_000, l.bankRef())
		body, _ := json.Marshal(map[string]string{"bank_ref": ref, "payer": buyer.Name, "payer_country": buyer.Nationality,
			"currency": "USD", "amount": strconv.Itoa(100+rng.IntN(900)) + ".00", "value_date": world.today, "beneficiary": world.uscc})
		status, ans, _, err := w.send(w.client, kindFX, http.MethodPost, "/api/v1/fx/receipts", token, body)
		if err != nil {
			return
		}
		var r struct {
			ID      int64 `json:"id"`
			Version int64 `json:"version"`
		}
		if status != http.StatusCreated || json.Unmarshal(ans, &r) != nil {
			w.unexpected("record receipt "+ref, status, ans)
			return
		}
		l.ackReceipt(r.ID, ref)
		path := "/api/v1/fx/receipts/" + strconv.FormatInt(r.ID, 10)
		status, ans, _, err = w.send(w.client, kindFX, http.MethodGet, path+"/suggestions", token, nil)
		if err != nil {
			return
		}
		var sug struct {
			Suggestions []struct {
				LineID    int64  `json:"line_id"`
				Currency  string `json:"currency"`
				Remaining string `json:"remaining"`
			} `json:"suggestions"`
		}
		if status != http.StatusOK || json.Unmarshal(ans, &sug) != nil {
			w.unexpected(path+"/suggestions", status, ans)
			return
		}
		type item struct {
			LineID int64  `json:"line_id"`
			Amount string `json:"amount"`
		}
		var items []item
		amounts := map[int64]models.Money{}
		unit, _ := models.ParseMoney("1")
		for _, s := range sug.Suggestions {
			left, err := models.ParseMoney(s.Remaining)
			if s.Currency != "USD" || err != nil || left <= 0 || len(items) == 3 {
				continue
			}
			a := min(left, unit*models.Money(1+rng.IntN(30)))
			items = append(items, item{LineID: s.LineID, Amount: a.String()})
			amounts[s.LineID] += a
		}
		if len(items) == 0 {
			continue
		}
		body, _ = json.Marshal(map[string]any{"version": r.Version, "allocations": items})
		status, ans, _, err = w.send(w.client, kindFX, http.MethodPost, path+"/allocations", token, body)
		if err != nil {
			return
		}
		if status != http.StatusOK {
			w.unexpected(path+"/allocations", status, ans)
			return
		}
		l.ackAllocations(r.ID, amounts)
	}
}

// crashPrice is a unit price from 0.01 to 9.99.
func crashPrice(rng *rand.Rand) string {
	c := 1 + rng.IntN(999)
	return fmt.Sprintf("%d.%02d", c/100, c%100)
}
