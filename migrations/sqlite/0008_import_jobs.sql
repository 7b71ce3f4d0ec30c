-- Bulk import jobs live in the database, so any instance of mpt shows a job's progress (the
-- page polls /imports/<id>, and a load balancer may send each poll elsewhere).
--
-- The instance that runs a job writes its counts and heartbeat_at about twice a second; a job
-- still "running" whose heartbeat is older than a minute belongs to an instance that died and is
-- shown as failed. The import itself is one database transaction, so a dead job left nothing
-- half-written. result_json is the finished import (rows, lines written or every problem);
-- error_json an error other than the file's problems ({"code": ..., "text": {"en", "zh"}}).

CREATE TABLE import_jobs (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    transaction_id INTEGER NOT NULL REFERENCES transactions (id),
    file_name      TEXT    NOT NULL,
    file_sha256    TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    total_rows     INTEGER NOT NULL DEFAULT 0,
    parsed_rows    INTEGER NOT NULL DEFAULT 0,
    checked_rows   INTEGER NOT NULL DEFAULT 0,
    written_rows   INTEGER NOT NULL DEFAULT 0,
    result_json    TEXT    NOT NULL DEFAULT '',
    error_json     TEXT    NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    heartbeat_at   TIMESTAMP NOT NULL,
    finished_at    TIMESTAMP
);
CREATE INDEX ix_import_jobs_user_status ON import_jobs (user_id, status);
CREATE INDEX ix_import_jobs_transaction ON import_jobs (transaction_id);
CREATE INDEX ix_import_jobs_heartbeat_at ON import_jobs (heartbeat_at); -- old jobs are deleted by it
