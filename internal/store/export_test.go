package store

import "time"

// SetBulkLimits shortens st's bulk limits, for tests of a hung database.
func SetBulkLimits(st *Store, stall, base, perRow time.Duration) {
	st.bulk = bulkLimits{stall: stall, base: base, perRow: perRow}
}
