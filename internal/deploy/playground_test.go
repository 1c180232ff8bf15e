package deploy_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// `docker compose --profile playground up` on a fresh host: the playground
// and a throwaway database of its own start, nothing else does, and
// nothing needs .env.
func TestComposePlayground(t *testing.T) {
	var c struct {
		Services map[string]struct {
			Profiles    []string `yaml:"profiles"`
			Image       string   `yaml:"image"`
			Build       any      `yaml:"build"`
			Command     []string `yaml:"command"`
			EnvFile     any      `yaml:"env_file"`
			Environment any      `yaml:"environment"`
			DependsOn   any      `yaml:"depends_on"`
			Ports       []any    `yaml:"ports"`
			Volumes     []any    `yaml:"volumes"`
			Tmpfs       []string `yaml:"tmpfs"`
		} `yaml:"services"`
	}
	parseYAML(t, "docker-compose.yml", &c)
	var started []string
	for name, s := range c.Services {
		if len(s.Profiles) == 0 || slices.Contains(s.Profiles, "playground") {
			started = append(started, name)
		}
		if slices.Contains(s.Profiles, "playground") && s.EnvFile != nil {
			t.Errorf("service %s (profile playground) reads env_file %v: on a fresh host there is no .env", name, s.EnvFile)
		}
	}
	slices.Sort(started)
	if want := []string{"playground", "playground-db"}; !slices.Equal(started, want) {
		t.Errorf("--profile playground starts %v, want %v (the bot needs .env and Slack tokens)", started, want)
	}
	for _, name := range []string{"db", "bot"} {
		if !slices.Contains(c.Services[name].Profiles, "bot") {
			t.Errorf("service %s has profiles %v, want bot (enabled by .env.example's COMPOSE_PROFILES)", name, c.Services[name].Profiles)
		}
	}
	if !strings.Contains(string(read(t, ".env.example")), "\nCOMPOSE_PROFILES=bot\n") {
		t.Error(".env.example lacks COMPOSE_PROFILES=bot: `docker compose up -d` would start no bot")
	}

	pg, db := c.Services["playground"], c.Services["playground-db"]
	if pg.Build == nil || !slices.Equal(pg.Command, []string{"playground"}) {
		t.Errorf("playground: build %v, command %v; want the bot's image running `playground`", pg.Build, pg.Command)
	}
	pe, de := env(t, pg.Environment), env(t, db.Environment)
	u, err := url.Parse(interpolate(pe["DATABASE_URL"]))
	if err != nil || u.Hostname() != "playground-db" || strings.TrimPrefix(u.Path, "/") != de["POSTGRES_DB"] || u.User.Username() != de["POSTGRES_USER"] {
		t.Errorf("playground DATABASE_URL %q does not point at playground-db's database %q", pe["DATABASE_URL"], de["POSTGRES_DB"])
	}
	if pe["PLAYGROUND_ADDR"] != "0.0.0.0:3000" || len(pg.Ports) != 1 || hostIP(pg.Ports[0]) != "127.0.0.1" {
		t.Errorf("playground listens on %q, publishes %v: want 0.0.0.0:3000 in the container, 127.0.0.1:3000 on the host", pe["PLAYGROUND_ADDR"], pg.Ports)
	}
	dep, _ := pg.DependsOn.(map[string]any)
	if cond, _ := dep["playground-db"].(map[string]any); cond == nil || cond["condition"] != "service_healthy" {
		t.Errorf("playground depends_on %v; want playground-db healthy", pg.DependsOn)
	}
	if len(db.Volumes) != 0 || !slices.Contains(db.Tmpfs, "/var/lib/postgresql/data") || len(db.Ports) != 0 {
		t.Errorf("playground-db: volumes %v, tmpfs %v, ports %v; want a throwaway database, not published", db.Volumes, db.Tmpfs, db.Ports)
	}
}
