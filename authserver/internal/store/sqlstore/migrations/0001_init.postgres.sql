-- Initial schema, the same tables as the SQLite backend's.
--
-- Times are BIGINT nanoseconds since the Unix epoch, UTC; NULL stands for
-- the zero time.Time. Lists are TEXT[], never NULL.

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
	password_hash BYTEA,
	scopes        TEXT[]  NOT NULL,
	disabled      BOOLEAN NOT NULL,
	created_at    BIGINT,
	updated_at    BIGINT
);

CREATE TABLE clients (
	id          TEXT   NOT NULL PRIMARY KEY REFERENCES subjects (name),
	secret_hash BYTEA,
	grants      TEXT[] NOT NULL,
	scopes      TEXT[] NOT NULL,
	audience    TEXT[] NOT NULL,
	created_at  BIGINT,
	updated_at  BIGINT
);

-- Families outlive the user or client they belong to (they are revoked, not
-- deleted, so a replayed token is still recognised); DeleteExpired removes
-- them once they have expired. Hence no foreign key to users or clients.
CREATE TABLE refresh_families (
	id         TEXT   NOT NULL PRIMARY KEY,
	client_id  TEXT   NOT NULL,
	subject    TEXT   NOT NULL,
	created_at BIGINT,
	expires_at BIGINT NOT NULL,
	revoked_at BIGINT
);
CREATE INDEX refresh_families_subject ON refresh_families (subject);
CREATE INDEX refresh_families_client_id ON refresh_families (client_id);
CREATE INDEX refresh_families_expires_at ON refresh_families (expires_at);

CREATE TABLE refresh_tokens (
	id         TEXT   NOT NULL PRIMARY KEY,
	family_id  TEXT   NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
	client_id  TEXT   NOT NULL,
	subject    TEXT   NOT NULL,
	scopes     TEXT[] NOT NULL,
	audience   TEXT[] NOT NULL,
	created_at BIGINT,
	expires_at BIGINT NOT NULL,
	used_at    BIGINT
);
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);

CREATE TABLE revoked_access_tokens (
	jti        TEXT   NOT NULL PRIMARY KEY,
	expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_access_tokens_expires_at ON revoked_access_tokens (expires_at);

CREATE TABLE signing_keys (
	id           TEXT  NOT NULL PRIMARY KEY,
	algorithm    TEXT  NOT NULL,
	private_key  BYTEA NOT NULL,
	created_at   BIGINT,
	activates_at BIGINT
);
