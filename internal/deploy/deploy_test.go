package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/stickerbot/stickerbot/internal/config"
)

// root returns the repository root: the directory of go.mod, two levels up.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod at the repository root %s: %v", dir, err)
	}
	return dir
}

// read returns a file at the repository root; a missing file fails the test.
func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(t), name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

func parseYAML(t *testing.T, name string, v any) {
	t.Helper()
	if err := yaml.Unmarshal(read(t, name), v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// goCmd runs the go command in the repository root.
func goCmd(t *testing.T, timeout time.Duration, env []string, args ...string) []byte {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("these tests need the go command on PATH: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = root(t)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// ---------------------------------------------------------------------------
// docker-compose.yml

type composeFile struct {
	Version  *string            `yaml:"version"`
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image           string `yaml:"image"`
	Build           any    `yaml:"build"`
	Restart         string `yaml:"restart"`
	EnvFile         any    `yaml:"env_file"`
	Environment     any    `yaml:"environment"`
	DependsOn       any    `yaml:"depends_on"`
	Ports           []any  `yaml:"ports"`
	Volumes         []any  `yaml:"volumes"`
	NetworkMode     string `yaml:"network_mode"`
	StopGracePeriod string `yaml:"stop_grace_period"`
	Healthcheck     *struct {
		Test    any  `yaml:"test"`
		Disable bool `yaml:"disable"`
	} `yaml:"healthcheck"`
	Logging *struct {
		Driver  string         `yaml:"driver"`
		Options map[string]any `yaml:"options"`
	} `yaml:"logging"`
}

var interpolation = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}`)

// interpolate expands Compose variables as if none were set: ${X:-default}
// and ${X-default} give the default, ${X} gives "", and $$ gives $.
func interpolate(s string) string {
	return interpolation.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		sub := interpolation.FindStringSubmatch(m)
		if strings.HasSuffix(sub[2], "-") {
			return sub[3]
		}
		return ""
	})
}

// env returns a service's environment, in either of Compose's two forms.
func env(t *testing.T, v any) map[string]string {
	t.Helper()
	out := make(map[string]string)
	switch v := v.(type) {
	case nil:
	case map[string]any:
		for k, val := range v {
			if val != nil {
				out[k] = fmt.Sprint(val)
			}
		}
	case []any:
		for _, e := range v {
			k, val, _ := strings.Cut(fmt.Sprint(e), "=")
			out[k] = val
		}
	default:
		t.Errorf("environment has an unexpected form %T", v)
	}
	return out
}

// strs returns a string or a list of strings (or of {path: …} maps) as a list.
func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				e = m["path"]
			}
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

// command returns a healthcheck test as one string.
func command(v any) string {
	return strings.Join(strs(v), " ")
}

func TestCompose(t *testing.T) {
	var c composeFile
	parseYAML(t, "docker-compose.yml", &c)

	if c.Version != nil {
		t.Error("docker-compose.yml has a version key, which the Compose specification made obsolete: remove it")
	}
	db, ok := c.Services["db"]
	if !ok {
		t.Fatal("docker-compose.yml has no db service")
	}
	bot, ok := c.Services["bot"]
	if !ok {
		t.Fatal("docker-compose.yml has no bot service")
	}

	// db: PostgreSQL with a pinned major version, its data in a named volume.
	img, tag, _ := strings.Cut(db.Image, ":")
	if img != "postgres" || tag == "" || tag == "latest" {
		t.Errorf("db image %q: want postgres with a pinned major version, like postgres:16", db.Image)
	}
	if _, ok := c.Volumes["pgdata"]; !ok {
		t.Error("no named volume pgdata under volumes:")
	}
	if !slices.ContainsFunc(db.Volumes, func(v any) bool { return strings.HasPrefix(fmt.Sprint(v), "pgdata:") }) {
		t.Errorf("db volumes %v do not mount pgdata", db.Volumes)
	}
	if db.Healthcheck == nil || !strings.Contains(command(db.Healthcheck.Test), "pg_isready") {
		t.Error("db has no healthcheck running pg_isready")
	}

	// bot: built here, after db is healthy, restarted, configured from .env.
	if bot.Build == nil {
		t.Error("bot has no build: it should be built from the Dockerfile")
	}
	dep, _ := bot.DependsOn.(map[string]any)
	if cond, _ := dep["db"].(map[string]any); cond == nil || cond["condition"] != "service_healthy" {
		t.Errorf("bot depends_on = %v; want db with condition service_healthy", bot.DependsOn)
	}
	if bot.Restart != "unless-stopped" {
		t.Errorf("bot restart %q, want unless-stopped", bot.Restart)
	}
	if files := strs(bot.EnvFile); !slices.Contains(files, ".env") {
		t.Errorf("bot env_file %v, want .env", files)
	}
	if bot.Healthcheck == nil || bot.Healthcheck.Disable || command(bot.Healthcheck.Test) == "" {
		t.Error("bot has no healthcheck")
	}
	// The bot drains in-flight work for up to 25s (cmd/stickerbot
	// drainTimeout); Compose's default 10s would kill it first.
	if d, err := time.ParseDuration(bot.StopGracePeriod); err != nil || d < 30*time.Second {
		t.Errorf("bot stop_grace_period %q: want at least 30s, so a shutdown can drain", bot.StopGracePeriod)
	}

	// DATABASE_URL points at the db service, with db's user, password and name.
	dbEnv, botEnv := env(t, db.Environment), env(t, bot.Environment)
	raw := interpolate(botEnv["DATABASE_URL"])
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("bot DATABASE_URL %q is not a postgres:// URL", botEnv["DATABASE_URL"])
	}
	if u.Hostname() != "db" {
		t.Errorf("bot DATABASE_URL host %q, want db (the service name)", u.Hostname())
	}
	pass, _ := u.User.Password()
	for _, p := range []struct{ name, got, want string }{
		{"user", u.User.Username(), interpolate(dbEnv["POSTGRES_USER"])},
		{"password", pass, interpolate(dbEnv["POSTGRES_PASSWORD"])},
		{"database", strings.TrimPrefix(u.Path, "/"), interpolate(dbEnv["POSTGRES_DB"])},
	} {
		if p.got != p.want || p.want == "" {
			t.Errorf("bot DATABASE_URL %s %q, db's is %q: they must agree (defaults shown)", p.name, p.got, p.want)
		}
	}
	if botEnv["HTTP_ADDR"] == "" {
		t.Error("bot does not set HTTP_ADDR: the health checks need it")
	}
	// Both host ports can move out of another service's way.
	for name, v := range map[string]string{"db": "DB_PORT", "bot": "BOT_PORT"} {
		if ports := c.Services[name].Ports; len(ports) != 1 || !strings.Contains(fmt.Sprint(ports[0]), "${"+v+":-") {
			t.Errorf("service %s publishes %v: want its host port from ${%s:-…}", name, ports, v)
		}
		if !strings.Contains(string(read(t, ".env.example")), v+"=") {
			t.Errorf(".env.example does not mention %s", v)
		}
	}

	for name, s := range c.Services {
		// Logs are rotated.
		if s.Logging == nil || s.Logging.Options["max-size"] == nil {
			t.Errorf("service %s: no logging max-size; its json-file log would grow without bound", name)
		}
		// Nothing is published beyond this host.
		if s.NetworkMode == "host" {
			t.Errorf("service %s uses network_mode host, which exposes every port", name)
		}
		for _, p := range s.Ports {
			if ip := hostIP(p); ip != "127.0.0.1" && ip != "::1" {
				t.Errorf("service %s publishes %v on %s: bind it to 127.0.0.1 (\"127.0.0.1:HOST:CONTAINER\")", name, p, orDefault(ip, "0.0.0.0"))
			}
		}
	}
}

// hostIP returns the address a published port binds on the host, "" for all.
func hostIP(p any) string {
	switch p := p.(type) {
	case map[string]any: // long syntax
		s, _ := p["host_ip"].(string)
		return s
	case string: // [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]
		s := interpolate(p)
		if rest, ok := strings.CutPrefix(s, "["); ok { // [::1]:8080:8080
			ip, _, _ := strings.Cut(rest, "]")
			return ip
		}
		if parts := strings.Split(s, ":"); len(parts) == 3 {
			return parts[0]
		}
	}
	return ""
}

func orDefault(s, ifEmpty string) string {
	if s == "" {
		return ifEmpty
	}
	return s
}

// ---------------------------------------------------------------------------
// .env.example

func TestEnvExample(t *testing.T) {
	// A missing .env.example fails: every variable must be documented.
	text := string(read(t, ".env.example"))
	for _, name := range config.Vars {
		// An assignment, possibly commented out for optional settings.
		re := regexp.MustCompile(`(?m)^[#\s]*` + regexp.QuoteMeta(name) + `=`)
		if !re.MatchString(text) {
			t.Errorf(".env.example lacks %s= (config.Vars lists it)", name)
		}
	}
}

// ---------------------------------------------------------------------------
// Slack app manifests

type manifest struct {
	Metadata struct {
		Major int `yaml:"major_version"`
	} `yaml:"_metadata"`
	Display struct {
		Name        string `yaml:"name"`
		Description string `yaml:"description"`
	} `yaml:"display_information"`
	Features struct {
		BotUser *struct {
			DisplayName string `yaml:"display_name"`
		} `yaml:"bot_user"`
		SlashCommands []struct {
			Command      string `yaml:"command"`
			URL          string `yaml:"url"`
			Description  string `yaml:"description"`
			UsageHint    string `yaml:"usage_hint"`
			ShouldEscape *bool  `yaml:"should_escape"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuth struct {
		Scopes struct {
			Bot  []string `yaml:"bot"`
			User []string `yaml:"user"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Events *struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		SocketMode *bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

func (m *manifest) events() []string {
	if m.Settings.Events == nil {
		return nil
	}
	return m.Settings.Events.BotEvents
}

var manifests = []struct {
	file   string
	socket bool
}{
	{"manifest.yaml", true},
	{"manifest-http.yaml", false},
}

const usageHint = "search <words> | favs | stats | help | add | edit <name> | delete <name> | list"

func TestManifests(t *testing.T) {
	for _, mf := range manifests {
		t.Run(mf.file, func(t *testing.T) {
			var m manifest
			parseYAML(t, mf.file, &m)
			if m.Metadata.Major != 1 {
				t.Errorf("_metadata.major_version %d, want 1", m.Metadata.Major)
			}
			if m.Display.Name == "" || len(m.Display.Description) > 140 {
				t.Errorf("display_information: need a name and a description of at most 140 characters")
			}
			if m.Features.BotUser == nil || m.Features.BotUser.DisplayName != "stickerbot" {
				t.Error("features.bot_user.display_name must be stickerbot")
			}
			if n := len(m.Features.SlashCommands); n != 1 {
				t.Fatalf("%d slash commands, want exactly /sticker", n)
			}
			sc := m.Features.SlashCommands[0]
			if sc.Command != "/sticker" || sc.Description == "" || sc.UsageHint != usageHint {
				t.Errorf("slash command %q (description %q, usage hint %q): want /sticker, a description and the hint %q",
					sc.Command, sc.Description, sc.UsageHint, usageHint)
			}
			if sc.ShouldEscape == nil || *sc.ShouldEscape {
				t.Error("/sticker must set should_escape: false")
			}
			if !m.Settings.Interactivity.IsEnabled {
				t.Error("interactivity must be enabled: the bot uses buttons and modals")
			}
			if len(m.OAuth.Scopes.User) != 0 {
				t.Errorf("user scopes %v: the bot needs none", m.OAuth.Scopes.User)
			}
			if m.Settings.SocketMode == nil || *m.Settings.SocketMode != mf.socket {
				t.Errorf("settings.socket_mode_enabled must be %v", mf.socket)
			}
			evURL := ""
			if m.Settings.Events != nil {
				evURL = m.Settings.Events.RequestURL
			}
			urls := []struct{ where, got, path string }{
				{"the slash command's url", sc.URL, "/slack/commands"},
				{"settings.interactivity.request_url", m.Settings.Interactivity.RequestURL, "/slack/interactions"},
				{"settings.event_subscriptions.request_url", evURL, "/slack/events"},
			}
			for _, u := range urls {
				switch {
				case mf.socket && u.got != "":
					t.Errorf("%s is %q: Socket Mode takes no request URLs", u.where, u.got)
				case !mf.socket && u.got != "https://YOUR-HOST"+u.path:
					t.Errorf("%s is %q, want https://YOUR-HOST%s (the bot's HTTP mode route)", u.where, u.got, u.path)
				}
			}
		})
	}
}

// Web API needs: each slack-go *Client method the bot may call (with or
// without the Context suffix), what it calls on Slack, and the bot scope
// that needs ("" for none).
type need struct {
	calls string
	scope string
}

var clientTable = map[string]need{
	"PostMessage":   {"chat.postMessage", "chat:write"},
	"SendMessage":   {"chat.postMessage", "chat:write"},
	"PostEphemeral": {"chat.postEphemeral", "chat:write"},
	"UpdateMessage": {"chat.update", "chat:write"},
	"DeleteMessage": {"chat.delete", "chat:write"},
	// Views need no scope: the trigger_id of a command or interaction is
	// the permission (https://docs.slack.dev/reference/methods/views.open).
	"OpenView":    {"views.open", ""},
	"UpdateView":  {"views.update", ""},
	"PushView":    {"views.push", ""},
	"PublishView": {"views.publish", ""},
	"GetFileInfo": {"files.info", "files:read"},
	"GetFile":     {"GET url_private (file download)", "files:read"},
	"UploadFile": {
		"files.getUploadURLExternal, POST upload_url, files.completeUploadExternal", "files:write"},
	"GetUploadURLExternal":   {"files.getUploadURLExternal", "files:write"},
	"UploadToURL":            {"POST upload_url", "files:write"},
	"CompleteUploadExternal": {"files.completeUploadExternal", "files:write"},
	"DeleteFile":             {"files.delete", "files:write"},
	"AuthTest":               {"auth.test", ""},
	"GetUserInfo":            {"users.info", "users:read"},
	"GetConversationInfo":    {"conversations.info", "channels:read"},
	// The app-level token's connections:write, granted in the app's
	// settings, never in the manifest's bot scopes.
	"StartSocketMode": {"apps.connections.open (app-level token)", ""},
	// Logging helpers, not Web API calls.
	"Debug":   {"", ""},
	"Debugf":  {"", ""},
	"Debugln": {"", ""},
}

// planned lists the slack-go calls of the admin commands being built (add
// and edit modals, reading the image uploaded through the modal, uploading
// it to Slack), whose scopes the manifests already request. Delete an entry
// once the code makes that call: the scan then finds it.
var planned = []string{"OpenViewContext", "UpdateViewContext", "GetFileInfoContext", "GetFileContext", "UploadFileContext"}

// eventScopes maps each event the manifests may subscribe to to its scope.
var eventScopes = map[string]string{
	"app_mention":     "app_mentions:read",
	"message.im":      "im:history",
	"app_home_opened": "", // https://docs.slack.dev/reference/events/app_home_opened: no scope
}

// call is where the code uses a slack-go *Client method.
type call struct {
	method string // as named in slack-go, e.g. PostMessageContext
	pos    token.Position
}

type goPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Export     string
	DepOnly    bool
	Error      *struct{ Err string }
	Module     *struct{ Main bool }
}

// scanned is what scan finds in the code.
type scanned struct {
	calls    []call          // uses of slack-go *Client methods
	literals map[string]bool // string constants
	mapLogs  []string        // positions of Go maps given to a slog call
}

func scan(t *testing.T) (res scanned) {
	t.Helper()
	var calls []call
	literals := make(map[string]bool)
	defer func() { res.calls, res.literals = calls, literals }()
	out := goCmd(t, 5*time.Minute, nil, "list", "-e", "-export", "-deps",
		"-json=ImportPath,Dir,GoFiles,Export,DepOnly,Error,Module", "./cmd/...", "./internal/...")
	var targets []goPackage
	exports := make(map[string]string)
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Error != nil {
			t.Fatalf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		exports[p.ImportPath] = p.Export
		if !p.DepOnly && p.Module != nil && p.Module.Main {
			targets = append(targets, p)
		}
	}
	if len(targets) == 0 {
		t.Fatal("go list found no packages under cmd/ and internal/")
	}

	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})

	// The method set of *slack.Client, by name.
	client := make(map[string]*types.Signature)
	if _, ok := exports["github.com/slack-go/slack"]; ok {
		pkg, err := imp.Import("github.com/slack-go/slack")
		if err != nil {
			t.Fatal(err)
		}
		obj := pkg.Scope().Lookup("Client")
		if obj == nil {
			t.Fatal("slack-go has no Client type")
		}
		ms := types.NewMethodSet(types.NewPointer(obj.Type()))
		for sel := range ms.Methods() {
			client[sel.Obj().Name()] = sel.Obj().Type().(*types.Signature)
		}
	}

	for _, p := range targets {
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		info := &types.Info{
			Selections: make(map[*ast.SelectorExpr]*types.Selection),
			Types:      make(map[ast.Expr]types.TypeAndValue),
			Uses:       make(map[*ast.Ident]types.Object),
		}
		conf := types.Config{Importer: imp}
		if _, err := conf.Check(p.ImportPath, fset, files, info); err != nil {
			t.Fatalf("type-checking %s: %v", p.ImportPath, err)
		}
		for expr, sel := range info.Selections {
			fn, ok := sel.Obj().(*types.Func)
			if !ok {
				continue
			}
			sig, ok := client[fn.Name()]
			if !ok || !types.Identical(sig, fn.Type()) {
				continue
			}
			calls = append(calls, call{fn.Name(), fset.Position(expr.Sel.Pos())})
		}
		for _, tv := range info.Types {
			if tv.Value != nil && tv.Value.Kind() == constant.String {
				literals[constant.StringVal(tv.Value)] = true
			}
		}
		// A map given to log/slog prints as map[k:v …]; logs take
		// attributes.
		for _, f := range files {
			ast.Inspect(f, func(n ast.Node) bool {
				c, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var id *ast.Ident
				switch fun := c.Fun.(type) {
				case *ast.SelectorExpr:
					id = fun.Sel
				case *ast.Ident:
					id = fun
				}
				fn, ok := info.Uses[id].(*types.Func)
				if id == nil || !ok || fn.Pkg() == nil || fn.Pkg().Path() != "log/slog" {
					return true
				}
				for _, arg := range c.Args {
					if tv, ok := info.Types[arg]; ok && tv.Type != nil {
						if _, isMap := tv.Type.Underlying().(*types.Map); isMap {
							res.mapLogs = append(res.mapLogs, fset.Position(arg.Pos()).String()+": "+fn.Name())
						}
					}
				}
				return true
			})
		}
	}
	slices.SortFunc(calls, func(a, b call) int { return strings.Compare(a.pos.String(), b.pos.String()) })
	return res
}

// TestLogsTakeAttributes: no log line prints a Go map (map[k:v …]); a
// map goes in as attributes (slog.Group) instead.
func TestLogsTakeAttributes(t *testing.T) {
	for _, where := range scan(t).mapLogs {
		t.Errorf("%s is given a Go map: log its entries as attributes (slog.Group)", where)
	}
}

// TestManifestScopes checks that each manifest requests exactly the bot
// scopes the code needs: those of the Web API calls it makes (and the
// planned ones), of the events it handles, and commands for /sticker.
func TestManifestScopes(t *testing.T) {
	sc := scan(t)
	calls, literals := sc.calls, sc.literals

	need := make(map[string][]string) // scope → why
	add := func(scope, why string) {
		if scope != "" && !slices.Contains(need[scope], why) {
			need[scope] = append(need[scope], why)
		}
	}
	seen := make(map[string]bool)
	for _, c := range calls {
		seen[c.method] = true
		n, ok := clientTable[strings.TrimSuffix(c.method, "Context")]
		if !ok {
			t.Errorf("%s: the code calls slack-go's %s, which clientTable lacks: add it with its Web API method to the table, and its scope to the table and the manifests", c.pos, c.method)
			continue
		}
		add(n.scope, c.method+" → "+n.calls)
	}
	for _, m := range planned {
		n, ok := clientTable[strings.TrimSuffix(m, "Context")]
		if !ok {
			t.Errorf("planned call %s is not in clientTable", m)
			continue
		}
		if seen[m] {
			t.Logf("planned call %s is now in the code: delete it from planned", m)
		}
		add(n.scope, m+" (planned) → "+n.calls)
	}
	t.Logf("slack-go calls found: %v", slices.Sorted(maps.Keys(seen)))

	for _, mf := range manifests {
		t.Run(mf.file, func(t *testing.T) {
			var m manifest
			parseYAML(t, mf.file, &m)
			want := maps.Clone(need)
			if len(m.Features.SlashCommands) > 0 {
				want["commands"] = append(want["commands"], "the /sticker slash command")
			}
			for _, ev := range m.events() {
				scope, ok := eventScopes[ev]
				if !ok {
					t.Errorf("the manifest subscribes to %s, which eventScopes lacks: add it with its scope", ev)
					continue
				}
				if !literals[ev] {
					t.Errorf("the manifest subscribes to %s, but no code mentions %q: drop the subscription", ev, ev)
				}
				if scope != "" {
					want[scope] = append(want[scope], "the "+ev+" event")
				}
			}
			for ev := range eventScopes {
				if literals[ev] && !slices.Contains(m.events(), ev) {
					t.Errorf("the code handles %s, but the manifest does not subscribe to it (settings.event_subscriptions.bot_events)", ev)
				}
			}

			// HTTP mode: every request URL's path is one the code serves.
			if !mf.socket {
				urls := []string{m.Settings.Interactivity.RequestURL}
				for _, sc := range m.Features.SlashCommands {
					urls = append(urls, sc.URL)
				}
				if m.Settings.Events != nil {
					urls = append(urls, m.Settings.Events.RequestURL)
				}
				for _, raw := range urls {
					u, err := url.Parse(raw)
					if err != nil {
						t.Errorf("request URL %q: %v", raw, err)
					} else if !literals[u.Path] {
						t.Errorf("request URL %q: no code mentions its path %q", raw, u.Path)
					}
				}
			}

			have := make(map[string]bool)
			for _, s := range m.OAuth.Scopes.Bot {
				if have[s] {
					t.Errorf("bot scope %s is listed twice", s)
				}
				have[s] = true
				if _, ok := want[s]; !ok {
					t.Errorf("bot scope %s is needed by no call the code makes: remove it from the manifest (or add the call to clientTable)", s)
				}
			}
			for _, s := range slices.Sorted(maps.Keys(want)) {
				if !have[s] {
					t.Errorf("the manifest lacks bot scope %s, needed by %s", s, strings.Join(want[s], "; "))
				}
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Dockerfile

type instruction struct {
	cmd, args string
	line      int
}

// dockerfile returns the Dockerfile's instructions, continuation lines joined.
func dockerfile(t *testing.T) []instruction {
	t.Helper()
	var (
		out  []instruction
		cur  strings.Builder
		from int
	)
	sc := bufio.NewScanner(bytes.NewReader(read(t, "Dockerfile")))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			from = n
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args), from})
		cur.Reset()
	}
	return out
}

func TestDockerfile(t *testing.T) {
	ins := dockerfile(t)
	last := -1 // index of the final stage's FROM
	for i, in := range ins {
		if in.cmd == "FROM" {
			last = i
		}
	}
	if last < 0 {
		t.Fatal("Dockerfile has no FROM")
	}
	if last == slices.IndexFunc(ins, func(in instruction) bool { return in.cmd == "FROM" }) {
		t.Error("Dockerfile has one stage: build in a golang stage, run in a minimal one")
	}

	// The build stage's Go matches go.mod's go line (major.minor).
	gomod := string(read(t, "go.mod"))
	goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(gomod)
	if goLine == nil {
		t.Fatal("go.mod has no go line")
	}
	var builder string
	for _, in := range ins[:last] {
		if in.cmd == "FROM" && strings.HasPrefix(in.args, "golang:") {
			builder = in.args
		}
	}
	if !strings.HasPrefix(builder, "golang:"+goLine[1]+"-") && !strings.HasPrefix(builder, "golang:"+goLine[1]+" ") {
		t.Errorf("build stage FROM %q: want golang:%s-… (go.mod says go %s)", builder, goLine[1], goLine[1])
	}

	all := func(cmd string, in []instruction) string {
		var b strings.Builder
		for _, i := range in {
			if i.cmd == cmd {
				b.WriteString(i.args + "\n")
			}
		}
		return b.String()
	}
	if s := all("ENV", ins[:last]) + all("RUN", ins[:last]) + all("ARG", ins[:last]); !strings.Contains(s, "CGO_ENABLED=0") {
		t.Error("the build stage does not set CGO_ENABLED=0: the binary must be static for the final image")
	}
	if run := all("RUN", ins[:last]); !strings.Contains(run, "go build") || !strings.Contains(run, "-trimpath") {
		t.Error("the build stage does not run go build -trimpath")
	}
	// The version is stamped (TestFreshStart checks -X main.version works).
	if run := all("RUN", ins[:last]); !strings.Contains(run, "-X main.version=${VERSION}") || !strings.Contains(all("ARG", ins[:last]), "VERSION") {
		t.Error("the build stage does not stamp the version: want ARG VERSION and go build -ldflags \"-X main.version=${VERSION}\"")
	}
	// Modules are downloaded in their own layer, before the sources come in.
	modCopy := slices.IndexFunc(ins, func(in instruction) bool { return in.cmd == "COPY" && strings.Contains(in.args, "go.mod") })
	download := slices.IndexFunc(ins, func(in instruction) bool { return in.cmd == "RUN" && strings.Contains(in.args, "go mod download") })
	srcCopy := slices.IndexFunc(ins, func(in instruction) bool { return in.cmd == "COPY" && strings.HasPrefix(in.args, ". ") })
	if modCopy < 0 || download < modCopy || srcCopy < download {
		t.Error("want COPY go.mod go.sum, then RUN go mod download, then COPY . .: the module download is then its own cached layer")
	}

	// The final stage: distroless or scratch, not root.
	final := ins[last:]
	image, _, _ := strings.Cut(final[0].args, " ")
	if !strings.HasPrefix(image, "gcr.io/distroless/") && image != "scratch" {
		t.Errorf("final image %q: want gcr.io/distroless/… or scratch", image)
	}
	user := ""
	if strings.HasSuffix(image, ":nonroot") || strings.Contains(image, ":nonroot-") {
		user = "nonroot"
	}
	for _, in := range final {
		if in.cmd == "USER" {
			user = in.args
		}
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "root" || u == "0" {
		t.Errorf("the final stage runs as %q: want a non-root user (USER 65532 or a :nonroot image)", orDefault(user, "root"))
	}
	if !strings.Contains(all("ENTRYPOINT", final), `"/stickerbot"`) {
		t.Error(`the final stage lacks ENTRYPOINT ["/stickerbot"]`)
	}
	if !strings.Contains(all("EXPOSE", final), "8080") {
		t.Error("the final stage lacks EXPOSE 8080")
	}

	// The build context leaves out secrets and the repository's history.
	var ignore []string
	for l := range strings.Lines(string(read(t, ".dockerignore"))) {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			ignore = append(ignore, l)
		}
	}
	for _, p := range []string{".env", ".git"} {
		if !slices.Contains(ignore, p) && !slices.Contains(ignore, "/"+p) {
			t.Errorf(".dockerignore does not exclude %s", p)
		}
	}
}

// TestStaticBuild builds the binary as the Dockerfile does and checks it
// needs no dynamic loader, so it runs on distroless/static or scratch.
func TestStaticBuild(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "stickerbot")
	goCmd(t, 10*time.Minute, []string{"CGO_ENABLED=0"},
		"build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/stickerbot")
	if runtime.GOOS != "linux" {
		return
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for a dynamic loader: it would not start on distroless/static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary links %v dynamically", libs)
	}
}

// TestReadmeExecForScripts: every `docker compose exec` line of the
// README whose output or input is redirected (a backup, an import) has
// -T, without which Compose allocates a terminal and the line fails from
// cron or a script.
func TestReadmeExecForScripts(t *testing.T) {
	// Joined, so a command wrapped over two lines reads as one.
	text := strings.Join(strings.Fields(string(read(t, "README.md"))), " ")
	re := regexp.MustCompile("docker compose exec[^`]*")
	found := 0
	for _, cmd := range re.FindAllString(text, -1) {
		if !strings.ContainsAny(cmd, "<>|") {
			continue
		}
		found++
		if !strings.HasPrefix(cmd, "docker compose exec -T ") {
			t.Errorf("README: %q redirects without -T", cmd)
		}
	}
	if found == 0 {
		t.Error("README has no docker compose exec line for scripts (backup, import)")
	}
}
