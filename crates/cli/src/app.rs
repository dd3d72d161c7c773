//! Command registry and dispatch: global options, management groups (`image ls`), aliases
//! (`images`), argument-count checks, and docker's usage and help texts.

use std::io::Write;

use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::{self, Flag, FlagError, Parsed};

pub const PROG: &str = "wharf";

#[derive(Debug, Clone, Copy)]
pub enum Args {
    Any,
    Exact(usize),
    Min(usize),
    Max(usize),
    /// At least the first, at most the second.
    Range(usize, usize),
}

pub type RunFn = fn(&mut Ctx, &Parsed) -> Result<(), CliError>;

pub struct Command {
    /// Canonical path, e.g. `image ls`.
    pub path: &'static str,
    /// Other paths reaching this command, e.g. `images`, `image list`.
    pub aliases: &'static [&'static str],
    pub usage: &'static str,
    pub about: &'static str,
    pub flags: fn() -> Vec<Flag>,
    pub args: Args,
    /// `false` for commands whose trailing arguments belong to a program (`run`, `exec`).
    pub interspersed: bool,
    pub run: RunFn,
}

pub struct Group {
    pub name: &'static str,
    pub about: &'static str,
}

pub const GROUPS: &[Group] = &[
    Group {
        name: "container",
        about: "Manage containers",
    },
    Group {
        name: "image",
        about: "Manage images",
    },
    Group {
        name: "builder",
        about: "Manage builds",
    },
    Group {
        name: "network",
        about: "Manage networks",
    },
    Group {
        name: "system",
        about: "Manage wharf",
    },
    Group {
        name: "volume",
        about: "Manage volumes",
    },
];

pub fn commands() -> Vec<Command> {
    let mut v = Vec::new();
    v.extend(crate::commands::system::commands());
    v.extend(crate::commands::images::commands());
    v.extend(crate::commands::container::commands());
    v.extend(crate::commands::volume::commands());
    v.extend(crate::commands::network::commands());
    v.extend(crate::commands::events::commands());
    v.extend(crate::commands::build::commands());
    v.extend(crate::commands::registry::commands());
    v
}

fn global_flags() -> Vec<Flag> {
    vec![
        Flag::value("host", Some('H'), "string", "Daemon socket to connect to"),
        Flag::bool("debug", Some('D'), "Enable debug mode"),
        Flag::value(
            "log-level",
            Some('l'),
            "string",
            "Set the logging level (\"debug\", \"info\", \"warn\", \"error\", \"fatal\")",
        )
        .default("info"),
        Flag::value("config", None, "string", "Location of client config files"),
        Flag::bool("version", Some('v'), "Print version information and quit"),
    ]
}

fn usage_line(cmd: &Command) -> String {
    format!("Usage:  {PROG} {} {}", cmd.path_shown(), cmd.usage)
        .trim_end()
        .to_string()
}

impl Command {
    /// The path docker shows in usage lines: the short alias when it is the common name
    /// (`docker images`), else the canonical path.
    fn path_shown(&self) -> &'static str {
        self.aliases
            .iter()
            .find(|a| !a.contains(' '))
            .copied()
            .unwrap_or(self.path)
    }

    pub fn help(&self) -> String {
        let mut s = format!("{}\n\n{}\n", usage_line(self), self.about);
        if !self.aliases.is_empty() {
            // docker's order: the canonical path, the other group paths, the short form.
            let mut all: Vec<String> = vec![format!("{PROG} {}", self.path)];
            let (long, short): (Vec<&str>, Vec<&str>) =
                self.aliases.iter().partition(|a| a.contains(' '));
            all.extend(
                long.iter()
                    .chain(short.iter())
                    .map(|a| format!("{PROG} {a}")),
            );
            s.push_str(&format!("\nAliases:\n  {}\n", all.join(", ")));
        }
        let flags = (self.flags)();
        if !flags.is_empty() {
            s.push_str("\nOptions:\n");
            s.push_str(&flags::help_block(&flags));
        }
        s
    }

    fn usage_error(&self, message: String, status: i32) -> CliError {
        CliError::Usage {
            message: format!(
                "{message}\n\n{}\n\nRun '{PROG} {} --help' for more information",
                usage_line(self),
                self.path_shown()
            ),
            command: self.path.to_string(),
            status,
        }
    }

    fn check_args(&self, n: usize) -> Result<(), CliError> {
        let who = format!("{PROG}: '{PROG} {}'", self.path_shown());
        let plural = |k: usize| if k == 1 { "argument" } else { "arguments" };
        let bad = match self.args {
            Args::Any => None,
            Args::Exact(k) if n != k => Some(format!("{who} requires {k} {}", plural(k))),
            Args::Min(k) if n < k => Some(format!("{who} requires at least {k} {}", plural(k))),
            Args::Max(0) if n > 0 => Some(format!("{who} accepts no arguments")),
            Args::Max(k) if n > k => Some(format!("{who} requires at most {k} {}", plural(k))),
            Args::Range(lo, hi) if n < lo || n > hi => Some(format!(
                "{who} requires at least {lo} and at most {hi} {}",
                plural(hi)
            )),
            _ => None,
        };
        match bad {
            Some(m) => Err(self.usage_error(m, 1)),
            None => Ok(()),
        }
    }
}

