-- Clients that authenticate with signed assertions (RFC 7523 §2.2)
-- instead of a secret: their own key set, inline or by URL, or a trusted
-- issuer of workload tokens and their subject there.
ALTER TABLE clients ADD COLUMN jwks TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN jwks_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN assertion_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN assertion_subject TEXT NOT NULL DEFAULT '';

-- Issuers of workload identity tokens that clients may present as their
-- assertions.
CREATE TABLE trusted_issuers (
	issuer     TEXT   NOT NULL PRIMARY KEY,
	jwks_url   TEXT   NOT NULL,
	audience   TEXT   NOT NULL,
	created_at {time}
);

-- One-time values that were used (assertion and DPoP proof "jti"s), kept
-- until they could no longer be accepted anyway, so that every replica
-- refuses a replay.
CREATE TABLE used_once (
	key        TEXT   NOT NULL PRIMARY KEY,
	expires_at {time} NOT NULL
);
CREATE INDEX used_once_expires_at ON used_once (expires_at);
