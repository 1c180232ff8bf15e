package store

import "time"

// SetStall shortens how long st waits on a database that does not get on
// with an import or export, for tests of a hung database.
func SetStall(st *Store, d time.Duration) { st.stall = d }
