// Package tmpfs gives tests a small file system of their own, mounted for
// the length of a test, to fill up or make read-only under a running
// store: a tmpfs of a fixed size, which only root can mount. Where it
// cannot be mounted (not root, no mount permission in a container), the
// test is skipped, or fails when FASTSAFE_REQUIRE_TMPFS=1 says it must run.
package tmpfs
