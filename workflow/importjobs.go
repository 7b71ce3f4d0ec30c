package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"mpt/models"
	"mpt/workflow/apperr"
)

// Import jobs run a bulk import in the background while the user's page polls its progress.
// A job is a row of import_jobs (models.ImportJob), so every instance of mpt shows it: the
// instance that runs the job writes its counts and a heartbeat every importHeartbeat, and its
// result when it ends. A job whose heartbeat stopped for importJobStale belonged to an instance
// that died and is shown as failed; the import itself is one database transaction, so it either
// committed or left nothing behind, and a committed import marks its job done in that same
// transaction (ImportProgress.recordDone), so a dead instance's job never hides imported lines.

// The states of an import job, as a page shows them (a queued job shows as running).
const (
	ImportRunning = models.ImportRunning
	ImportDone    = models.ImportDone   // every row imported
	ImportFailed  = models.ImportFailed // nothing imported: the file's problems, or an error
)

// Limits of import jobs.
const (
	importJobTTL      = time.Hour              // jobs are deleted this long after their last heartbeat
	importJobTimeout  = 5 * time.Minute        // an import taking longer is cancelled (and rolled back)
	importHeartbeat   = 500 * time.Millisecond // how often a running job's counts are written
	importJobStale    = time.Minute            // a running job without a heartbeat for this long is dead
	maxRunningPerUser = 2
)

// ImportProgress counts a running import's progress in the process that runs it; the job's
// heartbeat copies the counts into import_jobs. Every method is safe on a nil progress (a
// synchronous import without a job).
type ImportProgress struct {
	nTotal, nParsed, nChecked, nWritten atomic.Int64
	jobID                               int64 // the job whose outcome the import's own transaction records; 0 without a job
}

func (p *ImportProgress) parsed(n int) {
	if p != nil {
		p.nParsed.Add(int64(n))
	}
}

func (p *ImportProgress) validated(n int) {
	if p != nil {
		p.nChecked.Add(int64(n))
	}
}

func (p *ImportProgress) wrote(n int) {
	if p != nil {
		p.nWritten.Add(int64(n))
	}
}

func (p *ImportProgress) resetWritten() {
	if p != nil {
		p.nWritten.Store(0)
	}
}

func (p *ImportProgress) setTotal(n int) {
	if p != nil {
		p.nTotal.Store(int64(n))
	}
}

// counts are the job's columns holding the progress.
func (p *ImportProgress) counts() map[string]any {
	return map[string]any{"total_rows": p.nTotal.Load(), "parsed_rows": p.nParsed.Load(),
		"checked_rows": p.nChecked.Load(), "written_rows": p.nWritten.Load()}
}

// ImportStatus is a job's progress as a page shows it.
type ImportStatus struct {
	ID            int64
	TransactionID int64
	FileName      string
	State         string
	Total         int64 // data rows, once the file is read
	Parsed        int64 // rows read
	Checked       int64 // rows checked
	Written       int64 // lines written
	Result        *ImportResult
	Err           error // an error other than the file's problems (conflict, internal, a dead instance)
}

// Percent is the progress so far: reading, checking and writing count a third each.
func (st ImportStatus) Percent() int {
	if st.State != ImportRunning {
		return 100
	}
	if st.Total == 0 {
		return min(30, int(st.Parsed/200))
	}
	return int((st.Parsed + st.Checked + st.Written) * 100 / (3 * st.Total))
}

// importJobError is how a job keeps an error other than the file's problems: its code and
// text (an internal error's cause is logged, never stored).
type importJobError struct {
	Code apperr.Code `json:"code"`
	Text apperr.Text `json:"text"`
}

var (
	errImportJobNotFound = apperr.New(apperr.NotFound, apperr.T("Import not found (finished imports are kept for an hour)",
		"未找到导入任务（已完成的导入保留一小时）"))
	// errImportInstanceStopped is shown for a job whose heartbeat stopped.
	errImportInstanceStopped = apperr.New(apperr.Conflict, apperr.T(
		"The server running this import stopped before it finished; nothing was imported. Import the file again",
		"运行此导入的服务器在完成前已停止，未导入任何明细。请重新导入该文件"))
)

