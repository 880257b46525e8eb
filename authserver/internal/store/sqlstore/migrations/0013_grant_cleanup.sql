-- The cleanup of revoked refresh families and of rotated refresh tokens
-- past their expiry (DeleteExpired) finds them by index: partial indexes,
-- so that live, unrevoked grants (almost every row) add nothing to them.
CREATE INDEX refresh_families_revoked_at ON refresh_families (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX refresh_tokens_used_expires_at ON refresh_tokens (expires_at) WHERE used_at IS NOT NULL;
