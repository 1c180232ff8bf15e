package testdb

import (
	"iter"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/stickerbot/stickerbot/internal/fold"
)

// LibraryRow is one generated sticker.
type LibraryRow struct {
	Name     string
	Tags     []string
	ImageURL string
	Usage    int64 // how often it was sent: most never, a few very often
}

// HeadTags are the common tags of a generated library: each is on 2.5 %
// to 4 % of its stickers (2,500 to 4,000 of 100,000), the way a real
// library has "cat", "lol" or "축하" on thousands of stickers.
var HeadTags = []string{
	"cat", "dog", "fire", "party", "happy", "love", "lol", "sad", "thanks",
	"yes", "no", "ok", "wow", "cool", "cute", "angry", "coffee", "deploy",
	"bug", "ship", "meme", "hello", "bye", "sorry",
	"고양이", "강아지", "축하", "감사", "대박", "ㅋㅋ", "화이팅", "배고파",
	"ねこ", "いぬ", "ありがとう", "おめでとう",
}

// nameWords are the common words names are made of, most common first:
// names repeat them ("happy cat", "cat dance 3").
var nameWords = []string{
	"cat", "happy", "dog", "fire", "party", "dance", "love", "cute", "sad",
	"big", "little", "angry", "sleepy", "coffee", "thumbs", "up", "ok",
	"wow", "cool", "hello", "goodbye", "yes", "no", "thanks", "sorry",
	"고양이", "강아지", "행복", "축하", "감사", "대박", "사랑", "졸려",
	"ねこ", "いぬ", "ありがとう", "ラーメン",
}

// Library yields n stickers shaped like a real library, the same for the
// same n and seed:
//   - tags are heavy-tailed: every sticker has a few of HeadTags (each
//     on 2.5–4 % of the library) and two to five tail tags drawn by a
//     Zipf law from about n/2 made-up words (Latin, Hangul and kana), so
//     a handful of tail tags are on dozens of stickers and most are on
//     one to three;
//   - names are two words, drawn by a Zipf law from a vocabulary whose
//     head is nameWords, so names repeat words; a name already taken gets
//     a number ("happy cat 2");
//   - usage is heavy-tailed too: two in three never sent.
//
// It also returns the tail vocabulary, most frequent first, for picking
// rare tags as queries.
func Library(n int, seed uint64) (iter.Seq[LibraryRow], []string) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	tail := madeUpWords(rng, max(1000, n/2))
	names := append(slices.Clone(nameWords), madeUpWords(rng, 2000)...)
	headP := make([]float64, len(HeadTags))
	for i := range headP {
		headP[i] = 0.025 + 0.015*float64(i%7)/6
	}
	seq := func(yield func(LibraryRow) bool) {
		rng := rand.New(rand.NewPCG(seed, 0x11b))
		tailZipf := rand.NewZipf(rng, 1.15, 30, uint64(len(tail)-1))
		nameZipf := rand.NewZipf(rng, 1.1, 4, uint64(len(names)-1))
		usageZipf := rand.NewZipf(rng, 1.3, 2, 5000)
		taken := make(map[string]int, n)
		for i := range n {
			name := names[nameZipf.Uint64()] + " " + names[nameZipf.Uint64()]
			key := fold.Term(name)
			if k := taken[key]; k > 0 {
				taken[key] = k + 1
				name += " " + strconv.Itoa(k+1)
				key = fold.Term(name)
			}
			taken[key]++
			var tags []string
			for j, p := range headP {
				if rng.Float64() < p {
					tags = append(tags, HeadTags[j])
				}
			}
			for range 2 + rng.IntN(4) {
				tags = append(tags, tail[tailZipf.Uint64()])
			}
			slices.Sort(tags)
			tags = slices.Compact(tags)
			if len(tags) > 20 {
				tags = tags[:20]
			}
			var usage int64
			if rng.IntN(3) == 0 {
				usage = int64(usageZipf.Uint64()) + 1
			}
			row := LibraryRow{
				Name:     name,
				Tags:     tags,
				ImageURL: "https://img.example.com/s/" + strconv.Itoa(i+1) + ".png",
				Usage:    usage,
			}
			if !yield(row) {
				return
			}
		}
	}
	return seq, tail
}

// madeUpWords returns n distinct words: half Latin (4–9 letters), a third
// Hangul (2–4 syllables), the rest kana (2–4).
func madeUpWords(rng *rand.Rand, n int) []string {
	const latin = "abcdefghijklmnopqrstuvwxyz"
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for len(out) < n {
		var b strings.Builder
		switch r := rng.IntN(6); {
		case r < 3:
			for range 4 + rng.IntN(6) {
				b.WriteByte(latin[rng.IntN(len(latin))])
			}
		case r < 5:
			for range 2 + rng.IntN(3) {
				b.WriteRune(rune(0xAC00 + rng.IntN(11172)))
			}
		default:
			for range 2 + rng.IntN(3) {
				b.WriteRune(rune(0x3042 + rng.IntN(0x3093-0x3042)))
			}
		}
		w := b.String()
		if k := fold.Term(w); !seen[k] {
			seen[k] = true
			out = append(out, w)
		}
	}
	return out
}
