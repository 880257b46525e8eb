-- The statements of the grants, /introspect, /revoke and the cleanup, with
-- literal values, one a line ({in list}: the dialect's list parameter);
-- e2e/bench/data.sh prints the plan of each on both big databases.
SELECT id, secret_hash, grants FROM clients WHERE id = 'seed-client-000042'
SELECT username, password_hash, scopes FROM users WHERE username = 'seed-user-0000042'
SELECT key, failures FROM failure_records WHERE key {in list}
DELETE FROM failure_records WHERE key = 'login:x'
SELECT t.id, t.used_at, f.id, f.revoked_at FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE t.id = 'x'
UPDATE refresh_tokens SET used_at = 1, successor_id = 'y' WHERE id = 'x' AND used_at IS NULL
UPDATE refresh_families SET revoked_at = 1 WHERE id = 'x' AND revoked_at IS NULL
SELECT id FROM refresh_families WHERE expires_at < 5 ORDER BY expires_at LIMIT 500
SELECT id FROM refresh_families WHERE revoked_at < 5 ORDER BY revoked_at LIMIT 500
DELETE FROM refresh_tokens WHERE id IN (SELECT id FROM refresh_tokens WHERE used_at IS NOT NULL AND expires_at < 5 LIMIT 500)
DELETE FROM refresh_tokens WHERE family_id {in list}
SELECT key FROM failure_records WHERE last_failure >= 1 AND forget_at > 2
