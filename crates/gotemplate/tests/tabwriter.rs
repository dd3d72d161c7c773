//! The test table of docker's tabwriter fork (`cli/command/formatter/tabwriter/tabwriter_test.go`,
//! itself Go's `text/tabwriter` tests), except the cases about the 0xff escape byte, which
//! cannot occur in UTF-8 text. Each case is written at once, one character at a time, and in
//! Fibonacci-sized pieces, as the Go test does.

use wharf_gotemplate::tabwriter::{Flags, TabWriter};

struct Case {
    name: &'static str,
    minwidth: usize,
    tabwidth: usize,
    padding: usize,
    padchar: char,
    flags: Flags,
    src: &'static str,
    expected: &'static str,
}

const fn case(
    name: &'static str,
    (minwidth, tabwidth, padding, padchar): (usize, usize, usize, char),
    flags: Flags,
    src: &'static str,
    expected: &'static str,
) -> Case {
    Case {
        name,
        minwidth,
        tabwidth,
        padding,
        padchar,
        flags,
        src,
        expected,
    }
}

const NONE: Flags = Flags::NONE;
const HTML: Flags = Flags::FILTER_HTML;
const RIGHT: Flags = Flags::ALIGN_RIGHT;
const DEBUG: Flags = Flags::DEBUG;
const DISCARD: Flags = Flags::DISCARD_EMPTY_COLUMNS;

