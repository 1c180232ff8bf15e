package config

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/joho/godotenv"
)

func noEnv(string) (string, bool) { return "", false }

func TestParseDotenv(t *testing.T) {
	text := "\ufeff# stickerbot\r\n" +
		"COMPOSE_PROFILES=bot\n" +
		"  export SLACK_BOT_TOKEN = xoxb-1-2   # the bot token\n" +
		"EMPTY=\n" +
		"HASH=pa#ss\n" +
		"LIT='a $HASH \\n'\n" +
		"DOUBLE=\"line1\\nline2 \\\"q\\\" \\$5 ${HASH} $COMPOSE_PROFILES\"  # comment\n" +
		"MULTI=\"first\n" +
		"second\"\n" +
		"FROM_ENV=${REAL}\n" +
		"DEFAULTED=${UNSET:-fallback}/${EMPTY:-e}/${EMPTY-kept}\n" +
		"COMMENTED=#not a value\n" +
		"dotted.name=1\n" +
		"LAST=no newline"
	got, err := ParseDotenv(".env", text, func(k string) (string, bool) {
		if k == "REAL" {
			return "from the environment", true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"COMPOSE_PROFILES": "bot",
		"SLACK_BOT_TOKEN":  "xoxb-1-2",
		"EMPTY":            "",
		"HASH":             "pa#ss",
		"LIT":              `a $HASH \n`,
		"DOUBLE":           "line1\nline2 \"q\" $5 pa#ss bot",
		"MULTI":            "first\nsecond",
		"FROM_ENV":         "from the environment",
		"DEFAULTED":        "fallback/e/",
		"COMMENTED":        "",
		"dotted.name":      "1",
		"LAST":             "no newline",
	}
	if !maps.Equal(got, want) {
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q", k, got[k], v)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected %s = %q", k, got[k])
			}
		}
	}
}

// A .env that works with godotenv (the reader before this one) reads the
// same.
func TestParseDotenvAgreesWithGodotenv(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	samples := []string{
		string(b),
		"A=1\nB=\"x y\"\nC='z'\nD=two words # and a comment\nE=\"multi\nline\"\n",
		"export A=1\nURL=postgres://u:p@h:5432/d?sslmode=disable\n",
	}
	for i, text := range samples {
		old, err := godotenv.Unmarshal(text)
		if err != nil {
			t.Fatalf("sample %d: godotenv: %v", i, err)
		}
		got, err := ParseDotenv(".env", text, noEnv)
		if err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		if !maps.Equal(got, old) {
			t.Errorf("sample %d: got %v, godotenv read %v", i, got, old)
		}
	}
}

func TestParseDotenvErrors(t *testing.T) {
	const secret = "xoxb-1111-2222-secret"
	tests := []struct {
		name, text string
		line       int
		want       string
	}{
		{"no equals", "A=1\nSLACK_BOT_TOKEN\n", 2, "SLACK_BOT_TOKEN has no =: write SLACK_BOT_TOKEN=value"},
		{"space instead of equals", "# x\n\nSLACK_BOT_TOKEN " + secret + "\n", 3, "SLACK_BOT_TOKEN is followed by a space where = belongs"},
		{"colon", "SLACK_BOT_TOKEN: " + secret + "\n", 1, `SLACK_BOT_TOKEN is followed by ":" where = belongs`},
		{"dash in name", "SLACK-BOT-TOKEN=" + secret + "\n", 1, `SLACK is followed by "-" where = belongs`},
		{"starts with a digit", "1A=" + secret + "\n", 1, `starts with "1"`},
		{"starts with =", "=" + secret + "\n", 1, `starts with "="`},
		{"unterminated double", "A=1\nSLACK_BOT_TOKEN=\"" + secret + "\nB=2\n", 2, "the value of SLACK_BOT_TOKEN opens a double (\") quote that is never closed"},
		{"unterminated single", "SLACK_BOT_TOKEN='" + secret, 1, "opens a single (') quote that is never closed"},
		{"text after quote", "SLACK_BOT_TOKEN=\"xoxb\"" + secret + "\n", 1, "goes on after its closing double (\") quote"},
		{"text after multi-line quote", "A=\"x\ny\"z\n", 2, "the value of A goes on after its closing"},
		{"open brace", "A=${B\n", 1, "has a ${ with no closing }"},
		{"bad reference", "A=${1B}\n", 1, "refers to ${1B}, which is not a variable name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDotenv("/srv/bot/.env", tt.text, noEnv)
			var de *DotenvError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *DotenvError", err)
			}
			if de.Line != tt.line || de.File != "/srv/bot/.env" {
				t.Errorf("at %s line %d, want line %d", de.File, de.Line, tt.line)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "/srv/bot/.env line ") || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want it to contain %q", msg, tt.want)
			}
			if strings.Contains(msg, "secret") || strings.Contains(msg, "\n") {
				t.Errorf("error %q shows a value or is more than one line", msg)
			}
		})
	}
}

func TestEnvironment(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	env := func(k string) (string, bool) {
		if k == "SLACK_MODE" {
			return "http", true
		}
		return "", false
	}
	// No file: the environment alone.
	getenv, err := Environment(path, env)
	if err != nil || getenv("SLACK_MODE") != "http" || getenv("SLACK_BOT_TOKEN") != "" {
		t.Fatalf("without .env: %v", err)
	}
	if err := os.WriteFile(path, []byte("SLACK_MODE=socket\nSLACK_BOT_TOKEN=xoxb-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv, err = Environment(path, env)
	if err != nil || getenv("SLACK_MODE") != "http" || getenv("SLACK_BOT_TOKEN") != "xoxb-1" {
		t.Fatalf("the environment wins, the file fills in: %v", err)
	}
	if err := os.WriteFile(path, []byte("SLACK_BOT_TOKEN=xoxb-1\nSTICKER ADMINS=U1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Environment(path, env); err == nil || !strings.HasPrefix(err.Error(), path+" line 2: STICKER is followed by a space") {
		t.Fatalf("a broken line: %v", err)
	}
	if _, err := Environment(dir, env); err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("a directory: %v", err)
	}
}

func FuzzParseDotenv(f *testing.F) {
	for _, s := range []string{"A=1\n", "export B='x'\n", "C=\"a\\n$A ${A:-x}\"\n", "D", "=x", "E=\"", "F=${", "#x\n\n  G = h # c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		out, err := ParseDotenv(".env", text, noEnv)
		if err != nil {
			var de *DotenvError
			if !errors.As(err, &de) || de.Line < 1 || de.Line > strings.Count(text, "\n")+1 {
				t.Fatalf("error %v at a line outside the text", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is more than one line", err)
			}
			return
		}
		for k := range out {
			if !validName(strings.ReplaceAll(k, ".", "_")) {
				t.Fatalf("read a variable named %q", k)
			}
		}
	})
}
