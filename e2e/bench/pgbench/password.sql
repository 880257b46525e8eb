-- The statements of one password grant on PostgreSQL, as the server runs
-- them (docs/scaling.md lists them, counted): the client, the failure
-- counts and the user by key, the user's failure count forgotten, then the
-- new grant's family and first token in one transaction. Run by
-- e2e/bench/roundtrips.sh with -D nusers -D nclients.
\set c random(0, :nclients - 1)
\set u random(0, :nusers - 1)
\set f random(1, 9000000000000000000)
SELECT id, secret_hash, grants, scopes, audience, created_at, updated_at, name, redirect_uris, post_logout_redirect_uris, skip_consent, registration_token_hash, first_used_at, jwks, jwks_uri, assertion_issuer, assertion_subject, exchange_audiences FROM clients WHERE id = 'seed-client-' || lpad(:c::text, 6, '0');
SELECT key, failures, lockouts, last_failure, locked_until, forget_at FROM failure_records WHERE key = ANY (ARRAY['login:' || :u, 'client:' || :c]);
SELECT username, email, full_name, password_hash, scopes, disabled, created_at, updated_at FROM users WHERE username = 'seed-user-' || lpad(:u::text, 7, '0');
DELETE FROM failure_records WHERE key = 'login:' || :u;
BEGIN;
INSERT INTO refresh_families (id, client_id, subject, created_at, expires_at, revoked_at) VALUES ('pgbench-' || :client_id || '-' || :f, 'seed-client-' || lpad(:c::text, 6, '0'), 'seed-user-' || lpad(:u::text, 7, '0'), (extract(epoch from clock_timestamp()) * 1e9)::bigint, (extract(epoch from clock_timestamp() + interval '30 days') * 1e9)::bigint, NULL);
INSERT INTO refresh_tokens (id, family_id, client_id, subject, scopes, audience, created_at, expires_at, used_at, jkt) VALUES (md5(random()::text || clock_timestamp()::text), 'pgbench-' || :client_id || '-' || :f, 'seed-client-' || lpad(:c::text, 6, '0'), 'seed-user-' || lpad(:u::text, 7, '0'), '{search}', '{search-api}', (extract(epoch from clock_timestamp()) * 1e9)::bigint, (extract(epoch from clock_timestamp() + interval '1 day') * 1e9)::bigint, NULL, '');
COMMIT;
