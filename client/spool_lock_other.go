//go:build !unix

package client

// lockSpool does nothing where flock(2) is not available.
func lockSpool(dir string) (unlock func(done bool), err error) {
	return func(bool) {}, nil
}
