// Package sticker holds the sticker domain type and its rules, shared by
// the store, the Slack handlers and the import command.
package sticker

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stickerbot/stickerbot/internal/fold"
)

// Limits. The schema enforces the same ones as constraints.
const (
	MaxNameLen  = 80
	MaxTagLen   = 50
	MaxTags     = 20
	MaxURLLen   = 3000 // Block Kit's image_url limit
	MaxQueryLen = 100
)

// Sticker is one sticker in the library.
type Sticker struct {
	ID       int64
	Name     string
	Tags     []string
	ImageURL string // an https URL, or empty for an uploaded image
	// SlackFileID is a Slack file (F…) the bot can show: for an uploaded
	// image, the bot's copy of it. With neither it nor ImageURL, the
	// sticker's image is stored but cannot be shown (nor found) yet.
	SlackFileID string
	AddedBy     string // Slack user ID, or "import"
	CreatedAt   time.Time
	UpdatedAt   time.Time
	UsageCount  int64
}

// Draft is what a person supplies to add or change a sticker.
type Draft struct {
	Name        string
	Tags        []string
	ImageURL    string
	SlackFileID string
	// Image, when set, is the image itself, kept in the library; SlackFileID
	// may then name the copy the bot uploaded to Slack to show it.
	Image   *Image
	AddedBy string
}

// FieldError names the field of a Draft that breaks a rule.
type FieldError struct {
	Field   string // "name", "tags", "image_url" or "image"
	Message string
}

// Error says which field is wrong and why.
func (e FieldError) Error() string { return e.Field + ": " + e.Message }

var slackFileID = regexp.MustCompile(`^F[A-Z0-9]{8,}$`)

// Normalize trims the draft's fields, drops empty and repeated tags
// (tags that fold to the same term count as repeats) and writes the image
// URL as NormalizeImageURL does (one it cannot make valid stays as given,
// for Validate to report).
func (d Draft) Normalize() Draft {
	d.Name = strings.TrimSpace(d.Name)
	d.ImageURL = strings.TrimSpace(d.ImageURL)
	if u, err := NormalizeImageURL(d.ImageURL); err == nil {
		d.ImageURL = u
	}
	d.SlackFileID = strings.TrimSpace(d.SlackFileID)
	seen := make(map[string]bool, len(d.Tags))
	tags := make([]string, 0, len(d.Tags))
	for _, t := range d.Tags {
		t = strings.Join(strings.Fields(t), " ")
		k := fold.Term(t)
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		tags = append(tags, t)
	}
	d.Tags = tags
	return d
}

// Validate reports every rule the (normalised) draft breaks; nil means valid.
func (d Draft) Validate() []FieldError {
	var errs []FieldError
	switch n := utf8.RuneCountInString(d.Name); {
	case n == 0 || fold.Term(d.Name) == "":
		errs = append(errs, FieldError{"name", "is empty"})
	case n > MaxNameLen:
		errs = append(errs, FieldError{"name", fmt.Sprintf("is %d characters; at most %d", n, MaxNameLen)})
	}
	if len(d.Tags) > MaxTags {
		errs = append(errs, FieldError{"tags", fmt.Sprintf("has %d tags; at most %d", len(d.Tags), MaxTags)})
	}
	for _, t := range d.Tags {
		if utf8.RuneCountInString(t) > MaxTagLen {
			errs = append(errs, FieldError{"tags", fmt.Sprintf("tag %q is longer than %d characters", truncate(t, 20), MaxTagLen)})
			break
		}
	}
	switch {
	case d.ImageURL == "" && d.SlackFileID == "" && d.Image == nil:
		errs = append(errs, FieldError{"image_url", "is missing: give an https image URL"})
	case d.ImageURL != "" && (d.SlackFileID != "" || d.Image != nil):
		errs = append(errs, FieldError{"image", "give either an image URL or a file, not both"})
	case d.ImageURL != "":
		var fe FieldError
		if _, err := NormalizeImageURL(d.ImageURL); errors.As(err, &fe) {
			errs = append(errs, fe)
		}
	default:
		if d.SlackFileID != "" && !slackFileID.MatchString(d.SlackFileID) {
			errs = append(errs, FieldError{"image", "is not a Slack file ID"})
		}
		var fe FieldError
		if d.Image != nil && errors.As(d.Image.Check(), &fe) {
			errs = append(errs, fe)
		}
	}
	return errs
}

// ParseTags splits what a person typed into tags: commas separate tags
// when there are any (so a tag may hold spaces, "thumbs up"); otherwise
// white space does. Ideographic commas and Japanese commas count as commas.
func ParseTags(s string) []string {
	s = strings.NewReplacer("，", ",", "、", ",", "､", ",").Replace(s)
	var parts []string
	if strings.Contains(s, ",") {
		parts = strings.Split(s, ",")
	} else {
		parts = strings.Fields(s)
	}
	tags := make([]string, 0, len(parts))
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			tags = append(tags, p)
		}
	}
	return tags
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
