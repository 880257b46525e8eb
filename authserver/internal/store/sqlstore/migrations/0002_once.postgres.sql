-- One-time steps, such as creating the demo data, that have run: a step
-- claimed here never runs again, even if what it created is later changed
-- or deleted.
CREATE TABLE once_steps (
	name   TEXT   NOT NULL PRIMARY KEY,
	ran_at BIGINT NOT NULL
);
