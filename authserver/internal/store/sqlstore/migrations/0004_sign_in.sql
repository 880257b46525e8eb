-- Signing people in with the authorization code grant.

-- Clients that sign people in: a name shown on the pages, the exact
-- redirect URIs, where to send people after they sign out, and whether
-- they are asked to consent.
ALTER TABLE clients ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN redirect_uris {list} NOT NULL DEFAULT {empty list};
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris {list} NOT NULL DEFAULT {empty list};
ALTER TABLE clients ADD COLUMN skip_consent {bool} NOT NULL DEFAULT {false};

-- Authorization codes, by the hash of the code; used_at marks their one
-- use. They are kept an hour past their expiry, so that a second use is
-- still recognised, and revokes the grant (family_id) the first started.
CREATE TABLE auth_codes (
	id             TEXT   NOT NULL PRIMARY KEY,
	client_id      TEXT   NOT NULL,
	subject        TEXT   NOT NULL,
	redirect_uri   TEXT   NOT NULL,
	scopes         {list} NOT NULL,
	audience       {list} NOT NULL,
	code_challenge TEXT   NOT NULL,
	nonce          TEXT   NOT NULL,
	session_id     TEXT   NOT NULL,
	auth_time      {time},
	family_id      TEXT   NOT NULL,
	created_at     {time},
	expires_at     {time} NOT NULL,
	used_at        {time}
);
CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);
CREATE INDEX auth_codes_client_id ON auth_codes (client_id);

-- Browser sessions, found by the hash of their cookie; id is public (the
-- "sid" of ID tokens).
CREATE TABLE sessions (
	id          TEXT   NOT NULL PRIMARY KEY,
	cookie_hash TEXT   NOT NULL,
	subject     TEXT   NOT NULL,
	auth_time   {time},
	created_at  {time},
	expires_at  {time} NOT NULL
);
CREATE UNIQUE INDEX sessions_cookie_hash ON sessions (cookie_hash);
CREATE INDEX sessions_subject ON sessions (subject);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- What each person allowed each client.
CREATE TABLE consents (
	subject    TEXT   NOT NULL,
	client_id  TEXT   NOT NULL,
	scopes     {list} NOT NULL,
	created_at {time},
	updated_at {time},
	PRIMARY KEY (subject, client_id)
);
CREATE INDEX consents_client_id ON consents (client_id);
