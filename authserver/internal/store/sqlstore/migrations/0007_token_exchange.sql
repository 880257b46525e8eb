-- The audiences a client may exchange subject tokens for (RFC 8693).
ALTER TABLE clients ADD COLUMN exchange_audiences {list} NOT NULL DEFAULT {empty list};
