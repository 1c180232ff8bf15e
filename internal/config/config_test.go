package config

import (
	"fmt"
	"strings"
	"testing"
)

func env(kv ...string) func(string) string {
	m := map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-1-secretbot",
		"SLACK_APP_TOKEN": "xapp-1-secretapp",
		"DATABASE_URL":    "postgres://u:pw@db:5432/s",
	}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		env  func(string) string
		want string // the variable the message must start with
	}{
		{"bot token missing", env("SLACK_BOT_TOKEN", ""), "SLACK_BOT_TOKEN is not set"},
		{"app token in bot slot", env("SLACK_BOT_TOKEN", "xapp-1-secretapp"), "SLACK_BOT_TOKEN holds an app-level token"},
		{"bot token in app slot", env("SLACK_APP_TOKEN", "xoxb-1-secretbot"), "SLACK_APP_TOKEN holds a bot token"},
		{"swapped", env("SLACK_BOT_TOKEN", "xapp-1-secretapp", "SLACK_APP_TOKEN", "xoxb-1-secretbot"), "SLACK_BOT_TOKEN and SLACK_APP_TOKEN are swapped"},
		{"user token", env("SLACK_BOT_TOKEN", "xoxp-1-secretuser"), "SLACK_BOT_TOKEN holds a user token"},
		{"app token missing", env("SLACK_APP_TOKEN", "  "), "SLACK_APP_TOKEN is not set"},
		{"garbage app token", env("SLACK_APP_TOKEN", "secretgarbage"), "SLACK_APP_TOKEN holds something that is not a Slack token"},
		{"bot token placeholder", env("SLACK_BOT_TOKEN", "xoxb-"), "SLACK_BOT_TOKEN is only the prefix xoxb-"},
		{"app token placeholder", env("SLACK_APP_TOKEN", "xapp-"), "SLACK_APP_TOKEN is only the prefix xapp-"},
		{"quoted bot token", env("SLACK_BOT_TOKEN", "xoxb-1-secret\""), "SLACK_BOT_TOKEN holds characters a Slack token never has"},
		{"bot token with a space", env("SLACK_BOT_TOKEN", "xoxb-1 secret"), "SLACK_BOT_TOKEN holds characters"},
		{"app token with a space", env("SLACK_APP_TOKEN", "xapp-1 secret"), "SLACK_APP_TOKEN holds characters"},
		{"no database", env("DATABASE_URL", ""), "DATABASE_URL is not set"},
		{"bad database", env("DATABASE_URL", "mysql://root:secretpw@x/y"), "DATABASE_URL is not a PostgreSQL URL"},
		{"bad admin", env("STICKER_ADMINS", "U1234,alice"), "STICKER_ADMINS holds \"alice\""},
		{"bad connections", env("SOCKET_CONNECTIONS", "11"), "SOCKET_CONNECTIONS is \"11\""},
		{"bad mode", env("SLACK_MODE", "webhook"), "SLACK_MODE is \"webhook\""},
		{"http needs secret", env("SLACK_MODE", "http"), "SLACK_SIGNING_SECRET is not set"},
		{"bad log level", env("LOG_LEVEL", "loud"), "LOG_LEVEL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.env)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.want) {
				t.Errorf("error %q, want it to start with %q", msg, tt.want)
			}
			if strings.Contains(msg, "secret") || strings.Contains(msg, "\n") {
				t.Errorf("error %q leaks a secret or is more than one line", msg)
			}
		})
	}
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env("STICKER_ADMINS", "U111, W222", "SLACK_API_URL", "http://127.0.0.1:9/api"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode != ModeSocket || c.SocketConnections != 2 || c.LogFormat != "text" || c.APIURL != "http://127.0.0.1:9/api/" {
		t.Errorf("defaults: %+v", c)
	}
	if len(c.Admins) != 2 || c.Admins[1] != "W222" {
		t.Errorf("admins: %v", c.Admins)
	}
	if s := fmt.Sprintf("%v %+v", c, c); strings.Contains(s, "secret") || strings.Contains(s, "pw@") {
		t.Errorf("config prints a secret: %s", s)
	}
	if _, err := Load(env("SLACK_MODE", "http", "SLACK_APP_TOKEN", "", "SLACK_SIGNING_SECRET", "abc", "HTTP_ADDR", ":8080")); err != nil {
		t.Errorf("http mode without an app token: %v", err)
	}
}
