//! `fmt.Sprint`, `fmt.Sprintln` and `fmt.Sprintf` over template values, following Go's
//! `fmt/print.go` and `fmt/format.go`: verbs, flags, width, precision, argument indexes and the
//! `%!verb(type=value)` error forms.
//!
//! Not supported: `%b`/`%x` on floats and the `#` flag on floats (they print as bad verbs or
//! are ignored), `%p`.

use super::{can_backquote, format_float, is_print, quote_with};
use crate::value::{Val, sorted_entries};

/// Go's `tooLarge`: widths, precisions and argument indexes are limited to a million.
const TOO_LARGE: usize = 1_000_000;

#[derive(Clone, Copy, Default)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
    wid: usize,
    prec: usize,
    wid_present: bool,
    prec_present: bool,
}

#[derive(Default)]
struct Printer {
    buf: String,
    f: Flags,
}

/// `fmt.Sprint`: spaces between operands when neither is a string.
pub(crate) fn sprint(args: &[Val<'_>]) -> String {
    let mut p = Printer::default();
    let mut prev_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = arg.as_str().is_some();
        if i > 0 && !is_string && !prev_string {
            p.buf.push(' ');
        }
        p.print_arg(arg, 'v');
        prev_string = is_string;
    }
    p.buf
}

/// `fmt.Sprintln`: spaces between all operands and a trailing newline.
pub(crate) fn sprintln(args: &[Val<'_>]) -> String {
    let mut p = Printer::default();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(' ');
        }
        p.print_arg(arg, 'v');
    }
    p.buf.push('\n');
    p.buf
}

