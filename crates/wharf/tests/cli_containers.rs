//! Container commands end to end through wharf's CLI (and docker's, for parity): exit codes,
//! streams, the lifecycle commands, inspect formats, cp, volumes, and `-it` sessions typed into
//! tmux the way a person types them.
//!
//! The engine is wharf's own daemon (skipped, with a note, while it has no container
//! endpoints) or, when `WHARF_TEST_ENGINE=unix:///path.sock` is set, that engine (a private
//! dockerd, say) with a `busybox` image in it. Every test removes the containers, volumes and
//! tmux server it made, also when it fails.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;

/// The engine under test and what the tests made in it.
struct Engine {
    host: String,
    _daemon: Option<TestDaemon>,
    names: std::sync::Mutex<Vec<String>>,
    volumes: std::sync::Mutex<Vec<String>>,
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

impl Engine {
    fn get() -> Option<Engine> {
        if !is_root() {
            eprintln!("skipped: end-to-end tests need root");
            return None;
        }
        if let Ok(host) = std::env::var("WHARF_TEST_ENGINE") {
            return Some(Engine::on(host, None));
        }
        let d = TestDaemon::start();
        d.import_busybox("busybox:latest");
        let probe = d.wharf(&["ps", "-a"]);
        if !probe.status.success() {
            eprintln!(
                "skipped: wharf's daemon has no container endpoints yet ({})",
                String::from_utf8_lossy(&probe.stderr).trim()
            );
            return None;
        }
        let host = d.host();
        Some(Engine::on(host, Some(d)))
    }

    fn on(host: String, daemon: Option<TestDaemon>) -> Engine {
        Engine {
            host,
            _daemon: daemon,
            names: Default::default(),
            volumes: Default::default(),
        }
    }

