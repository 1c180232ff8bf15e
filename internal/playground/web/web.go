// Package web holds the playground's page: plain HTML, CSS and
// JavaScript, embedded as they are (no build step).
//
//   - static/index.html: the layout (sidebar, conversation, composer, modal
//     layer, menus)
//   - static/blockkit.js: Block Kit and mrkdwn to DOM, never through
//     innerHTML, so text the app or a person sent is shown as text
//   - static/app.js: the page's state, the event stream and the requests
//     of the protocol in package playground
//   - static/app.css: the look
package web

import "embed"

// Files are the page's files, under static/.
//
//go:embed static
var Files embed.FS
