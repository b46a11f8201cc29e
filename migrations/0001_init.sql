-- The control plane's first schema. Every resource row carries an opaque
-- etag (regenerated on each change) and RFC 3339 UTC timestamps; seq orders
-- lists and pages. Secrets are stored only as AES-256-GCM ciphertext
-- (server/secret.h); tokens only as SHA-256 hashes.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE tokens (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'standard')),
    hash       TEXT NOT NULL UNIQUE,
    etag       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE data_sources (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL UNIQUE,
    spec       TEXT NOT NULL,          -- the resource as JSON, without secrets
    password   BLOB,                   -- sealed SASL password, NULL when none
    etag       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE resource_groups (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL UNIQUE,
    max_acus   INTEGER NOT NULL CHECK (max_acus >= 0),
    etag       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE databases (
    seq        INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    catalog    TEXT NOT NULL CHECK (catalog IN ('iceberg', 'paimon')),
    external   INTEGER NOT NULL CHECK (external IN (0, 1)),
    location   TEXT,
    properties TEXT NOT NULL,          -- JSON object of strings
    etag       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The catalog's tables: one row per table the server has created; the
-- committer (a later module) moves metadata_location forward.
CREATE TABLE tables (
    seq               INTEGER PRIMARY KEY,
    database          TEXT NOT NULL REFERENCES databases(name) ON DELETE RESTRICT,
    name              TEXT NOT NULL,
    format            TEXT NOT NULL CHECK (format IN ('iceberg', 'paimon')),
    location          TEXT NOT NULL,
    metadata_location TEXT,
    created_at        TEXT NOT NULL,
    UNIQUE (database, name)
);

CREATE TABLE jobs (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL UNIQUE,
    data_source_id    TEXT NOT NULL REFERENCES data_sources(id) ON DELETE RESTRICT,
    resource_group_id TEXT NOT NULL REFERENCES resource_groups(id) ON DELETE RESTRICT,
    acus              INTEGER NOT NULL CHECK (acus >= 2),
    database          TEXT NOT NULL,
    table_name        TEXT NOT NULL,
    path              TEXT NOT NULL,   -- effective destination, normalized with a trailing /
    spec              TEXT NOT NULL,   -- the job as JSON, without secrets
    secret            BLOB,            -- sealed destination secret_access_key
    state             TEXT NOT NULL DEFAULT 'stopped'
                      CHECK (state IN ('stopped', 'starting', 'running', 'stopping', 'failed')),
    state_reason      TEXT,
    etag              TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (database, table_name)
);
CREATE INDEX jobs_by_group ON jobs(resource_group_id);
CREATE INDEX jobs_by_source ON jobs(data_source_id);