    /// A container name unique to this test run, removed when the engine drops.
    fn name(&self, what: &str) -> String {
        let n = format!(
            "wt-{what}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        self.names.lock().unwrap().push(n.clone());
        n
    }

    fn volume(&self, what: &str) -> String {
        let n = format!("wtv-{what}-{}", std::process::id());
        self.volumes.lock().unwrap().push(n.clone());
        n
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(WHARF);
        c.env("WHARF_HOST", &self.host)
            .args(args)
            .stdin(Stdio::null());
        c
    }

    fn wharf(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn wharf_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    fn docker(&self, args: &[&str]) -> Output {
        Command::new(DOCKER)
            .env("DOCKER_HOST", &self.host)
            .env(
                "DOCKER_CONFIG",
                std::env::temp_dir().join("wharf-e2e-docker-config"),
            )
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let names = self.names.lock().unwrap().clone();
        if !names.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(names.iter().map(String::as_str));
            let _ = self.wharf(&args);
        }
        for v in self.volumes.lock().unwrap().iter() {
            let _ = self.wharf(&["volume", "rm", "-f", v]);
        }
    }
}

fn err(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn run_passes_streams_and_exit_codes_through() {
    let Some(e) = Engine::get() else { return };
    let out = e.wharf(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", err(&out));
    assert_eq!(stdout(&out), "out\n");
    assert_eq!(err(&out), "err\n");

    // PID 1 is the command, as in the seeds.
    let out = e.wharf(&["run", "--rm", "busybox", "sh", "-c", "echo $$"]);
    assert_eq!(ok(&out), "1\n");

    // Piped stdin reaches the process and its end closes it.
    let out = e.wharf_stdin(
        &["run", "--rm", "-i", "busybox", "sh", "-c", "cat; echo done"],
        b"hello\n",
    );
    assert_eq!(ok(&out), "hello\ndone\n");

    // -a picks streams.
    let out = e.wharf(&[
        "run",
        "--rm",
        "-a",
        "stderr",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2",
    ]);
    assert_eq!((stdout(&out).as_str(), err(&out).as_str()), ("", "err\n"));
}

#[test]
fn run_failures_exit_like_docker() {
    let Some(e) = Engine::get() else { return };
    let n = e.name("nf");
    let msg = fails(
        &e.wharf(&["run", "--name", &n, "busybox", "no-such-command"]),
        127,
    );
    assert!(
        msg.starts_with("wharf: Error response from daemon: ") && msg.contains("no-such-command"),
        "{msg}"
    );
    assert!(
        msg.ends_with("\n\nRun 'wharf run --help' for more information\n"),
        "{msg}"
    );
    let n = e.name("nx");
    fails(&e.wharf(&["run", "--name", &n, "busybox", "/etc"]), 126);

    let msg = fails(&e.wharf(&["run", "--memory", "x", "busybox"]), 125);
    assert_eq!(
        msg,
        "invalid argument \"x\" for \"-m, --memory\" flag: invalid size: 'x'\n\nUsage:  wharf run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'wharf run --help' for more information\n"
    );
    let msg = fails(
        &e.wharf(&["run", "--rm", "--restart", "always", "busybox"]),
        125,
    );
    assert_eq!(
        msg,
        "wharf: conflicting options: cannot specify both --restart and --rm\n\nRun 'wharf run --help' for more information\n"
    );
    let msg = fails(
        &e.wharf(&["run", "--pull", "never", "wharf-no-such-image"]),
        125,
    );
    assert!(
        msg.contains("No such image: wharf-no-such-image:latest"),
        "{msg}"
    );
    // -t with a stdin that is not a terminal.
    assert_eq!(
        fails(&e.wharf(&["run", "-it", "busybox", "true"]), 1),
        "the input device is not a TTY\n"
    );
}

#[test]
fn lifecycle_commands_print_and_fail_like_docker() {
    let Some(e) = Engine::get() else { return };
    let n = e.name("life");
    let id = ok(&e.wharf(&[
        "create", "--name", &n, "-e", "A=1", "-l", "k=v", "busybox", "sleep", "600",
    ]));
    assert_eq!(id.trim().len(), 64, "{id}");
    let ps = ok(&e.wharf(&[
        "ps",
        "-a",
        "--filter",
        &format!("name={n}"),
        "--format",
        "{{.Names}} {{.State}} {{.Command}}",
    ]));
    assert_eq!(ps, format!("{n} created \"sleep 600\"\n"));
    assert_eq!(ok(&e.wharf(&["start", &n])), format!("{n}\n"));
    let ps = ok(&e.wharf(&["ps", "-q", "--no-trunc", "--filter", &format!("name={n}")]));
    assert_eq!(ps.trim(), id.trim());

    // exec: status, env, workdir, user.
    assert_eq!(
        e.wharf(&["exec", &n, "sh", "-c", "exit 4"]).status.code(),
        Some(4)
    );
    let out = ok(&e.wharf(&[
        "exec",
        "-e",
        "B=2",
        "-w",
        "/tmp",
        "-u",
        "nobody",
        &n,
        "sh",
        "-c",
        "echo $A$B $(pwd) $(id -u)",
    ]));
    assert_eq!(out, "12 /tmp 65534\n");

    let top = ok(&e.wharf(&["top", &n]));
    assert!(
        top.lines().next().unwrap().starts_with("UID") && top.contains("sleep 600"),
        "{top}"
    );
    let inspect = ok(&e.wharf(&[
        "inspect",
        "-f",
        "{{.Config.Env}} {{.Config.Labels}} {{.HostConfig.Binds}} {{.State.Running}}",
        &n,
    ]));
    assert!(
        inspect.contains("A=1")
            && inspect.contains("map[k:v]")
            && inspect.trim_end().ends_with("[] true"),
        "{inspect}"
    );

    assert_eq!(ok(&e.wharf(&["pause", &n])), format!("{n}\n"));
    let st = ok(&e.wharf(&["inspect", "-f", "{{.State.Status}}", &n]));
    assert_eq!(st, "paused\n");
    assert_eq!(ok(&e.wharf(&["unpause", &n])), format!("{n}\n"));

    let n2 = e.name("renamed");
    ok(&e.wharf(&["rename", &n, &n2]));
    assert_eq!(
        ok(&e.wharf(&["kill", "-s", "KILL", &n2])),
        format!("{n2}\n")
    );
    assert_eq!(ok(&e.wharf(&["wait", &n2])), "137\n");
    assert_eq!(ok(&e.wharf(&["rm", &n2])), format!("{n2}\n"));

    // Errors: names that worked on stdout, every failure on stderr, status 1.
    let out = e.wharf(&["stop", "wharf-no-such-ctr"]);
    assert_eq!(
        fails(&out, 1),
        "Error response from daemon: No such container: wharf-no-such-ctr\n"
    );
    let out = e.wharf(&["rm", "-f", "wharf-no-such-ctr"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "rm -f ignores missing containers"
    );
    let msg = fails(&e.wharf(&["start", "wharf-no-such-ctr"]), 1);
    assert_eq!(
        msg,
        "Error response from daemon: No such container: wharf-no-such-ctr\nError: failed to start containers: wharf-no-such-ctr\n"
    );
}

#[test]
fn logs_stop_restart_and_create_start_attach() {
    let Some(e) = Engine::get() else { return };
    let n = e.name("logs");
    ok(&e.wharf(&[
        "run",
        "-d",
        "--name",
        &n,
        "busybox",
        "sh",
        "-c",
        "echo one; echo two >&2; sleep 600",
    ]));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = e.wharf(&["logs", &n]);
        if stdout(&out) == "one\n" && err(&out) == "two\n" {
            break;
        }
        assert!(Instant::now() < deadline, "logs: {:?}", out);
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = ok(&e.wharf(&["logs", "--tail", "1", "-t", &n]));
    assert!(out.ends_with(" one\n") || out.is_empty(), "{out}");
    assert_eq!(ok(&e.wharf(&["stop", "-t", "1", &n])), format!("{n}\n"));
    assert_eq!(
        ok(&e.wharf(&["inspect", "-f", "{{.State.ExitCode}}", &n])),
        "137\n"
    );
    assert_eq!(ok(&e.wharf(&["restart", "-t", "0", &n])), format!("{n}\n"));
    assert_eq!(
        ok(&e.wharf(&["inspect", "-f", "{{.State.Running}}", &n])),
        "true\n"
    );

    // create, then start -a: the container's output and status come back.
    let c = e.name("startattach");
    ok(&e.wharf(&[
        "create",
        "--name",
        &c,
        "busybox",
        "sh",
        "-c",
        "echo started; exit 5",
    ]));
    let out = e.wharf(&["start", "-a", &c]);
    assert_eq!(out.status.code(), Some(5), "{}", err(&out));
    assert_eq!(stdout(&out), "started\n");
}

#[test]
fn diff_commit_cp_and_export() {
    let Some(e) = Engine::get() else { return };
    let n = e.name("files");
    ok(&e.wharf(&[
        "run",
        "--name",
        &n,
        "busybox",
        "sh",
        "-c",
        "mkdir /newdir && echo x > /newdir/f && rm /etc/group",
    ]));
    let mut diff: Vec<String> = ok(&e.wharf(&["diff", &n]))
        .lines()
        .map(str::to_string)
        .collect();
    diff.sort();
    assert_eq!(diff, ["A /newdir", "A /newdir/f", "C /etc", "D /etc/group"]);

    let tag = format!("wharf-e2e-commit-{}", std::process::id());
    let id = ok(&e.wharf(&[
        "commit",
        "-m",
        "from e2e",
        "-c",
        "ENV COMMITTED=1",
        &n,
        &tag,
    ]));
    assert!(id.starts_with("sha256:"), "{id}");
    let out = ok(&e.wharf(&[
        "run",
        "--rm",
        &tag,
        "sh",
        "-c",
        "cat /newdir/f; echo $COMMITTED",
    ]));
    assert_eq!(out, "x\n1\n");
    let _ = e.wharf(&["rmi", &tag]);

    // cp out (file, and a directory under a new name), in, and tar streams.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&e.wharf(&["cp", &format!("{n}:/newdir/f"), d.to_str().unwrap()]));
    assert_eq!(std::fs::read_to_string(d.join("f")).unwrap(), "x\n");
    ok(&e.wharf(&[
        "cp",
        &format!("{n}:/newdir"),
        d.join("copy").to_str().unwrap(),
    ]));
    assert_eq!(std::fs::read_to_string(d.join("copy/f")).unwrap(), "x\n");
    std::fs::write(d.join("in.txt"), "in\n").unwrap();
    ok(&e.wharf(&[
        "cp",
        d.join("in.txt").to_str().unwrap(),
        &format!("{n}:/newdir/renamed.txt"),
    ]));
    let tar = e.wharf(&["cp", &format!("{n}:/newdir/renamed.txt"), "-"]);
    let tar = ok_bytes(&tar);
    assert!(
        tar.windows(3).any(|w| w == b"in\n") && tar.len().is_multiple_of(512),
        "a tar stream"
    );
    let msg = fails(
        &e.wharf(&["cp", &format!("{n}:/no/such"), d.to_str().unwrap()]),
        1,
    );
    assert!(msg.starts_with("Error response from daemon: "), "{msg}");

    let export = d.join("export.tar");
    ok(&e.wharf(&["export", "-o", export.to_str().unwrap(), &n]));
    let list = Command::new("tar").arg("tf").arg(&export).output().unwrap();
    let list = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(
        list.lines()
            .any(|l| l.trim_end_matches('/').ends_with("newdir/renamed.txt")),
        "{list}"
    );
}

fn ok_bytes(out: &Output) -> Vec<u8> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout.clone()
}

#[test]
fn volumes_and_mounts() {
    let Some(e) = Engine::get() else { return };
    let v = e.volume("data");
    assert_eq!(
        ok(&e.wharf(&["volume", "create", "--label", "a=b", &v])),
        format!("{v}\n")
    );
    let ls = ok(&e.wharf(&["volume", "ls", "-q", "--filter", &format!("name={v}")]));
    assert_eq!(ls, format!("{v}\n"));
    assert_eq!(
        ok(&e.wharf(&[
            "volume",
            "inspect",
            "-f",
            "{{.Name}} {{.Labels}} {{.Driver}}",
            &v
        ])),
        format!("{v} map[a:b] local\n")
    );
    let n = e.name("vol");
    ok(&e.wharf(&[
        "run",
        "--name",
        &n,
        "-v",
        &format!("{v}:/data"),
        "busybox",
        "sh",
        "-c",
        "echo kept > /data/f",
    ]));
    let out = ok(&e.wharf(&[
        "run",
        "--rm",
        "-v",
        &format!("{v}:/data:ro"),
        "busybox",
        "cat",
        "/data/f",
    ]));
    assert_eq!(out, "kept\n");
    let host = tempfile::tempdir().unwrap();
    std::fs::write(host.path().join("h"), "from host\n").unwrap();
    let bind = format!("type=bind,src={},dst=/h,readonly", host.path().display());
    let out = ok(&e.wharf(&["run", "--rm", "--mount", &bind, "busybox", "cat", "/h/h"]));
    assert_eq!(out, "from host\n");
    let msg = fails(&e.wharf(&["volume", "rm", &v]), 1);
    assert!(
        msg.starts_with("Error response from daemon: "),
        "in use: {msg}"
    );
    ok(&e.wharf(&["rm", &n]));
    assert_eq!(ok(&e.wharf(&["volume", "rm", &v])), format!("{v}\n"));
}

#[test]
fn wharf_and_docker_print_the_same() {
    let Some(e) = Engine::get() else { return };
    if !docker_available() {
        eprintln!("skipped: no docker CLI");
        return;
    }
    let n = e.name("parity");
    ok(&e.wharf(&[
        "run", "-d", "--name", &n, "-l", "b=2", "-l", "a=1", "busybox", "sleep", "600",
    ]));
    for args in [
        vec!["ps", "-a", "--filter", &format!("name={n}")][..].to_vec(),
        vec![
            "ps",
            "--filter",
            &format!("name={n}"),
            "--format",
            "{{.Names}}\t{{.Labels}}\t{{.Command}}",
        ],
        vec!["ps", "--filter", &format!("name={n}"), "--format", "json"],
        vec!["inspect", &n],
        vec![
            "inspect",
            "-f",
            "{{.Config.Cmd}} {{.Config.Entrypoint}} {{.HostConfig.CapAdd}} {{.Config.Labels}}",
            &n,
        ],
        vec!["port", &n],
        vec!["stop", "wharf-no-such"],
        vec!["run", "--cpus", "x", "busybox"],
        vec!["run", "-p", "99999:80", "busybox"],
        vec!["exec", &n, "sh", "-c", "echo out; echo err >&2; exit 2"],
    ] {
        // Relative times ("Less than a second ago" / "1 second ago") can cross a second
        // between the two calls: a difference must persist to count.
        for attempt in 1..=3 {
            let w = e.wharf(&args);
            let d = e.docker(&args);
            let dout = String::from_utf8_lossy(&d.stdout).replace("docker", "wharf");
            let derr = String::from_utf8_lossy(&d.stderr).replace("docker", "wharf");
            let (got, want) = (
                (w.status.code(), stdout(&w), err(&w)),
                (d.status.code(), dout, derr),
            );
            if got == want {
                break;
            }
            assert!(
                attempt < 3,
                "wharf {args:?} differs from docker:\n{got:?}\n{want:?}"
            );
        }
    }
}

/// A private tmux server with one session; killed (the server, by its socket) on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(host: &str, command: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("skipped: tmux is not installed");
            return None;
        }
        let t = Tmux {
            socket: format!(
                "wharf-e2e-{}-{}",
                std::process::id(),
                SEQ.fetch_add(1, Ordering::Relaxed)
            ),
        };
        let shell =
            format!("env -i PATH=/usr/bin:/bin TERM=xterm WHARF_HOST={host} PS1='host$ ' sh");
        let st = t
            .tmux(&[
                "new-session",
                "-d",
                "-s",
                "main",
                "-x",
                "100",
                "-y",
                "30",
                &shell,
            ])
            .status()
            .unwrap();
        assert!(st.success());
        // capture-pane drops trailing blanks: prompts are matched without them.
        t.wait_for("host$", Duration::from_secs(5));
        t.send_line(command);
        Some(t)
    }

