// Command stickerbot is a Slack sticker-search bot. Run "stickerbot help"
// for its commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped at build time, go build -ldflags "-X main.version=v1.2.3"
// (the Dockerfile passes its VERSION build argument), and never changes
// after; unstamped builds fall back to what the Go toolchain recorded
// (see buildVersion).
var version string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := start(ctx, os.Args, os.LookupEnv, ".env", os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
