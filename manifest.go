// Package stickerbot holds what the program embeds from the repository's
// root: the Slack app manifest, which the playground's Slack simulator
// reads to learn the app's commands, shortcuts, App Home tabs and events,
// so the playground behaves like a workspace with the app installed from
// that very file.
package stickerbot

import _ "embed"

//go:embed manifest.yaml
var manifest []byte

// Manifest returns manifest.yaml, the Socket Mode app manifest.
func Manifest() []byte { return append([]byte(nil), manifest...) }
