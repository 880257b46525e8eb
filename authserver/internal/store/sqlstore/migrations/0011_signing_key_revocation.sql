-- Withdrawn signing keys ('authserver keys revoke'): a revoked key is no
-- longer published, never signs again, and the tokens it signed are
-- inactive; the row stays until they have expired.
ALTER TABLE signing_keys ADD COLUMN revoked_at {time};
