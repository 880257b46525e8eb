// Package bootstrap creates the initial user and clients of a new
// authorization server: the demo data of the docker compose setup, or the
// first administrator's client of any deployment configured from the
// environment.
//
// The data is created once per database, the first time the server starts
// with a [Spec] that asks for it, and never again: the step is claimed with
// the store's ClaimOnce before anything is created, so later starts, other
// replicas sharing the database, and changes made after the first start
// (a new password, a deleted client) are never overwritten. A user or
// client that already exists under the same name is left as it is.
package bootstrap
