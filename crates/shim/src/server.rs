//! The shim's single-threaded event loop: one `poll(2)` over the control socket, the init's
//! pidfd and streams, attached clients, and exec'd processes.

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use wharf_runtime::{Container, ExecOptions, ProcessHandle, Runtime, Stdio};
use wharf_units::Timestamp;

use crate::config::{EXIT_FILE, STATE_FILE};
use crate::io::{Client, Output, ProcIo, set_nonblocking};
use crate::jsonlog::Stream;
use crate::protocol::{self, AttachSpec, ExitRecord, Request, Response};

/// How long output is drained after a process exits (processes that inherited its pipes may
/// keep them open).
const DRAIN: Duration = Duration::from_secs(2);
/// How long attached clients get to take their last output once everything has ended.
const LINGER: Duration = Duration::from_secs(5);
/// How long after setup or the last request the shim gives back the pages they needed
/// ([`crate::sys::shed_pages`]): late enough to stay off the path of `attach`/`start`/`wait`
/// (a `run --rm` of a short command never gets there), early enough that an idle shim is small.
const SHED_AFTER: Duration = Duration::from_millis(250);

/// A supervised process: the init or an exec.
pub struct Proc {
    pub io: ProcIo,
    pub pid: u32,
    pub started_at: String,
    pub exit: Option<ExitRecord>,
    /// Exit seen; output is drained until this instant at the latest.
    drain_until: Option<Instant>,
    /// Exit recorded and answered; clients are being closed.
    pub finished: bool,
    waiters: Vec<UnixStream>,
    console: Option<OwnedFd>,
}

impl Proc {
    pub fn new(io: ProcIo, pid: u32, console: Option<OwnedFd>) -> Proc {
        Proc {
            io,
            pid,
            started_at: String::new(),
            exit: None,
            drain_until: None,
            finished: false,
            waiters: Vec::new(),
            console,
        }
    }

    fn attach(&mut self, sock: UnixStream, spec: AttachSpec) -> std::io::Result<()> {
        let initial = spec.initial.clone();
        let mut c = Client::new(sock, spec)?;
        if self.finished {
            c.close();
            return Ok(());
        }
        if !initial.is_empty() && c.spec.stdin {
            self.io.queue_stdin(&initial);
        }
        self.io.clients.push(c);
        Ok(())
    }

    fn answer_waiters(&mut self) {
        let resp = Response {
            exit: self.exit.clone(),
            ..Default::default()
        };
        for w in self.waiters.drain(..) {
            let _ = protocol::send(&w, &resp, &[]);
        }
    }
}

pub struct Exec {
    pub id: String,
    pub handle: ProcessHandle,
    pub proc: Proc,
}

enum Tag {
    Listener,
    InitPid,
    Output(Option<usize>, usize),
    Stdin(Option<usize>),
    Client(Option<usize>, usize),
    ExecPid(usize),
}

pub struct Shim {
    pub dir: PathBuf,
    pub runtime: Box<dyn Runtime>,
    pub container: Option<Container>,
    pub listener: UnixListener,
    pub init: Proc,
    pub execs: Vec<Exec>,
    pub started: bool,
    /// Set for external runtimes (see [`Shim::reap_orphans`]).
    pub subreaper: bool,
    /// The container's cgroup (spec `cgroupsPath`), asked about OOM kills when init dies.
    pub cgroups_path: String,
    linger_until: Option<Instant>,
    shed_at: Option<Instant>,
}

fn now() -> String {
    Timestamp::now().to_rfc3339_nano()
}

fn write_file(dir: &Path, name: &str, data: &[u8]) -> std::io::Result<()> {
    // Written, not fsynced: the record must survive the daemon, not the machine (a machine
    // crash ends the container too).
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, data)?;
    std::fs::rename(&tmp, dir.join(name))
}

fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    Ok(rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?)
}

