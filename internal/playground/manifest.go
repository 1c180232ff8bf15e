package playground

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// manifestFile is the part of a Slack app manifest the playground uses.
type manifestFile struct {
	DisplayInformation struct {
		Name string `yaml:"name"`
	} `yaml:"display_information"`
	Features struct {
		AppHome *struct {
			HomeTabEnabled     bool  `yaml:"home_tab_enabled"`
			MessagesTabEnabled *bool `yaml:"messages_tab_enabled"`
		} `yaml:"app_home"`
		BotUser struct {
			DisplayName string `yaml:"display_name"`
		} `yaml:"bot_user"`
		Shortcuts []struct {
			Name        string `yaml:"name"`
			Type        string `yaml:"type"`
			CallbackID  string `yaml:"callback_id"`
			Description string `yaml:"description"`
		} `yaml:"shortcuts"`
		SlashCommands []struct {
			Command     string `yaml:"command"`
			Description string `yaml:"description"`
			UsageHint   string `yaml:"usage_hint"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	Settings struct {
		EventSubscriptions struct {
			BotEvents []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
	} `yaml:"settings"`
}

// AppFromManifest reads a Slack app manifest (YAML) into an App with the
// given IDs. Without features.app_home, the Home tab is off and the
// Messages tab on, as for an app whose settings were never changed. It
// fails on YAML it cannot read and on a shortcut or command Slack would
// refuse (no name, callback_id or slash), naming it.
func AppFromManifest(manifest []byte, appID, botUserID string) (App, error) {
	var m manifestFile
	if err := yaml.Unmarshal(manifest, &m); err != nil {
		return App{}, fmt.Errorf("read app manifest: %w", err)
	}
	app := App{
		ID: appID, BotUserID: botUserID,
		Name:        m.Features.BotUser.DisplayName,
		MessagesTab: true,
		BotEvents:   append([]string{}, m.Settings.EventSubscriptions.BotEvents...),
		Commands:    []Command{},
		Shortcuts:   []Shortcut{},
	}
	if app.Name == "" {
		app.Name = m.DisplayInformation.Name
	}
	if h := m.Features.AppHome; h != nil {
		app.HomeTab = h.HomeTabEnabled
		if h.MessagesTabEnabled != nil {
			app.MessagesTab = *h.MessagesTabEnabled
		}
	}
	for i, c := range m.Features.SlashCommands {
		if !strings.HasPrefix(c.Command, "/") || len(c.Command) < 2 {
			return App{}, fmt.Errorf("app manifest: features.slash_commands[%d].command %q must start with /", i, c.Command)
		}
		app.Commands = append(app.Commands, Command(c))
	}
	for i, sc := range m.Features.Shortcuts {
		if sc.Type != ShortcutGlobal && sc.Type != ShortcutMessage {
			return App{}, fmt.Errorf("app manifest: features.shortcuts[%d].type %q must be global or message", i, sc.Type)
		}
		if sc.Name == "" || sc.CallbackID == "" {
			return App{}, fmt.Errorf("app manifest: features.shortcuts[%d] needs a name and a callback_id", i)
		}
		app.Shortcuts = append(app.Shortcuts, Shortcut{Type: sc.Type, Name: sc.Name, CallbackID: sc.CallbackID, Description: sc.Description})
	}
	return app, nil
}

// Subscribed reports whether the app subscribes to the event type.
func (a App) Subscribed(event string) bool { return slices.Contains(a.BotEvents, event) }