// ImportStatus returns a job of the actor's (others' are NotFound), read from the database so
// that any instance shows it. A job whose instance died is reported failed.
func (s *Service) ImportStatus(ctx context.Context, actor Actor, id int64) (ImportStatus, error) {
	if actor.Anonymous() {
		return ImportStatus{}, errImportJobNotFound
	}
	var j models.ImportJob
	err := s.db.WithContext(ctx).Where("id = ? AND user_id = ?", id, actor.UserID).Take(&j).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ImportStatus{}, errImportJobNotFound
	case err != nil:
		return ImportStatus{}, apperr.Wrap(err, "read import job")
	}
	st := ImportStatus{ID: j.ID, TransactionID: j.TransactionID, FileName: j.FileName, State: j.Status,
		Total: j.TotalRows, Parsed: j.ParsedRows, Checked: j.CheckedRows, Written: j.WrittenRows}
	if j.ResultJSON != "" {
		st.Result = &ImportResult{}
		if err := json.Unmarshal([]byte(j.ResultJSON), st.Result); err != nil {
			return ImportStatus{}, apperr.Wrap(err, "import job result")
		}
	}
	if j.ErrorJSON != "" {
		var e importJobError
		if err := json.Unmarshal([]byte(j.ErrorJSON), &e); err != nil {
			return ImportStatus{}, apperr.Wrap(err, "import job error")
		}
		st.Err = apperr.New(e.Code, e.Text)
	}
	if st.State == models.ImportQueued {
		st.State = ImportRunning
	}
	if st.State == ImportRunning && s.now().Sub(j.HeartbeatAt) > importJobStale {
		st.State, st.Err = ImportFailed, errImportInstanceStopped
	}
	return st, nil
}

// StartImport checks what can be checked at once (the user, the transaction, the file's size),
// records a queued job and runs ImportLines in the background; the caller shows the job's
// progress (ImportStatus). A user runs at most two imports at once, counted in the database
// under a lock of the user's row so that two instances count the same jobs. The import keeps
// the request's values (its id, for the audit log) but not its cancellation: it runs to the
// end, within importJobTimeout.
func (s *Service) StartImport(ctx context.Context, actor Actor, transactionID int64, in ImportInput) (int64, error) {
	if err := transactionManager(actor); err != nil {
		return 0, err
	}
	switch {
	case len(in.Data) == 0:
		return 0, apperr.Field("file", apperr.T("Choose the .xlsx or .csv file to import", "请选择要导入的 .xlsx 或 .csv 文件"))
	case len(in.Data) > MaxImportFileSize:
		return 0, apperr.Field("file", apperr.T("The file is larger than 10 MB; split it into smaller files", "文件超过 10 MB，请拆分为较小的文件"))
	}
	if _, err := s.importTarget(ctx, actor, transactionID, in.Version); err != nil {
		return 0, err
	}
	now := s.now()
	sum := sha256.Sum256(in.Data)
	job := models.ImportJob{UserID: actor.UserID, TransactionID: transactionID, FileName: CleanFileName(in.FileName),
		FileSHA256: hex.EncodeToString(sum[:]), Status: models.ImportQueued, CreatedAt: now, HeartbeatAt: now}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&models.User{}).Clauses(clause.Locking{Strength: "UPDATE"}).Select("id").
			Where("id = ?", actor.UserID).Take(&models.User{}).Error; err != nil {
			return err
		}
		if err := tx.Where("heartbeat_at < ?", now.Add(-importJobTTL)).Delete(&models.ImportJob{}).Error; err != nil {
			return err
		}
		var running int64
		if err := tx.Model(&models.ImportJob{}).Where("user_id = ? AND status IN ? AND heartbeat_at >= ?", actor.UserID,
			[]string{models.ImportQueued, models.ImportRunning}, now.Add(-importJobStale)).Count(&running).Error; err != nil {
			return err
		}
		if running >= maxRunningPerUser {
			return apperr.New(apperr.Conflict, apperr.T("Two of your imports are still running; wait for them to finish",
				"您已有两个导入正在进行，请等待完成后再导入"))
		}
		return tx.Create(&job).Error
	})
	if err != nil {
		return 0, apperr.Wrap(err, "start import")
	}
	go s.runImport(context.WithoutCancel(ctx), actor, job.ID, transactionID, in)
	return job.ID, nil
}

