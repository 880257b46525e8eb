-- The row readiness checks write, to tell whether the database takes
-- writes (a full disk, a read-only file system or standby, a lock held by
-- another process). Each check counts itself, so that it always changes
-- the row: a write that changes nothing writes nothing, and would tell
-- nothing.
CREATE TABLE write_checks (
	id         {int}  NOT NULL PRIMARY KEY,
	checked_at {time} NOT NULL,
	checks     {int}  NOT NULL
);
