//! `GET /containers/{id}/logs`: reads the json-file log (rotated files oldest first), filters
//! by stream and time, keeps the last `tail` lines, and with `follow` keeps reading the
//! current file (across rotations) until the container stops. Runs on a blocking thread.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use wharf_shim::jsonlog::{self, Entry};
use wharf_units::Timestamp;

use super::Ctr;
use super::record::Status;

#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    pub stdout: bool,
    pub stderr: bool,
    pub follow: bool,
    /// Unix time bounds (seconds, nanoseconds).
    pub since: Option<(i64, i64)>,
    pub until: Option<(i64, i64)>,
    pub timestamps: bool,
    /// Last N lines; `None` for all.
    pub tail: Option<usize>,
    /// stdcopy framing (non-tty containers).
    pub multiplex: bool,
}

fn to_ts((s, n): (i64, i64)) -> Timestamp {
    Timestamp::from_unix_normalized(s, n)
}

struct Filter {
    stdout: bool,
    stderr: bool,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
}

impl Filter {
    /// `Some(entry)` if it passes; the bool is true once `until` has been passed.
    fn check(&self, line: &str) -> (Option<Entry>, bool) {
        let Ok(e) = serde_json::from_str::<Entry>(line) else {
            return (None, false);
        };
        let wanted = match e.stream.as_str() {
            "stdout" => self.stdout,
            "stderr" => self.stderr,
            _ => false,
        };
        if !wanted {
            return (None, false);
        }
        if self.since.is_some() || self.until.is_some() {
            let t = Timestamp::parse_rfc3339(&e.time).ok();
            if let (Some(s), Some(t)) = (self.since, t)
                && t < s
            {
                return (None, false);
            }
            if let (Some(u), Some(t)) = (self.until, t)
                && t > u
            {
                return (None, true);
            }
        }
        (Some(e), false)
    }
}

fn emit(out: &mut impl Write, e: &Entry, o: &LogOptions) -> std::io::Result<()> {
    let mut data = Vec::with_capacity(e.log.len() + 40);
    if o.timestamps {
        data.extend_from_slice(e.time.as_bytes());
        data.push(b' ');
    }
    data.extend_from_slice(e.log.as_bytes());
    if o.multiplex {
        let stream = if e.stream == "stderr" { 2 } else { 1 };
        out.write_all(&wharf_api::stdcopy::header(stream, data.len()))?;
    }
    out.write_all(&data)
}

/// Writes the container's logs to `out` as the options ask.
pub fn stream(
    c: &Arc<Ctr>,
    path: &Path,
    max_file: u32,
    o: &LogOptions,
    out: &mut impl Write,
    gone: &dyn Fn() -> bool,
) -> std::io::Result<()> {
    let f = Filter {
        stdout: o.stdout,
        stderr: o.stderr,
        since: o.since.map(to_ts),
        until: o.until.map(to_ts),
    };
    let files = jsonlog::files(path, max_file);
    let mut tail: VecDeque<Entry> = VecDeque::new();
    let mut done = false;
    let mut current: Option<(BufReader<File>, u64)> = None;
    let last = files.len().saturating_sub(1);
    'files: for (i, p) in files.iter().enumerate() {
        let Ok(file) = File::open(p) else { continue };
        let ino = file.metadata().map(|m| m.ino()).unwrap_or(0);
        let mut r = BufReader::new(file);
        let mut line = String::new();
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) => break,
                Ok(_) if !line.ends_with('\n') => {
                    // A record being written: leave it for the follower.
                    let back = line.len() as i64;
                    let _ = r.seek_relative(-back);
                    break;
                }
                Ok(_) => {}
                Err(_) => break,
            }
            let (entry, past) = f.check(line.trim_end());
            if past {
                done = true;
                break 'files;
            }
            if let Some(e) = entry {
                match o.tail {
                    Some(0) => {}
                    Some(n) => {
                        if tail.len() == n {
                            tail.pop_front();
                        }
                        tail.push_back(e);
                    }
                    None => emit(out, &e, o)?,
                }
            }
        }
        if i == last {
            current = Some((r, ino));
        }
    }
    for e in &tail {
        emit(out, e, o)?;
    }
    out.flush()?;
    if !o.follow || done {
        return Ok(());
    }
    follow(c, path, current, &f, o, out, gone)
}

fn follow(
    c: &Arc<Ctr>,
    path: &Path,
    mut current: Option<(BufReader<File>, u64)>,
    f: &Filter,
    o: &LogOptions,
    out: &mut impl Write,
    gone: &dyn Fn() -> bool,
) -> std::io::Result<()> {
    let mut line = String::new();
    let mut stopped_reads = 0;
    loop {
        let mut progressed = false;
        if let Some((r, _)) = current.as_mut() {
            loop {
                line.clear();
                match r.read_line(&mut line) {
                    Ok(0) => break,
                    Ok(n) if !line.ends_with('\n') => {
                        let _ = r.seek_relative(-(n as i64));
                        break;
                    }
                    Ok(_) => {
                        progressed = true;
                        let (entry, past) = f.check(line.trim_end());
                        if past {
                            return Ok(());
                        }
                        if let Some(e) = entry {
                            emit(out, &e, o)?;
                        }
                    }
                    Err(_) => break,
                }
            }
        }
        if progressed {
            out.flush()?;
        }
        // Rotated (or created): switch to the new file once the old one is read out.
        let on_disk = std::fs::metadata(path).ok().map(|m| m.ino());
        let ours = current.as_ref().map(|(_, ino)| *ino);
        if on_disk.is_some()
            && on_disk != ours
            && !progressed
            && let Ok(file) = File::open(path)
        {
            let ino = file.metadata().map(|m| m.ino()).unwrap_or(0);
            let mut r = BufReader::new(file);
            r.seek(SeekFrom::Start(0))?;
            current = Some((r, ino));
            continue;
        }
        let st = c.lock().state.status;
        let alive = st.is_alive() || st == Status::Restarting;
        if c.is_removed() || !alive {
            // One more pass after the exit so the last lines are not missed.
            stopped_reads += 1;
            if stopped_reads > 2 {
                return Ok(());
            }
        } else {
            stopped_reads = 0;
        }
        if !progressed {
            if gone() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
