package search

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// swap puts the directory fresh at dir. If dir exists, the two are exchanged
// atomically and the old index ends up at fresh; old is unused.
func swap(fresh, dir, old string) error {
	err := unix.Renameat2(unix.AT_FDCWD, fresh, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOENT):
		return os.Rename(fresh, dir) // no index yet
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
		return swapRenames(fresh, dir, old) // file system without exchange
	}
	return &os.LinkError{Op: "renameat2", Old: fresh, New: dir, Err: err}
}
