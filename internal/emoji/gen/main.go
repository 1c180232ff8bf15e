// Command gen writes the emoji table of package emoji from the npm
// packages emoji-datasource (Slack's short names and aliases, MIT) and
// cldr-annotations-full (English, Korean and Japanese names and keywords,
// Unicode licence), and the NOTICE with both licences. It fetches the
// packages with npm pack, or reads their tarballs from -dir.
//
//	go generate ./internal/emoji/
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	datasource = "emoji-datasource"
	dsVersion  = "16.0.0"
	cldr       = "cldr-annotations-full"
	cldrVer    = "48.2.0"
)

// languages whose CLDR annotations the table carries.
var languages = []string{"en", "ko", "ja"}

func main() {
	out := flag.String("o", "table.go", "the Go file to write")
	notice := flag.String("notice", "NOTICE", "the licence notice to write")
	dir := flag.String("dir", "", "a directory holding the two npm tarballs (default: npm pack them)")
	flag.Parse()
	if err := run(*out, *notice, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out, notice, dir string) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "emoji-gen")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		cmd := exec.Command("npm", "pack", "--silent", "--pack-destination", tmp,
			datasource+"@"+dsVersion, cldr+"@"+cldrVer)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("npm pack: %w", err)
		}
		dir = tmp
	}
	ds, err := readTarball(filepath.Join(dir, datasource+"-"+dsVersion+".tgz"), "package/emoji.json", "package/LICENSE")
	if err != nil {
		return err
	}
	want := []string{"package/LICENSE"}
	for _, l := range languages {
		want = append(want, "package/annotations/"+l+"/annotations.json")
	}
	cl, err := readTarball(filepath.Join(dir, cldr+"-"+cldrVer+".tgz"), want...)
	if err != nil {
		return err
	}
	table, err := build(ds["package/emoji.json"], cl)
	if err != nil {
		return err
	}
	src, err := format.Source(table)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, src, 0o644); err != nil {
		return err
	}
	var n bytes.Buffer
	fmt.Fprintf(&n, "The emoji table in table.go is generated (go generate) from two data packages.\n\n")
	fmt.Fprintf(&n, "== %s %s (https://github.com/iamcal/emoji-data): Slack's short names ==\n\n%s\n", datasource, dsVersion, ds["package/LICENSE"])
	fmt.Fprintf(&n, "== %s %s (https://github.com/unicode-org/cldr-json): names and keywords in %s ==\n\n%s", cldr, cldrVer, strings.Join(languages, ", "), cl["package/LICENSE"])
	return os.WriteFile(notice, n.Bytes(), 0o644)
}

func readTarball(path string, names ...string) (map[string][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	got := map[string][]byte{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if slices.Contains(names, h.Name) {
			if got[h.Name], err = io.ReadAll(tr); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, h.Name, err)
			}
		}
	}
	for _, n := range names {
		if got[n] == nil {
			return nil, fmt.Errorf("%s has no %s", path, n)
		}
	}
	return got, nil
}

// canonical drops what package emoji's Fold drops: variation selectors
// and skin tones.
func canonical(s string) string {
	return strings.Map(func(r rune) rune {
		if r == 0xFE0E || r == 0xFE0F || r >= 0x1F3FB && r <= 0x1F3FF {
			return -1
		}
		return r
	}, s)
}

func fromHex(unified string) (string, error) {
	var b strings.Builder
	for _, h := range strings.Split(unified, "-") {
		r, err := strconv.ParseUint(h, 16, 32)
		if err != nil {
			return "", fmt.Errorf("bad code point %q in %q", h, unified)
		}
		b.WriteRune(rune(r))
	}
	return b.String(), nil
}

func build(dsJSON []byte, cl map[string][]byte) ([]byte, error) {
	var ds []struct {
		Unified    string   `json:"unified"`
		ShortNames []string `json:"short_names"`
	}
	if err := json.Unmarshal(dsJSON, &ds); err != nil {
		return nil, fmt.Errorf("emoji.json: %w", err)
	}
	type annotation struct {
		Default []string `json:"default"`
		TTS     []string `json:"tts"`
	}
	ann := map[string]map[string]annotation{}
	for _, l := range languages {
		var doc struct {
			Annotations struct {
				Annotations map[string]annotation `json:"annotations"`
			} `json:"annotations"`
		}
		if err := json.Unmarshal(cl["package/annotations/"+l+"/annotations.json"], &doc); err != nil {
			return nil, fmt.Errorf("%s annotations: %w", l, err)
		}
		ann[l] = map[string]annotation{}
		for k, v := range doc.Annotations.Annotations {
			ann[l][canonical(k)] = v
		}
	}
	var lines, codes []string
	for _, e := range ds {
		raw, err := fromHex(e.Unified)
		if err != nil {
			return nil, err
		}
		em := canonical(raw)
		for _, c := range e.ShortNames {
			codes = append(codes, c+"\x1f"+em)
		}
		if em == "" { // a skin tone on its own
			continue
		}
		var names, keywords []string
		add := func(list *[]string, ws ...string) {
			for _, w := range ws {
				w = strings.TrimSpace(w)
				if w != "" && !slices.Contains(names, w) && !slices.Contains(keywords, w) {
					*list = append(*list, w)
				}
			}
		}
		add(&names, e.ShortNames...)
		for _, l := range languages {
			add(&names, ann[l][em].TTS...)
		}
		for _, l := range languages {
			add(&keywords, ann[l][em].Default...)
		}
		for _, w := range append(slices.Clone(names), keywords...) {
			if strings.ContainsAny(w, "\x1e\x1f\n") {
				return nil, fmt.Errorf("%q has a separator in %q", em, w)
			}
		}
		lines = append(lines, em+"\x1f"+strings.Join(names, "\x1e")+"\x1f"+strings.Join(keywords, "\x1e"))
	}
	slices.Sort(lines)
	slices.Sort(codes)
	for i := 1; i < len(lines); i++ {
		if strings.SplitN(lines[i], "\x1f", 2)[0] == strings.SplitN(lines[i-1], "\x1f", 2)[0] {
			return nil, fmt.Errorf("emoji %q twice", strings.SplitN(lines[i], "\x1f", 2)[0])
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by gen from %s %s and %s %s; DO NOT EDIT.\n\n", datasource, dsVersion, cldr, cldrVer)
	fmt.Fprintf(&b, "package emoji\n\n")
	fmt.Fprintf(&b, "// table holds one line per emoji, in byte order: the emoji, its names\n")
	fmt.Fprintf(&b, "// (Slack short names, then CLDR names in %s) and its CLDR keywords,\n", strings.Join(languages, ", "))
	fmt.Fprintf(&b, "// fields separated by \\x1f and items by \\x1e.\n")
	fmt.Fprintf(&b, "const table = %s\n\n", quoteLines(lines))
	fmt.Fprintf(&b, "// codes holds one line per Slack short name, in byte order: the name,\n")
	fmt.Fprintf(&b, "// \\x1f, and its emoji (empty for a skin tone).\n")
	fmt.Fprintf(&b, "const codes = %s\n", quoteLines(codes))
	return b.Bytes(), nil
}

// quoteLines writes lines as a constant of one string literal a line,
// joined with +, each ending in a newline.
func quoteLines(lines []string) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteString(" +\n\t")
		}
		b.WriteString(strconv.Quote(l + "\n"))
	}
	return b.String()
}
