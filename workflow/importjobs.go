package workflow

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"mpt/workflow/apperr"
)

// Import jobs run a bulk import in the background while the user's page polls its progress.
// They live in the process's memory: a restart forgets them (the import itself is one database
// transaction, so it either committed or left nothing behind).

// The states of an import job.
const (
	ImportRunning = "running"
	ImportDone    = "done"   // every row imported
	ImportFailed  = "failed" // nothing imported: the file's problems, or an error
)

// Limits of the job registry.
const (
	importJobTTL        = time.Hour       // finished jobs are forgotten after this
	importJobTimeout    = 5 * time.Minute // an import taking longer is cancelled (and rolled back)
	maxRunningPerUser   = 2
	maxImportJobsStored = 1000
)

// ImportJobs is the registry of import jobs, keyed by a random id; each job belongs to the user
// who started it.
type ImportJobs struct {
	mu   sync.Mutex
	jobs map[string]*ImportJob
}

// NewImportJobs returns an empty registry.
func NewImportJobs() *ImportJobs { return &ImportJobs{jobs: map[string]*ImportJob{}} }

// ImportJob is one import running or finished.
type ImportJob struct {
	ID            string
	UserID        int64
	TransactionID int64
	FileName      string

	nTotal, nParsed, nChecked, nWritten atomic.Int64

	mu       sync.Mutex
	state    string
	result   *ImportResult
	err      error
	finished time.Time
	done     chan struct{}
}

// Counters, safe on a nil job (a synchronous import without progress).
func (j *ImportJob) parsed(n int) {
	if j != nil {
		j.nParsed.Add(int64(n))
	}
}

func (j *ImportJob) validated(n int) {
	if j != nil {
		j.nChecked.Add(int64(n))
	}
}

func (j *ImportJob) wrote(n int) {
	if j != nil {
		j.nWritten.Add(int64(n))
	}
}

func (j *ImportJob) resetWritten() {
	if j != nil {
		j.nWritten.Store(0)
	}
}

func (j *ImportJob) setTotal(n int) {
	if j != nil {
		j.nTotal.Store(int64(n))
	}
}

// Done is closed when the job has finished.
func (j *ImportJob) Done() <-chan struct{} { return j.done }

// finish records the outcome.
func (j *ImportJob) finish(res *ImportResult, err error, now time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.result, j.err, j.finished = res, err, now
	j.state = ImportFailed
	if err == nil && res != nil && res.OK() {
		j.state = ImportDone
	}
	close(j.done)
}

// ImportStatus is a job's progress as a page shows it.
type ImportStatus struct {
	ID            string
	TransactionID int64
	FileName      string
	State         string
	Total         int64 // data rows, once the file is read
	Parsed        int64 // rows read
	Checked       int64 // rows checked
	Written       int64 // lines written
	Result        *ImportResult
	Err           error // an error other than the file's problems (conflict, internal)
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

// Status returns a snapshot of the job.
func (j *ImportJob) Status() ImportStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	return ImportStatus{ID: j.ID, TransactionID: j.TransactionID, FileName: j.FileName, State: j.state,
		Total: j.nTotal.Load(), Parsed: j.nParsed.Load(), Checked: j.nChecked.Load(), Written: j.nWritten.Load(),
		Result: j.result, Err: j.err}
}

var importJobNoun = apperr.T("Import", "导入任务")

// Get returns a job of the actor's (others' are NotFound).
func (r *ImportJobs) Get(actor Actor, id string) (*ImportJob, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j := r.jobs[id]
	if j == nil || actor.Anonymous() || j.UserID != actor.UserID {
		return nil, apperr.New(apperr.NotFound, apperr.T(importJobNoun.En+" not found (finished imports are kept for an hour)",
			"未找到"+importJobNoun.Zh+"（已完成的导入保留一小时）"))
	}
	return j, nil
}

// add registers a new running job, forgetting old finished ones.
func (r *ImportJobs) add(actor Actor, transactionID int64, fileName string, now time.Time) (*ImportJob, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	running := 0
	for id, j := range r.jobs {
		j.mu.Lock()
		state, finished := j.state, j.finished
		j.mu.Unlock()
		switch {
		case state != ImportRunning && now.Sub(finished) > importJobTTL:
			delete(r.jobs, id)
		case state == ImportRunning && j.UserID == actor.UserID:
			running++
		}
	}
	if running >= maxRunningPerUser {
		return nil, apperr.New(apperr.Conflict, apperr.T("Two of your imports are still running; wait for them to finish",
			"您已有两个导入正在进行，请等待完成后再导入"))
	}
	if len(r.jobs) >= maxImportJobsStored {
		return nil, apperr.New(apperr.Conflict, apperr.T("Too many imports are running; try again in a few minutes", "当前导入任务过多，请几分钟后重试"))
	}
	var b [16]byte
	_, _ = crand.Read(b[:])
	j := &ImportJob{ID: hex.EncodeToString(b[:]), UserID: actor.UserID, TransactionID: transactionID, FileName: CleanFileName(fileName),
		state: ImportRunning, done: make(chan struct{})}
	r.jobs[j.ID] = j
	return j, nil
}

// StartImport checks what can be checked at once (the user, the transaction, the file's size)
// and runs ImportLines in the background as a job of the registry; the caller shows the job's
// progress. The import keeps the request's values (its id, for the audit log) but not its
// cancellation: it runs to the end, within importJobTimeout.
func (s *Service) StartImport(ctx context.Context, actor Actor, jobs *ImportJobs, transactionID int64, in ImportInput) (*ImportJob, error) {
	if err := transactionManager(actor); err != nil {
		return nil, err
	}
	switch {
	case len(in.Data) == 0:
		return nil, apperr.Field("file", apperr.T("Choose the .xlsx or .csv file to import", "请选择要导入的 .xlsx 或 .csv 文件"))
	case len(in.Data) > MaxImportFileSize:
		return nil, apperr.Field("file", apperr.T("The file is larger than 10 MB; split it into smaller files", "文件超过 10 MB，请拆分为较小的文件"))
	}
	if _, err := s.importTarget(ctx, actor, transactionID, in.Version); err != nil {
		return nil, err
	}
	job, err := jobs.add(actor, transactionID, in.FileName, s.now())
	if err != nil {
		return nil, err
	}
	go func() {
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), importJobTimeout)
		defer cancel()
		var (
			res *ImportResult
			err error
		)
		defer func() {
			if p := recover(); p != nil {
				res, err = nil, apperr.Wrap(fmt.Errorf("panic: %v", p), "import job")
			}
			if err != nil && s.log != nil && apperr.CodeOf(err) == apperr.Internal {
				s.log.Error("import failed", "job", job.ID, "error", err.Error())
			}
			job.finish(res, err, s.now())
		}()
		res, err = s.ImportLines(bg, actor, transactionID, in, job)
	}()
	return job, nil
}
