-- Initial schema.
--
-- Times are INTEGER nanoseconds since the Unix epoch, UTC; NULL stands for
-- the zero time.Time. Lists are JSON arrays of strings stored as TEXT.

-- Users and clients share one subject namespace: every user and every client
-- holds the row of its name here, inserted in the same transaction as the
-- user or client itself, so the primary key decides any race between the two.
CREATE TABLE subjects (
	name TEXT NOT NULL PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('user', 'client'))
);

CREATE TABLE users (
	username      TEXT    NOT NULL PRIMARY KEY REFERENCES subjects (name),
	email         TEXT    NOT NULL,
	full_name     TEXT    NOT NULL,
	password_hash BLOB,
	scopes        TEXT    NOT NULL,
	disabled      INTEGER NOT NULL CHECK (disabled IN (0, 1)),
	created_at    INTEGER,
	updated_at    INTEGER
);

CREATE TABLE clients (
	id          TEXT NOT NULL PRIMARY KEY REFERENCES subjects (name),
	secret_hash BLOB,
	grants      TEXT NOT NULL,
	scopes      TEXT NOT NULL,
	audience    TEXT NOT NULL,
	created_at  INTEGER,
	updated_at  INTEGER
);

-- Families outlive the user or client they belong to (they are revoked, not
-- deleted, so a replayed token is still recognised); DeleteExpired removes
-- them once they have expired. Hence no foreign key to users or clients.
CREATE TABLE refresh_families (
	id         TEXT    NOT NULL PRIMARY KEY,
	client_id  TEXT    NOT NULL,
	subject    TEXT    NOT NULL,
	created_at INTEGER,
	expires_at INTEGER NOT NULL,
	revoked_at INTEGER
);
CREATE INDEX refresh_families_subject ON refresh_families (subject);
CREATE INDEX refresh_families_client_id ON refresh_families (client_id);
CREATE INDEX refresh_families_expires_at ON refresh_families (expires_at);

CREATE TABLE refresh_tokens (
	id         TEXT    NOT NULL PRIMARY KEY,
	family_id  TEXT    NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
	client_id  TEXT    NOT NULL,
	subject    TEXT    NOT NULL,
	scopes     TEXT    NOT NULL,
	audience   TEXT    NOT NULL,
	created_at INTEGER,
	expires_at INTEGER NOT NULL,
	used_at    INTEGER
);
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);

CREATE TABLE revoked_access_tokens (
	jti        TEXT    NOT NULL PRIMARY KEY,
	expires_at INTEGER NOT NULL
);
CREATE INDEX revoked_access_tokens_expires_at ON revoked_access_tokens (expires_at);

CREATE TABLE signing_keys (
	id           TEXT NOT NULL PRIMARY KEY,
	algorithm    TEXT NOT NULL,
	private_key  BLOB NOT NULL,
	created_at   INTEGER,
	activates_at INTEGER
);
CREATE INDEX signing_keys_activates_at ON signing_keys (activates_at, id);
