-- The statements of one refresh_token grant on PostgreSQL, as the server
-- runs them (docs/scaling.md lists them, counted): the client, the
-- presented token with its family, and the user by key, then the rotation
-- in one transaction: the family and token locked, the token marked used,
-- its successor added. Seeded tokens are picked at random, so a token is
-- sometimes rotated again (the UPDATE writes whether or not it was used).
-- Run by e2e/bench/roundtrips.sh with -D nusers -D nclients -D ntokens.
\set i random(0, :ntokens - 1)
\set c random(0, :nclients - 1)
\set u random(0, :nusers - 1)
SELECT id, secret_hash, grants, scopes, audience, created_at, updated_at, name, redirect_uris, post_logout_redirect_uris, skip_consent, registration_token_hash, first_used_at, jwks, jwks_uri, assertion_issuer, assertion_subject, exchange_audiences FROM clients WHERE id = 'seed-client-' || lpad(:c::text, 6, '0');
SELECT t.id, t.family_id, t.client_id, t.subject, t.scopes, t.audience, t.created_at, t.expires_at, t.used_at, t.jkt, f.id, f.client_id, f.subject, f.created_at, f.expires_at, f.revoked_at FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE t.id = encode(sha256(('seed-refresh-' || lpad(:i::text, 7, '0'))::bytea), 'hex');
SELECT username, email, full_name, password_hash, scopes, disabled, created_at, updated_at FROM users WHERE username = 'seed-user-' || lpad(:u::text, 7, '0');
BEGIN;
SELECT f.id, f.client_id, f.subject, f.created_at, f.expires_at, f.revoked_at, t.used_at, t.successor_id FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE t.id = encode(sha256(('seed-refresh-' || lpad(:i::text, 7, '0'))::bytea), 'hex') FOR UPDATE;
UPDATE refresh_tokens SET used_at = (extract(epoch from clock_timestamp()) * 1e9)::bigint, successor_id = md5(random()::text || clock_timestamp()::text) WHERE id = encode(sha256(('seed-refresh-' || lpad(:i::text, 7, '0'))::bytea), 'hex');
INSERT INTO refresh_tokens (id, family_id, client_id, subject, scopes, audience, created_at, expires_at, used_at, jkt) VALUES (md5(random()::text || clock_timestamp()::text), 'seed-family-' || lpad(:i::text, 7, '0'), 'seed-client-' || lpad(:c::text, 6, '0'), 'seed-user-' || lpad(:u::text, 7, '0'), '{search}', '{search-api}', (extract(epoch from clock_timestamp()) * 1e9)::bigint, (extract(epoch from clock_timestamp() + interval '1 day') * 1e9)::bigint, NULL, '');
COMMIT;
