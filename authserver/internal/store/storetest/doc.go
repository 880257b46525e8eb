// Package storetest is the conformance suite for store.Store backends: Run
// checks, against a fresh store for every subtest, the behaviour that the
// store package documents and that callers rely on, including atomic
// refresh-token rotation under concurrency.
//
// Every backend's tests call Run; the suite depends on no backend.
package storetest