fn cases() -> Vec<Case> {
    vec![
        case("1a", (8, 0, 1, '.'), NONE, "", ""),
        case("1a debug", (8, 0, 1, '.'), DEBUG, "", ""),
        case("2", (8, 0, 1, '.'), NONE, "\n\n\n", "\n\n\n"),
        case("3", (8, 0, 1, '.'), NONE, "a\nb\nc", "a\nb\nc"),
        case("4a", (8, 0, 1, '.'), NONE, "\t", ""),
        case("4b", (8, 0, 1, '.'), RIGHT, "\t", ""),
        case("5", (8, 0, 1, '.'), NONE, "*\t*", "*.......*"),
        case("5b", (8, 0, 1, '.'), NONE, "*\t*\n", "*.......*\n"),
        case("5c", (8, 0, 1, '.'), NONE, "*\t*\t", "*.......*"),
        case("5c debug", (8, 0, 1, '.'), DEBUG, "*\t*\t", "*.......|*"),
        case("5d", (8, 0, 1, '.'), RIGHT, "*\t*\t", ".......**"),
        case("6", (8, 0, 1, '.'), NONE, "\t\n", "........\n"),
        case("7a", (8, 0, 1, '.'), NONE, "a) foo", "a) foo"),
        case("7b", (8, 0, 1, ' '), NONE, "b) foo\tbar", "b) foo  bar"),
        case("7c", (8, 0, 1, '.'), NONE, "c) foo\tbar\t", "c) foo..bar"),
        case("7d", (8, 0, 1, '.'), NONE, "d) foo\tbar\n", "d) foo..bar\n"),
        case(
            "7e",
            (8, 0, 1, '.'),
            NONE,
            "e) foo\tbar\t\n",
            "e) foo..bar.....\n",
        ),
        case(
            "7f",
            (8, 0, 1, '.'),
            HTML,
            "f) f&lt;o\t<b>bar</b>\t\n",
            "f) f&lt;o..<b>bar</b>.....\n",
        ),
        case(
            "7g",
            (8, 0, 1, '.'),
            HTML,
            "g) f&lt;o\t<b>bar</b>\t non-terminated entity &amp",
            "g) f&lt;o..<b>bar</b>..... non-terminated entity &amp",
        ),
        case(
            "7g debug",
            (8, 0, 1, '.'),
            HTML | DEBUG,
            "g) f&lt;o\t<b>bar</b>\t non-terminated entity &amp",
            "g) f&lt;o..|<b>bar</b>.....| non-terminated entity &amp",
        ),
        case(
            "8",
            (8, 0, 1, '*'),
            NONE,
            "Hello, world!\n",
            "Hello, world!\n",
        ),
        case(
            "9a",
            (1, 0, 0, '.'),
            NONE,
            "1\t2\t3\t4\n11\t222\t3333\t44444\n",
            "1.2..3...4\n11222333344444\n",
        ),
        case(
            "9b",
            (1, 0, 0, '.'),
            HTML,
            "1\t2<!---\x0c--->\t3\t4\n11\t222\t3333\t44444\n",
            "1.2<!---\x0c--->..3...4\n11222333344444\n",
        ),
        case(
            "9c",
            (1, 0, 0, '.'),
            NONE,
            "1\t2\t3\t4\x0c11\t222\t3333\t44444\n",
            "1234\n11222333344444\n",
        ),
        case(
            "9c debug",
            (1, 0, 0, '.'),
            DEBUG,
            "1\t2\t3\t4\x0c11\t222\t3333\t44444\n",
            "1|2|3|4\n---\n11|222|3333|44444\n",
        ),
        case(
            "10a",
            (5, 0, 0, '.'),
            NONE,
            "1\t2\t3\t4\n",
            "1....2....3....4\n",
        ),
        case(
            "10b",
            (5, 0, 0, '.'),
            NONE,
            "1\t2\t3\t4\t\n",
            "1....2....3....4....\n",
        ),
        case(
            "11",
            (8, 0, 1, '.'),
            NONE,
            "本\tb\tc\naa\t\u{672c}\u{672c}\u{672c}\tcccc\tddddd\naaa\tbbbb\n",
            "本......b.......c\naa......本本本..cccc....ddddd\naaa.....bbbb\n",
        ),
        case(
            "12a",
            (8, 0, 1, ' '),
            RIGHT,
            "a\tè\tc\t\naa\tèèè\tcccc\tddddd\t\naaa\tèèèè\t\n",
            "       a       è       c\n      aa     èèè    cccc   ddddd\n     aaa    èèèè\n",
        ),
        case(
            "12b",
            (2, 0, 0, ' '),
            NONE,
            "a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n",
            "a  b  c\naa bbbcccc\naaabbbb\n",
        ),
        case(
            "12c",
            (8, 0, 1, '_'),
            NONE,
            "a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n",
            "a_______b_______c\naa______bbb_____cccc\naaa_____bbbb\n",
        ),
        case(
            "13a",
            (4, 0, 1, '-'),
            NONE,
            "4444\t日本語\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n",
            "4444------日本語-22--1---333\n999999999-22\n7---------22\n------------------88888888\n\n666666-666666-666666----4444\n1------1------999999999-0000000000\n",
        ),
        case(
            "13b",
            (4, 0, 3, '.'),
            NONE,
            "4444\t333\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n",
            "4444........333...22...1...333\n999999999...22\n7...........22\n....................88888888\n\n666666...666666...666666......4444\n1........1........999999999...0000000000\n",
        ),
        case(
            "13c",
            (8, 8, 1, '\t'),
            HTML,
            "4444\t333\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t<font color=red attr=日本語>999999999</font>\t0000000000\n",
            "4444\t\t333\t22\t1\t333\n999999999\t22\n7\t\t22\n\t\t\t\t88888888\n\n666666\t666666\t666666\t\t4444\n1\t1\t<font color=red attr=日本語>999999999</font>\t0000000000\n",
        ),
        case(
            "14",
            (1, 0, 2, ' '),
            RIGHT,
            ".0\t.3\t2.4\t-5.1\t\n23.0\t12345678.9\t2.4\t-989.4\t\n5.1\t12.0\t2.4\t-7.0\t\n.0\t0.0\t332.0\t8908.0\t\n.0\t-.3\t456.4\t22.1\t\n.0\t1.2\t44.4\t-13.3\t\t",
            "    .0          .3    2.4    -5.1\n  23.0  12345678.9    2.4  -989.4\n   5.1        12.0    2.4    -7.0\n    .0         0.0  332.0  8908.0\n    .0         -.3  456.4    22.1\n    .0         1.2   44.4   -13.3",
        ),
        case(
            "14 debug",
            (1, 0, 2, ' '),
            RIGHT | DEBUG,
            ".0\t.3\t2.4\t-5.1\t\n23.0\t12345678.9\t2.4\t-989.4\t\n5.1\t12.0\t2.4\t-7.0\t\n.0\t0.0\t332.0\t8908.0\t\n.0\t-.3\t456.4\t22.1\t\n.0\t1.2\t44.4\t-13.3\t\t",
            "    .0|          .3|    2.4|    -5.1|\n  23.0|  12345678.9|    2.4|  -989.4|\n   5.1|        12.0|    2.4|    -7.0|\n    .0|         0.0|  332.0|  8908.0|\n    .0|         -.3|  456.4|    22.1|\n    .0|         1.2|   44.4|   -13.3|",
        ),
        case("15a", (4, 0, 0, '.'), NONE, "a\t\tb", "a.......b"),
        case("15b", (4, 0, 0, '.'), DISCARD, "a\t\tb", "a.......b"),
        case("15c", (4, 0, 0, '.'), DISCARD, "a\x0b\x0bb", "a...b"),
        case(
            "15d",
            (4, 0, 0, '.'),
            RIGHT | DISCARD,
            "a\x0b\x0bb",
            "...ab",
        ),
        case(
            "16a",
            (100, 100, 0, '\t'),
            NONE,
            "a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n",
            "a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n",
        ),
        case(
            "16b",
            (100, 100, 0, '\t'),
            DISCARD,
            "a\x0bb\x0b\x0bd\na\x0bb\x0b\x0bd\x0be\na\na\x0bb\x0bc\x0bd\na\x0bb\x0bc\x0bd\x0be\n",
            "a\tb\td\na\tb\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n",
        ),
        case(
            "16b debug",
            (100, 100, 0, '\t'),
            DISCARD | DEBUG,
            "a\x0bb\x0b\x0bd\na\x0bb\x0b\x0bd\x0be\na\na\x0bb\x0bc\x0bd\na\x0bb\x0bc\x0bd\x0be\n",
            "a\t|b\t||d\na\t|b\t||d\t|e\na\na\t|b\t|c\t|d\na\t|b\t|c\t|d\t|e\n",
        ),
        case(
            "16c",
            (100, 100, 0, '\t'),
            DISCARD,
            "a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n",
            "a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n",
        ),
        case(
            "16c debug",
            (100, 100, 0, '\t'),
            DISCARD | DEBUG,
            "a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n",
            "a\t|b\t|\t|d\na\t|b\t|\t|d\t|e\na\na\t|b\t|c\t|d\na\t|b\t|c\t|d\t|e\n",
        ),
    ]
}

