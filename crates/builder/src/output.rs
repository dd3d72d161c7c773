//! The progress stream of a build, as the legacy builder writes it (`{"stream": …}` lines,
//! `{"aux": …}` for image IDs, `{"errorDetail": …}` at the end of a failed build).
//!
//! Stages may run in parallel, but their output is shown in stage order: the stage whose turn
//! it is writes straight through; later stages are buffered until every earlier one is done.
//! In quiet mode (`q=1`) everything is held back: a failed build shows it before the error, a
//! successful one shows only the image ID.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use wharf_api::message::{ErrorDetail, JsonMessage};

struct State {
    sink: Box<dyn Write + Send>,
    /// The stage allowed to write through.
    current: usize,
    buffers: BTreeMap<usize, Vec<u8>>,
    finished: BTreeSet<usize>,
    quiet: Option<Vec<u8>>,
}

/// The build's output stream.
pub struct Output {
    state: Mutex<State>,
    broken: AtomicBool,
}

/// Start of red and reset: how the legacy builder marks a step's stderr.
const RED: &str = "\x1b[91m";
const RESET: &str = "\x1b[0m";

impl Output {
    pub fn new(sink: Box<dyn Write + Send>, quiet: bool) -> Arc<Output> {
        Arc::new(Output {
            state: Mutex::new(State {
                sink,
                current: 0,
                buffers: BTreeMap::new(),
                finished: BTreeSet::new(),
                quiet: quiet.then(Vec::new),
            }),
            broken: AtomicBool::new(false),
        })
    }

    /// Whether the client went away (writes failed).
    pub fn is_broken(&self) -> bool {
        self.broken.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn emit(&self, st: &mut State, line: &[u8]) {
        if let Some(q) = st.quiet.as_mut() {
            q.extend_from_slice(line);
            return;
        }
        if st
            .sink
            .write_all(line)
            .and_then(|_| st.sink.flush())
            .is_err()
        {
            self.broken.store(true, Ordering::Relaxed);
        }
    }

    fn write(&self, order: usize, line: Vec<u8>) {
        let mut st = self.lock();
        if order == st.current {
            self.emit(&mut st, &line);
        } else {
            st.buffers
                .entry(order)
                .or_default()
                .extend_from_slice(&line);
        }
    }

    /// Text for the whole build (not tied to a stage).
    pub fn global(&self, text: &str) {
        let line = JsonMessage::stream(text).to_line();
        let mut st = self.lock();
        self.emit(&mut st, &line);
    }

    /// The aux message naming an image.
    pub fn aux_id(&self, order: usize, id: &str) {
        let msg = JsonMessage {
            aux: Some(serde_json::json!({ "ID": id })),
            ..Default::default()
        };
        self.write(order, msg.to_line());
    }

    /// Marks stage `order` done and lets the next ones write.
    pub fn finish(&self, order: usize) {
        let mut st = self.lock();
        st.finished.insert(order);
        while st.finished.contains(&st.current) {
            st.current += 1;
            let cur = st.current;
            if let Some(buf) = st.buffers.remove(&cur) {
                self.emit(&mut st, &buf);
            }
        }
    }

    /// Ends a failed build: buffered output of stages that ran (and of quiet mode) first,
    /// then the error.
    pub fn fail(&self, message: &str, code: i32) {
        let mut st = self.lock();
        let bufs: Vec<Vec<u8>> = std::mem::take(&mut st.buffers).into_values().collect();
        for b in bufs {
            self.emit(&mut st, &b);
        }
        if let Some(q) = st.quiet.take()
            && st.sink.write_all(&q).is_err()
        {
            self.broken.store(true, Ordering::Relaxed);
        }
        let msg = JsonMessage {
            error_detail: Some(ErrorDetail {
                code: (code != 0).then_some(code as i64),
                message: message.to_string(),
            }),
            error: Some(message.to_string()),
            ..Default::default()
        };
        let _ = st.sink.write_all(&msg.to_line());
        let _ = st.sink.flush();
    }

    /// Ends a successful quiet build with the image ID alone.
    pub fn quiet_result(&self, id: &str) {
        let mut st = self.lock();
        if st.quiet.take().is_some() {
            let line = JsonMessage::stream(format!("{id}\n")).to_line();
            let _ = st.sink.write_all(&line);
            let _ = st.sink.flush();
        }
    }

    /// Checks whether the client is still there by writing a blank line (JSON stream readers
    /// skip whitespace between messages).
    pub fn probe(&self) -> bool {
        let mut st = self.lock();
        if st
            .sink
            .write_all(b"\n")
            .and_then(|_| st.sink.flush())
            .is_err()
        {
            self.broken.store(true, Ordering::Relaxed);
        }
        self.is_broken()
    }

    /// A writer for one stage.
    pub fn stage(self: &Arc<Self>, order: usize) -> StageOut {
        StageOut {
            out: self.clone(),
            order,
        }
    }
}

/// Where one stage writes.
#[derive(Clone)]
pub struct StageOut {
    out: Arc<Output>,
    order: usize,
}

impl StageOut {
    pub fn text(&self, text: impl Into<String>) {
        self.out
            .write(self.order, JsonMessage::stream(text).to_line());
    }

    /// A step's standard error, in red as the legacy builder shows it.
    pub fn stderr(&self, text: &str) {
        self.text(format!("{RED}{text}{RESET}"));
    }

    pub fn aux_id(&self, id: &str) {
        self.out.aux_id(self.order, id);
    }

    pub fn is_broken(&self) -> bool {
        self.out.is_broken()
    }

    pub fn probe_broken(&self) -> bool {
        self.out.probe()
    }

    pub fn finish(&self) {
        self.out.finish(self.order);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn texts(s: &Sink) -> Vec<String> {
        String::from_utf8(s.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.get("stream")
                    .or(v.get("error"))
                    .and_then(|x| x.as_str())
                    .unwrap_or("aux")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn later_stages_wait_for_earlier_ones() {
        let sink = Sink::default();
        let out = Output::new(Box::new(sink.clone()), false);
        let (a, b) = (out.stage(0), out.stage(1));
        b.text("b1");
        a.text("a1");
        b.text("b2");
        assert_eq!(texts(&sink), vec!["a1"]);
        a.finish();
        assert_eq!(texts(&sink), vec!["a1", "b1", "b2"]);
        b.text("b3");
        assert_eq!(texts(&sink).last().unwrap(), "b3");
    }

    #[test]
    fn quiet_shows_output_only_on_failure() {
        let sink = Sink::default();
        let out = Output::new(Box::new(sink.clone()), true);
        out.stage(0).text("step");
        out.quiet_result("sha256:x");
        assert_eq!(texts(&sink), vec!["sha256:x\n"]);
        let sink = Sink::default();
        let out = Output::new(Box::new(sink.clone()), true);
        out.stage(0).text("step");
        out.fail("boom", 0);
        assert_eq!(texts(&sink), vec!["step", "boom"]);
    }
}
