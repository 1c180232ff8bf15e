// Package config reads the bot's settings from the environment and says,
// in one line naming the variable, what is wrong and how to fix it.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Secret is a token or password. It prints as [redacted], so a Config can
// be logged without leaking it.
type Secret string

// String hides the secret.
func (Secret) String() string { return "[redacted]" }

// LogValue hides the secret from slog.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// Reveal returns the secret itself, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// Modes of delivery.
const (
	ModeSocket = "socket"
	ModeHTTP   = "http"
)

// Config is the bot's configuration.
type Config struct {
	Mode              string // socket (default) or http
	BotToken          Secret // xoxb-…, for Web API calls
	AppToken          Secret // xapp-…, for Socket Mode
	SigningSecret     Secret // HTTP mode only
	DatabaseURL       Secret // may hold a password
	APIURL            string // Slack Web API base, ending in /
	Admins            []string
	HTTPAddr          string // health, metrics (and Slack requests in HTTP mode); empty: off
	LogLevel          slog.Level
	LogFormat         string // text or json
	SocketConnections int    // 1..10
	// LibraryChannel is a channel the bot is a member of, where it uploads
	// the images admins add, so image blocks can show them to everyone;
	// empty: uploaded images are stored but not shown.
	LibraryChannel string
	// ImageSyncPace spaces the start-up check of stored images (0: the
	// bot's default, for Slack's rate limits). Not read from the
	// environment: the playground sets it.
	ImageSyncPace time.Duration
}

// Vars lists every environment variable Load reads, for the docs test.
var Vars = []string{
	"SLACK_MODE", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DATABASE_URL",
	"SLACK_API_URL", "STICKER_ADMINS", "HTTP_ADDR", "LOG_LEVEL", "LOG_FORMAT", "SOCKET_CONNECTIONS",
	"STICKER_LIBRARY_CHANNEL",
}

// DefaultAPIURL is Slack's Web API.
const DefaultAPIURL = "https://slack.com/api/"

// Where each token comes from, for messages that ask for the right one.
const (
	BotTokenHelp = "the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page"
	AppTokenHelp = "an app-level token (xapp-…) with the connections:write scope, from your Slack app's Basic Information → App-Level Tokens"
)

// kind names what a token looks like, never what it holds.
func kind(tok string) string {
	for _, p := range []struct{ prefix, name string }{
		{"xoxb-", "a bot token (xoxb-…)"}, {"xapp-", "an app-level token (xapp-…)"},
		{"xoxp-", "a user token (xoxp-…)"}, {"xoxe", "a refresh or config token (xoxe…)"},
	} {
		if strings.HasPrefix(tok, p.prefix) {
			return p.name
		}
	}
	return "something that is not a Slack token"
}

