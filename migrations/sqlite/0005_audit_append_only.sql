-- The audit log is append-only: the database itself refuses to change or remove an entry, so
-- no code path (and no stray UPDATE in a console) can rewrite history. Verification of the hash
-- chain catches what happens outside the database.

CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only: entries cannot be changed');
END;

CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only: entries cannot be deleted');
END;
