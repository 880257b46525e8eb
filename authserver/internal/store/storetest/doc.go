// Package storetest is the conformance suite for store.Store backends: Run
// checks, against a fresh store for every subtest, the behaviour that the
// store package documents and that callers rely on, including atomic
// refresh-token rotation under concurrency.
//
// RunReplicas checks what several processes sharing one database rely on,
// with two stores on one database: each sees the other's writes at once,
// and concurrent rotations, updates, claims and cleanups in both keep the
// guarantees one store gives.
//
// Every backend's tests call Run, and RunReplicas if several processes may
// share its database; the suite depends on no backend.
package storetest
