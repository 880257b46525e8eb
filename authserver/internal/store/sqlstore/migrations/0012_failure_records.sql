-- The failure counts of the brute-force limits (package throttle) when
-- replicas share them, so that N replicas allow what one allows. A key is
-- the limit's kind and a hash, never a user name or address.
CREATE TABLE failure_records (
	key          TEXT   NOT NULL PRIMARY KEY,
	failures     {int}  NOT NULL,
	lockouts     {int}  NOT NULL,
	last_failure {time},
	locked_until {time},
	forget_at    {time} NOT NULL
);
CREATE INDEX failure_records_forget_at ON failure_records (forget_at);
-- Replicas list the failures counted since they last looked.
CREATE INDEX failure_records_last_failure ON failure_records (last_failure);
