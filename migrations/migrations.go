// Package migrations holds the database schema as goose SQL migrations,
// embedded so the binary carries its own schema, and the few data fixes
// that need Go (Go, registered with goose.WithGoMigrations).
package migrations

import "embed"

// FS holds every migration, named NNNNN_description.sql.
//
//go:embed *.sql
var FS embed.FS
