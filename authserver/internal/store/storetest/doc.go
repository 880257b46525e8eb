// Package storetest is the conformance suite for store.Store backends: Run
// checks, against a fresh store for every subtest, the behaviour that the
// store package documents and that callers rely on, including atomic
// refresh-token rotation under concurrency.
//
// RunClock checks what a store does at its own clock, such as the time
// DeleteUser revokes a user's refresh families at.
//
// RunReplicas checks what several processes sharing one database rely on,
// with two stores on one database: each sees the other's writes at once,
// and concurrent rotations, updates, claims and cleanups in both keep the
// guarantees one store gives.
//
// Every backend's tests call Run and RunClock, and RunReplicas if several
// processes may share its database. The suite depends on no backend; it
// expects the range of storable times that sqlcodec gives the SQL backends.
package storetest
