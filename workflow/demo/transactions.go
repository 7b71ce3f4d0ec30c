package demo

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"mpt/models"
	"mpt/workflow"
)

// linePlan is a transaction line waiting for its transaction's ID.
type linePlan struct {
	txn int // index into the transactions
	row models.TransactionLine
}

// seller is an active merchant with goods it may sell: recognised ones.
type seller struct {
	merchant int
	goods    []int // indices into g.goods
}

// transactionDays is how far back the demo's trade goes.
const transactionDays = 60

// maxLineUSD keeps every line far below the USD 150,000 declaration cap, in US cents.
const maxLineUSD = 25_000_00

// newTransactions builds the registered sales (交易登记) of active merchants with recognised
// goods over the last two months: mostly registered, a few recent drafts, one voided. They are
// numbered in the order they were created.
func (g *generator) newTransactions() ([]models.Transaction, []linePlan, error) {
	var sellers []seller
	var activity []int
	for i, m := range g.merchants {
		if g.merchantRows[i].Status != models.MerchantActive {
			continue
		}
		s := seller{merchant: i}
		for j, p := range g.goods {
			if p.merchant == i && g.goodsRows[j].Status == models.GoodsRecognised {
				s.goods = append(s.goods, j)
			}
		}
		if len(s.goods) > 0 {
			sellers = append(sellers, s)
			activity = append(activity, m.activity)
		}
	}
	n := g.opts.Transactions
	if len(sellers) == 0 || n == 0 {
		return nil, nil, nil
	}
	demand := make([]int, len(g.buyers)) // regulars buy more often; the watch-listed buyer rarely
	for i, b := range g.buyers {
		demand[i] = g.between(2, 6)
		if b.WatchListed {
			demand[i] = 1
		}
	}
	drafts, voided := 0, 0
	if n >= 10 {
		drafts, voided = max(1, n/20), 1
	}
	txns := make([]models.Transaction, 0, n)
	var lines []linePlan
	for i := range n {
		status := models.TransactionRegistered
		switch {
		case i < drafts:
			status = models.TransactionDraft
		case i < drafts+voided:
			status = models.TransactionVoided
		}
		t, ls, err := g.newTransaction(sellers[g.weighted(activity)], g.weighted(demand), status)
		if err != nil {
			return nil, nil, err
		}
		for _, l := range ls {
			lines = append(lines, linePlan{txn: len(txns), row: l})
		}
		txns = append(txns, t)
	}
	return numberTransactions(txns, lines)
}

// newTransaction builds one sale of a seller to a buyer, registered by the merchant or, now and
// then, by one of its agents.
func (g *generator) newTransaction(s seller, buyer int, status string) (models.Transaction, []models.TransactionLine, error) {
	m := g.merchants[s.merchant]
	daysAgo := g.between(1, transactionDays)
	switch status {
	case models.TransactionDraft:
		daysAgo = g.between(0, 4)
	case models.TransactionVoided:
		daysAgo = g.between(15, 50)
	}
	traded := g.at(daysAgo, g.officeMinute())
	created := g.after(traded, g.between(10, 240))
	if daysAgo > 0 && g.chance(25) { // registered the next day
		created = g.at(daysAgo-1, g.officeMinute())
	}
	t := models.Transaction{
		MerchantID:      g.merchantRows[s.merchant].ID,
		BuyerID:         g.buyers[buyer].ID,
		TradeDate:       dateOf(traded),
		Currency:        g.currencyFor(g.buyers[buyer].Nationality),
		Status:          status,
		CreatedByUserID: ptr(g.users[m.user].ID),
		Version:         1,
		CreatedAt:       created,
		UpdatedAt:       created,
	}
	if len(m.agents) > 0 && g.chance(35) {
		a := pick(g, m.agents)
		t.AgentID = ptr(g.agentRows[a].ID)
		t.CreatedByUserID = ptr(g.users[g.agents[a].user].ID)
	}
	month := t.TradeDate[:7]
	usdRate, ok1 := g.rate(month, "USD")
	curRate, ok2 := g.rate(month, t.Currency)
	if !ok1 || !ok2 {
		return t, nil, fmt.Errorf("demo: no %s rate for %s", t.Currency, month)
	}
	cur, _ := g.ref.Currency(t.Currency)

	n := min(1+g.weighted([]int{14, 18, 18, 15, 12, 9, 7, 7}), len(s.goods))
	var lines []models.TransactionLine
	for k, j := range g.rng.Perm(len(s.goods))[:n] {
		l := g.newLine(s.goods[j], usdRate, curRate, cur.MinorUnit)
		l.LineNo, l.CreatedAt, l.UpdatedAt = k+1, created, created
		lines = append(lines, l)
		t.TotalAmount += l.Amount
		t.TotalCartons += l.Cartons
		t.TotalNetGrams += l.NetGrams
		t.TotalGrossGrams += l.GrossGrams
	}
	t.LineCount = len(lines)

	if status != models.TransactionDraft {
		t.RegisteredAt = ptr(g.after(created, g.between(3, 90)))
		t.UpdatedAt = *t.RegisteredAt
	}
	if status == models.TransactionVoided {
		t.StatusReason = "买家取消订单，交易作废（buyer cancelled the order）"
		t.UpdatedAt = g.after(*t.RegisteredAt, g.between(1, 3)*24*60)
	}
	return t, lines, nil
}

