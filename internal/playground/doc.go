// Package playground serves the page of `stickerbot playground`: a web
// page that looks and behaves like Slack where it matters (channels, a DM
// with the bot, the bot's Home tab, Block Kit messages and modals,
// shortcut menus, a user switcher), in front of a [Workspace], the Slack
// simulator the real bot is connected to. The page is plain HTML, CSS and
// JavaScript embedded in the binary (package web); there is no build step.
//
// The package knows nothing of Socket Mode or of the bot: it turns what a
// person does on the page into [Workspace] calls, and the workspace's
// state into what the page shows. The workspace turns those calls into
// the payloads Slack would send and records what the bot sends back.
//
// # Protocol between the page and the server
//
// Every request names the person acting (user: a [User] ID; none is the
// first user, the admin); there is no sign-in, which is why the server
// listens on loopback unless told otherwise. Requests with a body are JSON (Content-Type
// application/json), answered with JSON; a request from another origin
// (an Origin header that is not this server) is refused with 403, so
// another web page cannot act in the playground.
//
//	GET  /                         the page
//	GET  /static/{file}            its script and style sheet
//	GET  /api/state?user=U         a State: everything user sees now
//	GET  /api/events?user=U        server-sent events: "state" (data: a
//	                               State) at once and after every change
//	                               (coalesced), a comment line every 15 s
//	POST /api/message              MessageRequest: typed in the composer:
//	                               "/sticker cat", "@stickerbot cat", text
//	POST /api/action               ActionRequest: a button pressed or an
//	                               option chosen, in a message or a view
//	POST /api/submit               SubmitRequest: a modal's submit button;
//	                               answers a SubmitResult
//	POST /api/close                CloseRequest: a modal's close button or X
//	POST /api/shortcut             ShortcutRequest: a global shortcut, or a
//	                               message shortcut from "More actions"
//	POST /api/app_home             AppHomeRequest: the app's Home or
//	                               Messages tab opened
//	POST /api/files?user=U&name=N  the raw bytes of a file chosen in a
//	                               file input; answers a File
//	GET  /files/{id}               a file's bytes, for <img> (any user may
//	                               see any file: this is a playground)
//	GET  /healthz                  "ok", for container health checks
//
// POSTs answer 200 {"ok":true} (or the result), or 4xx {"ok":false,
// "error":"…"} for a request the page should not have made (unknown user,
// a view that is not open, an element that does not exist). What Slack
// would tell the person (a command that failed, a message Slack refused
// to post) is not an error of the request: it appears in the State, as
// Slack shows it.
//
// The page keeps no state of its own beyond what is on screen: which
// conversation is open (in the URL's fragment, #user/channel), what is
// typed into inputs that have not been submitted, and which menus are
// open. A reload shows the same thing.
package playground

//go:generate go run ./appmanifest/generate ../../manifest.yaml app_gen.go