/// `fmt.Sprintf`.
pub(crate) fn sprintf(format: &str, args: &[Val<'_>]) -> String {
    let mut p = Printer::default();
    p.do_printf(format, args);
    p.buf
}

fn parse_num(s: &[u8], start: usize, end: usize) -> (usize, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let mut num = 0usize;
    let mut is_num = false;
    let mut i = start;
    while i < end && s[i].is_ascii_digit() {
        if num >= TOO_LARGE {
            return (0, false, end);
        }
        num = num * 10 + usize::from(s[i] - b'0');
        is_num = true;
        i += 1;
    }
    (num, is_num, i)
}

/// Go's `parseArgNumber` on `[n]`: (zero-based index if in range of `usize`, bytes consumed,
/// whether the brackets held a number).
fn parse_arg_number(s: &[u8]) -> (Option<usize>, usize, bool) {
    if s.len() < 3 {
        return (None, 1, false);
    }
    for i in 1..s.len() {
        if s[i] == b']' {
            let (n, ok, newi) = parse_num(s, 1, i);
            if !ok || newi != i {
                return (None, i + 1, false);
            }
            return (n.checked_sub(1), i + 1, true);
        }
    }
    (None, 1, false)
}

fn int_from_arg(args: &[Val<'_>], arg_num: usize) -> (i64, bool, usize) {
    if arg_num >= args.len() {
        return (0, false, arg_num);
    }
    let (n, ok) = match args[arg_num] {
        Val::Int(i) => (i, true),
        Val::Uint(u) => match i64::try_from(u) {
            Ok(i) => (i, true),
            Err(_) => (0, false),
        },
        _ => (0, false),
    };
    if n.unsigned_abs() >= TOO_LARGE as u64 {
        return (0, false, arg_num + 1);
    }
    (n, ok, arg_num + 1)
}

impl Printer {
    fn write_padding(&mut self, n: usize) {
        let c = if self.f.zero { '0' } else { ' ' };
        self.buf.extend(std::iter::repeat_n(c, n));
    }

    /// Writes `s` padded to the width (counted in runes).
    fn pad(&mut self, s: &str) {
        if !self.f.wid_present || self.f.wid == 0 {
            self.buf.push_str(s);
            return;
        }
        let width = self.f.wid.saturating_sub(s.chars().count());
        if self.f.minus {
            self.buf.push_str(s);
            let zero = std::mem::replace(&mut self.f.zero, false);
            self.write_padding(width);
            self.f.zero = zero;
        } else {
            self.write_padding(width);
            self.buf.push_str(s);
        }
    }

    fn truncate<'s>(&self, s: &'s str) -> &'s str {
        if self.f.prec_present
            && let Some((i, _)) = s.char_indices().nth(self.f.prec)
        {
            return &s[..i];
        }
        s
    }

    fn do_printf(&mut self, format: &str, args: &[Val<'_>]) {
        let s = format.as_bytes();
        let end = s.len();
        let mut arg_num = 0;
        let mut reordered = false;
        let mut i = 0;
        while i < end {
            let mut good_arg_num = true;
            let last = i;
            while i < end && s[i] != b'%' {
                i += 1;
            }
            if i > last {
                self.buf.push_str(&format[last..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.f = Flags::default();
            let mut simple = false;
            while i < end {
                match s[i] {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = !self.f.minus,
                    b'+' => self.f.plus = true,
                    b'-' => {
                        self.f.minus = true;
                        self.f.zero = false;
                    }
                    b' ' => self.f.space = true,
                    c => {
                        if c.is_ascii_lowercase() && arg_num < args.len() {
                            if c == b'v' {
                                self.f.sharp_v = self.f.sharp;
                                self.f.sharp = false;
                                self.f.plus_v = self.f.plus;
                                self.f.plus = false;
                            }
                            self.print_arg(&args[arg_num], char::from(c));
                            arg_num += 1;
                            i += 1;
                            simple = true;
                        }
                        break;
                    }
                }
                i += 1;
            }
            if simple {
                continue;
            }

            let mut after_index;
            (arg_num, i, after_index) =
                self.arg_number(arg_num, s, i, args.len(), &mut reordered, &mut good_arg_num);

            if i < end && s[i] == b'*' {
                i += 1;
                let (w, ok, next) = int_from_arg(args, arg_num);
                arg_num = next;
                self.f.wid_present = ok;
                if !ok {
                    self.buf.push_str("%!(BADWIDTH)");
                }
                if w < 0 {
                    self.f.minus = true;
                    self.f.zero = false;
                }
                self.f.wid = w.unsigned_abs() as usize;
                after_index = false;
            } else {
                let (w, present, next) = parse_num(s, i, end);
                (self.f.wid, self.f.wid_present, i) = (w, present, next);
                if after_index && self.f.wid_present {
                    good_arg_num = false;
                }
            }

            if i + 1 < end && s[i] == b'.' {
                i += 1;
                if after_index {
                    good_arg_num = false;
                }
                (arg_num, i, after_index) =
                    self.arg_number(arg_num, s, i, args.len(), &mut reordered, &mut good_arg_num);
                if i < end && s[i] == b'*' {
                    i += 1;
                    let (pr, ok, next) = int_from_arg(args, arg_num);
                    arg_num = next;
                    self.f.prec_present = ok && pr >= 0;
                    self.f.prec = if pr >= 0 { pr as usize } else { 0 };
                    if !self.f.prec_present {
                        self.buf.push_str("%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (pr, present, next) = parse_num(s, i, end);
                    i = next;
                    self.f.prec = if present { pr } else { 0 };
                    self.f.prec_present = true;
                }
            }

            if !after_index {
                (arg_num, i, _) =
                    self.arg_number(arg_num, s, i, args.len(), &mut reordered, &mut good_arg_num);
            }

            if i >= end {
                self.buf.push_str("%!(NOVERB)");
                break;
            }
            let verb = format[i..].chars().next().unwrap_or('%');
            i += verb.len_utf8();

            if verb == '%' {
                self.buf.push('%');
            } else if !good_arg_num {
                self.buf.push_str(&format!("%!{verb}(BADINDEX)"));
            } else if arg_num >= args.len() {
                self.buf.push_str(&format!("%!{verb}(MISSING)"));
            } else {
                if verb == 'v' {
                    self.f.sharp_v = self.f.sharp;
                    self.f.sharp = false;
                    self.f.plus_v = self.f.plus;
                    self.f.plus = false;
                }
                self.print_arg(&args[arg_num], verb);
                arg_num += 1;
            }
        }

        if !reordered && arg_num < args.len() {
            self.f = Flags::default();
            self.buf.push_str("%!(EXTRA ");
            for (k, arg) in args[arg_num..].iter().enumerate() {
                if k > 0 {
                    self.buf.push_str(", ");
                }
                if arg.is_nil() {
                    self.buf.push_str("<nil>");
                } else {
                    self.buf.push_str(arg.type_name());
                    self.buf.push('=');
                    self.print_arg(arg, 'v');
                }
            }
            self.buf.push(')');
        }
    }

    fn arg_number(
        &mut self,
        arg_num: usize,
        s: &[u8],
        i: usize,
        num_args: usize,
        reordered: &mut bool,
        good: &mut bool,
    ) -> (usize, usize, bool) {
        if i >= s.len() || s[i] != b'[' {
            return (arg_num, i, false);
        }
        *reordered = true;
        let (index, wid, ok) = parse_arg_number(&s[i..]);
        if let Some(index) = index.filter(|&n| ok && n < num_args) {
            return (index, i + wid, true);
        }
        *good = false;
        (arg_num, i + wid, ok)
    }

    fn print_arg(&mut self, arg: &Val<'_>, verb: char) {
        if arg.is_nil() {
            match verb {
                'T' | 'v' => self.pad("<nil>"),
                _ => self.bad_verb(verb, arg),
            }
            return;
        }
        if verb == 'T' {
            let name = arg.type_name();
            let truncated = self.truncate(name).to_string();
            self.pad(&truncated);
            return;
        }
        self.print_value(arg, verb);
    }

    fn print_value(&mut self, v: &Val<'_>, verb: char) {
        match v {
            Val::Missing | Val::Null => {
                if self.f.sharp_v {
                    self.buf.push_str("interface {}(nil)");
                } else {
                    self.buf.push_str("<nil>");
                }
            }
            Val::Bool(b) => match verb {
                't' | 'v' => self.pad(if *b { "true" } else { "false" }),
                _ => self.bad_verb(verb, v),
            },
            Val::Int(i) => self.fmt_integer_verb(*i as u64, true, verb, v),
            Val::Uint(u) => self.fmt_integer_verb(*u, false, verb, v),
            Val::Float(f) => self.fmt_float_verb(*f, verb, v),
            Val::Complex(re, im) => self.fmt_complex(*re, *im, verb, v),
            Val::Str(_) | Val::String(_) => {
                let s = v.as_str().unwrap_or_default();
                self.fmt_string_verb(s, verb, v);
            }
            Val::Array(_) | Val::Strings(_) => {
                let elems = v.elements().unwrap_or_default();
                if self.f.sharp_v {
                    self.buf.push_str(v.type_name());
                    self.buf.push('{');
                    for (k, e) in elems.iter().enumerate() {
                        if k > 0 {
                            self.buf.push_str(", ");
                        }
                        self.print_value(e, verb);
                    }
                    self.buf.push('}');
                } else {
                    self.buf.push('[');
                    for (k, e) in elems.iter().enumerate() {
                        if k > 0 {
                            self.buf.push(' ');
                        }
                        self.print_value(e, verb);
                    }
                    self.buf.push(']');
                }
            }
            Val::Object(o) => {
                if self.f.sharp_v {
                    self.buf.push_str(v.type_name());
                    self.buf.push('{');
                } else {
                    self.buf.push_str("map[");
                }
                for (k, (key, value)) in sorted_entries(o).into_iter().enumerate() {
                    if k > 0 {
                        self.buf.push_str(if self.f.sharp_v { ", " } else { " " });
                    }
                    self.print_value(&Val::Str(key), verb);
                    self.buf.push(':');
                    self.print_value(&Val::from_json(value), verb);
                }
                self.buf.push(if self.f.sharp_v { '}' } else { ']' });
            }
        }
    }

    fn bad_verb(&mut self, verb: char, arg: &Val<'_>) {
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        if arg.is_nil() {
            self.buf.push_str("<nil>");
        } else {
            self.buf.push_str(arg.type_name());
            self.buf.push('=');
            self.print_arg(arg, 'v');
        }
        self.buf.push(')');
    }

    fn fmt_integer_verb(&mut self, u: u64, signed: bool, verb: char, arg: &Val<'_>) {
        match verb {
            'v' | 'd' => self.fmt_integer(u, 10, signed, verb, false),
            'b' => self.fmt_integer(u, 2, signed, verb, false),
            'o' | 'O' => self.fmt_integer(u, 8, signed, verb, false),
            'x' => self.fmt_integer(u, 16, signed, verb, false),
            'X' => self.fmt_integer(u, 16, signed, verb, true),
            'c' => {
                let c = rune_of(u, signed);
                self.pad(c.encode_utf8(&mut [0; 4]));
            }
            'q' => {
                let c = rune_of(u, signed);
                let quoted = quote_with(c.encode_utf8(&mut [0; 4]), '\'', self.f.plus);
                self.pad(&quoted);
            }
            'U' => self.fmt_unicode(u),
            _ => self.bad_verb(verb, arg),
        }
    }

    fn fmt_integer(&mut self, u: u64, base: u64, signed: bool, verb: char, upper: bool) {
        let negative = signed && (u as i64) < 0;
        let mut u = if negative {
            (u as i64).unsigned_abs()
        } else {
            u
        };
        let mut prec = 0;
        if self.f.prec_present {
            prec = self.f.prec;
            if prec == 0 && u == 0 {
                let zero = std::mem::replace(&mut self.f.zero, false);
                self.write_padding(self.f.wid);
                self.f.zero = zero;
                return;
            }
        } else if self.f.zero && !self.f.minus && self.f.wid_present {
            prec = self.f.wid;
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        let digits: &[u8; 17] = if upper {
            b"0123456789ABCDEFX"
        } else {
            b"0123456789abcdefx"
        };
        let mut rev: Vec<u8> = Vec::new();
        loop {
            rev.push(digits[(u % base) as usize]);
            u /= base;
            if u == 0 {
                break;
            }
        }
        while rev.len() < prec {
            rev.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => rev.extend_from_slice(b"b0"),
                8 if rev.last() != Some(&b'0') => rev.push(b'0'),
                16 => {
                    rev.push(digits[16]);
                    rev.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            rev.extend_from_slice(b"o0");
        }
        if negative {
            rev.push(b'-');
        } else if self.f.plus {
            rev.push(b'+');
        } else if self.f.space {
            rev.push(b' ');
        }
        rev.reverse();
        let s: String = rev.into_iter().map(char::from).collect();
        let zero = std::mem::replace(&mut self.f.zero, false);
        self.pad(&s);
        self.f.zero = zero;
    }

    fn fmt_unicode(&mut self, u: u64) {
        let prec = if self.f.prec_present && self.f.prec > 4 {
            self.f.prec
        } else {
            4
        };
        let mut s = format!("U+{u:0prec$X}");
        if self.f.sharp
            && let Some(c) = u32::try_from(u)
                .ok()
                .and_then(char::from_u32)
                .filter(|&c| is_print(c))
        {
            s.push_str(&format!(" '{c}'"));
        }
        let zero = std::mem::replace(&mut self.f.zero, false);
        self.pad(&s);
        self.f.zero = zero;
    }

    fn fmt_float_verb(&mut self, v: f64, verb: char, arg: &Val<'_>) {
        let (fmt, prec) = match verb {
            'v' => (b'g', -1),
            'g' | 'G' => (verb as u8, -1),
            'e' | 'E' | 'f' => (verb as u8, 6),
            'F' => (b'f', 6),
            _ => return self.bad_verb(verb, arg),
        };
        let prec = if self.f.prec_present {
            self.f.prec as i32
        } else {
            prec
        };
        let digits = format_float(v, fmt, prec);
        let mut num = if digits.starts_with(['-', '+']) {
            digits
        } else {
            format!("+{digits}")
        };
        if self.f.space && num.starts_with('+') && !self.f.plus {
            num.replace_range(..1, " ");
        }
        if num[1..].starts_with(['I', 'N']) {
            let zero = std::mem::replace(&mut self.f.zero, false);
            if num[1..].starts_with('N') && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            self.pad(&num);
            self.f.zero = zero;
            return;
        }
        if self.f.plus || !num.starts_with('+') {
            let len = num.chars().count();
            if self.f.zero && !self.f.minus && self.f.wid_present && self.f.wid > len {
                self.buf.push_str(&num[..1]);
                self.write_padding(self.f.wid - len);
                self.buf.push_str(&num[1..]);
                return;
            }
            self.pad(&num);
            return;
        }
        self.pad(&num[1..]);
    }

    fn fmt_complex(&mut self, re: f64, im: f64, verb: char, arg: &Val<'_>) {
        if !matches!(verb, 'v' | 'g' | 'G' | 'f' | 'F' | 'e' | 'E') {
            return self.bad_verb(verb, arg);
        }
        let plus = self.f.plus;
        self.buf.push('(');
        self.fmt_float_verb(re, verb, arg);
        self.f.plus = true;
        self.fmt_float_verb(im, verb, arg);
        self.buf.push_str("i)");
        self.f.plus = plus;
    }

    fn fmt_string_verb(&mut self, s: &str, verb: char, arg: &Val<'_>) {
        match verb {
            'v' if self.f.sharp_v => self.fmt_q(s),
            'v' | 's' => {
                let t = self.truncate(s).to_string();
                self.pad(&t);
            }
            'x' | 'X' => self.fmt_sx(s, verb == 'X'),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(verb, arg),
        }
    }

    fn fmt_q(&mut self, s: &str) {
        let s = self.truncate(s);
        let quoted = if self.f.sharp && can_backquote(s) {
            format!("`{s}`")
        } else {
            quote_with(s, '"', self.f.plus)
        };
        self.pad(&quoted);
    }

    fn fmt_sx(&mut self, s: &str, upper: bool) {
        let bytes = s.as_bytes();
        let length = if self.f.prec_present {
            bytes.len().min(self.f.prec)
        } else {
            bytes.len()
        };
        if length == 0 {
            if self.f.wid_present {
                self.write_padding(self.f.wid);
            }
            return;
        }
        let mut width = 2 * length;
        if self.f.space {
            if self.f.sharp {
                width *= 2;
            }
            width += length - 1;
        } else if self.f.sharp {
            width += 2;
        }
        if self.f.wid_present && self.f.wid > width && !self.f.minus {
            self.write_padding(self.f.wid - width);
        }
        let prefix = if upper { "0X" } else { "0x" };
        if self.f.sharp {
            self.buf.push_str(prefix);
        }
        for (k, b) in bytes[..length].iter().enumerate() {
            if self.f.space && k > 0 {
                self.buf.push(' ');
                if self.f.sharp {
                    self.buf.push_str(prefix);
                }
            }
            if upper {
                self.buf.push_str(&format!("{b:02X}"));
            } else {
                self.buf.push_str(&format!("{b:02x}"));
            }
        }
        if self.f.wid_present && self.f.wid > width && self.f.minus {
            self.write_padding(self.f.wid - width);
        }
    }
}

fn rune_of(u: u64, signed: bool) -> char {
    if signed && (u as i64) < 0 {
        return char::REPLACEMENT_CHARACTER;
    }
    u32::try_from(u)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or(char::REPLACEMENT_CHARACTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Val<'_> {
        Val::Str(v)
    }

    #[test]
    fn common_verbs() {
        assert_eq!(
            sprintf(
                "%s|%d|%v|%q|%x|%t|%%",
                &[
                    s("a"),
                    Val::Int(5),
                    Val::Float(1.5),
                    s("q"),
                    Val::Int(255),
                    Val::Bool(true)
                ]
            ),
            "a|5|1.5|\"q\"|ff|true|%"
        );
        assert_eq!(sprintf("[%-10s]", &[s("left")]), "[left      ]");
        assert_eq!(sprintf("[%10s]", &[s("right")]), "[     right]");
        assert_eq!(sprintf("%5.2f", &[Val::Float(4.56789)]), " 4.57");
        assert_eq!(sprintf("%04x", &[Val::Int(127)]), "007f");
        assert_eq!(sprintf("%+d %+d", &[Val::Int(3), Val::Int(-3)]), "+3 -3");
        assert_eq!(sprintf("%06.2f", &[Val::Float(-1.5)]), "-01.50");
        assert_eq!(sprintf("%.3s", &[s("abcdef")]), "abc");
        assert_eq!(sprintf("%e", &[Val::Float(1234.5678)]), "1.234568e+03");
        assert_eq!(sprintf("%g", &[Val::Float(3.5)]), "3.5");
        assert_eq!(sprintf("%c%c", &[Val::Int(72), Val::Int(0x672c)]), "H本");
        assert_eq!(
            sprintf("%U %#U", &[Val::Int(0x41), Val::Int(0x41)]),
            "U+0041 U+0041 'A'"
        );
        assert_eq!(
            sprintf("%#x %#o %b", &[Val::Int(255), Val::Int(8), Val::Int(5)]),
            "0xff 010 101"
        );
        assert_eq!(sprintf("%x % X", &[s("hi"), s("hi")]), "6869 68 69");
        assert_eq!(
            sprintf(
                "%*d|%-*d|",
                &[Val::Int(4), Val::Int(7), Val::Int(3), Val::Int(1)]
            ),
            "   7|1  |"
        );
        assert_eq!(sprintf("%[2]s %[1]s", &[s("a"), s("b")]), "b a");
        assert_eq!(
            sprintf("%T %T %T", &[Val::Int(1), s("x"), Val::Null]),
            "int string <nil>"
        );
    }

    #[test]
    fn error_forms() {
        assert_eq!(sprintf("%d", &[s("x")]), "%!d(string=x)");
        assert_eq!(sprintf("%s", &[Val::Int(5)]), "%!s(int=5)");
        assert_eq!(sprintf("%d %d", &[Val::Int(1)]), "1 %!d(MISSING)");
        assert_eq!(
            sprintf("%d", &[Val::Int(1), s("x"), Val::Null]),
            "1%!(EXTRA string=x, <nil>)"
        );
        assert_eq!(sprintf("%s", &[Val::Null]), "%!s(<nil>)");
        assert_eq!(sprintf("%v", &[Val::Null]), "<nil>");
        assert_eq!(sprintf("%", &[]), "%!(NOVERB)");
        assert_eq!(sprintf("%z", &[Val::Int(1)]), "%!z(int=1)");
        assert_eq!(sprintf("%[3]d", &[Val::Int(1)]), "%!d(BADINDEX)");
    }

    #[test]
    fn sprint_spacing() {
        assert_eq!(sprint(&[Val::Int(1), Val::Int(2), Val::Int(3)]), "1 2 3");
        assert_eq!(sprint(&[s("a"), Val::Int(1), s("b")]), "a1b");
        assert_eq!(sprint(&[Val::Int(1), s("a"), Val::Int(2)]), "1a2");
        assert_eq!(sprintln(&[s("a"), s("b")]), "a b\n");
        assert_eq!(sprint(&[Val::Missing]), "<nil>");
        assert_eq!(sprint(&[Val::Complex(1.0, 7.0)]), "(1+7i)");
    }

    #[test]
    fn collections_print_like_go() {
        let v: serde_json::Value =
            serde_json::json!({"b": [1, "x", null, {"k": true}], "a": 2.5, "c": {}});
        let Val::Object(o) = Val::from_json(&v) else {
            unreachable!()
        };
        assert_eq!(
            sprint(&[Val::Object(o)]),
            "map[a:2.5 b:[1 x <nil> map[k:true]] c:map[]]"
        );
        let arr = serde_json::json!(["a", "b"]);
        assert_eq!(sprintf("%q", &[Val::from_json(&arr)]), r#"["a" "b"]"#);
        assert_eq!(
            sprintf("%d", &[Val::from_json(&arr)]),
            "[%!d(string=a) %!d(string=b)]"
        );
        assert_eq!(
            sprintf("%#v", &[Val::from_json(&arr)]),
            r#"[]interface {}{"a", "b"}"#
        );
    }
}