    fn tmux(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-L").arg(&self.socket).args(args);
        c
    }

    fn send_line(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "main", "-l", text])
            .status()
            .unwrap();
        self.keys(&["Enter"]);
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend(keys);
        self.tmux(&args).status().unwrap();
    }

    fn screen(&self) -> String {
        let out = self
            .tmux(&["capture-pane", "-p", "-t", "main"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `text`; returns the screen.
    #[track_caller]
    fn wait_for(&self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Tmux {
    /// Waits until the host shell's prompt is the last line again (as a person would before
    /// typing the next command).
    #[track_caller]
    fn wait_prompt(&self, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.screen();
            if s.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.trim_end().ends_with("host$"))
            {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for the prompt; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]).status();
        let uid = rustix::process::getuid().as_raw();
        let _ = std::fs::remove_file(format!("/tmp/tmux-{uid}/{}", self.socket));
    }
}

#[test]
fn interactive_shell_detaches_reattaches_and_exits() {
    let Some(e) = Engine::get() else { return };
    let n = e.name("tty");
    let Some(t) = Tmux::start(&e.host, &format!("{WHARF} run -it --name {n} busybox sh")) else {
        return;
    };
    t.wait_for("/ #", Duration::from_secs(15));
    t.send_line("echo pid=$$ size=$(stty size)");
    t.wait_for("pid=1 size=30 100", Duration::from_secs(5));

    // ctrl-p ctrl-q: back at the host shell, the container still running.
    t.keys(&["C-p", "C-q"]);
    t.wait_prompt(Duration::from_secs(5));
    t.send_line("echo detached=$?");
    t.wait_for("detached=0", Duration::from_secs(5));
    assert_eq!(
        ok(&e.wharf(&["inspect", "-f", "{{.State.Running}}", &n])),
        "true\n"
    );

    // attach follows a window resize, detaches with docker's message, then exits.
    t.send_line(&format!("{WHARF} attach {n}"));
    std::thread::sleep(Duration::from_millis(500));
    t.tmux(&["resize-window", "-t", "main", "-x", "80", "-y", "20"])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    t.send_line("stty size");
    t.wait_for("20 80", Duration::from_secs(5));
    t.keys(&["C-p", "C-q"]);
    t.wait_for("read escape sequence", Duration::from_secs(5));
    t.wait_prompt(Duration::from_secs(5));
    t.send_line(&format!("{WHARF} attach {n}"));
    std::thread::sleep(Duration::from_millis(500));
    t.send_line("exit 9");
    t.wait_prompt(Duration::from_secs(10));
    t.send_line("echo status=$?");
    t.wait_for("status=9", Duration::from_secs(10));
    assert_eq!(
        ok(&e.wharf(&["inspect", "-f", "{{.State.ExitCode}}", &n])),
        "9\n"
    );
}

#[test]
fn exec_it_and_ctrl_c_through_the_signal_proxy() {
    let Some(e) = Engine::get() else { return };
    let n = e.name("execit");
    ok(&e.wharf(&["run", "-d", "--name", &n, "busybox", "sleep", "600"]));
    let Some(t) = Tmux::start(&e.host, &format!("{WHARF} exec -it {n} sh")) else {
        return;
    };
    t.wait_for("/ #", Duration::from_secs(15));
    t.send_line("tty; exit 7");
    t.wait_prompt(Duration::from_secs(10));
    t.send_line("echo status=$?");
    let s = t.wait_for("status=7", Duration::from_secs(10));
    assert!(s.contains("/dev/pts/"), "{s}");

    // Without a tty, ctrl-c goes to the container as SIGINT. (The markers are split with
    // quotes so the typed command line itself does not match them.)
    t.send_line(&format!(
        "{WHARF} run --rm busybox sh -c 'trap \"echo got-\\\"\\\"int; exit 4\" INT; echo rea\"\"dy; while true; do sleep 0.1; done'"
    ));
    t.wait_for("ready", Duration::from_secs(15));
    t.keys(&["C-c"]);
    t.wait_for("got-int", Duration::from_secs(5));
    t.wait_prompt(Duration::from_secs(10));
    t.send_line("echo status=$?");
    t.wait_for("status=4", Duration::from_secs(10));
}
