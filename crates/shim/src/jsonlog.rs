//! Docker's json-file log format: one JSON object per line,
//! `{"log":"hello\n","stream":"stdout","time":"2026-01-02T03:04:05.123456789Z"}`, with
//! size-based rotation (`<log>`, `<log>.1`, … `<log>.<max_file-1>`, newest first).
//!
//! The writer (in the shim) splits output at newlines; a line longer than [`MAX_LINE`] or a
//! tail without newline at end of stream is written as a partial record (its `log` does not
//! end in `\n`), as dockerd does. Every record is one `write(2)` to an `O_APPEND` file, so a
//! reader never sees half a record except at the very end of the current file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::LogSpec;

/// Longest record dockerd writes before splitting a line.
pub const MAX_LINE: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// One record as read back.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub log: String,
    pub stream: String,
    pub time: String,
}

/// The log files of `path`, oldest first.
pub fn files(path: &Path, max_file: u32) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = (1..max_file.max(1))
        .rev()
        .map(|i| rotated(path, i))
        .filter(|p| p.exists())
        .collect();
    out.push(path.to_path_buf());
    out
}

fn rotated(path: &Path, i: u32) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{i}"));
    PathBuf::from(s)
}

/// Appends records, rotating by size.
pub struct LogWriter {
    spec: LogSpec,
    file: File,
    size: u64,
    partial: [Vec<u8>; 2],
    /// Records that could not be written (disk full); reported in the shim log.
    pub dropped: u64,
}

fn open_append(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        .custom_flags(rustix::fs::OFlags::CLOEXEC.bits() as i32)
        .open(path)
}

impl LogWriter {
    pub fn open(spec: LogSpec) -> std::io::Result<LogWriter> {
        let file = open_append(&spec.path)?;
        let size = file.metadata()?.len();
        Ok(LogWriter {
            spec,
            file,
            size,
            partial: [Vec::new(), Vec::new()],
            dropped: 0,
        })
    }

    /// Output of a stream: complete lines are written, the rest is kept for the next call.
    pub fn write(&mut self, stream: Stream, data: &[u8]) {
        let idx = stream as usize;
        let mut rest = data;
        while !rest.is_empty() {
            match rest.iter().position(|&b| b == b'\n') {
                Some(nl) => {
                    let (line, tail) = rest.split_at(nl + 1);
                    if self.partial[idx].is_empty() {
                        self.record(stream, line);
                    } else {
                        let mut buf = std::mem::take(&mut self.partial[idx]);
                        buf.extend_from_slice(line);
                        self.record(stream, &buf);
                        buf.clear();
                        self.partial[idx] = buf;
                    }
                    rest = tail;
                }
                None => {
                    self.partial[idx].extend_from_slice(rest);
                    rest = &[];
                }
            }
            while self.partial[idx].len() >= MAX_LINE {
                let chunk: Vec<u8> = self.partial[idx].drain(..MAX_LINE).collect();
                self.record(stream, &chunk);
            }
        }
    }

    /// End of a stream: write what is left as a partial record.
    pub fn finish(&mut self, stream: Stream) {
        let idx = stream as usize;
        if !self.partial[idx].is_empty() {
            let buf = std::mem::take(&mut self.partial[idx]);
            self.record(stream, &buf);
        }
    }

    fn record(&mut self, stream: Stream, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let mut rec = Vec::with_capacity(line.len() + 80);
        rec.extend_from_slice(b"{\"log\":");
        serde_json::to_writer(&mut rec, &text).ok();
        rec.extend_from_slice(b",\"stream\":\"");
        rec.extend_from_slice(stream.as_str().as_bytes());
        rec.extend_from_slice(b"\",\"time\":\"");
        rec.extend_from_slice(wharf_units::Timestamp::now().to_rfc3339_nano().as_bytes());
        rec.extend_from_slice(b"\"}\n");
        if self.spec.max_size > 0
            && self.size > 0
            && self.size + rec.len() as u64 > self.spec.max_size
            && let Err(e) = self.rotate()
        {
            eprintln!("rotating {}: {e}", self.spec.path.display());
        }
        match self.file.write_all(&rec) {
            Ok(()) => self.size += rec.len() as u64,
            Err(_) => self.dropped += 1,
        }
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        let path = self.spec.path.clone();
        let keep = self.spec.max_file.max(1);
        if keep == 1 {
            self.file.set_len(0)?;
            self.size = 0;
            return Ok(());
        }
        let _ = std::fs::remove_file(rotated(&path, keep - 1));
        for i in (1..keep - 1).rev() {
            let from = rotated(&path, i);
            if from.exists() {
                std::fs::rename(&from, rotated(&path, i + 1))?;
            }
        }
        std::fs::rename(&path, rotated(&path, 1))?;
        self.file = open_append(&path)?;
        self.size = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(path: &Path, max_file: u32) -> Vec<Entry> {
        files(path, max_file)
            .iter()
            .flat_map(|f| {
                std::fs::read_to_string(f)
                    .unwrap()
                    .lines()
                    .map(|l| serde_json::from_str::<Entry>(l).unwrap())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn lines_are_split_and_partials_kept_per_stream() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("c-json.log");
        let mut w = LogWriter::open(LogSpec {
            path: path.clone(),
            max_size: 0,
            max_file: 1,
        })
        .unwrap();
        w.write(Stream::Stdout, b"hel");
        w.write(Stream::Stderr, b"err\n");
        w.write(Stream::Stdout, b"lo\nwor");
        w.finish(Stream::Stdout);
        let got: Vec<(String, String)> = read_all(&path, 1)
            .into_iter()
            .map(|e| (e.stream, e.log))
            .collect();
        assert_eq!(
            got,
            vec![
                ("stderr".into(), "err\n".into()),
                ("stdout".into(), "hello\n".into()),
                ("stdout".into(), "wor".into())
            ]
        );
    }

    #[test]
    fn rotation_keeps_max_file_files_and_loses_no_line_among_them() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("c-json.log");
        let mut w = LogWriter::open(LogSpec {
            path: path.clone(),
            max_size: 1000,
            max_file: 3,
        })
        .unwrap();
        for i in 0..30 {
            w.write(Stream::Stdout, format!("line {i}\n").as_bytes());
        }
        assert!(!rotated(&path, 3).exists());
        let entries = read_all(&path, 3);
        let n: Vec<usize> = entries
            .iter()
            .map(|e| {
                e.log
                    .trim_end()
                    .strip_prefix("line ")
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        // The newest lines survive, in order, without gaps.
        assert_eq!(*n.last().unwrap(), 29);
        assert!(n.windows(2).all(|w| w[1] == w[0] + 1));
        for f in files(&path, 3) {
            assert!(std::fs::metadata(f).unwrap().len() <= 1000);
        }
    }

    #[test]
    fn long_lines_are_cut_into_partial_records() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("l.log");
        let mut w = LogWriter::open(LogSpec {
            path: path.clone(),
            max_size: 0,
            max_file: 1,
        })
        .unwrap();
        let long = vec![b'a'; MAX_LINE + 10];
        w.write(Stream::Stdout, &long);
        w.write(Stream::Stdout, b"\n");
        let e = read_all(&path, 1);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].log.len(), MAX_LINE);
        assert_eq!(e[1].log, format!("{}\n", "a".repeat(10)));
    }
}
