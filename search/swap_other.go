//go:build !linux

package search

func swap(fresh, dir, old string) error { return swapRenames(fresh, dir, old) }
