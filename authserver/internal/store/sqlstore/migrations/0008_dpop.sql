-- Refresh tokens bound to a DPoP key (RFC 9449 §5), by its thumbprint.
ALTER TABLE refresh_tokens ADD COLUMN jkt TEXT NOT NULL DEFAULT '';

-- Secrets the replicas share, such as the key of DPoP nonces.
CREATE TABLE server_secrets (
	name       TEXT    NOT NULL PRIMARY KEY,
	value      {bytes} NOT NULL,
	created_at {time}
);
