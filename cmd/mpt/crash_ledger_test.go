package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"mpt/models"
)

// crashLedger records what the clients sent and what the server acknowledged (a complete 2xx
// answer), across rounds. The checks after each kill compare the database with it.
type crashLedger struct {
	mu       sync.Mutex
	nextSeq  int
	pending  []*crashCreate            // creates without an answer, retried with the same Idempotency-Key
	issued   map[int]bool              // every transaction marker sent
	txns     map[int64]crashTxn        // acknowledged transactions
	imports  []*crashImport            // started imports
	closed   []int64                   // consolidations ready to declare this round
	declared map[int64][]int64         // acknowledged generations: consolidation → declarations
	receipts map[int64]string          // acknowledged FX receipts → bank reference
	allocs   map[[2]int64]models.Money // acknowledged allocations: (receipt, line) → sum
	bankRefs int

	killedDuring map[string]int // rounds whose kill came while a kind of write was in flight
	acks         map[string]int // acknowledged writes by kind (txn and bulk: transactions)
	replayed     int            // retried creates answered from the idempotency store
	conflicts    int            // declarations refused because an unacknowledged generation had committed
	importsShut  int            // rounds in which every importer still had two killed jobs counted as running
}

// crashCreate is one POST of transactions (one, or several through the bulk API).
type crashCreate struct {
	Key   string
	Bulk  bool
	Body  []byte
	Seqs  []int // the marker of each transaction, in order
	Lines []int // the lines of each transaction, in order
}

// crashTxn is an acknowledged transaction.
type crashTxn struct {
	Number string
	Seq    int // 0 for a draft without lines
	Lines  []int64
}

// crashImport is an import the server accepted (303 to its job), acknowledged once its job page
// said done.
type crashImport struct {
	TransactionID int64
	Rows          int
	JobID         int64
	User          string
	Round         int
	Acked         bool
}

func newCrashLedger() *crashLedger {
	return &crashLedger{issued: map[int]bool{}, txns: map[int64]crashTxn{}, declared: map[int64][]int64{},
		receipts: map[int64]string{}, allocs: map[[2]int64]models.Money{}, killedDuring: map[string]int{}, acks: map[string]int{}}
}

// takePending returns a create left without an answer by an earlier round, if any.
func (l *crashLedger) takePending() *crashCreate {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) == 0 {
		return nil
	}
	c := l.pending[0]
	l.pending = l.pending[1:]
	return c
}

// seqs reserves n transaction markers.
func (l *crashLedger) seqs(n int) []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]int, n)
	for i := range out {
		l.nextSeq++
		out[i] = l.nextSeq
		l.issued[l.nextSeq] = true
	}
	return out
}

func (l *crashLedger) unanswered(c *crashCreate) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(l.pending, c)
}

func (l *crashLedger) ackTxn(kind string, id int64, t crashTxn, replayed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.txns[id] = t
	l.acks[kind]++
	if replayed {
		l.replayed++
	}
}

func (l *crashLedger) startImport(im *crashImport) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.imports = append(l.imports, im)
}

func (l *crashLedger) ackImport(im *crashImport) {
	l.mu.Lock()
	defer l.mu.Unlock()
	im.Acked = true
	l.acks["import"]++
}

func (l *crashLedger) importRefused() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.importsShut++
}

func (l *crashLedger) closedConsolidations() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.closed)
}

func (l *crashLedger) ackDeclared(consolidation int64, decls []int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.declared[consolidation] = decls
	l.acks["declare"]++
}

func (l *crashLedger) declareConflict() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conflicts++
}

func (l *crashLedger) bankRef() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bankRefs++
	return l.bankRefs
}

func (l *crashLedger) ackReceipt(id int64, ref string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.receipts[id] = ref
	l.acks["fx receipt"]++
}

func (l *crashLedger) ackAllocations(receipt int64, lines map[int64]models.Money) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for line, amount := range lines {
		l.allocs[[2]int64{receipt, line}] += amount
	}
	l.acks["fx allocation"]++
}

func (l *crashLedger) killed(kinds []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range kinds {
		l.killedDuring[k]++
	}
}

// someTransactions returns up to n acknowledged transactions with lines.
func (l *crashLedger) someTransactions(n int) map[int64]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[int64]bool{}
	for _, id := range slices.Sorted(maps.Keys(l.txns)) {
		if len(l.txns[id].Lines) > 0 && len(out) < n {
			out[id] = true
		}
	}
	return out
}

// summary says what the run acknowledged and when the kills came.
func (l *crashLedger) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	lines := 0
	for _, t := range l.txns {
		lines += len(t.Lines)
	}
	imported := 0
	for _, im := range l.imports {
		if im.Acked {
			imported += im.Rows
		}
	}
	fmt.Fprintf(&b, "acknowledged: %v (%d transactions, %d API lines, %d imported lines, %d retried creates replayed); ",
		l.acks, len(l.txns), lines, imported, l.replayed)
	fmt.Fprintf(&b, "kills while in flight: %v; declarations refused as already generated by an unacknowledged request: %d; "+
		"rounds without imports because every importer had two killed jobs still counted as running: %d",
		l.killedDuring, l.conflicts, l.importsShut)
	return b.String()
}
