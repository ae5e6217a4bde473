-- The first schema: everything `Store`, `SecretStore` and `KeyValueStore` keep.
--
-- Each record is kept whole as its JSON document (`doc`), as the sled backend keeps it, so a
-- field added to a model type needs no migration; the columns beside it are what queries
-- select, order and filter on, and are written from the same value in the same statement.
-- Times are ms since the Unix epoch (bigint); ids and names are the store's valid names.

CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE tenants (
    id  text PRIMARY KEY,
    doc text NOT NULL
);

CREATE TABLE api_keys (
    id            text PRIMARY KEY,
    tenant_id     text NOT NULL,
    secret_sha256 text NOT NULL UNIQUE,
    doc           text NOT NULL
);
CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, id);

-- A module's head: the version counter (locked with FOR UPDATE while a version is added),
-- the pin and the language.
CREATE TABLE modules (
    tenant_id text NOT NULL,
    name      text NOT NULL,
    latest    integer NOT NULL,
    pinned    integer,
    language  text,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE module_versions (
    tenant_id text NOT NULL,
    name      text NOT NULL,
    version   integer NOT NULL,
    doc       text NOT NULL,
    wasm      bytea NOT NULL,
    artifact  bytea NOT NULL,
    PRIMARY KEY (tenant_id, name, version),
    FOREIGN KEY (tenant_id, name) REFERENCES modules (tenant_id, name)
);

CREATE TABLE prompts (
    tenant_id text NOT NULL,
    name      text NOT NULL,
    doc       text NOT NULL,
    wav       bytea NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE calls (
    tenant_id     text NOT NULL,
    call_id       text NOT NULL,
    created_at_ms bigint NOT NULL,
    ended_at_ms   bigint,
    status        text NOT NULL,
    module        text NOT NULL,
    intent        text,
    callee        text,
    campaign_id   text,
    tags          text[] NOT NULL,
    summary       text NOT NULL,
    record        bytea NOT NULL,
    PRIMARY KEY (tenant_id, call_id)
);
-- Listings, newest first, and retention scans, oldest first.
CREATE INDEX calls_by_time ON calls (tenant_id, created_at_ms DESC, call_id);
-- After a crash: the calls still marked live, read alone.
CREATE INDEX calls_live ON calls (tenant_id, call_id) WHERE status = 'live';

CREATE TABLE recordings (
    tenant_id text NOT NULL,
    call_id   text NOT NULL,
    wav       bytea NOT NULL,
    PRIMARY KEY (tenant_id, call_id)
);

CREATE TABLE audit (
    id        text PRIMARY KEY,
    tenant_id text NOT NULL,
    at_ms     bigint NOT NULL,
    doc       text NOT NULL
);
CREATE INDEX audit_newest_first ON audit (tenant_id, at_ms DESC, id);

-- Script keys may hold any bytes, a 0 byte included, and list in byte order: bytea.
CREATE TABLE kv (
    tenant_id text NOT NULL,
    key       bytea NOT NULL,
    value     bytea NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

-- Bytes each tenant's keys and values take; the row is locked while a write checks the
-- quota, so two writers cannot both take the last bytes.
CREATE TABLE kv_usage (
    tenant_id text PRIMARY KEY,
    used      bigint NOT NULL
);

CREATE TABLE secrets (
    tenant_id     text NOT NULL,
    name          text NOT NULL,
    value         text NOT NULL,
    updated_at_ms bigint NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE trunks (
    name text PRIMARY KEY,
    doc  text NOT NULL
);

CREATE TABLE numbers (
    number text PRIMARY KEY,
    doc    text NOT NULL
);
