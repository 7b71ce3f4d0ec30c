package models

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Problems the verification of the audit chain can find.
const (
	// AuditBadHash: the entry's content no longer hashes to its stored hash (a field was changed).
	AuditBadHash = "hash"
	// AuditBadLink: the entry's prev_hash is not the previous entry's hash (an entry before it was
	// deleted, inserted or moved).
	AuditBadLink = "link"
	// AuditBadCheckpoint: an exported checkpoint no longer matches (the entry is gone or differs),
	// which also catches entries cut off the end of the log.
	AuditBadCheckpoint = "checkpoint"
)

// AuditBreak names the first entry at which the audit chain does not hold.
type AuditBreak struct {
	EntryID  int64
	Position int64  // 1-based, in id order
	Problem  string // AuditBadHash, AuditBadLink or AuditBadCheckpoint
	Expected string
	Found    string
	Entry    *AuditEntry // nil when the entry is missing
}

// Error describes the break in one sentence.
func (b *AuditBreak) Error() string {
	switch b.Problem {
	case AuditBadHash:
		return fmt.Sprintf("audit entry %d (position %d) was changed: its content hashes to %s, but the chain holds %s",
			b.EntryID, b.Position, b.Expected, b.Found)
	case AuditBadLink:
		return fmt.Sprintf("audit entry %d (position %d) does not follow the entry before it: expected previous hash %q, found %q (an entry was deleted, inserted or moved)",
			b.EntryID, b.Position, b.Expected, b.Found)
	}
	return fmt.Sprintf("audit checkpoint at entry %d does not match: expected hash %s, found %q", b.EntryID, b.Expected, b.Found)
}

// AuditCheckpoint is the state of the chain at the end of a day (UTC): the last entry's id and
// hash and how many entries the log held then. Exported and kept outside the system, checkpoints
// let a later verification prove that nothing up to them was changed or cut off.
type AuditCheckpoint struct {
	Day     string `json:"day"` // YYYY-MM-DD, UTC
	LastID  int64  `json:"last_id"`
	Hash    string `json:"hash"`
	Entries int64  `json:"entries"`
}

// AuditVerification is the result of walking the whole chain.
type AuditVerification struct {
	Entries     int64
	LastID      int64
	LastHash    string
	Break       *AuditBreak // nil when the chain holds
	Checkpoints []AuditCheckpoint
}

// OK reports whether the chain holds.
func (v *AuditVerification) OK() bool { return v.Break == nil }

// auditVerifyBatch is how many entries one query reads; the walk keeps only the previous hash.
const auditVerifyBatch = 5000

// VerifyAudit recomputes the hash chain of the audit log in id order and stops at the first
// entry that breaks it. It also checks the given checkpoints (exported earlier), and returns the
// daily checkpoints of the log as it is. progress, if not nil, is called after every batch with
// the number of entries read so far.
func VerifyAudit(ctx context.Context, db *gorm.DB, known []AuditCheckpoint, progress func(done int64)) (*AuditVerification, error) {
	v := &AuditVerification{}
	want := make(map[int64]AuditCheckpoint, len(known))
	for _, c := range known {
		want[c.LastID] = c
	}
	var day string
	var prev string
	last := int64(0)
	for {
		var batch []AuditEntry
		if err := db.WithContext(ctx).Where("id > ?", last).Order("id").Limit(auditVerifyBatch).Find(&batch).Error; err != nil {
			return nil, err
		}
		for i := range batch {
			e := &batch[i]
			v.Entries++
			if e.PrevHash != prev && v.Break == nil {
				v.Break = &AuditBreak{EntryID: e.ID, Position: v.Entries, Problem: AuditBadLink, Expected: prev, Found: e.PrevHash, Entry: e}
			}
			if h := AuditHash(e); h != e.Hash && v.Break == nil {
				v.Break = &AuditBreak{EntryID: e.ID, Position: v.Entries, Problem: AuditBadHash, Expected: h, Found: e.Hash, Entry: e}
			}
			if c, ok := want[e.ID]; ok {
				if (c.Hash != e.Hash || (c.Entries != 0 && c.Entries != v.Entries)) && v.Break == nil {
					v.Break = &AuditBreak{EntryID: e.ID, Position: v.Entries, Problem: AuditBadCheckpoint, Expected: c.Hash, Found: e.Hash, Entry: e}
				}
				delete(want, e.ID)
			}
			if v.Break != nil {
				return v, nil
			}
			d := e.At.UTC().Format(time.DateOnly)
			if d != day || len(v.Checkpoints) == 0 {
				v.Checkpoints = append(v.Checkpoints, AuditCheckpoint{Day: d})
				day = d
			}
			cp := &v.Checkpoints[len(v.Checkpoints)-1]
			cp.LastID, cp.Hash, cp.Entries = e.ID, e.Hash, v.Entries
			prev = e.Hash
			v.LastID, v.LastHash = e.ID, e.Hash
		}
		if progress != nil {
			progress(v.Entries)
		}
		if len(batch) < auditVerifyBatch {
			break
		}
		last = batch[len(batch)-1].ID
	}
	// A checkpoint whose entry was never met: the entry was deleted, or the log was cut short.
	var missing *AuditCheckpoint
	for _, c := range want {
		if missing == nil || c.LastID < missing.LastID {
			c := c
			missing = &c
		}
	}
	if missing != nil {
		v.Break = &AuditBreak{EntryID: missing.LastID, Problem: AuditBadCheckpoint, Expected: missing.Hash, Found: ""}
	}
	return v, nil
}

// AuditCheckpointHeader is the header row of a checkpoint CSV file.
var AuditCheckpointHeader = []string{"day", "last_id", "hash", "entries"}

// ParseAuditCheckpoints reads a checkpoint file as exported: CSV with AuditCheckpointHeader, or
// a JSON array.
func ParseAuditCheckpoints(b []byte) ([]AuditCheckpoint, error) {
	t := strings.TrimSpace(strings.TrimPrefix(string(b), "\xEF\xBB\xBF"))
	if strings.HasPrefix(t, "[") {
		var cps []AuditCheckpoint
		if err := json.Unmarshal([]byte(t), &cps); err != nil {
			return nil, err
		}
		return cps, nil
	}
	rows, err := csv.NewReader(strings.NewReader(t)).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(AuditCheckpointHeader, ",") {
		return nil, errors.New("the first line must be " + strings.Join(AuditCheckpointHeader, ","))
	}
	var cps []AuditCheckpoint
	for i, r := range rows[1:] {
		id, err1 := strconv.ParseInt(r[1], 10, 64)
		n, err2 := strconv.ParseInt(r[3], 10, 64)
		if err1 != nil || err2 != nil || len(r[2]) != 64 {
			return nil, fmt.Errorf("line %d: expected day, entry id, 64-character hash, entry count", i+2)
		}
		cps = append(cps, AuditCheckpoint{Day: r[0], LastID: id, Hash: r[2], Entries: n})
	}
	return cps, nil
}
