-- The authorities' steps (issue 6): what customs routing needs to replay a decision, the
-- post-clearance audit of blue-lane declarations, in-app notifications, and agents' webhooks
-- with their delivery outbox (deliveries live in the database so any instance can send them).

-- The facts a routing decision read (HS items, watch lists, credit classes, recent
-- declarations of the buyer, packing totals), so a replay recomputes the same lane from them.
ALTER TABLE customs_decisions ADD COLUMN facts_json TEXT NOT NULL DEFAULT '{}';

-- Blue lane: released first, audited after clearance.
ALTER TABLE declarations ADD COLUMN post_audit_at TIMESTAMP;
ALTER TABLE declarations ADD COLUMN post_audit_by_user_id INTEGER REFERENCES users (id);
ALTER TABLE declarations ADD COLUMN post_audit_result TEXT NOT NULL DEFAULT ''
    CHECK (post_audit_result IN ('','conform','discrepancy'));
ALTER TABLE declarations ADD COLUMN post_audit_findings TEXT NOT NULL DEFAULT '';
CREATE INDEX ix_declarations_post_audit_by ON declarations (post_audit_by_user_id);
CREATE INDEX ix_declarations_lane_status ON declarations (lane, status);

-- Receipts recorded from one uploaded bank statement share its batch reference.
ALTER TABLE fx_receipts ADD COLUMN statement_ref TEXT NOT NULL DEFAULT '';

CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    kind        TEXT    NOT NULL,
    text_en     TEXT    NOT NULL,
    text_zh     TEXT    NOT NULL,
    link        TEXT    NOT NULL DEFAULT '',
    entity      TEXT    NOT NULL DEFAULT '',
    entity_id   TEXT    NOT NULL DEFAULT '',
    read_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX ix_notifications_user ON notifications (user_id, read_at, id);

CREATE TABLE webhooks (
    id                 INTEGER PRIMARY KEY,
    agent_id           INTEGER NOT NULL REFERENCES agents (id),
    url                TEXT    NOT NULL CHECK (url <> ''),
    secret             TEXT    NOT NULL CHECK (length(secret) >= 32),
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    created_by_user_id INTEGER REFERENCES users (id),
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE INDEX ix_webhooks_agent ON webhooks (agent_id);
CREATE INDEX ix_webhooks_created_by ON webhooks (created_by_user_id);

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    webhook_id       INTEGER NOT NULL REFERENCES webhooks (id),
    event_id         TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    payload_json     TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','delivered','failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL,
    last_status_code INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT    NOT NULL DEFAULT '',
    delivered_at     TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_webhook_deliveries_event ON webhook_deliveries (webhook_id, event_id);
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

INSERT INTO settings (key, value, updated_at) VALUES
    ('supervision.spot_check_min_permille', '50', CURRENT_TIMESTAMP), -- "at least 5% a year" (DOMAIN §8)
    ('fx.unallocated_days', '30', CURRENT_TIMESTAMP);                 -- money unallocated this long is flagged
