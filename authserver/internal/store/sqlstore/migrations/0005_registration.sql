-- Clients that register themselves (RFC 7591, RFC 7592).

-- The hash of a registered client's registration access token (NULL for
-- clients an administrator added), and when the client first obtained a
-- token: registered clients never used expire.
ALTER TABLE clients ADD COLUMN registration_token_hash {bytes};
ALTER TABLE clients ADD COLUMN first_used_at {time};
CREATE INDEX clients_unused ON clients (created_at) WHERE registration_token_hash IS NOT NULL AND first_used_at IS NULL;

-- Initial access tokens for registration, by their hash.
CREATE TABLE registration_tokens (
	id         TEXT  NOT NULL PRIMARY KEY,
	uses_left  {int} NOT NULL,
	created_at {time},
	expires_at {time} NOT NULL
);
