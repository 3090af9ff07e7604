-- Inventory documents, keyed by (kind, key); the body is the object's camelCase JSON.
CREATE TABLE objects (
    kind       TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    revision   INTEGER NOT NULL,
    created_at INTEGER NOT NULL, -- microseconds since the Unix epoch, UTC
    updated_at INTEGER NOT NULL,
    body       TEXT    NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;

-- Unique fields besides the key (machine name and MACs, subnet cidr, reservation token), written in the same
-- transaction as the object so the primary key enforces them.
CREATE TABLE object_unique (
    kind  TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    key   TEXT NOT NULL,
    PRIMARY KEY (kind, field, value)
) WITHOUT ROWID;
CREATE INDEX object_unique_by_key ON object_unique (kind, key);

-- The store-wide revision counter: every write takes the next value.
CREATE TABLE revision (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO revision (id, value) VALUES (1, 0);

CREATE TABLE leases (
    addr       TEXT    NOT NULL PRIMARY KEY,
    addr_int   INTEGER NOT NULL,
    subnet     TEXT    NOT NULL,
    token      TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('offered', 'bound', 'expired', 'declined', 'released')),
    expires_at INTEGER NOT NULL,
    node       TEXT    NOT NULL,
    revision   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (subnet, addr_int)
);
-- At most one active lease per token: the database, not timing, keeps a client from holding two addresses.
CREATE UNIQUE INDEX leases_active_token ON leases (token) WHERE state IN ('offered', 'bound');
CREATE INDEX leases_by_token ON leases (token); -- not updated_at: a renewal would rewrite this index too
CREATE INDEX leases_by_expiry ON leases (subnet, expires_at);

CREATE TABLE events (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    time   INTEGER NOT NULL,
    kind   TEXT    NOT NULL,
    key    TEXT    NOT NULL,
    actor  TEXT    NOT NULL,
    object TEXT
);
CREATE INDEX events_by_time ON events (time);
