package store

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// TLS that the URL does not require is not tried on this machine, so a
// failure there is reported once, not once with TLS and once without.
func TestOpenSkipsOptionalTLSOnLoopback(t *testing.T) {
	tests := []struct {
		url     string
		wantTLS bool
	}{
		{"postgres://u@127.0.0.1:5432/db", false},
		{"postgres://u@localhost:5432/db?sslmode=prefer", false},
		{"postgres://u@[::1]:5432/db", false},
		{"postgres://u@127.0.0.1:5432/db?sslmode=require", true},
		{"postgres://u@db.example.com:5432/db", true},
	}
	for _, tt := range tests {
		pool, err := Open(context.Background(), tt.url)
		if err != nil {
			t.Fatal(err)
		}
		cfg := pool.Config().ConnConfig
		tls := cfg.TLSConfig != nil
		for _, f := range cfg.Fallbacks {
			tls = tls || f.TLSConfig != nil
		}
		if tls != tt.wantTLS || (!tt.wantTLS && len(cfg.Fallbacks) != 0) {
			t.Errorf("%s: TLS tried %v (fallbacks %d), want %v", tt.url, tls, len(cfg.Fallbacks), tt.wantTLS)
		}
		pool.Close()
	}
}

// Each connection's statement caches are sized for the bot's statements,
// not pgx's 512, unless the URL says otherwise.
func TestOpenSizesStatementCaches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url               string
		statements, descs int
	}{
		{"postgres://u@127.0.0.1:5432/db", statementCacheCapacity, statementCacheCapacity},
		{"postgres://u@127.0.0.1:5432/db?statement_cache_capacity=600", 600, statementCacheCapacity},
		{"host=127.0.0.1 user=u description_cache_capacity=0", statementCacheCapacity, 0},
	}
	for _, tt := range tests {
		pool, err := Open(context.Background(), tt.url)
		if err != nil {
			t.Fatal(err)
		}
		cfg := pool.Config().ConnConfig
		if cfg.StatementCacheCapacity != tt.statements || cfg.DescriptionCacheCapacity != tt.descs {
			t.Errorf("%s: caches of %d statements and %d descriptions, want %d and %d",
				tt.url, cfg.StatementCacheCapacity, cfg.DescriptionCacheCapacity, tt.statements, tt.descs)
		}
		pool.Close()
	}
}

func TestCheckNamesWhyNot(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	pool, err := Open(context.Background(), "postgres://u:pw@"+addr+"/db")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = Check(ctx, pool)
	var ue *UnreachableError
	if !errors.As(err, &ue) || ue.Addr != addr || !strings.HasPrefix(ue.Cause, "connection refused") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Check on a closed port: %v", err)
	}
}
