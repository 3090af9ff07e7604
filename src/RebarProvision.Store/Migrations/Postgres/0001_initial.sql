-- Inventory documents, keyed by (kind, key); the body is the object's camelCase JSON.
CREATE TABLE objects (
    kind       text        NOT NULL,
    key        text        NOT NULL,
    revision   bigint      NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    body       jsonb       NOT NULL,
    PRIMARY KEY (kind, key)
);

-- Unique fields besides the key (machine name and MACs, subnet cidr, reservation token), written in the same
-- transaction as the object so the primary key enforces them.
CREATE TABLE object_unique (
    kind  text NOT NULL,
    field text NOT NULL,
    value text NOT NULL,
    key   text NOT NULL,
    PRIMARY KEY (kind, field, value)
);
CREATE INDEX object_unique_by_key ON object_unique (kind, key);

-- The store-wide revision counter: every write takes the next value.
CREATE SEQUENCE revision;

CREATE TABLE leases (
    addr       text        NOT NULL PRIMARY KEY,
    addr_int   bigint      NOT NULL,
    subnet     text        NOT NULL,
    token      text        NOT NULL,
    state      text        NOT NULL CHECK (state IN ('offered', 'bound', 'expired', 'declined', 'released')),
    expires_at timestamptz NOT NULL,
    node       text        NOT NULL,
    revision   bigint      NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (subnet, addr_int)
);
-- At most one active lease per token, so no client holds two addresses whichever node answered it. An exclusion
-- constraint rather than a partial unique index because it can be checked at the end of the statement: a claim
-- takes the new address and ends the token's old lease in one statement, in whichever order PostgreSQL runs them.
ALTER TABLE leases ADD CONSTRAINT leases_active_token
    EXCLUDE USING btree (token WITH =) WHERE (state IN ('offered', 'bound')) DEFERRABLE INITIALLY IMMEDIATE;
CREATE INDEX leases_by_token ON leases (token); -- not updated_at: a renewal would rewrite this index too
CREATE INDEX leases_by_expiry ON leases (subnet, expires_at);

CREATE TABLE events (
    id     bigserial   PRIMARY KEY,
    time   timestamptz NOT NULL,
    kind   text        NOT NULL,
    key    text        NOT NULL,
    actor  text        NOT NULL,
    object jsonb
);
CREATE INDEX events_by_time ON events (time);
