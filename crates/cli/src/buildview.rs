//! Showing a build's progress stream. `plain` prints the legacy builder's text as docker does;
//! `tty` turns it into a live view: one line per step with its time or CACHED, cache-miss
//! reasons, step output indented, and a status line with a spinner and the running step's
//! elapsed time.

use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wharf_api::message::JsonMessage;

use crate::error::CliError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Plain,
    Tty,
}

/// What the stream said at the end.
#[derive(Debug, Default)]
pub struct Result {
    /// The last `aux` image ID.
    pub id: Option<String>,
    /// Everything the stream printed (plain mode), for `-q`.
    pub text: String,
}

const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BLUE: &str = "\x1b[34m";
const RESET: &str = "\x1b[0m";
const CLEAR: &str = "\r\x1b[2K";
const SPIN: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

struct Step {
    label: String,
    text: String,
    started: Instant,
    cached: bool,
}

struct Tty {
    out: std::io::Stdout,
    step: Option<Step>,
    status_shown: bool,
    started: Instant,
    tick: usize,
    /// Output of the current step does not end with a newline yet.
    partial: bool,
    /// Lines printed since the current step's header (0: the header can be rewritten).
    below_header: usize,
}

impl Tty {
    fn clear_status(&mut self) {
        if self.status_shown {
            let _ = write!(self.out, "{CLEAR}");
            self.status_shown = false;
        }
    }

    fn draw_status(&mut self) {
        if self.partial {
            return;
        }
        let Some(s) = &self.step else { return };
        self.tick = (self.tick + 1) % SPIN.len();
        let line = format!(
            "{CLEAR}{BLUE}{}{RESET} {} {DIM}{:.1}s{RESET}",
            SPIN[self.tick],
            clip(&format!("{} {}", s.label, s.text), 70),
            s.started.elapsed().as_secs_f64()
        );
        let _ = write!(self.out, "{line}");
        let _ = self.out.flush();
        self.status_shown = true;
    }

    fn start_step(&mut self, label: String, text: String) {
        self.end_step();
        self.clear_status();
        let _ = writeln!(
            self.out,
            "{DIM}▸{RESET} {BOLD}{label}{RESET} {}",
            clip(&text, 100)
        );
        self.below_header = 0;
        self.step = Some(Step {
            label,
            text,
            started: Instant::now(),
            cached: false,
        });
    }

    /// The step's final line: over its header when nothing was printed below it.
    fn end_step(&mut self) {
        self.clear_status();
        if self.partial {
            let _ = writeln!(self.out);
            self.partial = false;
        }
        if let Some(s) = self.step.take() {
            let how = if s.cached {
                format!("{YELLOW}CACHED{RESET}")
            } else {
                format!("{DIM}{:.1}s{RESET}", s.started.elapsed().as_secs_f64())
            };
            if self.below_header == 0 {
                let _ = write!(self.out, "\x1b[1A{CLEAR}");
            }
            let _ = writeln!(
                self.out,
                "{GREEN}✔{RESET} {BOLD}{}{RESET} {}  {how}",
                s.label,
                clip(&s.text, 100)
            );
        }
    }

    fn text(&mut self, t: &str) {
        // The engine wraps a step's standard error in red: keep the color per line.
        let (t, err) = match t
            .strip_prefix("\x1b[91m")
            .and_then(|x| x.strip_suffix("\x1b[0m"))
        {
            Some(inner) => (inner, true),
            None => (t, false),
        };
        for line in t.split_inclusive('\n') {
            self.line(line, err);
        }
        let _ = self.out.flush();
    }

    fn note(&mut self, text: String) {
        self.clear_status();
        let _ = writeln!(self.out, "{text}");
        self.below_header += 1;
    }