/// Stdio for a new process: the child's ends, and the shim's [`ProcIo`].
pub fn make_stdio(stdin: bool, stdout: bool, stderr: bool) -> std::io::Result<(Stdio, ProcIo)> {
    let mut io = ProcIo::default();
    let mut stdio = Stdio::null();
    if stdin {
        let (r, w) = pipe()?;
        set_nonblocking(&w)?;
        stdio.stdin = Some(r);
        io.stdin = Some(w);
    }
    for (want, stream) in [(stdout, Stream::Stdout), (stderr, Stream::Stderr)] {
        if want {
            let (r, w) = pipe()?;
            set_nonblocking(&r)?;
            match stream {
                Stream::Stdout => stdio.stdout = Some(w),
                Stream::Stderr => stdio.stderr = Some(w),
            }
            io.outputs.push(Output { fd: r, stream });
        }
    }
    Ok((stdio, io))
}

/// Wires a pty master into a [`ProcIo`]: output as stdout, input (if wanted) to the master.
pub fn console_io(io: &mut ProcIo, master: &OwnedFd, stdin: bool) -> std::io::Result<OwnedFd> {
    set_nonblocking(master)?;
    let out = rustix::io::fcntl_dupfd_cloexec(master, 3)?;
    io.outputs.push(Output {
        fd: out,
        stream: Stream::Stdout,
    });
    if stdin {
        io.stdin = Some(rustix::io::fcntl_dupfd_cloexec(master, 3)?);
    }
    rustix::io::fcntl_dupfd_cloexec(master, 3).map_err(Into::into)
}

impl Shim {
    pub fn new(
        dir: PathBuf,
        runtime: Box<dyn Runtime>,
        container: Container,
        listener: UnixListener,
        init: Proc,
    ) -> Shim {
        Shim {
            dir,
            runtime,
            container: Some(container),
            listener,
            init,
            execs: Vec::new(),
            started: false,
            subreaper: false,
            cgroups_path: String::new(),
            linger_until: None,
            shed_at: Some(Instant::now() + SHED_AFTER),
        }
    }

    /// Serves until the container has ended and everything is handed over.
    pub fn serve(mut self) {
        self.listener.set_nonblocking(true).ok();
        loop {
            if self.done() {
                return;
            }
            self.poll_once();
            self.reap_orphans();
            if self.shed_at.is_some_and(|t| Instant::now() >= t) {
                self.shed_at = None;
                crate::sys::shed_pages();
            }
        }
    }

    fn done(&mut self) -> bool {
        if !self.init.finished {
            return false;
        }
        let busy = self.init.io.clients.iter().any(|c| !c.dead)
            || self.execs.iter().any(|e| !e.proc.finished);
        let until = *self
            .linger_until
            .get_or_insert_with(|| Instant::now() + LINGER);
        !busy || Instant::now() >= until
    }

    fn proc_mut(&mut self, which: Option<usize>) -> &mut Proc {
        match which {
            None => &mut self.init,
            Some(i) => &mut self.execs[i].proc,
        }
    }

