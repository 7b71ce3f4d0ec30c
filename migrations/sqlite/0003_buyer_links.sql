-- Buyer links (issue 3): which merchants and agents have a buyer in their list. A buyer is one
-- person, kept once (unique on nationality + document number); each merchant or agent that
-- registers the same person gets a link to the existing row, never a second buyer.

CREATE TABLE buyer_links (
    id                 INTEGER PRIMARY KEY,
    buyer_id           INTEGER NOT NULL REFERENCES buyers (id),
    merchant_id        INTEGER REFERENCES merchants (id),
    agent_id           INTEGER REFERENCES agents (id),
    created_by_user_id INTEGER NOT NULL REFERENCES users (id),
    created_at         TIMESTAMP NOT NULL,
    -- a link belongs to exactly one merchant or one agent
    CHECK ((merchant_id IS NULL) <> (agent_id IS NULL))
);
-- At most one link per party and buyer (NULLs are distinct, so agent links do not collide on
-- the merchant index and the other way round).
CREATE UNIQUE INDEX ux_buyer_links_merchant ON buyer_links (buyer_id, merchant_id);
CREATE UNIQUE INDEX ux_buyer_links_agent ON buyer_links (buyer_id, agent_id);
-- A party's list of buyers.
CREATE INDEX ix_buyer_links_merchant ON buyer_links (merchant_id, buyer_id);
CREATE INDEX ix_buyer_links_agent ON buyer_links (agent_id, buyer_id);
CREATE INDEX ix_buyer_links_created_by ON buyer_links (created_by_user_id);

-- Buyers registered before this migration stay in the list of the merchant or agent whose user
-- registered them.
INSERT INTO buyer_links (buyer_id, merchant_id, agent_id, created_by_user_id, created_at)
SELECT b.id, u.merchant_id, u.agent_id, u.id, b.created_at
FROM buyers b
JOIN users u ON u.id = b.created_by_user_id
WHERE (u.merchant_id IS NULL) <> (u.agent_id IS NULL);
