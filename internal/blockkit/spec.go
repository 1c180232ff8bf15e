package blockkit

import (
	"regexp"
	"strconv"
	"strings"
)

// The rules, from Slack's Block Kit reference: composition objects,
// then elements, then blocks, then views. Limits are in characters.

var (
	actionID = str(1, 255)
	blockID  = str(1, 255)

	plainTextObject = &object{name: "plain_text object",
		fields:   map[string]rule{"type": constant("plain_text"), "text": str(1, 3000), "emoji": boolean},
		required: []string{"type", "text"}}
	mrkdwnTextObject = &object{name: "mrkdwn object",
		fields:   map[string]rule{"type": constant("mrkdwn"), "text": str(1, 3000), "verbatim": boolean},
		required: []string{"type", "text"}}

	userID      = regexp.MustCompile(`^[UW][A-Z0-9]+$`)
	channelID   = regexp.MustCompile(`^[CGD][A-Z0-9]+$`)
	fileID      = regexp.MustCompile(`^F[A-Z0-9]+$`)
	usergroupID = regexp.MustCompile(`^S[A-Z0-9]+$`)
	teamID      = regexp.MustCompile(`^T[A-Z0-9]+$`)
	color       = regexp.MustCompile(`^#?[0-9a-fA-F]{6}$`)
	date        = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`)
	timeOfDay   = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	number      = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
)

// plain is a plain_text object of at most max characters: what Slack
// shows as written (button labels, titles, labels, hints, placeholders).
func plain(max int) rule {
	return func(w *walker, ptr string, v any) {
		if o, ok := v.(map[string]any); ok && o["type"] != nil && o["type"] != "plain_text" {
			w.add(ptr+"/type", "must be plain_text")
			return
		}
		w.object(ptr, v, plainTextObject)
		textMax(w, ptr, v, max)
	}
}

// text is a plain_text or mrkdwn object of at most max characters.
func text(max int) rule {
	return func(w *walker, ptr string, v any) {
		o, ok := v.(map[string]any)
		if !ok {
			w.add(ptr, "must provide an object")
			return
		}
		switch o["type"] {
		case "plain_text":
			w.object(ptr, o, plainTextObject)
		case "mrkdwn":
			w.object(ptr, o, mrkdwnTextObject)
		default:
			w.add(ptr+"/type", "must be one of plain_text, mrkdwn")
			return
		}
		textMax(w, ptr, v, max)
	}
}

// textMax adds the tighter limit of a text object's context to the 3000
// of every text object.
func textMax(w *walker, ptr string, v any, max int) {
	o, _ := v.(map[string]any)
	if s, ok := o["text"].(string); ok && max < 3000 && runes(s) > max {
		w.add(ptr+"/text", "must be less than %d characters", max+1)
	}
}

var placeholder = plain(150)

var confirmObject = &object{name: "confirm object",
	fields: map[string]rule{
		"title": plain(100), "text": text(300), "confirm": plain(30), "deny": plain(30),
		"style": enum("primary", "danger"),
	},
	required: []string{"title", "text", "confirm", "deny"}}

var (
	optionObject = &object{name: "option object",
		fields:   map[string]rule{"text": plain(75), "value": str(1, 150), "description": plain(75)},
		required: []string{"text", "value"}}
	overflowOption = &object{name: "overflow option",
		fields: map[string]rule{"text": plain(75), "value": str(1, 150), "description": plain(75),
			"url": uri(3000)},
		required: []string{"text", "value"}}
	choiceOption = &object{name: "radio or checkbox option",
		fields:   map[string]rule{"text": text(75), "value": str(1, 150), "description": text(75)},
		required: []string{"text", "value"}}
	optionGroup = &object{name: "option group",
		fields:   map[string]rule{"label": plain(75), "options": array(obj(optionObject), 1, 100)},
		required: []string{"label", "options"}}
)

var slackFileObject = &object{name: "slack_file object",
	fields:     map[string]rule{"url": uri(0), "id": pattern(fileID, "a Slack file ID (F…)")},
	exactlyOne: [][]string{{"url", "id"}},
	check: func(w *walker, ptr string, o map[string]any) {
		if w.checker.SlackFile != nil && !w.checker.SlackFile(o) {
			w.add(ptr, "invalid slack file")
		}
	}}

var dispatchConfig = &object{name: "dispatch_action_config",
	fields:   map[string]rule{"trigger_actions_on": array(enum("on_enter_pressed", "on_character_entered"), 1, 2)},
	required: []string{"trigger_actions_on"}}

var conversationFilter = &object{name: "conversation filter",
	fields: map[string]rule{
		"include":                          array(enum("im", "mpim", "private", "public"), 1, 4),
		"exclude_external_shared_channels": boolean,
		"exclude_bot_users":                boolean,
	}}

var workflowObject = &object{name: "workflow object",
	fields: map[string]rule{"trigger": obj(&object{name: "trigger object",
		fields: map[string]rule{"url": uri(0, "https"), "customizable_input_parameters": array(obj(&object{
			name:     "input parameter",
			fields:   map[string]rule{"name": str(1, 0), "value": func(*walker, string, any) {}},
			required: []string{"name", "value"}}), 0, 0)},
		required: []string{"url"}})},
	required: []string{"trigger"}}

// Elements.

// interactive adds the fields every interactive element has.
func interactive(name string, fields map[string]rule, required ...string) *object {
	fields["type"] = constant(name)
	fields["action_id"] = actionID
	return &object{name: name + " element", fields: fields, required: append([]string{"type"}, required...)}
}

var (
	buttonElement = interactive("button", map[string]rule{
		"text": plain(75), "url": uri(3000), "value": str(1, 2000), "style": enum("primary", "danger"),
		"confirm": obj(confirmObject), "accessibility_label": str(1, 75),
	}, "text")
	checkboxesElement = interactive("checkboxes", map[string]rule{
		"options": array(obj(choiceOption), 1, 10), "initial_options": array(obj(choiceOption), 1, 10),
		"confirm": obj(confirmObject), "focus_on_load": boolean,
	}, "options")
	radioElement = interactive("radio_buttons", map[string]rule{
		"options": array(obj(choiceOption), 1, 10), "initial_option": obj(choiceOption),
		"confirm": obj(confirmObject), "focus_on_load": boolean,
	}, "options")
	datepickerElement = interactive("datepicker", map[string]rule{
		"initial_date": pattern(date, "a date, YYYY-MM-DD"), "confirm": obj(confirmObject),
		"focus_on_load": boolean, "placeholder": placeholder,
	})
	datetimepickerElement = interactive("datetimepicker", map[string]rule{
		"initial_date_time": integer(0, 9999999999), "confirm": obj(confirmObject), "focus_on_load": boolean,
	})
	timepickerElement = interactive("timepicker", map[string]rule{
		"initial_time": pattern(timeOfDay, "a time, HH:mm"), "confirm": obj(confirmObject),
		"focus_on_load": boolean, "placeholder": placeholder, "timezone": str(1, 0),
	})
	overflowElement = interactive("overflow", map[string]rule{
		"options": array(obj(overflowOption), 1, 5), "confirm": obj(confirmObject),
	}, "options")
	workflowButtonElement = interactive("workflow_button", map[string]rule{
		"text": plain(75), "workflow": obj(workflowObject), "style": enum("primary", "danger"),
		"accessibility_label": str(1, 75),
	}, "text", "workflow", "action_id")

	plainTextInputElement = withCheck(interactive("plain_text_input", map[string]rule{
		"initial_value": str(0, 3000), "multiline": boolean,
		"min_length": integer(0, 3000), "max_length": integer(1, 3000),
		"dispatch_action_config": obj(dispatchConfig), "focus_on_load": boolean, "placeholder": placeholder,
	}), func(w *walker, ptr string, o map[string]any) {
		minLen, okMin := o["min_length"].(float64)
		maxLen, okMax := o["max_length"].(float64)
		if okMin && okMax && minLen > maxLen {
			w.add(ptr+"/min_length", "must not be more than max_length")
		}
	})
	emailInputElement = interactive("email_text_input", map[string]rule{
		"initial_value": str(0, 0), "dispatch_action_config": obj(dispatchConfig),
		"focus_on_load": boolean, "placeholder": placeholder,
	})
	urlInputElement = interactive("url_text_input", map[string]rule{
		"initial_value": str(0, 0), "dispatch_action_config": obj(dispatchConfig),
		"focus_on_load": boolean, "placeholder": placeholder,
	})
	numberInputElement = interactive("number_input", map[string]rule{
		"is_decimal_allowed": boolean, "initial_value": pattern(number, "a number"),
		"min_value": pattern(number, "a number"), "max_value": pattern(number, "a number"),
		"dispatch_action_config": obj(dispatchConfig), "focus_on_load": boolean, "placeholder": placeholder,
	}, "is_decimal_allowed")
	richTextInputElement = interactive("rich_text_input", map[string]rule{
		"initial_value": obj(richTextBlock), "dispatch_action_config": obj(dispatchConfig),
		"focus_on_load": boolean, "placeholder": placeholder,
	}, "action_id")
	fileInputElement = interactive("file_input", map[string]rule{
		"filetypes": array(str(1, 0), 1, 0), "max_files": integer(1, 10),
	})

	imageElement = &object{name: "image element",
		fields: map[string]rule{"type": constant("image"), "alt_text": str(1, 2000),
			"image_url": uri(3000, "http", "https"), "slack_file": obj(slackFileObject)},
		required:   []string{"type", "alt_text"},
		exactlyOne: [][]string{{"image_url", "slack_file"}}}
)

func withCheck(o *object, check func(w *walker, ptr string, o map[string]any)) *object {
	o.check = check
	return o
}

// selects returns the select menus and their multi-select forms.
func selects() map[string]*object {
	common := func() map[string]rule {
		return map[string]rule{"confirm": obj(confirmObject), "focus_on_load": boolean, "placeholder": placeholder}
	}
	with := func(m map[string]rule, kv ...any) map[string]rule {
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].(rule)
		}
		return m
	}
	out := map[string]*object{}
	for _, multi := range []bool{false, true} {
		prefix, many := "", func(r rule) rule { return r }
		extra := []any{}
		if multi {
			prefix, many = "multi_", func(r rule) rule { return array(r, 1, 0) }
			extra = []any{"max_selected_items", integer(1, 100)}
		}
		initial := func(name string) string {
			if multi {
				return "initial_" + name + "s"
			}
			return "initial_" + name
		}
		options := []any{"options", array(obj(optionObject), 1, 100), "option_groups", array(obj(optionGroup), 1, 100)}
		static := interactive(prefix+"static_select", with(common(), append(append(options, initial("option"), many(obj(optionObject))), extra...)...))
		static.exactlyOne = [][]string{{"options", "option_groups"}}
		out[prefix+"static_select"] = static
		out[prefix+"external_select"] = interactive(prefix+"external_select", with(common(),
			append([]any{initial("option"), many(obj(optionObject)), "min_query_length", integer(0, 1000)}, extra...)...))
		out[prefix+"users_select"] = interactive(prefix+"users_select", with(common(),
			append([]any{initial("user"), many(pattern(userID, "a user ID"))}, extra...)...))
		out[prefix+"conversations_select"] = interactive(prefix+"conversations_select", with(common(),
			append([]any{initial("conversation"), many(pattern(channelID, "a conversation ID")),
				"default_to_current_conversation", rule(boolean), "response_url_enabled", rule(boolean),
				"filter", obj(conversationFilter)}, extra...)...))
		out[prefix+"channels_select"] = interactive(prefix+"channels_select", with(common(),
			append([]any{initial("channel"), many(pattern(channelID, "a channel ID")),
				"response_url_enabled", rule(boolean)}, extra...)...))
	}
	return out
}

// elementSet is the elements allowed in one place, by type.
func elementSet(objs ...*object) map[string]*object {
	m := map[string]*object{}
	for _, o := range objs {
		typ := strings.TrimSuffix(o.name, " element")
		m[typ] = o
	}
	return m
}

func union(sets ...map[string]*object) map[string]*object {
	m := map[string]*object{}
	for _, s := range sets {
		for k, v := range s {
			m[k] = v
		}
	}
	return m
}

var (
	selectElements  = selects()
	actionsElements = union(selectElements, elementSet(buttonElement, checkboxesElement, datepickerElement,
		datetimepickerElement, timepickerElement, overflowElement, radioElement, workflowButtonElement))
	accessoryElements = union(selectElements, elementSet(buttonElement, checkboxesElement, datepickerElement,
		timepickerElement, imageElement, overflowElement, radioElement, workflowButtonElement))
	inputElements = union(selectElements, elementSet(plainTextInputElement, emailInputElement, urlInputElement,
		numberInputElement, checkboxesElement, radioElement, datepickerElement, datetimepickerElement,
		timepickerElement, richTextInputElement, fileInputElement))
)

// Rich text, as far as its structure goes.

var (
	richStyle = &object{name: "rich text style", fields: map[string]rule{
		"bold": boolean, "italic": boolean, "strike": boolean, "code": boolean, "underline": boolean,
		"highlight": boolean, "client_highlight": boolean, "unlink": boolean}}
	richLeaves = map[string]*object{
		"text": {name: "rich text text", fields: map[string]rule{"type": constant("text"), "text": str(0, 0),
			"style": obj(richStyle)}, required: []string{"type", "text"}},
		"link": {name: "rich text link", fields: map[string]rule{"type": constant("link"), "url": uri(0),
			"text": str(0, 0), "unsafe": boolean, "style": obj(richStyle)}, required: []string{"type", "url"}},
		"user": {name: "rich text user", fields: map[string]rule{"type": constant("user"),
			"user_id": pattern(userID, "a user ID"), "style": obj(richStyle)}, required: []string{"type", "user_id"}},
		"channel": {name: "rich text channel", fields: map[string]rule{"type": constant("channel"),
			"channel_id": pattern(channelID, "a channel ID"), "style": obj(richStyle)}, required: []string{"type", "channel_id"}},
		"emoji": {name: "rich text emoji", fields: map[string]rule{"type": constant("emoji"), "name": str(1, 0),
			"unicode": str(1, 0), "skin_tone": integer(1, 6), "style": obj(richStyle)}, required: []string{"type", "name"}},
		"usergroup": {name: "rich text usergroup", fields: map[string]rule{"type": constant("usergroup"),
			"usergroup_id": pattern(usergroupID, "a user group ID"), "style": obj(richStyle)}, required: []string{"type", "usergroup_id"}},
		"team": {name: "rich text team", fields: map[string]rule{"type": constant("team"),
			"team_id": pattern(teamID, "a team ID"), "style": obj(richStyle)}, required: []string{"type", "team_id"}},
		"broadcast": {name: "rich text broadcast", fields: map[string]rule{"type": constant("broadcast"),
			"range": enum("here", "channel", "everyone"), "style": obj(richStyle)}, required: []string{"type", "range"}},
		"color": {name: "rich text color", fields: map[string]rule{"type": constant("color"),
			"value": pattern(color, "a colour, #RRGGBB"), "style": obj(richStyle)}, required: []string{"type", "value"}},
		"date": {name: "rich text date", fields: map[string]rule{"type": constant("date"),
			"timestamp": integer(0, 1e12), "format": str(1, 0), "url": uri(0), "fallback": str(0, 0),
			"style": obj(richStyle)}, required: []string{"type", "timestamp", "format"}},
	}
	richSection = &object{name: "rich_text_section", fields: map[string]rule{
		"type": constant("rich_text_section"), "elements": array(oneOfTypes("rich text element", richLeaves), 0, 0)},
		required: []string{"type", "elements"}}
	richContainers = map[string]*object{
		"rich_text_section": richSection,
		"rich_text_list": {name: "rich_text_list", fields: map[string]rule{"type": constant("rich_text_list"),
			"style": enum("bullet", "ordered"), "elements": array(obj(richSection), 1, 0),
			"indent": integer(0, 8), "offset": integer(0, 1e6), "border": integer(0, 1)},
			required: []string{"type", "style", "elements"}},
		"rich_text_preformatted": {name: "rich_text_preformatted", fields: map[string]rule{
			"type": constant("rich_text_preformatted"), "elements": array(oneOfTypes("rich text element", richLeaves), 0, 0),
			"border": integer(0, 1), "language": str(1, 0)}, required: []string{"type", "elements"}},
		"rich_text_quote": {name: "rich_text_quote", fields: map[string]rule{
			"type": constant("rich_text_quote"), "elements": array(oneOfTypes("rich text element", richLeaves), 0, 0),
			"border": integer(0, 1)}, required: []string{"type", "elements"}},
	}
	richTextBlock = &object{name: "rich_text block", fields: map[string]rule{
		"type": constant("rich_text"), "block_id": blockID,
		"elements": array(oneOfTypes("rich text container", richContainers), 0, 0)},
		required: []string{"type", "elements"}}
)

// Blocks.

var (
	sectionBlock = &object{name: "section block",
		fields: map[string]rule{"type": constant("section"), "block_id": blockID, "text": text(3000),
			"fields": array(text(2000), 1, 10), "accessory": oneOfTypes("a section's accessory", accessoryElements),
			"expand": boolean},
		required:   []string{"type"},
		atLeastOne: []string{"text", "fields"}}
	contextBlock = &object{name: "context block",
		fields: map[string]rule{"type": constant("context"), "block_id": blockID,
			"elements": array(contextElement, 1, 10)},
		required: []string{"type", "elements"}}
	actionsBlock = &object{name: "actions block",
		fields: map[string]rule{"type": constant("actions"), "block_id": blockID,
			"elements": array(oneOfTypes("an actions block's element", actionsElements), 1, 25)},
		required: []string{"type", "elements"},
		check:    uniqueActionIDs}
	imageBlock = &object{name: "image block",
		fields: map[string]rule{"type": constant("image"), "block_id": blockID, "alt_text": str(1, 2000),
			"image_url": uri(3000, "http", "https"), "slack_file": obj(slackFileObject), "title": plain(2000)},
		required:   []string{"type", "alt_text"},
		exactlyOne: [][]string{{"image_url", "slack_file"}}}
	inputBlock = &object{name: "input block",
		fields: map[string]rule{"type": constant("input"), "block_id": blockID, "label": plain(2000),
			"element": oneOfTypes("an input block's element", inputElements), "dispatch_action": boolean,
			"hint": plain(2000), "optional": boolean},
		required: []string{"type", "label", "element"},
		check: func(w *walker, ptr string, o map[string]any) {
			el, _ := o["element"].(map[string]any)
			if el["type"] != "file_input" {
				return
			}
			if w.surface != Modal {
				w.add(ptr+"/element/type", "file_input is only allowed in modals")
			}
			if o["dispatch_action"] == true {
				w.add(ptr+"/dispatch_action", "must be false with a file_input")
			}
		}}
	headerBlock = &object{name: "header block",
		fields:   map[string]rule{"type": constant("header"), "block_id": blockID, "text": plain(150), "level": integer(1, 4)},
		required: []string{"type", "text"}}
	dividerBlock = &object{name: "divider block",
		fields: map[string]rule{"type": constant("divider"), "block_id": blockID}, required: []string{"type"}}
	markdownBlock = &object{name: "markdown block",
		fields:   map[string]rule{"type": constant("markdown"), "block_id": blockID, "text": str(1, 12000)},
		required: []string{"type", "text"},
		check: func(w *walker, ptr string, o map[string]any) {
			s, _ := o["text"].(string)
			if w.markdown += runes(s); w.markdown > 12000 {
				w.add(ptr+"/text", "markdown blocks of a payload hold at most 12000 characters together")
			}
		}}
	videoBlock = &object{name: "video block",
		fields: map[string]rule{"type": constant("video"), "block_id": blockID, "alt_text": str(1, 0),
			"title": plain(199), "thumbnail_url": uri(0), "video_url": uri(0, "https"), "author_name": str(0, 49),
			"description": plain(199), "provider_icon_url": uri(0), "provider_name": str(1, 0),
			"title_url": uri(0, "https")},
		required: []string{"type", "alt_text", "title", "thumbnail_url", "video_url"}}
	cardBlock = &object{name: "card block",
		fields: map[string]rule{"type": constant("card"), "block_id": blockID, "hero_image": obj(imageElement),
			"icon": obj(imageElement), "title": text(150), "subtitle": text(150), "body": text(200),
			"actions": array(obj(buttonElement), 1, 2)},
		required:   []string{"type"},
		atLeastOne: []string{"hero_image", "title", "actions", "body"}}
	carouselBlock = &object{name: "carousel block",
		fields: map[string]rule{"type": constant("carousel"), "block_id": blockID,
			"elements": array(obj(cardBlock), 1, 10)},
		required: []string{"type", "elements"}}
	tableBlock = &object{name: "table block",
		fields: map[string]rule{"type": constant("table"), "block_id": blockID,
			"rows": array(array(oneOfTypes("a table cell", map[string]*object{
				"raw_text": {name: "raw_text cell", fields: map[string]rule{"type": constant("raw_text"), "text": str(0, 0)},
					required: []string{"type", "text"}},
				"rich_text": richTextBlock,
			}), 1, 20), 1, 100),
			"column_settings": array(func(w *walker, ptr string, v any) {
				if v != nil {
					w.object(ptr, v, &object{name: "column setting", fields: map[string]rule{
						"align": enum("left", "center", "right"), "is_wrapped": boolean}})
				}
			}, 0, 20)},
		required: []string{"type", "rows"},
		check: func(w *walker, ptr string, _ map[string]any) {
			if w.tables++; w.tables > 1 {
				w.add(ptr, "only one table block is allowed in a message")
			}
		}}

	blockSpecs = map[string]*object{
		"section": sectionBlock, "context": contextBlock, "actions": actionsBlock, "image": imageBlock,
		"input": inputBlock, "header": headerBlock, "divider": dividerBlock, "markdown": markdownBlock,
		"rich_text": richTextBlock, "video": videoBlock, "card": cardBlock, "carousel": carouselBlock,
		"table": tableBlock,
		// Only ever returned by Slack (remote files); notOn refuses it everywhere.
		"file": {name: "file block", fields: map[string]rule{"type": constant("file"), "block_id": blockID,
			"external_id": str(1, 0), "source": constant("remote")}},
	}
)

// contextElement is an image element or a text object.
func contextElement(w *walker, ptr string, v any) {
	if o, ok := v.(map[string]any); ok && o["type"] == "image" {
		w.object(ptr, o, imageElement)
		return
	}
	text(3000)(w, ptr, v)
}

// uniqueActionIDs: action_id must be unique among the elements of a block.
func uniqueActionIDs(w *walker, ptr string, o map[string]any) {
	els, _ := o["elements"].([]any)
	seen := map[string]bool{}
	for i, x := range els {
		e, _ := x.(map[string]any)
		id, ok := e["action_id"].(string)
		if !ok {
			continue
		}
		if seen[id] {
			w.add(ptr+"/elements/"+strconv.Itoa(i)+"/action_id", "duplicate action_id %q in block", id)
		}
		seen[id] = true
	}
}

// Views.

var (
	blocksField = func(w *walker, ptr string, v any) {
		a, ok := v.([]any)
		if !ok {
			w.add(ptr, "must provide an array")
			return
		}
		if len(a) == 0 {
			w.add(ptr, "must provide at least 1 item")
		}
		w.blocks(ptr, a)
	}
	modalView = &object{name: "modal view",
		fields: map[string]rule{
			"type": constant("modal"), "title": plain(24), "blocks": blocksField, "close": plain(24),
			"submit": plain(24), "private_metadata": str(0, 3000), "callback_id": str(0, 255),
			"clear_on_close": boolean, "notify_on_close": boolean, "external_id": str(0, 255),
			"submit_disabled": boolean,
		},
		required: []string{"type", "title", "blocks"},
		check: func(w *walker, ptr string, o map[string]any) {
			bs, _ := o["blocks"].([]any)
			for _, b := range bs {
				if m, _ := b.(map[string]any); m["type"] == "input" && o["submit"] == nil {
					w.add(ptr, "must provide submit when the view has input blocks")
					return
				}
			}
		}}
	homeView = &object{name: "home view",
		fields: map[string]rule{
			"type": constant("home"), "blocks": blocksField, "private_metadata": str(0, 3000),
			"callback_id": str(0, 255), "external_id": str(0, 255),
		},
		required: []string{"type", "blocks"}}
)
