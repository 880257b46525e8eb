-- The index ListSigningKeys reads the keys in order by, which the first
-- PostgreSQL migration lacked; SQLite has had it from the start.
CREATE INDEX IF NOT EXISTS signing_keys_activates_at ON signing_keys (activates_at, id);