// newLine builds a line of goods j: a negotiated price near the list price, in the
// transaction's currency, whole cartons, and net and gross mass.
func (g *generator) newLine(j int, usdRate, curRate models.Rate, minorUnit int) models.TransactionLine {
	p, goods := g.goods[j], g.goodsRows[j]
	usd := quote(p.listUSD*models.Price(g.between(92, 108))/100, 2)
	price := quote(models.Price(divRound(int64(usd)*int64(usdRate), int64(curRate))), minorUnit)
	var cartons int64
	switch g.weighted([]int{45, 40, 15}) {
	case 0:
		cartons = g.between64(2, 10)
	case 1:
		cartons = g.between64(10, 30)
	default:
		cartons = g.between64(30, 60)
	}
	if v := models.LineAmount(models.Quantity(cartons*p.tpl.perCarton*1000), usd); v > maxLineUSD {
		cartons = max(1, cartons*maxLineUSD/int64(v))
	}
	units := cartons * p.tpl.perCarton
	qty := models.Quantity(units * 1000)
	net := models.Grams(units * p.grams)
	return models.TransactionLine{
		GoodsID:    goods.ID,
		TraceCode:  g.newTraceCode(),
		Quantity:   qty,
		Unit:       goods.TransactionUnit,
		UnitPrice:  price,
		Amount:     models.LineAmount(qty, price),
		Cartons:    cartons,
		NetGrams:   net,
		GrossGrams: net + models.Grams(cartons*g.between64(500, 1200)), // carton board and tape
	}
}

// currencyFor draws the currency a buyer pays in: mostly US dollars, dirhams in the Gulf,
// roubles from Russia and Central Asia, euros from Spain and Poland.
func (g *generator) currencyFor(country string) string {
	w := []int{70, 6, 8, 0, 4, 0, 4} // in the order of transactionCurrencies
	switch country {
	case "AE", "SA", "IQ", "YE":
		w[3] = 25
	case "RU", "KZ", "UZ":
		w[5] = 35
	case "ES", "PL":
		w[1] = 60
	}
	return transactionCurrencies[g.weighted(w)]
}

// transactionCurrencies are the currencies buyers pay in.
var transactionCurrencies = []string{"USD", "EUR", "CNY", "AED", "GBP", "RUB", "JPY"}

// quote rounds a unit price the way stalls quote: whole units for currencies without minor
// units (JPY); otherwise tenths of a cent below 0.10, cents below 10.00 and five cents above.
func quote(p models.Price, minorUnit int) models.Price {
	step := models.Price(10)
	switch {
	case minorUnit == 0:
		step = 10000
	case p >= 100000:
		step = 500
	case p >= 1000:
		step = 100
	}
	return max(step, (p+step/2)/step*step)
}

// divRound divides positive numbers rounding half up.
func divRound(a, b int64) int64 { return (a + b/2) / b }

// numberTransactions orders the transactions by creation and numbers them "TR" + the Yiwu
// date of creation (yyyymmdd) + a 5-digit sequence restarting each day.
func numberTransactions(txns []models.Transaction, lines []linePlan) ([]models.Transaction, []linePlan, error) {
	order := make([]int, len(txns))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return txns[a].CreatedAt.Compare(txns[b].CreatedAt) })
	newIndex := make([]int, len(txns))
	sorted := make([]models.Transaction, len(txns))
	perDay := map[string]int{}
	for k, i := range order {
		newIndex[i] = k
		t := txns[i]
		day := t.CreatedAt.In(workflow.MarketZone).Format("20060102")
		perDay[day]++
		if perDay[day] > 99999 {
			return nil, nil, fmt.Errorf("demo: more than 99999 transactions on %s", day)
		}
		t.Number = fmt.Sprintf("TR%s%05d", day, perDay[day])
		sorted[k] = t
	}
	for i := range lines {
		lines[i].txn = newIndex[lines[i].txn]
	}
	slices.SortStableFunc(lines, func(a, b linePlan) int {
		return cmp.Or(cmp.Compare(a.txn, b.txn), cmp.Compare(a.row.LineNo, b.row.LineNo))
	})
	return sorted, lines, nil
}

// sequencePrefix starts the number_sequences name of a day's transaction numbers:
// "transaction:" + yyyymmdd (Yiwu date) holds the next 5-digit sequence number of that day.
const sequencePrefix = "transaction:"

// transactionSequences returns, for every day the demo numbered transactions on, the
// sequence row that lets later numbering continue after the demo's numbers.
func transactionSequences(txns []models.Transaction) []models.NumberSequence {
	var out []models.NumberSequence
	for _, t := range txns { // sorted by number, so each day's last number comes last
		name := sequencePrefix + t.Number[2:10]
		seq, _ := strconv.ParseInt(t.Number[10:], 10, 64) // numberTransactions wrote 5 digits
		if len(out) > 0 && out[len(out)-1].Name == name {
			out[len(out)-1].Next = seq + 1
			continue
		}
		out = append(out, models.NumberSequence{Name: name, Next: seq + 1})
	}
	return out
}
