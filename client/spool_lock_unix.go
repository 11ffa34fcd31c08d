//go:build unix

package client

import (
	"errors"
	"os"
	"syscall"
)

// lockSpool takes the lock of the spool dir, beside it, so that two runs
// of the same deposit do not share a spool: one would terminate or
// continue the upload the other is sending. unlock releases it, removing
// the lock file when the deposit is done.
func lockSpool(dir string) (unlock func(done bool), err error) {
	name := dir + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrSpoolBusy
		}
		return nil, err
	}
	return func(done bool) {
		if done {
			os.Remove(name)
		}
		f.Close()
	}, nil
}