    fn poll_once(&mut self) {
        let mut tags = Vec::new();
        let mut timeout = Duration::from_secs(1);
        let revents: Vec<PollFlags> = {
            let mut fds: Vec<PollFd<'_>> = Vec::new();
            fds.push(PollFd::new(&self.listener, PollFlags::IN));
            tags.push(Tag::Listener);
            if let Some(c) = &self.container
                && self.init.exit.is_none()
            {
                fds.push(PollFd::from_borrowed_fd(c.init().pidfd(), PollFlags::IN));
                tags.push(Tag::InitPid);
            }
            for (i, e) in self.execs.iter().enumerate() {
                if e.proc.exit.is_none() {
                    fds.push(PollFd::from_borrowed_fd(e.handle.pidfd(), PollFlags::IN));
                    tags.push(Tag::ExecPid(i));
                }
            }
            let procs = std::iter::once((None, &self.init)).chain(
                self.execs
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (Some(i), &e.proc)),
            );
            for (which, p) in procs {
                if let Some(d) = p.drain_until {
                    timeout = timeout.min(d.saturating_duration_since(Instant::now()));
                }
                for (i, o) in p.io.outputs.iter().enumerate() {
                    fds.push(PollFd::new(&o.fd, PollFlags::IN));
                    tags.push(Tag::Output(which, i));
                }
                if let Some(s) = &p.io.stdin
                    && !p.io.stdin_buf.is_empty()
                {
                    fds.push(PollFd::new(s, PollFlags::OUT));
                    tags.push(Tag::Stdin(which));
                }
                for (i, c) in p.io.clients.iter().enumerate() {
                    let mut ev = PollFlags::empty();
                    if !c.input_done && !p.io.stdin_full() {
                        ev |= PollFlags::IN;
                    }
                    if c.has_output() {
                        ev |= PollFlags::OUT;
                    }
                    fds.push(PollFd::new(&c.sock, ev));
                    tags.push(Tag::Client(which, i));
                }
            }
            for t in [self.linger_until, self.shed_at].into_iter().flatten() {
                timeout = timeout.min(t.saturating_duration_since(Instant::now()));
            }
            let ts = Timespec {
                tv_sec: timeout.as_secs() as i64,
                tv_nsec: timeout.subsec_nanos() as i64,
            };
            match rustix::event::poll(&mut fds, Some(&ts)) {
                Ok(_) => fds.iter().map(|f| f.revents()).collect(),
                Err(_) => vec![PollFlags::empty(); fds.len()],
            }
        };
        // Outputs are handled in reverse index order so that removing one keeps the others'
        // indices valid.
        let mut ended: Vec<(Option<usize>, usize)> = Vec::new();
        for (tag, ev) in tags.iter().zip(revents) {
            if ev.is_empty() {
                continue;
            }
            match *tag {
                Tag::Listener => self.accept_all(),
                Tag::InitPid => self.init_exited(),
                Tag::ExecPid(i) => self.exec_exited(i),
                Tag::Output(which, i) => {
                    let p = self.proc_mut(which);
                    let more = p.io.read_output(i);
                    if !more || ev.intersects(PollFlags::ERR | PollFlags::NVAL) {
                        ended.push((which, i));
                    }
                }
                Tag::Stdin(which) => {
                    let p = self.proc_mut(which);
                    if ev.intersects(PollFlags::ERR | PollFlags::HUP) {
                        p.io.stdin = None;
                        p.io.stdin_buf.clear();
                    } else {
                        p.io.write_stdin();
                    }
                }
                Tag::Client(which, i) => self.client_event(which, i, ev),
            }
        }
        ended.sort_by_key(|x| std::cmp::Reverse(x.1));
        for (which, i) in ended {
            self.proc_mut(which).io.end_output(i);
        }
        self.init.io.sweep();
        for e in &mut self.execs {
            e.proc.io.sweep();
        }
        self.progress();
    }

    fn client_event(&mut self, which: Option<usize>, i: usize, ev: PollFlags) {
        let p = self.proc_mut(which);
        if ev.contains(PollFlags::OUT) {
            p.io.clients[i].flush();
        }
        if ev.intersects(PollFlags::IN | PollFlags::HUP | PollFlags::ERR)
            && !p.io.clients[i].input_done
        {
            let data = p.io.clients[i].read_input();
            if !data.is_empty() {
                p.io.queue_stdin(&data);
            }
            let c = &p.io.clients[i];
            if c.input_done && !c.detached() && c.spec.close_stdin {
                p.io.close_stdin();
            }
        } else if ev.intersects(PollFlags::HUP | PollFlags::ERR) && !p.io.clients[i].has_output() {
            p.io.clients[i].dead = true;
        }
    }

    /// Moves exited processes along: drained output → exit recorded → waiters answered.
    fn progress(&mut self) {
        let now = Instant::now();
        let ready = |p: &Proc| {
            p.exit.is_some()
                && !p.finished
                && (p.io.outputs.is_empty() || p.drain_until.is_some_and(|d| now >= d))
        };
        if ready(&self.init) {
            self.finish_init();
        }
        for e in &mut self.execs {
            if ready(&e.proc) {
                e.proc.finished = true;
                e.proc.io.outputs.clear();
                e.proc.io.stdin = None;
                e.proc.io.close_clients();
                e.proc.answer_waiters();
            }
        }
    }

    fn init_exited(&mut self) {
        let Some(c) = self.container.as_mut() else {
            return;
        };
        if !c.init().exited() {
            return;
        }
        let status = c.wait().map(|s| s.code()).unwrap_or(255);
        // The OOM killer sends SIGKILL; its count lives in the cgroup, removed right after.
        let oom_killed = status == 128 + 9 && wharf_runtime::oom_killed(&self.cgroups_path);
        self.init.exit = Some(ExitRecord {
            exit_code: status,
            finished_at: now(),
            started_at: self.init.started_at.clone(),
            oom_killed,
            error: String::new(),
        });
        self.init.drain_until = Some(Instant::now() + DRAIN);
    }

    fn exec_exited(&mut self, i: usize) {
        let e = &mut self.execs[i];
        if !e.handle.exited() {
            return;
        }
        let code = e.handle.wait().map(|s| s.code()).unwrap_or(255);
        e.proc.exit = Some(ExitRecord {
            exit_code: code,
            finished_at: now(),
            started_at: e.proc.started_at.clone(),
            ..Default::default()
        });
        e.proc.drain_until = Some(Instant::now() + DRAIN);
    }

    fn finish_init(&mut self) {
        self.init.finished = true;
        self.init.io.outputs.clear();
        self.init.io.stdin = None;
        if let Some(log) = self.init.io.log.as_ref()
            && log.dropped > 0
        {
            eprintln!("{} log records could not be written", log.dropped);
        }
        if let Some(c) = self.container.take()
            && let Err(e) = self.runtime.delete(c, true)
        {
            eprintln!("removing container: {e}");
        }
        if let Some(exit) = &self.init.exit {
            let data = serde_json::to_vec(exit).unwrap_or_default();
            if let Err(e) = write_file(&self.dir, EXIT_FILE, &data) {
                eprintln!("writing exit record: {e}");
            }
        }
        self.init.close_clients_and_console();
        self.init.answer_waiters();
        // Execs die with the container's pid namespace; stop waiting for their output.
        for e in &mut self.execs {
            if e.proc.exit.is_none() {
                let _ = e.handle.signal(9);
            }
        }
    }

    fn accept_all(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((s, _)) => self.handle_conn(s),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        // Requests are rare; the code and memory they needed need not stay resident once
        // they stop coming.
        self.shed_at = Some(Instant::now() + SHED_AFTER);
    }

    fn handle_conn(&mut self, s: UnixStream) {
        let _ = s.set_nonblocking(false);
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let (req, mut fds) = match protocol::recv::<Request>(&s) {
            Ok(x) => x,
            Err(e) => {
                let _ = protocol::send(&s, &Response::error(e.to_string(), None), &[]);
                return;
            }
        };
        let fd = if fds.is_empty() {
            None
        } else {
            Some(fds.remove(0))
        };
        let resp = match req {
            Request::Wait => {
                if self.init.finished {
                    Response {
                        exit: self.init.exit.clone(),
                        ..Default::default()
                    }
                } else {
                    self.init.waiters.push(s);
                    return;
                }
            }
            Request::ExecWait { id } => match self.execs.iter_mut().find(|e| e.id == id) {
                Some(e) if !e.proc.finished => {
                    e.proc.waiters.push(s);
                    return;
                }
                Some(e) => Response {
                    exit: e.proc.exit.clone(),
                    ..Default::default()
                },
                None => Response::error(format!("no such exec: {id}"), None),
            },
            Request::Shutdown => {
                let r = self.shutdown();
                let _ = protocol::send(&s, &r, &[]);
                return;
            }
            other => self.request(other, fd),
        };
        let _ = protocol::send(&s, &resp, &[]);
    }

    fn shutdown(&mut self) -> Response {
        if self.started && !self.init.finished {
            return Response::error("container is running", None);
        }
        if let Some(c) = self.container.take()
            && let Err(e) = self.runtime.delete(c, true)
        {
            return Response::error(e.to_string(), None);
        }
        self.init.exit.get_or_insert_with(|| ExitRecord {
            exit_code: 0,
            finished_at: now(),
            ..Default::default()
        });
        self.init.finished = true;
        self.init.close_clients_and_console();
        self.init.answer_waiters();
        Response::ok()
    }

    fn status(&self) -> &'static str {
        match &self.container {
            None => "stopped",
            Some(c) => match self.runtime.state(c) {
                Ok(s) => s.as_str(),
                Err(_) => "stopped",
            },
        }
    }

    fn request(&mut self, req: Request, fd: Option<OwnedFd>) -> Response {
        match req {
            Request::Start => self.start(),
            Request::State => Response {
                pid: Some(self.init.pid),
                status: Some(self.status().to_string()),
                exit: self.init.exit.clone(),
                started_at: Some(self.init.started_at.clone()),
                ..Default::default()
            },
            Request::Attach(spec) => {
                let Some(fd) = fd else {
                    return Response::error("attach: no connection passed", None);
                };
                match self.init.attach(UnixStream::from(fd), spec) {
                    Ok(()) => Response::ok(),
                    Err(e) => Response::error(e.to_string(), None),
                }
            }
            Request::Resize {
                exec,
                height,
                width,
            } => {
                let console = match &exec {
                    None => self.init.console.as_ref(),
                    Some(id) => self
                        .execs
                        .iter()
                        .find(|e| &e.id == id)
                        .and_then(|e| e.proc.console.as_ref()),
                };
                let Some(console) = console else {
                    return Response::error("no terminal to resize", None);
                };
                let size = wharf_runtime::spec::ConsoleSize {
                    height: height as u32,
                    width: width as u32,
                };
                match wharf_runtime::resize_console(console.as_fd(), size) {
                    Ok(()) => Response::ok(),
                    Err(e) => Response::error(e.to_string(), None),
                }
            }
            Request::Kill { signal, all } => match &self.container {
                None => Response::error("container is not running", None),
                Some(c) => match self.runtime.kill(c, signal, all) {
                    Ok(()) => Response::ok(),
                    Err(e) => Response::error(e.to_string(), None),
                },
            },
            Request::Pause | Request::Resume => {
                let Some(c) = self.container.as_mut() else {
                    return Response::error("container is not running", None);
                };
                let r = if matches!(req, Request::Pause) {
                    self.runtime.pause(c)
                } else {
                    self.runtime.resume(c)
                };
                match r {
                    Ok(()) => Response::ok(),
                    Err(e) => Response::error(e.to_string(), None),
                }
            }
            Request::Exec {
                id,
                process,
                attach,
            } => self.exec(id, *process, attach, fd),
            Request::ExecState { id } => match self.execs.iter().find(|e| e.id == id) {
                None => Response::error(format!("no such exec: {id}"), None),
                Some(e) => Response {
                    pid: Some(e.proc.pid),
                    status: Some(
                        if e.proc.finished {
                            "stopped"
                        } else {
                            "running"
                        }
                        .into(),
                    ),
                    exit: e.proc.exit.clone(),
                    ..Default::default()
                },
            },
            Request::Wait | Request::ExecWait { .. } | Request::Shutdown => {
                Response::error("handled elsewhere", None)
            }
        }
    }

    fn start(&mut self) -> Response {
        if self.started {
            return Response::error("container already started", None);
        }
        let Some(c) = self.container.as_mut() else {
            return Response::error("container has ended", None);
        };
        match self.runtime.start(c) {
            Ok(()) => {
                self.started = true;
                self.init.started_at = now();
                let state = serde_json::json!({
                    "pid": self.init.pid,
                    "shim_pid": std::process::id(),
                    "started_at": self.init.started_at,
                });
                let _ = write_file(&self.dir, STATE_FILE, state.to_string().as_bytes());
                Response {
                    pid: Some(self.init.pid),
                    started_at: Some(self.init.started_at.clone()),
                    ..Default::default()
                }
            }
            Err(e) => {
                let code = e.exit_code_hint();
                let msg = e.to_string();
                // The init is gone; clean up and end without an exit record: the daemon
                // records the failed start.
                if let Some(c) = self.container.take() {
                    let _ = self.runtime.delete(c, true);
                }
                self.init.exit = Some(ExitRecord {
                    exit_code: code.unwrap_or(128),
                    finished_at: now(),
                    error: msg.clone(),
                    ..Default::default()
                });
                self.init.finished = true;
                self.init.close_clients_and_console();
                self.init.answer_waiters();
                Response::error(msg, code)
            }
        }
    }

    fn exec(
        &mut self,
        id: String,
        mut process: wharf_runtime::spec::Process,
        attach: Option<AttachSpec>,
        fd: Option<OwnedFd>,
    ) -> Response {
        let Some(c) = self.container.as_ref() else {
            return Response::error("container is not running", None);
        };
        if self.execs.iter().any(|e| e.id == id) {
            return Response::error(format!("exec {id} already started"), None);
        }
        let spec = attach.clone().unwrap_or_default();
        let tty = process.terminal;
        let made = if tty {
            make_stdio(false, false, false)
        } else {
            make_stdio(spec.stdin, spec.stdout, spec.stderr)
        };
        let (stdio, mut io) = match made {
            Ok(x) => x,
            Err(e) => return Response::error(e.to_string(), None),
        };
        if tty && process.console_size.is_none() {
            process.console_size = Some(wharf_runtime::spec::ConsoleSize {
                height: 24,
                width: 80,
            });
        }
        let mut handle = match self.runtime.exec(
            c,
            ExecOptions {
                process: &process,
                stdio,
            },
        ) {
            Ok(h) => h,
            Err(e) => return Response::error(e.to_string(), e.exit_code_hint()),
        };
        let console = match handle.take_console() {
            Some(m) => match console_io(&mut io, &m, spec.stdin) {
                Ok(keep) => Some(keep),
                Err(e) => return Response::error(e.to_string(), None),
            },
            None => None,
        };
        let mut proc = Proc::new(io, handle.pid(), console);
        proc.started_at = now();
        if let (Some(fd), Some(spec)) = (fd, attach)
            && let Err(e) = proc.attach(UnixStream::from(fd), spec)
        {
            eprintln!("exec {id}: attach: {e}");
        }
        let pid = proc.pid;
        self.execs.push(Exec { id, handle, proc });
        Response {
            pid: Some(pid),
            ..Default::default()
        }
    }

    /// Reaps children the shim does not track: with an external runtime the shim is a child
    /// subreaper, so orphans of the container (with `--pid=host`) are re-parented to it.
    fn reap_orphans(&mut self) {
        if !self.subreaper {
            return;
        }
        let me = std::process::id();
        let Ok(children) = std::fs::read_to_string(format!("/proc/{me}/task/{me}/children")) else {
            return;
        };
        for raw in children
            .split_whitespace()
            .filter_map(|p| p.parse::<u32>().ok())
        {
            let tracked = raw == self.init.pid || self.execs.iter().any(|e| e.proc.pid == raw);
            if tracked {
                continue;
            }
            if let Some(pid) = rustix::process::Pid::from_raw(raw as i32) {
                let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::NOHANG);
            }
        }
    }
}

impl Proc {
    fn close_clients_and_console(&mut self) {
        self.io.close_clients();
        self.console = None;
    }
}
