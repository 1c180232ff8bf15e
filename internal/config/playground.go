package config

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
)

// DefaultPlaygroundAddr is where the playground's page listens by default:
// loopback only, since anyone who reaches it can act as any user.
const DefaultPlaygroundAddr = "127.0.0.1:3000"

// Playground is the configuration of `stickerbot playground`, which runs
// the bot against a simulated Slack and needs no Slack settings at all.
type Playground struct {
	Addr string // PLAYGROUND_ADDR
	// DatabaseURL is DATABASE_URL; empty: the playground starts a
	// throwaway PostgreSQL of its own.
	DatabaseURL Secret
	LogLevel    slog.Level
	LogFormat   string
}

// PlaygroundVars lists every environment variable LoadPlayground reads.
var PlaygroundVars = []string{"PLAYGROUND_ADDR", "DATABASE_URL", "LOG_LEVEL", "LOG_FORMAT"}

// slackSettings are refused by the playground: it talks to its own
// simulated Slack only, and a real token in its environment means
// someone is about to start the wrong thing.
var slackSettings = []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"}

// LoadPlayground reads the playground's configuration through getenv. It
// refuses Slack tokens (the playground never talks to a real workspace)
// with one line naming the variable; the error never holds its value.
func LoadPlayground(getenv func(string) string) (Playground, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	for _, k := range slackSettings {
		// .env.example's placeholders (a bare xoxb- or xapp-) are no token.
		if v := get(k); v != "" && v != "xoxb-" && v != "xapp-" {
			return Playground{}, fmt.Errorf("%s is set (in the environment or .env), but the playground never talks to a real Slack workspace: unset it to try the playground, or run \"stickerbot run\" for the real bot", k)
		}
	}
	p := Playground{Addr: get("PLAYGROUND_ADDR")}
	if p.Addr == "" {
		p.Addr = DefaultPlaygroundAddr
	}
	if _, port, err := net.SplitHostPort(p.Addr); err != nil || port == "" {
		return Playground{}, fmt.Errorf("PLAYGROUND_ADDR is %q: use host:port, such as %s (or 0.0.0.0:3000 in a container)", p.Addr, DefaultPlaygroundAddr)
	}
	if get("DATABASE_URL") != "" {
		u, err := LoadDatabase(getenv)
		if err != nil {
			return Playground{}, err
		}
		p.DatabaseURL = u
	}
	var err error
	if p.LogLevel, p.LogFormat, err = logSettings(get); err != nil {
		return Playground{}, err
	}
	return p, nil
}
