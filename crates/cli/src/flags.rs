//! Flag parsing with the semantics of spf13/pflag as docker's CLI configures it: `--name=value`,
//! `--name value`, `-n value`, `-nvalue`, grouped short booleans (`-it`), `--` ending flags,
//! repeatable list flags, and optionally stopping at the first positional argument (`run`,
//! `exec`: everything after the image or container belongs to the command).

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    /// One value; the last occurrence wins.
    Value,
    /// Repeatable; every occurrence is kept.
    List,
}

#[derive(Debug, Clone)]
pub struct Flag {
    pub long: &'static str,
    pub short: Option<char>,
    pub kind: Kind,
    pub value_name: &'static str,
    pub default: &'static str,
    pub help: &'static str,
    pub hidden: bool,
    /// Validates (and may normalise) each value as it is parsed, like a pflag `Value.Set`;
    /// an error becomes `invalid argument "v" for "-x, --name" flag: <error>`.
    pub check: Option<Check>,
}

/// A flag value check: the value to keep, or the error message.
pub type Check = fn(&str) -> Result<String, String>;

impl Flag {
    pub const fn bool(long: &'static str, short: Option<char>, help: &'static str) -> Flag {
        Flag {
            long,
            short,
            kind: Kind::Bool,
            value_name: "",
            default: "",
            help,
            hidden: false,
            check: None,
        }
    }

    pub const fn value(
        long: &'static str,
        short: Option<char>,
        value_name: &'static str,
        help: &'static str,
    ) -> Flag {
        Flag {
            long,
            short,
            kind: Kind::Value,
            value_name,
            default: "",
            help,
            hidden: false,
            check: None,
        }
    }

    pub const fn list(
        long: &'static str,
        short: Option<char>,
        value_name: &'static str,
        help: &'static str,
    ) -> Flag {
        Flag {
            long,
            short,
            kind: Kind::List,
            value_name,
            default: "",
            help,
            hidden: false,
            check: None,
        }
    }

    pub const fn default(mut self, d: &'static str) -> Flag {
        self.default = d;
        self
    }

    pub const fn hidden(mut self) -> Flag {
        self.hidden = true;
        self
    }

    pub const fn check(mut self, check: Check) -> Flag {
        self.check = Some(check);
        self
    }

    /// How pflag names the flag in errors: `-m, --memory` or `--cpus`.
    pub fn display_name(&self) -> String {
        match self.short {
            Some(c) => format!("-{c}, --{}", self.long),
            None => format!("--{}", self.long),
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct Parsed {
    values: HashMap<&'static str, Vec<String>>,
    /// Flags the user gave (not defaults).
    changed: std::collections::HashSet<&'static str>,
    pub args: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagError {
    Unknown(String),
    NeedsArgument(String),
    InvalidBool {
        flag: String,
        value: String,
    },
    InvalidValue {
        flag: String,
        value: String,
        message: String,
    },
    Help,
}

impl std::fmt::Display for FlagError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlagError::Unknown(s) => write!(f, "{s}"),
            FlagError::NeedsArgument(s) => write!(f, "flag needs an argument: {s}"),
            FlagError::InvalidBool { flag, value } => write!(
                f,
                "invalid argument {value:?} for \"{flag}\" flag: strconv.ParseBool: parsing {value:?}: invalid syntax"
            ),
            FlagError::InvalidValue {
                flag,
                value,
                message,
            } => write!(
                f,
                "invalid argument {value:?} for \"{flag}\" flag: {message}"
            ),
            FlagError::Help => write!(f, "help requested"),
        }
    }
}

fn parse_bool(flag: &str, v: &str) -> Result<bool, FlagError> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(FlagError::InvalidBool {
            flag: flag.to_string(),
            value: v.to_string(),
        }),
    }
}