// tokenShaped reports whether tok has only what Slack's tokens are made
// of: letters, digits and dashes.
func tokenShaped(tok string) bool {
	for _, r := range tok {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Load reads the configuration through getenv (os.Getenv in production).
// The error is one line naming the variable and the fix; it never holds a
// secret's value.
func Load(getenv func(string) string) (Config, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	c := Config{
		Mode:          strings.ToLower(get("SLACK_MODE")),
		BotToken:      Secret(get("SLACK_BOT_TOKEN")),
		AppToken:      Secret(get("SLACK_APP_TOKEN")),
		SigningSecret: Secret(get("SLACK_SIGNING_SECRET")),
		DatabaseURL:   Secret(get("DATABASE_URL")),
		APIURL:        get("SLACK_API_URL"),
		HTTPAddr:      get("HTTP_ADDR"),
		LogFormat:     strings.ToLower(get("LOG_FORMAT")),
	}
	if c.Mode == "" {
		c.Mode = ModeSocket
	}
	if c.Mode != ModeSocket && c.Mode != ModeHTTP {
		return c, fmt.Errorf("SLACK_MODE is %q: use socket (the default) or http", c.Mode)
	}
	bot, app := string(c.BotToken), string(c.AppToken)
	switch {
	case strings.HasPrefix(bot, "xapp-") && strings.HasPrefix(app, "xoxb-"):
		return c, errors.New("SLACK_BOT_TOKEN and SLACK_APP_TOKEN are swapped: put the xoxb- token in SLACK_BOT_TOKEN and the xapp- token in SLACK_APP_TOKEN")
	case bot == "":
		return c, errors.New("SLACK_BOT_TOKEN is not set: set it to " + BotTokenHelp)
	case strings.HasPrefix(bot, "xapp-"):
		return c, errors.New("SLACK_BOT_TOKEN holds an app-level token (xapp-…), which belongs in SLACK_APP_TOKEN: set SLACK_BOT_TOKEN to " + BotTokenHelp)
	case !strings.HasPrefix(bot, "xoxb-"):
		return c, fmt.Errorf("SLACK_BOT_TOKEN holds %s: set it to %s", kind(bot), BotTokenHelp)
	case bot == "xoxb-":
		return c, errors.New("SLACK_BOT_TOKEN is only the prefix xoxb- (the placeholder of .env.example), not a token: set it to " + BotTokenHelp)
	case !tokenShaped(bot):
		return c, errors.New("SLACK_BOT_TOKEN holds characters a Slack token never has (a space, a quote): copy it again, whole, from " + BotTokenHelp)
	}
	if c.Mode == ModeSocket {
		switch {
		case app == "":
			return c, errors.New("SLACK_APP_TOKEN is not set: Socket Mode needs " + AppTokenHelp)
		case strings.HasPrefix(app, "xoxb-"):
			return c, errors.New("SLACK_APP_TOKEN holds a bot token (xoxb-…), which belongs in SLACK_BOT_TOKEN: set SLACK_APP_TOKEN to " + AppTokenHelp)
		case !strings.HasPrefix(app, "xapp-"):
			return c, fmt.Errorf("SLACK_APP_TOKEN holds %s: set it to %s", kind(app), AppTokenHelp)
		case app == "xapp-":
			return c, errors.New("SLACK_APP_TOKEN is only the prefix xapp- (the placeholder of .env.example), not a token: set it to " + AppTokenHelp)
		case !tokenShaped(app):
			return c, errors.New("SLACK_APP_TOKEN holds characters a Slack token never has (a space, a quote): copy it again, whole, from " + AppTokenHelp)
		}
	}
	if c.Mode == ModeHTTP && c.SigningSecret == "" {
		return c, errors.New("SLACK_SIGNING_SECRET is not set: HTTP mode needs the Signing Secret from your Slack app's Basic Information page")
	}
	if c.Mode == ModeHTTP && c.HTTPAddr == "" {
		return c, errors.New("HTTP_ADDR is not set: HTTP mode serves Slack's requests on it; set it to an address such as :8080")
	}
	var err error
	if c.DatabaseURL, err = LoadDatabase(getenv); err != nil {
		return c, err
	}
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return c, fmt.Errorf("SLACK_API_URL is %q: leave it unset for Slack (%s)", c.APIURL, DefaultAPIURL)
	}
	if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	for _, a := range strings.FieldsFunc(get("STICKER_ADMINS"), func(r rune) bool { return r == ',' || r == ' ' }) {
		if !validUserID(a) {
			return c, fmt.Errorf("STICKER_ADMINS holds %q, which is not a Slack user ID: list IDs like U012ABCDEF (in Slack: profile → ⋮ → Copy member ID), separated by commas", a)
		}
		c.Admins = append(c.Admins, a)
	}
	if c.LibraryChannel = get("STICKER_LIBRARY_CHANNEL"); c.LibraryChannel != "" && !validChannelID(c.LibraryChannel) {
		return c, fmt.Errorf("STICKER_LIBRARY_CHANNEL is %q, which is not a channel ID: use the ID of a channel the bot is a member of, like C012ABCDEF (in Slack: channel name → About → Channel ID)", c.LibraryChannel)
	}
	if c.LogLevel, c.LogFormat, err = logSettings(get); err != nil {
		return c, err
	}
	c.SocketConnections = 2
	if s := get("SOCKET_CONNECTIONS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10 {
			return c, fmt.Errorf("SOCKET_CONNECTIONS is %q: use a number from 1 to 10 (Slack allows 10 per app)", s)
		}
		c.SocketConnections = n
	}
	return c, nil
}

// logSettings reads LOG_LEVEL and LOG_FORMAT.
func logSettings(get func(string) string) (slog.Level, string, error) {
	var level slog.Level
	switch lv := strings.ToLower(get("LOG_LEVEL")); lv {
	case "", "info":
		level = slog.LevelInfo
	case "debug":
		level = slog.LevelDebug
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return 0, "", fmt.Errorf("LOG_LEVEL is %q: use debug, info, warn or error", lv)
	}
	switch format := strings.ToLower(get("LOG_FORMAT")); format {
	case "":
		return level, "text", nil
	case "text", "json":
		return level, format, nil
	default:
		return 0, "", fmt.Errorf("LOG_FORMAT is %q: use text or json", format)
	}
}

func validUserID(s string) bool { return validID(s, "UW") }

func validChannelID(s string) bool { return validID(s, "CG") }

// validID reports whether s looks like a Slack ID starting with one of
// the letters in kinds.
func validID(s, kinds string) bool {
	if len(s) < 3 || len(s) > 20 || !strings.ContainsRune(kinds, rune(s[0])) {
		return false
	}
	for _, r := range s {
		if !('A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// LoadDatabase reads only what the database commands (migrate, import,
// export) need, so they run without Slack tokens.
func LoadDatabase(getenv func(string) string) (Secret, error) {
	u := strings.TrimSpace(getenv("DATABASE_URL"))
	if u == "" {
		return "", errors.New("DATABASE_URL is not set: set it to a PostgreSQL URL such as postgres://stickerbot:PASSWORD@localhost:5432/stickerbot")
	}
	if p, err := url.Parse(u); err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") {
		return "", errors.New("DATABASE_URL is not a PostgreSQL URL: use the form postgres://user:password@host:5432/database")
	}
	return Secret(u), nil
}

// RedactURL returns a database URL fit for a message: its password, in
// the URL or a password parameter, replaced by xxxxx. A URL it cannot
// parse is not shown at all.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(not a URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
