package fold

import "strings"

const (
	hangulBase = 0xAC00
	hangulLast = 0xD7A3
)

// Revised Romanisation of each jamo position. The silent initial ㅇ is empty
// so 고양이 reads "goyangi", close to how people type it in Latin letters.
var (
	initials = [19]string{"g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"}
	medials  = [21]string{"a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "eu", "ui", "i"}
	finals   = [28]string{"", "g", "kk", "gs", "n", "nj", "nh", "d", "l", "lg", "lm", "lb", "ls", "lt", "lp", "lh", "m", "b", "bs", "s", "ss", "ng", "j", "ch", "k", "t", "p", "h"}
)

func romanizeSyllable(r rune) string {
	i := int(r - hangulBase)
	return initials[i/(21*28)] + medials[(i/28)%21] + finals[i%28]
}

// romanizeJamo romanises a stand-alone jamo such as ㅋㅋ or ㅠㅠ, which
// Korean users type on their own. Term's NFKC has already turned the
// compatibility jamo people type (U+3131…) into conjoining jamo, and any
// conjoining jamo still standing alone is not part of a syllable.
func romanizeJamo(r rune) string {
	switch {
	case r >= 0x1100 && r <= 0x1112:
		if r == 0x110B { // ㅇ alone is pronounced, as in ㅇㅇ
			return "ng"
		}
		return initials[r-0x1100]
	case r >= 0x1161 && r <= 0x1175:
		return medials[r-0x1161]
	case r >= 0x11A8 && r <= 0x11C2:
		return finals[r-0x11A8+1]
	}
	return ""
}

// kana romanises one hiragana (Term has already folded katakana to
// hiragana); romanizeKana combines them.
var kana = map[rune]string{
	'ぁ': "a", 'あ': "a", 'ぃ': "i", 'い': "i", 'ぅ': "u", 'う': "u", 'ぇ': "e", 'え': "e", 'ぉ': "o", 'お': "o",
	'か': "ka", 'が': "ga", 'き': "ki", 'ぎ': "gi", 'く': "ku", 'ぐ': "gu", 'け': "ke", 'げ': "ge", 'こ': "ko", 'ご': "go",
	'さ': "sa", 'ざ': "za", 'し': "shi", 'じ': "ji", 'す': "su", 'ず': "zu", 'せ': "se", 'ぜ': "ze", 'そ': "so", 'ぞ': "zo",
	'た': "ta", 'だ': "da", 'ち': "chi", 'ぢ': "ji", 'っ': "t", 'つ': "tsu", 'づ': "zu", 'て': "te", 'で': "de", 'と': "to", 'ど': "do",
	'な': "na", 'に': "ni", 'ぬ': "nu", 'ね': "ne", 'の': "no",
	'は': "ha", 'ば': "ba", 'ぱ': "pa", 'ひ': "hi", 'び': "bi", 'ぴ': "pi", 'ふ': "fu", 'ぶ': "bu", 'ぷ': "pu",
	'へ': "he", 'べ': "be", 'ぺ': "pe", 'ほ': "ho", 'ぼ': "bo", 'ぽ': "po",
	'ま': "ma", 'み': "mi", 'む': "mu", 'め': "me", 'も': "mo",
	'ゃ': "ya", 'や': "ya", 'ゅ': "yu", 'ゆ': "yu", 'ょ': "yo", 'よ': "yo",
	'ら': "ra", 'り': "ri", 'る': "ru", 'れ': "re", 'ろ': "ro",
	'ゎ': "wa", 'わ': "wa", 'ゐ': "i", 'ゑ': "e", 'を': "o", 'ん': "n", 'ゔ': "vu", 'ゕ': "ka", 'ゖ': "ke",
}

// isKana reports whether r is hiragana or the long-vowel mark ー, which
// Term leaves as it is.
func isKana(r rune) bool { return r >= 0x3041 && r <= 0x3096 || r == 0x30FC }

// romanizeKana romanises a run of hiragana the way people type it:
// a small ya/yu/yo joins the syllable before it (にゃ nya, しゅ shu, ちょ
// cho, じゃ ja), a small vowel replaces the vowel before it (ふぁ fa, てぃ
// ti, うぃ wi), the long-vowel mark repeats the vowel before it (にゃー
// nyaa, ラーメン raamen), and the small tsu doubles the consonant after it
// (きって kitte), or stays "t" at the end of the run.
func romanizeKana(run string) string {
	out := make([]byte, 0, 2*len(run)/3+2)
	prev := -1 // where the romanisation of the previous kana starts in out
	rs := []rune(run)
	for i, r := range rs {
		start := len(out)
		switch {
		case r == 0x30FC:
			for j := len(out) - 1; j >= 0; j-- {
				if strings.IndexByte("aeiou", out[j]) >= 0 {
					out = append(out, out[j])
					break
				}
			}
		case r == 'っ':
			next := ""
			if i+1 < len(rs) {
				next = kana[rs[i+1]]
			}
			if next != "" && strings.IndexByte("aeiou", next[0]) < 0 {
				out = append(out, next[0])
			} else {
				out = append(out, 't')
			}
		case (r == 'ゃ' || r == 'ゅ' || r == 'ょ') && prev >= 0 && len(out)-prev >= 2 && out[len(out)-1] == 'i':
			// ki+ya → kya; shi, chi and ji drop the y: sha, cha, ja.
			out = out[:len(out)-1]
			v := kana[r][1:]
			if last := out[len(out)-1]; last != 'h' && last != 'j' {
				out = append(out, 'y')
			}
			out = append(out, v...)
			start = prev
		case (r == 'ぁ' || r == 'ぃ' || r == 'ぅ' || r == 'ぇ' || r == 'ぉ') && prev >= 0:
			// fu+a → fa, te+i → ti, u+i → wi, shi+e → she.
			syl := out[prev:]
			switch {
			case len(syl) == 1 && syl[0] == 'u':
				out[prev] = 'w'
			case len(syl) >= 2 && strings.IndexByte("aeiou", syl[len(syl)-1]) >= 0:
				out = out[:len(out)-1]
			}
			out = append(out, kana[r]...)
			start = prev
		default:
			out = append(out, kana[r]...)
		}
		prev = start
	}
	return string(out)
}
