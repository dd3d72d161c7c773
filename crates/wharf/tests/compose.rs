//! docker-compose (Debian's 1.29, on docker-py) driving wharf: build, up with a published
//! port, a named volume seeded from the image, service-name DNS and aliases, health checks,
//! exec, run --rm, logs, scale, stop/start, and `down -v` leaving nothing.

mod common;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;

const COMPOSE_FILE: &str = r#"
version: "3.8"
services:
  web:
    build: ./app
    image: composeweb:1
    ports:
      - "127.0.0.1::80"
    volumes:
      - site:/www
    depends_on:
      - db
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1/"]
      interval: 1s
      retries: 3
  db:
    image: busybox:latest
    command: ["sh", "-c", "echo db up; exec sleep 600"]
    networks:
      default:
        aliases: [database]
volumes:
  site:
"#;

const DOCKERFILE: &str = "FROM busybox:latest
RUN mkdir -p /www && echo 'hello from compose' > /www/index.html
VOLUME /www
CMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]
";

struct Project<'a> {
    d: &'a TestDaemon,
    dir: tempfile::TempDir,
}

impl Project<'_> {
    fn compose(&self, args: &[&str]) -> Output {
        Command::new("docker-compose")
            .args(["-p", "wcomp"])
            .args(args)
            .current_dir(self.dir.path())
            .env("DOCKER_HOST", self.d.host())
            .env("COMPOSE_INTERACTIVE_NO_CLI", "1")
            .output()
            .unwrap()
    }
}

#[test]
fn compose_up_exec_scale_and_down() {
    if skip_unless_root() || !docker_available() {
        return;
    }
    if Command::new("docker-compose")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("skipped: docker-compose is not installed (apt-get install docker-compose)");
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox:latest");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("app")).unwrap();
    std::fs::write(dir.path().join("docker-compose.yml"), COMPOSE_FILE).unwrap();
    std::fs::write(dir.path().join("app/Dockerfile"), DOCKERFILE).unwrap();
    let p = Project { d: &d, dir };

    ok(&p.compose(&["up", "-d", "--build"]));
    // Service names and aliases resolve on the project network; the volume was seeded.
    let page = ok(&p.compose(&["exec", "-T", "db", "wget", "-q", "-O-", "http://web/"]));
    assert_eq!(page.trim(), "hello from compose");
    ok(&p.compose(&["exec", "-T", "web", "ping", "-c1", "database"]));
    // The published port answers from the host.
    let port = ok(&p.compose(&["port", "web", "80"]));
    let addr: std::net::SocketAddr = port.trim().parse().unwrap();
    let out = Command::new("curl")
        .args(["-s", &format!("http://{addr}/")])
        .output()
        .unwrap();
    assert_eq!(stdout(&out).trim(), "hello from compose");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let h = ok(&d.docker(&["inspect", "-f", "{{.State.Health.Status}}", "wcomp_web_1"]));
        if h.trim() == "healthy" {
            break;
        }
        assert!(Instant::now() < deadline, "web never became healthy: {h}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(ok(&p.compose(&["logs", "db"])).contains("db up"));
    assert_eq!(
        ok(&p.compose(&["run", "--rm", "db", "echo", "ran"])).trim(),
        "ran"
    );
    ok(&p.compose(&["stop", "web"]));
    ok(&p.compose(&["start", "web"]));
    ok(&p.compose(&["up", "-d", "--scale", "db=2"]));
    assert_eq!(ok(&p.compose(&["ps", "-q"])).lines().count(), 3);

    ok(&p.compose(&["down", "-v"]));
    let left = ok(&d.docker(&[
        "ps",
        "-aq",
        "--filter",
        "label=com.docker.compose.project=wcomp",
    ]));
    assert_eq!(left.trim(), "", "containers left");
    assert!(!ok(&d.docker(&["volume", "ls", "-q"])).contains("wcomp"));
    assert!(!ok(&d.docker(&["network", "ls"])).contains("wcomp"));
}
