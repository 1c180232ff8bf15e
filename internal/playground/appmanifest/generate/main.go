// Command generate writes the playground's app_gen.go from manifest.yaml:
// the app as Slack would read it from its manifest. Run it with
// `go generate ./internal/playground`.
package main

import (
	"fmt"
	"os"

	"github.com/stickerbot/stickerbot/internal/playground/appmanifest"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: generate MANIFEST.yaml OUT.go")
		os.Exit(2)
	}
	if err := generate(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func generate(in, out string) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	app, err := appmanifest.Read(raw)
	if err != nil {
		return err
	}
	src, err := appmanifest.GoSource(app)
	if err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644)
}
