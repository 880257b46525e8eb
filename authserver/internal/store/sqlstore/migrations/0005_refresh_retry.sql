-- Retried refresh rotations. A rotated token records the token it was
-- rotated into, so that the same parent, presented again within the grace
-- window by a client that never received the answer, is given that same
-- successor rather than taken for a stolen copy.
ALTER TABLE refresh_tokens ADD COLUMN successor_id TEXT;

-- Secrets the server generates once and every replica shares, such as the
-- key successor refresh tokens are derived with.
CREATE TABLE server_secrets (
	name       TEXT    NOT NULL PRIMARY KEY,
	value      {bytes} NOT NULL,
	created_at {time}  NOT NULL
);
