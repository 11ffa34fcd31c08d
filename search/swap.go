package search

import (
	"errors"
	"os"
)

// swapRenames moves dir to old and fresh to dir: not atomic, dir is missing
// between the two renames.
func swapRenames(fresh, dir, old string) error {
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.Rename(fresh, dir)
}
