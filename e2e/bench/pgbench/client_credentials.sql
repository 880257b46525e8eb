-- The statements of one client_credentials grant on PostgreSQL, as the
-- server runs them (docs/scaling.md lists them, counted): the client's
-- row by primary key. Run by e2e/bench/roundtrips.sh with -D nclients.
\set c random(0, :nclients - 1)
SELECT id, secret_hash, grants, scopes, audience, created_at, updated_at, name, redirect_uris, post_logout_redirect_uris, skip_consent, registration_token_hash, first_used_at, jwks, jwks_uri, assertion_issuer, assertion_subject, exchange_audiences FROM clients WHERE id = 'seed-client-' || lpad(:c::text, 6, '0');
