package handlers

import "sync"

// tasks tracks the goroutines a Bot starts outside its queue (the work
// after a modal closes, "busy" replies), so that Run can join them: once
// it has begun to, no new one may start, or it could outlive the database
// pool and the Web API client it uses.
type tasks struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// start reserves a place for one goroutine, which must call done when it
// ends. It reports false, and reserves nothing, once shutdown has begun.
func (t *tasks) start() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.wg.Add(1)
	return true
}

func (t *tasks) done() { t.wg.Done() }

// closeAndWait refuses new goroutines and waits for those started.
func (t *tasks) closeAndWait() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.wg.Wait()
}
