-- Every lease claim rewrote six b-trees: the rowid table, the primary key's index, UNIQUE (subnet, addr_int), two
-- token indexes and the expiry index. The store now reads leases by address and by token from memory, so the
-- table keeps only what the writer's own checks and the remaining range reads use: the address as the clustered
-- key (WITHOUT ROWID), the one-active-lease-per-token constraint, and the expiry index of the mostExpired picker.
-- (subnet, addr_int) was unique only because addr is.
CREATE TABLE leases_keyed (
    addr       TEXT    NOT NULL PRIMARY KEY,
    addr_int   INTEGER NOT NULL,
    subnet     TEXT    NOT NULL,
    token      TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('offered', 'bound', 'expired', 'declined', 'released')),
    expires_at INTEGER NOT NULL,
    node       TEXT    NOT NULL,
    revision   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO leases_keyed (addr, addr_int, subnet, token, state, expires_at, node, revision, created_at, updated_at)
    SELECT addr, addr_int, subnet, token, state, expires_at, node, revision, created_at, updated_at FROM leases;
DROP TABLE leases;
ALTER TABLE leases_keyed RENAME TO leases;
CREATE UNIQUE INDEX leases_active_token ON leases (token) WHERE state IN ('offered', 'bound');
CREATE INDEX leases_by_expiry ON leases (subnet, expires_at);
