//! The user's terminal: whether stdin/stdout are terminals, raw mode with a restore that runs
//! exactly once on every way out (normal end, error, panic unwinding, detach), and the window
//! size.

use std::io::{self, IsTerminal};
use std::os::fd::AsFd;
use std::sync::{Arc, Mutex};

use rustix::termios::{self, OptionalActions, Termios};

pub fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// The size of the terminal on stdout as (height, width), if it is one.
pub fn size() -> Option<(u16, u16)> {
    let ws = termios::tcgetwinsize(io::stdout().as_fd()).ok()?;
    Some((ws.ws_row, ws.ws_col))
}

/// Stdin in raw mode until restored or dropped. Clones share one saved state; the first
/// `restore` wins.
#[derive(Clone)]
pub struct RawMode {
    saved: Arc<Mutex<Option<Termios>>>,
}

impl RawMode {
    /// Puts stdin into raw mode (cfmakeraw, as moby's `term.MakeRaw`).
    pub fn enable() -> io::Result<RawMode> {
        let stdin = io::stdin();
        let saved = termios::tcgetattr(stdin.as_fd())?;
        let mut raw = saved.clone();
        raw.make_raw();
        termios::tcsetattr(stdin.as_fd(), OptionalActions::Now, &raw)?;
        Ok(RawMode {
            saved: Arc::new(Mutex::new(Some(saved))),
        })
    }

    pub fn restore(&self) {
        let saved = self.saved.lock().map(|mut s| s.take()).unwrap_or(None);
        if let Some(t) = saved {
            let _ = termios::tcsetattr(io::stdin().as_fd(), OptionalActions::Now, &t);
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // The last clone restores if nobody did.
        if Arc::strong_count(&self.saved) == 1 {
            self.restore();
        }
    }
}
