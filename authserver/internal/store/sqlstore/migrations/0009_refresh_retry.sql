-- Retried refresh rotations. A rotated token records the token it was
-- rotated into, so that the same parent, presented again within the grace
-- window by a client that never received the answer, is given that same
-- successor rather than taken for a stolen copy. The successor is derived
-- with a server secret (server_secrets, made by an earlier migration).
ALTER TABLE refresh_tokens ADD COLUMN successor_id TEXT;