// runImport runs a job's import, writing its progress as a heartbeat while it runs and its
// outcome when it ends.
func (s *Service) runImport(ctx context.Context, actor Actor, jobID, transactionID int64, in ImportInput) {
	p := &ImportProgress{jobID: jobID}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(importHeartbeat)
		defer tick.Stop()
		for {
			s.importBeat(ctx, jobID, p)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	var (
		res *ImportResult
		err error
	)
	func() {
		run, cancel := context.WithTimeout(ctx, importJobTimeout)
		defer cancel()
		defer func() {
			if r := recover(); r != nil {
				res, err = nil, apperr.Wrap(fmt.Errorf("panic: %v", r), "import job")
			}
		}()
		res, err = s.ImportLines(run, actor, transactionID, in, p)
	}()
	close(stop)
	<-stopped
	if err != nil && s.log != nil && apperr.CodeOf(err) == apperr.Internal {
		s.log.Error("import failed", "job", jobID, "error", err.Error())
	}
	s.finishImport(ctx, jobID, p, res, err)
}

// importBeat writes a running job's counts and heartbeat. A failed write is only logged: the
// next beat tries again, and a job without beats for importJobStale is shown as failed.
func (s *Service) importBeat(ctx context.Context, jobID int64, p *ImportProgress) {
	upd := p.counts()
	upd["status"], upd["heartbeat_at"] = models.ImportRunning, s.now()
	err := s.db.WithContext(ctx).Model(&models.ImportJob{}).
		Where("id = ? AND status IN ?", jobID, []string{models.ImportQueued, models.ImportRunning}).Updates(upd).Error
	if err != nil && s.log != nil {
		s.log.Warn("import heartbeat", "job", jobID, "error", err.Error())
	}
}

// finishImport records a job's outcome (tried a few times: a failed import's job left running
// would be shown as failed only once its heartbeat is stale; a successful import's job was
// already marked done by the import's own transaction).
func (s *Service) finishImport(ctx context.Context, jobID int64, p *ImportProgress, res *ImportResult, err error) {
	upd := importOutcome(p, res, err, s.now())
	var werr error
	for attempt := range 3 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * time.Second)
		}
		werr = s.db.WithContext(ctx).Model(&models.ImportJob{}).Where("id = ?", jobID).Updates(upd).Error
		if werr == nil {
			return
		}
	}
	if s.log != nil {
		s.log.Error("import job outcome not recorded", "job", jobID, "error", werr.Error())
	}
}

// recordDone writes a successful import's outcome into its job inside the import's own
// database transaction, so that a job whose lines were committed never reads "nothing was
// imported" when the instance dies before finishImport (found by the crash test: a SIGKILL
// between the commit and finishImport left the job running, then shown as failed, and a user
// importing again would have doubled the lines). finishImport writes the same values again.
func (p *ImportProgress) recordDone(tx *gorm.DB, res *ImportResult, now time.Time) error {
	if p == nil || p.jobID == 0 {
		return nil
	}
	return tx.Model(&models.ImportJob{}).Where("id = ?", p.jobID).Updates(importOutcome(p, res, nil, now)).Error
}

// importOutcome is the columns of an ended job.
func importOutcome(p *ImportProgress, res *ImportResult, err error, now time.Time) map[string]any {
	upd := p.counts()
	upd["status"], upd["heartbeat_at"], upd["finished_at"] = ImportFailed, now, now
	if err == nil && res != nil && res.OK() {
		upd["status"] = ImportDone
	}
	if res != nil {
		b, merr := json.Marshal(res)
		if merr != nil {
			err = apperr.Wrap(merr, "import result")
		} else {
			upd["result_json"] = string(b)
		}
	}
	if err != nil {
		ae := apperr.As(err)
		b, _ := json.Marshal(importJobError{Code: ae.Code, Text: ae.Text})
		upd["status"], upd["error_json"] = ImportFailed, string(b)
	}
	return upd
}
