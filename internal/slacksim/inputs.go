package slacksim

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Input is the value of one input element as a person left it.
type Input struct {
	// Value: plain_text_input, number, email and url inputs, datepicker
	// (YYYY-MM-DD), timepicker (HH:MM). nil: empty.
	Value *string
	// Selected: option values (selects, radio buttons, checkboxes), or
	// user or conversation IDs.
	Selected []string
	// Files: file IDs of a file_input.
	Files []string
}

// Inputs are a view's inputs by block_id, then action_id.
type Inputs map[string]map[string]Input

func (in Input) empty() bool {
	return (in.Value == nil || *in.Value == "") && len(in.Selected) == 0 && len(in.Files) == 0
}

func optionByValue(e map[string]any, value string) (map[string]any, bool) {
	var all []any
	if opts, ok := e["options"].([]any); ok {
		all = append(all, opts...)
	}
	if groups, ok := e["option_groups"].([]any); ok {
		for _, g := range groups {
			if gm, ok := g.(map[string]any); ok {
				if opts, ok := gm["options"].([]any); ok {
					all = append(all, opts...)
				}
			}
		}
	}
	for _, o := range all {
		if om, ok := o.(map[string]any); ok && om["value"] == value {
			return om, true
		}
	}
	return nil, false
}

// elementValueLocked is an element's value as Slack sends it, in
// view.state.values and in block_actions: the keys depend on the element
// type. An option that does not exist or a file that is unknown is an
// error. s.mu must be held.
func (s *Server) elementValueLocked(e map[string]any, in Input) (map[string]any, error) {
	typ, _ := str(e["type"])
	st := map[string]any{"type": typ}
	one := func() string {
		if len(in.Selected) > 0 {
			return in.Selected[0]
		}
		return ""
	}
	switch typ {
	case "plain_text_input", "number_input", "email_text_input", "url_text_input":
		st["value"] = nil
		if in.Value != nil && *in.Value != "" {
			st["value"] = *in.Value
		}
	case "datepicker", "timepicker", "datetimepicker":
		key := map[string]string{"datepicker": "selected_date", "timepicker": "selected_time", "datetimepicker": "selected_date_time"}[typ]
		st[key] = nil
		if in.Value != nil && *in.Value != "" {
			st[key] = *in.Value
		}
	case "static_select", "external_select", "radio_buttons":
		st["selected_option"] = nil
		if v := one(); v != "" {
			o, ok := optionByValue(e, v)
			if !ok {
				return nil, fmt.Errorf("no option with value %q", v)
			}
			st["selected_option"] = o
		}
	case "multi_static_select", "multi_external_select", "checkboxes":
		opts := []any{}
		for _, v := range in.Selected {
			o, ok := optionByValue(e, v)
			if !ok {
				return nil, fmt.Errorf("no option with value %q", v)
			}
			opts = append(opts, o)
		}
		st["selected_options"] = opts
	case "users_select":
		st["selected_user"] = nilIfEmpty(one())
	case "multi_users_select":
		st["selected_users"] = append([]string{}, in.Selected...)
	case "conversations_select":
		st["selected_conversation"] = nilIfEmpty(one())
	case "multi_conversations_select":
		st["selected_conversations"] = append([]string{}, in.Selected...)
	case "channels_select":
		st["selected_channel"] = nilIfEmpty(one())
	case "multi_channels_select":
		st["selected_channels"] = append([]string{}, in.Selected...)
	case "file_input":
		files := []any{}
		for _, id := range in.Files {
			f := s.files[id]
			if f == nil {
				return nil, fmt.Errorf("unknown file %s", id)
			}
			files = append(files, s.fileJSONLocked(f))
		}
		st["files"] = files
	default:
		return nil, fmt.Errorf("%q elements are not supported", typ)
	}
	return st, nil
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// stateValuesLocked builds view.state.values for blocks from what was
// typed and chosen: every input block, untouched ones empty. With
// required set it refuses, as the Slack client does, an empty required
// input. s.mu must be held.
func (s *Server) stateValuesLocked(blocks json.RawMessage, inputs Inputs, required bool) (map[string]any, error) {
	var bs []map[string]any
	_ = json.Unmarshal(blocks, &bs)
	values := map[string]any{}
	for _, b := range bs {
		if b["type"] != "input" {
			continue
		}
		bid, _ := str(b["block_id"])
		e, _ := b["element"].(map[string]any)
		aid, _ := str(e["action_id"])
		in := inputs[bid][aid]
		st, err := s.elementValueLocked(e, in)
		if err != nil {
			return nil, fmt.Errorf("input %s/%s: %w", bid, aid, err)
		}
		if optional, _ := b["optional"].(bool); required && !optional && in.empty() {
			return nil, fmt.Errorf("required input %s/%s is empty: the Slack client would not submit", bid, aid)
		}
		values[bid] = map[string]any{aid: st}
	}
	return values, nil
}

// markSubmittedLocked lets the app read the files of a submission. s.mu
// must be held.
func (s *Server) markSubmittedLocked(inputs Inputs) {
	for _, acts := range inputs {
		for _, in := range acts {
			for _, id := range in.Files {
				if f := s.files[id]; f != nil {
					f.submitted = true
				}
			}
		}
	}
}

// actionFromInputLocked is the block_actions "actions" entry for an
// element whose value changed (a select, a dispatching input). s.mu must
// be held.
func (s *Server) actionFromInputLocked(e map[string]any, blockID string, in Input) (map[string]any, error) {
	st, err := s.elementValueLocked(e, in)
	if err != nil {
		return nil, err
	}
	st["action_id"], st["block_id"], st["action_ts"] = e["action_id"], blockID, actionTS()
	if strings.HasSuffix(st["type"].(string), "select") {
		if ph, ok := e["placeholder"]; ok {
			st["placeholder"] = ph
		}
	}
	return st, nil
}
