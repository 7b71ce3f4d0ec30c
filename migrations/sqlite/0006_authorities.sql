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

-- market supervision
-- A spot-check draw keeps what it read (the active merchants, the on-duty inspectors and the
-- merchants added for complaints, as ascending id ranges like "1-40,42"), so a replay from the
-- stored seed recomputes the same checks. A failed check may change the merchant's status.
ALTER TABLE spot_check_campaigns ADD COLUMN candidate_ids TEXT NOT NULL DEFAULT '';
ALTER TABLE spot_check_campaigns ADD COLUMN candidate_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spot_check_campaigns ADD COLUMN inspector_ids TEXT NOT NULL DEFAULT '';
ALTER TABLE spot_check_campaigns ADD COLUMN complaint_ids TEXT NOT NULL DEFAULT '';
ALTER TABLE spot_check_campaigns ADD COLUMN published_by_user_id INTEGER REFERENCES users (id);
ALTER TABLE spot_check_campaigns ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE INDEX ix_spot_check_campaigns_published_by ON spot_check_campaigns (published_by_user_id);
CREATE INDEX ix_spot_check_campaigns_status ON spot_check_campaigns (status, id);
ALTER TABLE spot_checks ADD COLUMN merchant_status TEXT NOT NULL DEFAULT ''
    CHECK (merchant_status IN ('','abnormal','suspended','blacklisted'));
ALTER TABLE spot_checks ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE UNIQUE INDEX ux_spot_checks_campaign_merchant ON spot_checks (campaign_id, merchant_id);
CREATE INDEX ix_spot_checks_inspector_result ON spot_checks (inspector_user_id, result);

-- tax
-- A transaction line is claimed by at most one VAT exemption filing that is not rejected
-- (DOMAIN §5.1): the partial unique index refuses a second claim even when two filings of the
-- same merchant and month are built at once; rejecting a filing releases its lines.
ALTER TABLE tax_filing_lines ADD COLUMN claimed BOOLEAN NOT NULL DEFAULT TRUE;
CREATE UNIQUE INDEX ux_tax_filing_lines_claimed ON tax_filing_lines (transaction_line_id) WHERE claimed;
-- The lines exited in a month: filings and the overdue list read declarations by exit date.
CREATE INDEX ix_declarations_status_exit_date ON declarations (status, exit_date);
-- Draft filings past their due date (overdue list).
CREATE INDEX ix_tax_filings_status_due ON tax_filings (status, due_date);

-- customs desk
-- The item numbers an inspection found discrepant ("3,7"), read with the findings text; the
-- merchants of those items and the agent have their credit class lowered.
ALTER TABLE inspections ADD COLUMN discrepancy_items TEXT NOT NULL DEFAULT '';
-- The customs queue (per status, oldest first) and a declaration's latest event of a kind.
CREATE INDEX ix_declarations_status_submitted ON declarations (status, submitted_at);
CREATE INDEX ix_customs_events_declaration_kind ON customs_events (declaration_id, kind, id);

-- notifications and webhooks
-- A user's list, newest first; a webhook's deliveries, newest first, all or by status.
CREATE INDEX ix_notifications_user_newest ON notifications (user_id, id);
CREATE INDEX ix_webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX ix_webhook_deliveries_webhook_status ON webhook_deliveries (webhook_id, status, id);

-- fx
-- The receipts of one uploaded bank statement (the list filtered by statement reference).
CREATE INDEX ix_fx_receipts_statement ON fx_receipts (statement_ref);
