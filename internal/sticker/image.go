package sticker

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
)

// MaxImageBytes bounds an uploaded image kept in the library (the schema
// enforces the same limit).
const MaxImageBytes = 2 << 20

// Content types of the images the library keeps: those Slack image blocks
// show.
var imageTypes = map[string]string{"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif"}

// Image is a sticker image kept in the library itself, so the sticker
// survives the Slack file it was uploaded as.
type Image struct {
	ContentType string // image/png, image/jpeg or image/gif, sniffed from Data
	Data        []byte
}

// SniffImage returns the content type of data, sniffed from its bytes (never
// from a file name), or a FieldError on "image" when data is empty, larger
// than MaxImageBytes, or not a PNG, JPEG or GIF image.
func SniffImage(data []byte) (Image, error) {
	switch {
	case len(data) == 0:
		return Image{}, FieldError{"image", "is empty"}
	case len(data) > MaxImageBytes:
		return Image{}, FieldError{"image", fmt.Sprintf("is %s; at most %s", sizeText(len(data)), sizeText(MaxImageBytes))}
	}
	ct := http.DetectContentType(data)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if _, ok := imageTypes[ct]; !ok {
		return Image{}, FieldError{"image", "is not a PNG, JPEG or GIF image"}
	}
	return Image{ContentType: ct, Data: data}, nil
}

// Check reports what is wrong with img, as SniffImage would, including a
// content type that does not match the bytes.
func (img Image) Check() error {
	got, err := SniffImage(img.Data)
	if err != nil {
		return err
	}
	if got.ContentType != img.ContentType {
		return FieldError{"image", fmt.Sprintf("is %s, not %s as labelled", got.ContentType, img.ContentType)}
	}
	return nil
}

// Ext is the file extension for the image's type, without the dot.
func (img Image) Ext() string {
	if e, ok := imageTypes[img.ContentType]; ok {
		return e
	}
	return "bin"
}

// SHA256 is the digest of the image's bytes.
func (img Image) SHA256() []byte {
	h := sha256.Sum256(img.Data)
	return h[:]
}

func sizeText(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KB", (n+1023)/1024)
}
