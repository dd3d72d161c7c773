//! Signals while a container is attached: proxying what the CLI receives to the container
//! (`--sig-proxy`, as docker's `ForwardAllSignals`), and following the terminal's size
//! (SIGWINCH → `/resize`). Both run on their own thread and stop when their guard drops.

use std::thread::JoinHandle;

use signal_hook::consts::signal::*;
use signal_hook::iterator::{Handle, Signals};

use crate::client::{Body, Client, with_query};
use crate::tty::term;

/// Linux signal numbers and docker's names for them (moby/sys/signal), for `kill`.
pub const SIGNALS: &[(i32, &str)] = &[
    (SIGHUP, "HUP"),
    (SIGINT, "INT"),
    (SIGQUIT, "QUIT"),
    (SIGILL, "ILL"),
    (SIGTRAP, "TRAP"),
    (SIGABRT, "ABRT"),
    (SIGBUS, "BUS"),
    (SIGFPE, "FPE"),
    (SIGKILL, "KILL"),
    (SIGUSR1, "USR1"),
    (SIGSEGV, "SEGV"),
    (SIGUSR2, "USR2"),
    (SIGPIPE, "PIPE"),
    (SIGALRM, "ALRM"),
    (SIGTERM, "TERM"),
    (16, "STKFLT"),
    (SIGCHLD, "CHLD"),
    (SIGCONT, "CONT"),
    (SIGSTOP, "STOP"),
    (SIGTSTP, "TSTP"),
    (SIGTTIN, "TTIN"),
    (SIGTTOU, "TTOU"),
    (SIGURG, "URG"),
    (SIGXCPU, "XCPU"),
    (SIGXFSZ, "XFSZ"),
    (SIGVTALRM, "VTALRM"),
    (SIGPROF, "PROF"),
    (SIGWINCH, "WINCH"),
    (SIGIO, "IO"),
    (30, "PWR"),
    (SIGSYS, "SYS"),
];

/// Stops its thread when dropped.
pub struct Watcher {
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn watch(signals: &[i32], mut on: impl FnMut(i32) + Send + 'static) -> std::io::Result<Watcher> {
    let mut s = Signals::new(signals)?;
    let handle = s.handle();
    let thread = std::thread::spawn(move || {
        for sig in s.forever() {
            on(sig);
        }
    });
    Ok(Watcher {
        handle,
        thread: Some(thread),
    })
}

/// Forwards every catchable signal the CLI receives to container `id` with `POST /kill`,
/// except SIGCHLD and SIGPIPE (docker skips those and Go's runtime signal).
pub fn forward_all(client: &Client, id: &str) -> std::io::Result<Watcher> {
    let forwarded: Vec<i32> = SIGNALS
        .iter()
        .map(|&(n, _)| n)
        .filter(|n| !signal_hook::consts::FORBIDDEN.contains(n))
        .filter(|&n| n != SIGCHLD && n != SIGPIPE && n != SIGURG)
        .collect();
    let client = client.clone();
    let id = id.to_string();
    watch(&forwarded, move |sig| {
        if let Some((_, name)) = SIGNALS.iter().find(|(n, _)| *n == sig) {
            let _ = client.call(
                "POST",
                &with_query(
                    &format!("/containers/{id}/kill"),
                    &[("signal", name.to_string())],
                ),
                Body::None,
            );
        }
    })
}

/// What to resize: a container's tty or an exec's.
#[derive(Clone)]
pub enum ResizeTarget {
    Container(String),
    Exec(String),
}

/// Sends the terminal's size to `target`; `false` if the engine refused or no size is known.
pub fn resize(client: &Client, target: &ResizeTarget, grow: u16) -> bool {
    let Some((h, w)) = term::size() else {
        return false;
    };
    if h == 0 && w == 0 {
        return true;
    }
    let path = match target {
        ResizeTarget::Container(id) => format!("/containers/{id}/resize"),
        ResizeTarget::Exec(id) => format!("/exec/{id}/resize"),
    };
    let q = [("h", (h + grow).to_string()), ("w", (w + grow).to_string())];
    client
        .call("POST", &with_query(&path, &q), Body::None)
        .is_ok()
}

/// docker's `MonitorTtySize`: sizes the tty now (retrying briefly, as a just-started process
/// may not have its tty yet) and again on every SIGWINCH.
pub fn monitor_size(client: &Client, target: ResizeTarget) -> std::io::Result<Watcher> {
    if !resize(client, &target, 0) {
        let (c, t) = (client.clone(), target.clone());
        std::thread::spawn(move || {
            for retry in 0..10u64 {
                std::thread::sleep(std::time::Duration::from_millis((retry + 1) * 10));
                if resize(&c, &t, 0) {
                    return;
                }
            }
            eprintln!("failed to resize tty, using default size");
        });
    }
    let client = client.clone();
    watch(&[SIGWINCH], move |_| {
        resize(&client, &target, 0);
    })
}