/// Parses `argv` against `flags`. With `interspersed == false`, parsing stops at the first
/// positional argument and the rest is kept verbatim.
pub fn parse(flags: &[Flag], argv: &[String], interspersed: bool) -> Result<Parsed, FlagError> {
    let mut out = Parsed::default();
    let mut i = 0;
    let set = |out: &mut Parsed, f: &Flag, v: String| -> Result<(), FlagError> {
        let v = match f.check {
            Some(check) => check(&v).map_err(|message| FlagError::InvalidValue {
                flag: f.display_name(),
                value: v.clone(),
                message,
            })?,
            None => v,
        };
        out.changed.insert(f.long);
        match f.kind {
            Kind::List => out.values.entry(f.long).or_default().push(v),
            _ => {
                out.values.insert(f.long, vec![v]);
            }
        }
        Ok(())
    };
    while i < argv.len() {
        let a = &argv[i];
        i += 1;
        if a == "--" {
            out.args.extend(argv[i..].iter().cloned());
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            if name == "help" {
                return Err(FlagError::Help);
            }
            let f = flags
                .iter()
                .find(|f| f.long == name)
                .ok_or_else(|| FlagError::Unknown(format!("unknown flag: --{name}")))?;
            match f.kind {
                Kind::Bool => {
                    let v = match inline {
                        Some(v) => parse_bool(&format!("--{name}"), &v)?,
                        None => true,
                    };
                    set(&mut out, f, v.to_string())?;
                }
                _ => {
                    let v = match inline {
                        Some(v) => v,
                        None if i < argv.len() => {
                            i += 1;
                            argv[i - 1].clone()
                        }
                        None => return Err(FlagError::NeedsArgument(format!("--{name}"))),
                    };
                    set(&mut out, f, v)?;
                }
            }
            continue;
        }
        if a.len() > 1 && a.starts_with('-') {
            let chars: Vec<char> = a[1..].chars().collect();
            let mut j = 0;
            while j < chars.len() {
                let c = chars[j];
                j += 1;
                if c == 'h' && !flags.iter().any(|f| f.short == Some('h')) {
                    return Err(FlagError::Help);
                }
                let f = flags.iter().find(|f| f.short == Some(c)).ok_or_else(|| {
                    FlagError::Unknown(format!("unknown shorthand flag: '{c}' in {a}"))
                })?;
                match f.kind {
                    Kind::Bool => {
                        if j < chars.len() && chars[j] == '=' {
                            let v: String = chars[j + 1..].iter().collect();
                            set(&mut out, f, parse_bool(&format!("-{c}"), &v)?.to_string())?;
                            j = chars.len();
                        } else {
                            set(&mut out, f, "true".into())?;
                        }
                    }
                    _ => {
                        let rest: String = chars[j..].iter().collect();
                        let rest = rest.strip_prefix('=').map(str::to_string).unwrap_or(rest);
                        let v = if !rest.is_empty() {
                            rest
                        } else if i < argv.len() {
                            i += 1;
                            argv[i - 1].clone()
                        } else {
                            return Err(FlagError::NeedsArgument(format!("'{c}' in -{c}")));
                        };
                        set(&mut out, f, v)?;
                        j = chars.len();
                    }
                }
            }
            continue;
        }
        out.args.push(a.clone());
        if !interspersed {
            out.args.extend(argv[i..].iter().cloned());
            break;
        }
    }
    for f in flags {
        if !out.values.contains_key(f.long) && !f.default.is_empty() && f.kind != Kind::List {
            out.values.insert(f.long, vec![f.default.to_string()]);
        }
    }
    Ok(out)
}

impl Parsed {
    pub fn bool(&self, long: &str) -> bool {
        self.values
            .get(long)
            .and_then(|v| v.last())
            .is_some_and(|v| v == "true")
    }

    pub fn is_set(&self, long: &str) -> bool {
        self.values.contains_key(long)
    }

    /// Whether the user gave the flag (pflag's `Changed`), as opposed to its default.
    pub fn changed(&self, long: &str) -> bool {
        self.changed.contains(long)
    }

