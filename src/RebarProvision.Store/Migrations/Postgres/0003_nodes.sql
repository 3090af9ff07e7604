-- Cluster membership (DESIGN §7): every node upserts its row once a second; liveness is judged against the
-- database's own clock (now() - last_seen), so nodes with skewed clocks still agree on who is alive.
CREATE TABLE nodes (
    name       text        NOT NULL PRIMARY KEY,
    api_url    text        NOT NULL,
    boot_url   text        NOT NULL,
    addresses  text[]      NOT NULL,
    version    text        NOT NULL,
    started_at timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    singleton  boolean     NOT NULL DEFAULT false
);
