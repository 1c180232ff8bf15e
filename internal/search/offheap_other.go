//go:build !unix

package search

// mapMemory is not available here: segments stay on the heap.
func mapMemory(int) ([]byte, func()) { return nil, nil }
