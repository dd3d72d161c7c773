//! What every command gets: the engine client (connecting, and starting the engine when
//! nothing answers on the default socket), and buffered stdout.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::error::CliError;
use crate::flags::Parsed;

pub const DEFAULT_SOCKET: &str = "/run/wharf.sock";

pub struct Ctx {
    socket: PathBuf,
    /// Start the engine if nothing answers (only for the default socket).
    autostart: bool,
    client: Option<Client>,
    pub out: BufWriter<io::Stdout>,
    /// Exit status for commands that report some failures without failing as a whole.
    pub exit_status: i32,
    /// `--config`: where `config.json` lives (else `$DOCKER_CONFIG`, else `~/.docker`).
    pub config_dir: Option<PathBuf>,
}

impl Ctx {
    pub fn new(globals: &Parsed) -> Ctx {
        let explicit = globals
            .value("host")
            .map(str::to_string)
            .or_else(|| std::env::var("WHARF_HOST").ok());
        let (socket, autostart) = match explicit {
            Some(h) => (
                PathBuf::from(h.strip_prefix("unix://").unwrap_or(&h)),
                false,
            ),
            None => (PathBuf::from(DEFAULT_SOCKET), true),
        };
        Ctx {
            socket,
            autostart,
            client: None,
            out: BufWriter::with_capacity(64 * 1024, io::stdout()),
            exit_status: 0,
            config_dir: globals.value("config").map(PathBuf::from),
        }
    }

    /// The engine client; the first call makes sure an engine answers.
    pub fn client(&mut self) -> Result<&Client, CliError> {
        if self.client.is_none() {
            let c = Client::new(&self.socket);
            match c.connect() {
                Ok(_) => {}
                Err(e) if self.autostart => {
                    start_engine(&self.socket).map_err(|why| {
                        CliError::msg(format!("{e}\nStarting the engine failed: {why}"))
                    })?;
                }
                Err(e) => return Err(e),
            }
            self.client = Some(c);
        }
        Ok(self.client.as_ref().expect("set above"))
    }

    pub fn flush(&mut self) -> Result<(), CliError> {
        match self.out.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            r => r.map_err(CliError::io("writing output")),
        }
    }

    /// Writes a line to stdout (broken pipes end the program quietly, as with docker).
    pub fn println(&mut self, line: impl AsRef<str>) -> Result<(), CliError> {
        let r = self
            .out
            .write_all(line.as_ref().as_bytes())
            .and_then(|_| self.out.write_all(b"\n"));
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(CliError::Exit(0)),
            r => r.map_err(CliError::io("writing output")),
        }
    }

    pub fn print(&mut self, text: impl AsRef<str>) -> Result<(), CliError> {
        match self.out.write_all(text.as_ref().as_bytes()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(CliError::Exit(0)),
            r => r.map_err(CliError::io("writing output")),
        }
    }
}

/// Starts `wharf daemon` in the background with default settings and waits until it answers.
fn start_engine(socket: &std::path::Path) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let log_path = "/var/log/wharf.log";
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .map_err(|e| format!("{log_path}: {e}"))?;
    let log2 = log.try_clone().map_err(|e| e.to_string())?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("daemon")
        .stdin(std::process::Stdio::null())
        .stdout(log)
        .stderr(log2)
        .process_group(0);
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    eprintln!(
        "wharf: no engine was answering on unix://{}; started one (log: {log_path})",
        socket.display()
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if std::os::unix::net::UnixStream::connect(socket).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the engine exited with {status}; see {log_path}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!(
        "the engine did not answer within 15s; see {log_path}"
    ))
}
