package config

import (
	"strings"
	"testing"
)

func TestLoadPlayground(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	p, err := LoadPlayground(env(nil))
	if err != nil || p.Addr != DefaultPlaygroundAddr || p.DatabaseURL != "" || p.LogFormat != "text" {
		t.Fatalf("defaults: %+v %v", p, err)
	}
	// A .env copied from .env.example holds placeholders, not tokens.
	if _, err := LoadPlayground(env(map[string]string{"SLACK_BOT_TOKEN": "xoxb-", "SLACK_APP_TOKEN": "xapp-"})); err != nil {
		t.Fatalf("placeholders: %v", err)
	}
	p, err = LoadPlayground(env(map[string]string{"PLAYGROUND_ADDR": "0.0.0.0:8000", "DATABASE_URL": "postgres://a:b@h/db", "LOG_FORMAT": "json"}))
	if err != nil || p.Addr != "0.0.0.0:8000" || p.DatabaseURL.Reveal() != "postgres://a:b@h/db" || p.LogFormat != "json" {
		t.Fatalf("set: %+v %v", p, err)
	}
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1-real-secret"}, "SLACK_BOT_TOKEN is set"},
		{map[string]string{"SLACK_APP_TOKEN": "xapp-1-real-secret"}, "SLACK_APP_TOKEN is set"},
		{map[string]string{"SLACK_SIGNING_SECRET": "real-secret"}, "SLACK_SIGNING_SECRET is set"},
		{map[string]string{"PLAYGROUND_ADDR": "3000"}, "PLAYGROUND_ADDR"},
		{map[string]string{"DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
	} {
		_, err := LoadPlayground(env(c.env))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v, want one line starting %q without the secret", c.env, err, c.want)
		}
	}
}
