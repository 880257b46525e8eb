package sqlstore

import "syscall"

// fileSystem reports the state of the file system dir is on.
func fileSystem(dir string) (fsState, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fsState{}, false
	}
	const rdonly = 1 // ST_RDONLY
	return fsState{readOnly: st.Flags&rdonly != 0, free: st.Bavail * uint64(st.Bsize)}, true
}