    pub fn value(&self, long: &str) -> Option<&str> {
        self.values
            .get(long)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    pub fn string(&self, long: &str) -> String {
        self.value(long).unwrap_or("").to_string()
    }

    pub fn list(&self, long: &str) -> Vec<String> {
        self.values.get(long).cloned().unwrap_or_default()
    }
}

/// The `Options:` block of a command's help, as pflag's `FlagUsagesWrapped` prints it for
/// docker: aligned, help text wrapped to the terminal's width (80 columns when stdin is not a
/// terminal), defaults shown when they are not the zero value.
pub fn help_block(flags: &[Flag]) -> String {
    let width = rustix::termios::tcgetwinsize(std::io::stdin())
        .map(|w| w.ws_col as usize)
        .ok()
        .filter(|w| *w > 0)
        .unwrap_or(80);
    help_block_wrapped(flags, width - 1)
}

/// [`help_block`] for `cols` columns.
pub fn help_block_wrapped(flags: &[Flag], cols: usize) -> String {
    let rows: Vec<(String, String)> = flags
        .iter()
        .filter(|f| !f.hidden)
        .map(|f| {
            let mut left = match f.short {
                Some(c) => format!("  -{c}, --{}", f.long),
                None => format!("      --{}", f.long),
            };
            let type_name = if f.value_name.is_empty() {
                "string"
            } else {
                f.value_name
            };
            if f.kind != Kind::Bool {
                left.push(' ');
                left.push_str(type_name);
            }
            let mut help = f.help.to_string();
            let zero = matches!(f.default, "" | "0" | "false" | "<nil>");
            if !zero {
                if f.kind != Kind::Bool && type_name == "string" {
                    help.push_str(&format!(" (default {:?})", f.default));
                } else {
                    help.push_str(&format!(" (default {})", f.default));
                }
            }
            (left, help)
        })
        .collect();
    // pflag's maxlen counts a separator byte; the gap after the longest left part is 3.
    let maxlen = rows.iter().map(|(l, _)| l.len() + 1).max().unwrap_or(0);
    rows.iter()
        .map(|(l, h)| {
            let spacing = " ".repeat(maxlen - (l.len() + 1) + 1);
            format!("{l} {spacing} {}\n", wrap(maxlen + 2, cols, h))
        })
        .collect()
}

/// pflag's `wrap`: `s` wrapped to `w - i` columns, continuation lines indented by `i`.
fn wrap(i: usize, w: usize, s: &str) -> String {
    let mut i = i;
    let mut r = String::new();
    let mut room = w.saturating_sub(i);
    if room < 24 {
        i = 16;
        room = w.saturating_sub(i);
        r.push('\n');
        r.push_str(&" ".repeat(i));
    }
    let indent = format!("\n{}", " ".repeat(i));
    if room < 24 {
        return s.replace('\n', &r);
    }
    let slop = 5;
    let room = room - slop;
    let (first, mut rest) = wrap_n(room, slop, s);
    r.push_str(&first.replace('\n', &indent));
    while !rest.is_empty() {
        let (t, more) = wrap_n(room, slop, rest);
        r.push_str(&indent);
        r.push_str(&t.replace('\n', &indent));
        rest = more;
    }
    r
}

/// pflag's `wrapN`: splits off at most about `i` bytes at a blank or newline.
fn wrap_n(i: usize, slop: usize, s: &str) -> (&str, &str) {
    if i + slop > s.len() {
        return (s, "");
    }
    let head = &s[..floor_char(s, i)];
    let Some(w) = head.rfind([' ', '\t', '\n']).filter(|w| *w > 0) else {
        return (s, "");
    };
    if let Some(nl) = head.rfind('\n')
        && nl > 0
        && nl < w
    {
        return (&s[..nl], &s[nl + 1..]);
    }
    (&s[..w], &s[w + 1..])
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> Vec<Flag> {
        vec![
            Flag::bool("all", Some('a'), "Show all"),
            Flag::bool("quiet", Some('q'), "Only IDs"),
            Flag::value("format", Some('f'), "string", "Format"),
            Flag::list("env", Some('e'), "list", "Env"),
            Flag::value("name", None, "string", "Name"),
        ]
    }

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn long_short_grouped_and_inline_forms() {
        let p = parse(
            &flags(),
            &args("-aq --format={{.ID}} -e A=1 -eB=2 --env C=3 img"),
            true,
        )
        .unwrap();
        assert!(p.bool("all") && p.bool("quiet"));
        assert_eq!(p.value("format"), Some("{{.ID}}"));
        assert_eq!(p.list("env"), vec!["A=1", "B=2", "C=3"]);
        assert_eq!(p.args, vec!["img"]);
    }

    #[test]
    fn interspersed_flags_and_stop_at_first_positional() {
        let p = parse(&flags(), &args("busybox -q"), true).unwrap();
        assert!(p.bool("quiet"));
        let p = parse(&flags(), &args("-q busybox sh -c -a"), false).unwrap();
        assert_eq!(p.args, vec!["busybox", "sh", "-c", "-a"]);
        assert!(!p.bool("all"));
        let p = parse(&flags(), &args("-- -a"), true).unwrap();
        assert_eq!(p.args, vec!["-a"]);
    }

    #[test]
    fn errors_use_pflag_wording() {
        assert_eq!(
            parse(&flags(), &args("--foo"), true)
                .unwrap_err()
                .to_string(),
            "unknown flag: --foo"
        );
        assert_eq!(
            parse(&flags(), &args("-x"), true).unwrap_err().to_string(),
            "unknown shorthand flag: 'x' in -x"
        );
        assert_eq!(
            parse(&flags(), &args("--format"), true)
                .unwrap_err()
                .to_string(),
            "flag needs an argument: --format"
        );
        assert_eq!(
            parse(&flags(), &args("-f"), true).unwrap_err().to_string(),
            "flag needs an argument: 'f' in -f"
        );
        assert!(matches!(
            parse(&flags(), &args("--all=maybe"), true),
            Err(FlagError::InvalidBool { .. })
        ));
        assert!(matches!(
            parse(&flags(), &args("--help"), true),
            Err(FlagError::Help)
        ));
    }

    #[test]
    fn help_wraps_like_pflag() {
        let flags = vec![
            Flag::value(
                "format",
                None,
                "string",
                "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'json':             Print in JSON format",
            ),
            Flag::value(
                "last",
                Some('n'),
                "int",
                "Show n last created containers (includes all states)",
            )
            .default("-1"),
            Flag::bool(
                "latest",
                Some('l'),
                "Show the latest created container (includes all states)",
            ),
            Flag::value("restart", None, "string", "Restart policy").default("no"),
            Flag::bool("sig-proxy", None, "Proxy signals").default("true"),
        ];
        assert_eq!(
            help_block_wrapped(&flags, 79),
            "      --format string    Format output using a custom template:\n                         'table':            Print output in table format\n                         with column headers (default)\n                         'json':             Print in JSON format\n  -n, --last int         Show n last created containers (includes all\n                         states) (default -1)\n  -l, --latest           Show the latest created container (includes all\n                         states)\n      --restart string   Restart policy (default \"no\")\n      --sig-proxy        Proxy signals (default true)\n"
        );
    }

    #[test]
    fn bool_values_can_be_switched_off() {
        let p = parse(&flags(), &args("--all=false -q=false"), true).unwrap();
        assert!(!p.bool("all") && !p.bool("quiet"));
    }
}
