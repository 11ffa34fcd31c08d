//go:build !linux

package client_test

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }

// dropCache does nothing here.
func dropCache(dir string) {}
