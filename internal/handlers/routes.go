package handlers

// Everything the bot answers to, and the ids it answers to. Nothing else
// in the project switches on these ids: the blocks carry them, the router
// (router.go) finds the method for each.

// "/sticker <verb> …": the command's first word (see parseCommand). Any
// other first word starts a search, unless it looks like a mistyped verb.
const (
	verbSearch  = "search"
	verbHelp    = "help"
	verbAdd     = "add"
	verbEdit    = "edit"
	verbDelete  = "delete"
	verbList    = "list"
	verbFavs    = "favs"
	verbStats   = "stats"
	verbUnknown = "unknown" // "/sticker serach cat", "/sticker --help"
	// verbPick is "/sticker" alone; no word parses as it, so
	// "/sticker pick" searches for "pick".
	verbPick = "pick"
)

// verbs are the words parseCommand reads as verbs.
var verbs = []string{verbHelp, verbSearch, verbAdd, verbEdit, verbDelete, verbList, verbFavs, verbStats}

// Buttons (block_actions), by action_id.
const (
	actionSend        = "sticker_send"          // preview: post it
	actionNext        = "sticker_next"          // preview: the next match
	actionCancel      = "sticker_cancel"        // preview: remove it
	actionFavourite   = "sticker_fav"           // preview: ☆, keep it among the user's favourites
	actionUnfavourite = "sticker_unfav"         // preview: ★, take it out
	actionFavsSend    = "favs_send"             // /sticker favs: post that one
	actionFavsPrev    = "favs_prev"             // /sticker favs: previous page
	actionFavsNext    = "favs_next"             // /sticker favs: next page
	actionDelete      = "sticker_delete"        // delete confirmation: yes
	actionKeep        = "sticker_delete_cancel" // delete confirmation: no
	actionListPrev    = "sticker_list_prev"     // library list: previous page
	actionListNext    = "sticker_list_next"     // library list: next page

	actionPickerQuery = "picker_query" // picker: the search box, on every keystroke
	actionPickerSend  = "picker_send"  // picker: a result's Send
	actionPickerPrev  = "picker_prev"  // picker: previous page
	actionPickerNext  = "picker_next"  // picker: next page

	actionHomeSearch      = "home_search"    // Home tab: open the picker
	actionHomeWhere       = "home_where"     // Home tab: where its Sends go (conversations_select)
	actionHomeSend        = "home_send"      // Home tab: post that one
	actionHomeUnfavourite = "home_unfav"     // Home tab: a favourite's ★
	actionHomeFavsPrev    = "home_favs_prev" // Home tab: previous favourites
	actionHomeFavsNext    = "home_favs_next" // Home tab: more favourites
	actionHomeAdd         = "home_add"       // Home tab (admins): the add modal
)

// Shortcuts (message_action and shortcut), by callback_id; both manifests
// list each.
const (
	shortcutReply  = "reply_with_sticker" // message shortcut: "Reply with a sticker"
	shortcutSend   = "send_sticker"       // global shortcut: "Send a sticker"
	shortcutRemove = "remove_sticker"     // message shortcut: "Remove sticker"
)

// Modals (view_submission), by callback_id.
const (
	viewAdd    = "sticker_add"
	viewEdit   = "sticker_edit"
	viewPicker = "sticker_picker"
)

// Events API events, by type; the manifests subscribe to each.
const (
	eventAppMention    = "app_mention"     // "@stickerbot <words>"
	eventMessage       = "message"         // a direct message to the bot (subscription eventMessageIM)
	eventAppHomeOpened = "app_home_opened" // the Home tab (or the Messages tab) opened

	// eventMessageIM is the manifests' subscription to message events in
	// the bot's DMs only: not message.channels, which would send every
	// message of every channel the bot is in.
	eventMessageIM = "message.im"
)

// newRoutes maps every way in to the method that handles it. Handlers run
// on a worker after the ack; answers (modals, option lists) run before it,
// since what they say can only travel in the ack. External selects'
// options (block_suggestion, by action_id, r.suggestion) have none yet.
func (b *Bot) newRoutes() *router {
	r := newRouter()

	r.command(verbPick, b.pickCommand, opensModal)
	r.command(verbSearch, b.searchCommand)
	r.command(verbHelp, b.help)
	r.command(verbUnknown, b.help)
	r.command(verbAdd, b.adminOnly(b.addCommand), opensModal)
	r.command(verbEdit, b.adminOnly(b.editCommand), opensModal)
	r.command(verbDelete, b.adminOnly(b.deleteCommand))
	r.command(verbList, b.adminOnly(b.listCommand))
	r.command(verbFavs, b.favsCommand)
	r.command(verbStats, b.statsCommand)

	r.event(eventAppMention, b.mention)
	r.event(eventMessage, b.directMessage)
	// Publishing the Home tab twice shows the same: no claim needed.
	r.event(eventAppHomeOpened, b.homeOpened, idempotent)

	r.shortcut(shortcutReply, b.pickReply, opensModal)
	r.shortcut(shortcutSend, b.pickAnywhere, opensModal)
	r.shortcut(shortcutRemove, b.removeSticker)

	r.action(actionSend, b.send)
	r.action(actionNext, b.next)
	r.action(actionCancel, b.cancel)
	r.action(actionFavourite, b.favourite, idempotent)
	r.action(actionUnfavourite, b.unfavourite, idempotent)
	r.action(actionFavsSend, b.favsSend)
	r.action(actionFavsPrev, b.favsPage)
	r.action(actionFavsNext, b.favsPage)
	r.action(actionDelete, b.adminOnly(b.deleteSticker))
	r.action(actionKeep, b.adminOnly(b.keepSticker))
	r.action(actionListPrev, b.adminOnly(b.listPage))
	r.action(actionListNext, b.adminOnly(b.listPage))
	r.action(actionPickerQuery, b.pickerTyped, idempotent)
	r.action(actionPickerPrev, b.pickerPage, idempotent)
	r.action(actionPickerNext, b.pickerPage, idempotent)
	r.action(actionPickerSend, b.pickerSend)
	r.action(actionHomeSearch, b.pickAnywhere, opensModal)
	r.action(actionHomeWhere, b.homeWhere)
	r.action(actionHomeSend, b.homeSend)
	r.action(actionHomeUnfavourite, b.homeUnfavourite)
	r.action(actionHomeFavsPrev, b.homeFavourites, idempotent)
	r.action(actionHomeFavsNext, b.homeFavourites, idempotent)
	r.action(actionHomeAdd, b.adminOnly(b.homeAdd), opensModal)

	r.view(viewAdd, b.adminForm(b.saveSticker))
	r.view(viewEdit, b.adminForm(b.saveSticker))
	r.view(viewPicker, b.pickerSubmitted)

	return r
}
