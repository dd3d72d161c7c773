//! Display width of text as `github.com/mattn/go-runewidth` measures it in its default
//! (non-East-Asian) mode; docker's fork of `text/tabwriter` sizes cells with it.
//!
//! A string's width is the sum over its grapheme clusters of the width of the first rune in the
//! cluster that has a non-zero width. Rune widths: 0 for control, format and combining
//! characters, 2 for East Asian Wide and Fullwidth characters, 1 otherwise. Grapheme clusters
//! follow UAX #29 closely enough for terminal tables (combining marks, spacing marks, ZWJ emoji
//! sequences, flag pairs and Hangul jamo); `Prepend` characters are not joined.

use crate::unicode::in_table;
use crate::unicode::tables::{DOUBLE, EXTEND, ZERO};

/// Display width of `s` in terminal columns.
pub fn string_width(s: &str) -> usize {
    let bytes = s.as_bytes();
    if bytes.len() == 1 {
        return usize::from(bytes[0] >= 0x20 && bytes[0] != 0x7f);
    }
    if bytes.is_ascii() {
        return bytes.iter().filter(|&&b| b >= 0x20 && b != 0x7f).count();
    }
    let mut chars = s.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return rune_width(c);
    }
    cluster_width_sum(s)
}

/// Width of one code point.
pub fn rune_width(c: char) -> usize {
    let cp = u32::from(c);
    if cp < 0x20 || (0x7f..=0x9f).contains(&cp) || cp == 0xad {
        return 0;
    }
    if cp < 0x300 {
        return 1;
    }
    if in_table(cp, ZERO) {
        0
    } else if in_table(cp, DOUBLE) {
        2
    } else {
        1
    }
}

fn cluster_width_sum(s: &str) -> usize {
    let mut total = 0;
    let mut seg = Segmenter::default();
    let mut cluster = 0;
    for c in s.chars() {
        if !seg.joins(c) {
            total += cluster;
            cluster = 0;
        }
        if cluster == 0 {
            cluster = rune_width(c);
        }
    }
    total + cluster
}

/// Grapheme cluster boundary detection, one code point at a time.
#[derive(Default)]
struct Segmenter {
    prev: Option<char>,
    /// The cluster so far is an Extended_Pictographic rune followed only by Extend runes.
    pictographic: bool,
    /// The previous rune was a ZWJ that followed such a pictographic sequence.
    zwj_after_pictographic: bool,
    /// The cluster so far is a single, unpaired regional indicator.
    lone_regional: bool,
}

impl Segmenter {
    /// Feeds `c`; returns whether it continues the current cluster.
    fn joins(&mut self, c: char) -> bool {
        let joins = match self.prev {
            None => false,
            Some(p) => self.continues(p, c),
        };
        if joins {
            if is_extend(c) {
                self.zwj_after_pictographic = false;
                self.lone_regional = false;
            } else if c == ZWJ {
                self.zwj_after_pictographic = self.pictographic;
                self.pictographic = false;
                self.lone_regional = false;
            } else {
                self.pictographic = is_pictographic(c) && self.zwj_after_pictographic;
                self.zwj_after_pictographic = false;
                self.lone_regional = false;
            }
        } else {
            self.pictographic = is_pictographic(c);
            self.zwj_after_pictographic = false;
            self.lone_regional = is_regional(c);
        }
        self.prev = Some(c);
        joins
    }

    fn continues(&self, prev: char, c: char) -> bool {
        if prev == '\r' && c == '\n' {
            return true;
        }
        if is_control(prev) || is_control(c) {
            return false;
        }
        if is_extend(c) || c == ZWJ {
            return true;
        }
        if prev == ZWJ && self.zwj_after_pictographic && is_pictographic(c) {
            return true;
        }
        if is_regional(c) && self.lone_regional && is_regional(prev) {
            return true;
        }
        hangul_continues(hangul(prev), hangul(c))
    }
}

const ZWJ: char = '\u{200D}';

