// Package sqlcodec holds what the SQL dialects of store.Store share about
// the values they write and the errors they return, whatever their dialect:
//
//   - times are kept as int64 nanoseconds since the Unix epoch, the zero
//     time as NULL, so only times within MinTime and MaxTime can be stored;
//   - empty byte slices and lists are read back as nil;
//   - records are checked before anything is written (required keys and
//     expiries, storable times, a refresh token that agrees with its
//     family), so that a backend refuses the same input with the same
//     message;
//   - driver errors are mapped to store.ErrNotFound and
//     store.ErrAlreadyExists, with the backend and the operation as context.
//
// The SQL itself, the column types and the driver's error codes are
// sqlstore's, in its dialect.
package sqlcodec