    fn line(&mut self, raw: &str, err: bool) {
        let l = raw.trim_end_matches('\n');
        if !self.partial {
            if let Some(rest) = l.strip_prefix("Step ")
                && let Some((num, text)) = rest.split_once(" : ")
            {
                self.start_step(format!("[{num}]"), text.to_string());
                return;
            }
            if l == " ---> Using cache" {
                if let Some(s) = &mut self.step {
                    s.cached = true;
                }
                return;
            }
            if let Some(why) = l.strip_prefix(" ---> Cache miss: ") {
                self.note(format!("  {YELLOW}cache miss:{RESET} {why}"));
                return;
            }
            if l.starts_with(" ---> ") || l.starts_with("Removing intermediate container ") {
                return;
            }
            if l.starts_with("Successfully built ") || l.starts_with("Successfully tagged ") {
                self.end_step();
                let _ = writeln!(self.out, "{GREEN}{l}{RESET}");
                return;
            }
        }
        self.clear_status();
        if !self.partial {
            let _ = write!(self.out, "  {DIM}│{RESET} ");
            self.below_header += 1;
        }
        if err {
            let _ = write!(self.out, "\x1b[91m{}{RESET}", l);
            if raw.ends_with('\n') {
                let _ = writeln!(self.out);
            }
        } else {
            let _ = write!(self.out, "{raw}");
        }
        self.partial = !raw.ends_with('\n');
    }
}

fn clip(s: &str, n: usize) -> String {
    let one: String = s.replace('\n', " ");
    if one.chars().count() > n {
        format!("{}…", one.chars().take(n - 1).collect::<String>())
    } else {
        one
    }
}

/// Reads the stream to its end. A build error becomes the command's failure, with the failed
/// RUN's exit status when there is one.
pub fn show(
    body: &mut dyn BufRead,
    mode: Mode,
    plain_out: &mut dyn Write,
) -> std::result::Result<Result, CliError> {
    let mut res = Result::default();
    let tty = (mode == Mode::Tty).then(|| {
        Arc::new(Mutex::new(Tty {
            out: std::io::stdout(),
            step: None,
            status_shown: false,
            started: Instant::now(),
            tick: 0,
            partial: false,
            below_header: 0,
        }))
    });
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ticker = tty.clone().map(|t| {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                if let Ok(mut t) = t.lock() {
                    t.draw_status();
                }
            }
        })
    });
    let mut line = String::new();
    let finish = |stop: &std::sync::atomic::AtomicBool| {
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    };
    let outcome = loop {
        line.clear();
        match body.read_line(&mut line) {
            Ok(0) => break Ok(()),
            Ok(_) => {}
            Err(e) => {
                break Err(CliError::Io {
                    what: "reading the build output".into(),
                    source: e,
                });
            }
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let msg: JsonMessage = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(e) => {
                break Err(CliError::Protocol(format!(
                    "invalid message from the daemon: {e}: {text}"
                )));
            }
        };
        if let Some(d) = &msg.error_detail {
            let code = d.code.unwrap_or(1) as i32;
            break Err(CliError::Status {
                message: d.message.clone(),
                status: if code == 0 { 1 } else { code },
            });
        }
        if let Some(e) = &msg.error {
            break Err(CliError::Status {
                message: e.clone(),
                status: 1,
            });
        }
        if let Some(a) = &msg.aux
            && let Some(id) = a.get("ID").and_then(|v| v.as_str())
        {
            res.id = Some(id.to_string());
        }
        let shown = msg.stream.clone().or_else(|| {
            msg.status.as_ref().map(|s| {
                let mut l = String::new();
                if let Some(id) = msg.id.as_deref().filter(|i| !i.is_empty()) {
                    l.push_str(id);
                    l.push_str(": ");
                }
                l.push_str(s);
                if let Some(p) = msg.progress.as_deref().filter(|p| !p.is_empty()) {
                    l.push(' ');
                    l.push_str(p);
                }
                l.push('\n');
                l
            })
        });
        if let Some(s) = shown {
            match &tty {
                Some(t) => t.lock().map(|mut t| t.text(&s)).unwrap_or(()),
                None => {
                    let _ = plain_out.write_all(s.as_bytes());
                    let _ = plain_out.flush();
                    if res.text.len() < 4096 {
                        res.text.push_str(&s);
                    }
                }
            }
        }
    };
    finish(&stop);
    if let Some(t) = ticker {
        let _ = t.join();
    }
    if let Some(t) = &tty
        && let Ok(mut t) = t.lock()
    {
        if outcome.is_err() {
            t.clear_status();
            if let Some(s) = t.step.take() {
                let _ = writeln!(
                    t.out,
                    "{BOLD}\x1b[31m✘{RESET} {BOLD}{}{RESET} {}",
                    s.label, s.text
                );
            }
        } else {
            t.end_step();
            let total = t.started.elapsed().as_secs_f64();
            let _ = writeln!(t.out, "{DIM}total {total:.1}s{RESET}");
        }
        let _ = t.out.flush();
    }
    outcome.map(|_| res)
}