fn top_help(cmds: &[Command]) -> String {
    let mut s = format!(
        "\nUsage:  {PROG} [OPTIONS] COMMAND\n\nA container engine that Docker's clients can drive\n\nCommon Commands:\n"
    );
    let mut singles: Vec<(&str, &str)> = cmds
        .iter()
        .filter_map(|c| {
            let short = if c.path.contains(' ') {
                c.aliases.iter().find(|a| !a.contains(' '))?
            } else {
                &c.path
            };
            Some((*short, c.about))
        })
        .collect();
    singles.sort();
    singles.dedup();
    for (n, a) in singles {
        s.push_str(&format!("  {n:<11} {a}\n"));
    }
    s.push_str("\nManagement Commands:\n");
    for g in GROUPS {
        s.push_str(&format!("  {:<11} {}\n", g.name, g.about));
    }
    s.push_str(&format!(
        "\nCommands:\n  {:<11} {}\n",
        "daemon", "Run the wharf engine"
    ));
    s.push_str("\nGlobal Options:\n");
    s.push_str(&flags::help_block(&global_flags()));
    s.push_str(&format!(
        "\nRun '{PROG} COMMAND --help' for more information on a command.\n"
    ));
    s
}

fn group_help(g: &Group, cmds: &[Command]) -> String {
    let mut s = format!(
        "\nUsage:  {PROG} {} COMMAND\n\n{}\n\nCommands:\n",
        g.name, g.about
    );
    let mut subs: Vec<(&str, &str)> = cmds
        .iter()
        .filter_map(|c| {
            c.path
                .strip_prefix(g.name)
                .and_then(|r| r.strip_prefix(' '))
                .map(|r| (r, c.about))
        })
        .collect();
    subs.sort();
    for (n, a) in subs {
        s.push_str(&format!("  {n:<11} {a}\n"));
    }
    s.push_str(&format!(
        "\nRun '{PROG} {} COMMAND --help' for more information on a command.\n",
        g.name
    ));
    s
}

/// Finds the command for `words` (longest path first); returns it and how many words it used.
fn find<'a>(cmds: &'a [Command], words: &[String]) -> Option<(&'a Command, usize)> {
    for take in (1..=2.min(words.len())).rev() {
        let key = words[..take].join(" ");
        if let Some(c) = cmds
            .iter()
            .find(|c| c.path == key || c.aliases.contains(&key.as_str()))
        {
            return Some((c, take));
        }
    }
    None
}

/// Runs the CLI with `argv` (without the program name); returns the exit status.
pub fn run(argv: &[String]) -> i32 {
    let cmds = commands();
    let globals = match flags::parse(&global_flags(), argv, false) {
        Ok(g) => g,
        Err(FlagError::Help) => {
            print!("{}", top_help(&cmds));
            return 0;
        }
        Err(e) => {
            eprintln!("{e}\n\nRun '{PROG} --help' for more information");
            return 125;
        }
    };
    if globals.bool("version") {
        println!("wharf version {}", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    let words = &globals.args;
    if words.is_empty() {
        print!("{}", top_help(&cmds));
        return 0;
    }
    let (cmd, used) = match find(&cmds, words) {
        Some(x) => x,
        None => {
            if let Some(g) = GROUPS.iter().find(|g| g.name == words[0]) {
                if words.len() == 1 || words[1] == "--help" || words[1] == "-h" {
                    print!("{}", group_help(g, &cmds));
                    return 0;
                }
                eprintln!(
                    "{PROG}: unknown command: {PROG} {} {}\n\nRun '{PROG} {} --help' for more information",
                    g.name, words[1], g.name
                );
                return 1;
            }
            eprintln!(
                "{PROG}: unknown command: {PROG} {}\n\nRun '{PROG} --help' for more information",
                words[0]
            );
            return 1;
        }
    };
    let rest = &words[used..];
    let parsed = match flags::parse(&(cmd.flags)(), rest, cmd.interspersed) {
        Ok(p) => p,
        Err(FlagError::Help) => {
            print!("{}", cmd.help());
            return 0;
        }
        Err(e) => {
            return report(&cmd.usage_error(e.to_string(), 125));
        }
    };
    if let Err(e) = cmd.check_args(parsed.args.len()) {
        return report(&e);
    }
    let mut ctx = Ctx::new(&globals);
    let res = (cmd.run)(&mut ctx, &parsed);
    let flushed = ctx.flush();
    match res.and(flushed) {
        Ok(()) => ctx.exit_status,
        Err(e) => report(&e),
    }
}

fn report(e: &CliError) -> i32 {
    let text = e.to_string();
    if !text.is_empty() {
        let _ = writeln!(std::io::stderr(), "{text}");
    }
    e.status()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_path_and_alias_is_unique() {
        let cmds = commands();
        let mut seen = std::collections::HashSet::new();
        for c in &cmds {
            for p in std::iter::once(&c.path).chain(c.aliases.iter()) {
                assert!(seen.insert(*p), "duplicate command path {p}");
            }
        }
    }

    #[test]
    fn argument_count_errors_read_like_dockers() {
        let cmds = commands();
        let (tag, _) = find(&cmds, &["tag".to_string()]).unwrap();
        let e = tag.check_args(1).unwrap_err().to_string();
        assert!(
            e.starts_with("wharf: 'wharf tag' requires 2 arguments\n\nUsage:  wharf tag"),
            "{e}"
        );
        let (images, _) = find(&cmds, &["images".to_string()]).unwrap();
        assert!(
            images
                .check_args(2)
                .unwrap_err()
                .to_string()
                .contains("requires at most 1 argument")
        );
    }
}
