//go:build unix

package search

import "syscall"

// mapMemory returns n bytes of zeroed memory outside the Go heap and the
// function that releases it, or nil when the system refuses.
func mapMemory(n int) ([]byte, func()) {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil
	}
	return b, func() { _ = syscall.Munmap(b) }
}