fn writer(c: &Case) -> TabWriter {
    TabWriter::new(c.minwidth, c.tabwidth, c.padding, c.padchar, c.flags)
}

#[test]
fn go_tabwriter_table() {
    for c in cases() {
        let mut w = writer(&c);
        w.write_str(c.src);
        assert_eq!(w.flush(), c.expected, "{} (written all at once)", c.name);

        let mut w = writer(&c);
        let mut buf = [0; 4];
        for ch in c.src.chars() {
            w.write_str(ch.encode_utf8(&mut buf));
        }
        assert_eq!(w.flush(), c.expected, "{} (written char by char)", c.name);

        let mut w = writer(&c);
        let (mut i, mut d) = (0, 0);
        let src = c.src;
        while i < src.len() {
            let mut end = (i + d).min(src.len());
            while !src.is_char_boundary(end) {
                end += 1;
            }
            w.write_str(&src[i..end]);
            i = end;
            d += 1;
        }
        assert_eq!(
            w.flush(),
            c.expected,
            "{} (written in fibonacci slices)",
            c.name
        );
    }
}

#[test]
fn writer_is_reusable_after_flush() {
    let mut w = TabWriter::new(10, 1, 3, ' ', Flags::NONE);
    w.write_str("a\tb\n");
    assert_eq!(w.flush(), "a         b\n");
    w.write_str("longer cell\tx\n");
    assert_eq!(w.flush(), "longer cell   x\n");
}

#[test]
fn many_columns_do_not_exhaust_the_stack() {
    let mut w = TabWriter::new(0, 1, 1, ' ', Flags::NONE);
    let line = "x\t".repeat(200_000);
    w.write_str(&line);
    w.write_str("\n");
    w.write_str(&line);
    w.write_str("\n");
    let out = w.flush();
    assert_eq!(out.len(), 2 * (200_000 * 2 + 1));
    assert!(out.starts_with("x x x "));
}
