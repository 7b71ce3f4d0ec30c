package models

import "time"

// The states of an import job.
const (
	ImportQueued  = "queued"
	ImportRunning = "running"
	ImportDone    = "done"   // every row imported
	ImportFailed  = "failed" // nothing imported: the file's problems, or an error
)

// ImportJob is a bulk import of lines into a transaction, run in the background by one instance
// and shown by any: its counts and heartbeat are written as it goes, its result when it ends.
type ImportJob struct {
	ID            int64 `gorm:"primaryKey"`
	UserID        int64 `gorm:"index:ix_import_jobs_user_status,priority:1"`
	TransactionID int64 `gorm:"index:ix_import_jobs_transaction"`
	FileName      string
	FileSHA256    string `gorm:"column:file_sha256"`
	Status        string `gorm:"index:ix_import_jobs_user_status,priority:2"`
	TotalRows     int64
	ParsedRows    int64
	CheckedRows   int64
	WrittenRows   int64
	ResultJSON    string `gorm:"column:result_json"`
	ErrorJSON     string `gorm:"column:error_json"`
	CreatedAt     time.Time
	HeartbeatAt   time.Time `gorm:"index:ix_import_jobs_heartbeat_at"`
	FinishedAt    *time.Time
}

// TableName is the import_jobs table.
func (ImportJob) TableName() string { return "import_jobs" }
