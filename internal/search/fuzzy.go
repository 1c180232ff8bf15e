package search

import (
	"slices"
	"strings"
)

// Typo-tolerant matching compares ASCII words (fold.Key) the way pg_trgm
// did when search ran in PostgreSQL, so that what searches found then
// they find now: two words are similar by the share of trigrams they have
// in common, a query word is near the dictionary words at least
// similarityThreshold similar to it, of which it keeps the nearest
// maxNear, and a sticker scores the average, over the query's words, of
// its nearest word for each, or the score of the words run together when
// that is higher.
const (
	similarityThreshold = 0.3
	minFuzzyScore       = 0.3
	maxNear             = 20
)

// trigramCode maps the characters of a key ([a-z0-9] and the padding
// space) to 0…36.
func trigramCode(c byte) uint16 {
	switch {
	case c >= 'a' && c <= 'z':
		return uint16(c-'a') + 1
	case c >= '0' && c <= '9':
		return uint16(c-'0') + 27
	}
	return 0
}

// trigrams appends the distinct trigrams of word, sorted, as pg_trgm
// makes them: of the word padded with two spaces in front and one behind.
func trigrams[S ~string | ~[]byte](dst []uint16, word S) []uint16 {
	start := len(dst)
	var a, b uint16 // the two characters before: padding
	for i := 0; i <= len(word); i++ {
		c := uint16(0)
		if i < len(word) {
			c = trigramCode(word[i])
		}
		dst = append(dst, (a*37+b)*37+c)
		a, b = b, c
	}
	t := dst[start:]
	slices.Sort(t)
	return append(dst[:start], slices.Compact(t)...)
}

// similarity is pg_trgm's: common trigrams over all distinct trigrams of
// the two words, in single precision as pg_trgm computes it.
func similarity(common, a, b int) float32 {
	return float32(common) / float32(a+b-common)
}

// nearWord is a dictionary word near a query word.
type nearWord struct {
	word string
	sim  float32
}

// nearWords returns the dictionary words of the segments near w, nearest
// first (ties by byte order, as ORDER BY score DESC, key did), at most
// maxNear.
func nearWords(segs []*segment, w string) []nearWord {
	q := trigrams(nil, w)
	var out []nearWord
	var buf []byte
	for _, s := range segs {
		if s.words.n == 0 {
			continue
		}
		sc := s.scratch()
		counts, touched := sc.counts, sc.touched[:0]
		for _, t := range q {
			i, ok := slices.BinarySearch(s.triCode, t)
			if !ok {
				continue
			}
			data := s.triData[s.triOff[i]:s.triOff[i+1]]
			x := int32(-1)
			for off := 0; off < len(data); {
				var d uint64
				d, off = uvarint(data, off)
				x += int32(d) + 1
				if counts[x] == 0 {
					touched = append(touched, x)
				}
				counts[x]++
			}
		}
		for _, x := range touched {
			sim := similarity(int(counts[x]), len(q), int(s.wordTri[x]))
			counts[x] = 0
			if float64(sim) < similarityThreshold {
				continue
			}
			key, _ := s.words.get(int(x), buf)
			buf = key
			word := string(key)
			if !slices.ContainsFunc(out, func(n nearWord) bool { return n.word == word }) {
				out = append(out, nearWord{word, sim})
			}
		}
		sc.touched = touched
		s.counts.Put(sc)
	}
	slices.SortFunc(out, func(a, b nearWord) int {
		if a.sim != b.sim {
			if a.sim > b.sim {
				return -1
			}
			return 1
		}
		return strings.Compare(a.word, b.word)
	})
	return out[:min(len(out), maxNear)]
}

// counting is nearWords' scratch: a zeroed counter for each word of a
// segment, and the words it touched, which it zeroes before giving the
// scratch back.
type counting struct {
	counts  []uint8
	touched []int32
}

func (s *segment) scratch() *counting {
	if c, ok := s.counts.Get().(*counting); ok {
		return c
	}
	return &counting{counts: make([]uint8, s.words.n)}
}
