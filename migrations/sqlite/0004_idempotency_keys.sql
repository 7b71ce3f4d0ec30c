-- Idempotency keys for API creates: a client that retries a POST with the same
-- Idempotency-Key gets the first answer again, and exactly one record exists.

CREATE TABLE idempotency_keys (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    key             TEXT    NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash    TEXT    NOT NULL,      -- SHA-256 of method, path and body: a different request under the same key is refused
    response_status INTEGER NOT NULL,
    response_body   TEXT    NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_idempotency_keys ON idempotency_keys (user_id, key);
CREATE INDEX ix_idempotency_keys_created_at ON idempotency_keys (created_at);
