//go:build unix

package client_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) this process used so far:
// the client's and, in these tests, the server's too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