fn is_control(c: char) -> bool {
    let cp = u32::from(c);
    cp < 0x20 || (0x7f..=0x9f).contains(&cp) || cp == 0x2028 || cp == 0x2029
}

fn is_extend(c: char) -> bool {
    in_table(u32::from(c), EXTEND)
}

fn is_regional(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// Approximates Extended_Pictographic by the blocks that hold it.
fn is_pictographic(c: char) -> bool {
    let cp = u32::from(c);
    matches!(
        cp,
        0xA9 | 0xAE
            | 0x203C
            | 0x2049
            | 0x2122
            | 0x2139
            | 0x2194..=0x21AA
            | 0x231A..=0x23FF
            | 0x24C2
            | 0x25AA..=0x25FE
            | 0x2600..=0x27BF
            | 0x2934..=0x2935
            | 0x2B05..=0x2B55
            | 0x3030
            | 0x303D
            | 0x3297
            | 0x3299
            | 0x1F000..=0x1F1E5
            | 0x1F200..=0x1F3FA
            | 0x1F400..=0x1FAFF
            | 0x1FC00..=0x1FFFD
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hangul {
    None,
    L,
    V,
    T,
    Lv,
    Lvt,
}

fn hangul(c: char) -> Hangul {
    let cp = u32::from(c);
    match cp {
        0x1100..=0x115F | 0xA960..=0xA97C => Hangul::L,
        0x1160..=0x11A7 | 0xD7B0..=0xD7C6 => Hangul::V,
        0x11A8..=0x11FF | 0xD7CB..=0xD7FB => Hangul::T,
        0xAC00..=0xD7A3 if (cp - 0xAC00) % 28 == 0 => Hangul::Lv,
        0xAC00..=0xD7A3 => Hangul::Lvt,
        _ => Hangul::None,
    }
}

fn hangul_continues(prev: Hangul, c: Hangul) -> bool {
    use Hangul::*;
    matches!(
        (prev, c),
        (L, L | V | Lv | Lvt) | (Lv | V, V | T) | (Lvt | T, T)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_counts_printable_bytes() {
        assert_eq!(string_width(""), 0);
        assert_eq!(string_width("a"), 1);
        assert_eq!(string_width("\x01"), 0);
        assert_eq!(string_width("hello world"), 11);
        assert_eq!(string_width("a\x7fb"), 2);
    }

    #[test]
    fn east_asian_wide_runes_count_two() {
        assert_eq!(string_width("本"), 2);
        assert_eq!(string_width("日本語"), 6);
        assert_eq!(string_width("ｱ"), 1, "halfwidth katakana is narrow");
        assert_eq!(string_width("Ａ"), 2, "fullwidth latin is wide");
    }

    #[test]
    fn combining_marks_do_not_add_width() {
        assert_eq!(string_width("e\u{301}"), 1);
        assert_eq!(string_width("è"), 1);
        assert_eq!(string_width("\u{301}"), 0);
        // Devanagari KA + vowel sign I (a spacing mark) is one cluster.
        assert_eq!(string_width("कि"), 1);
    }

    #[test]
    fn emoji_sequences_are_one_cluster() {
        assert_eq!(string_width("😀"), 2);
        assert_eq!(string_width("👍🏽"), 2, "skin tone modifier");
        assert_eq!(string_width("👨\u{200D}👩\u{200D}👧"), 2, "ZWJ family");
        // Regional indicators are East Asian Width "neutral": go-runewidth counts a flag as 1.
        assert_eq!(string_width("🇫🇷"), 1, "flag pair");
        assert_eq!(string_width("🇫🇷🇩🇪"), 2, "two flags");
        assert_eq!(
            string_width("a\u{200D}b"),
            2,
            "ZWJ between letters does not join them"
        );
    }

    #[test]
    fn hangul_jamo_compose() {
        assert_eq!(string_width("한"), 2);
        assert_eq!(string_width("\u{1112}\u{1161}\u{11AB}"), 2);
    }
}
