package fold

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

// kana romanises hiragana (Term has already folded katakana to hiragana)
// one character at a time: きゃ becomes "kiya" rather than "kya", which is
// fine because queries and terms are romanised the same way.
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
