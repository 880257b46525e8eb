//go:build !linux

package sqlstore

// fileSystem cannot tell the state of a file system on this system.
func fileSystem(string) (fsState, bool) { return fsState{}, false }
