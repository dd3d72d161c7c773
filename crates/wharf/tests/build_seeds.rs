//! The seeds' Dockerfiles: ENTRYPOINT/CMD rules (seeds 000 and 001) and the nginx Dockerfile of
//! seed 002 on a Debian base made with mmdebstrap, through both CLIs.

mod build_common;
mod common;

use std::path::PathBuf;
use std::process::Command;

use build_common::*;
use common::*;

fn config_cmd(d: &TestDaemon, image: &str) -> String {
    inspect(d, image, "{{json .Config.Entrypoint}} {{json .Config.Cmd}}")
}

/// Seed 000: `ENTRYPOINT echo hi` always runs (shell form, arguments ignored); `CMD ["echo",
/// "hi"]` is replaced by `run` arguments. Seed 001: with both, CMD becomes ENTRYPOINT's
/// arguments (`ENTRYPOINT /bin/ping localhost` + `CMD -c 3`), and ENTRYPOINT resets an
/// inherited CMD.
#[test]
fn seeds_000_001_entrypoint_and_cmd() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("ubuntu");
    let cases = [
        (
            "FROM ubuntu\n\nENTRYPOINT echo hi\n",
            r#"["/bin/sh","-c","echo hi"] null"#,
        ),
        (
            "FROM ubuntu\n\nCMD [\"echo\", \"hi\"]\n#위의 명령어는 다른 명령어로 대체 가능하다\n",
            r#"null ["echo","hi"]"#,
        ),
        (
            "FROM ubuntu\nENTRYPOINT /bin/ping localhost\nCMD -c 3\n",
            r#"["/bin/sh","-c","/bin/ping localhost"] ["/bin/sh","-c","-c 3"]"#,
        ),
        (
            "FROM ubuntu\nCMD [\"-c\", \"3\"]\nENTRYPOINT [\"/bin/ping\", \"localhost\"]\n",
            r#"["/bin/ping","localhost"] ["-c","3"]"#,
        ),
    ];
    for cli in clis() {
        for (i, (df, want)) in cases.iter().enumerate() {
            let ctx = context(&[("Dockerfile", df)]);
            let tag = format!("seed-{i}");
            build_ok(&d, cli, ctx.path(), &["-t", &tag]);
            assert_eq!(config_cmd(&d, &tag), *want, "{df}");
        }
        // ENTRYPOINT in a child image drops the CMD it inherited ("sh" from the base).
        assert_eq!(config_cmd(&d, "ubuntu"), r#"null ["sh"]"#);
        assert_eq!(
            config_cmd(&d, "seed-0"),
            r#"["/bin/sh","-c","echo hi"] null"#
        );
    }
}

/// A Debian bookworm minbase made with mmdebstrap once per machine; `None` (with the reason
/// printed) when it cannot be made here.
fn debian_tarball() -> Option<PathBuf> {
    let tar = std::env::temp_dir().join("wharf-build-tests-bookworm-minbase.tar");
    if tar.exists() {
        return Some(tar);
    }
    if Command::new("mmdebstrap")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: mmdebstrap is not installed");
        return None;
    }
    let partial = tar.with_extension("partial.tar");
    let out = Command::new("mmdebstrap")
        .args(["--variant=minbase", "--quiet", "bookworm"])
        .arg(&partial)
        .output()
        .unwrap();
    if !out.status.success() {
        eprintln!(
            "skipped: mmdebstrap could not make a Debian base (is the Debian mirror reachable?): {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        let _ = std::fs::remove_file(&partial);
        return None;
    }
    std::fs::rename(&partial, &tar).unwrap();
    Some(tar)
}

fn host_resolves(name: &str) -> bool {
    use std::net::ToSocketAddrs;
    (name, 80)
        .to_socket_addrs()
        .is_ok_and(|mut a| a.next().is_some())
}

const NGINX_DOCKERFILE: &str = "FROM debian:bookworm\n\
MAINTAINER hbyyytest\n\
LABEL \"purpose\"=\"practice\"\n\
\n\
RUN apt -y update && apt -y dist-upgrade && apt -y autoremove\n\
RUN\tapt install -y nginx\n\
ADD my_nginx.conf /etc/nginx/\n\
WORKDIR /src/app\n\
EXPOSE 80\n\
CMD nginx -g \"daemon off;\"\n";

#[test]
fn seed_002_nginx_on_a_debian_base() {
    if skip_unless_root() {
        return;
    }
    let Some(tar) = debian_tarball() else { return };
    let d = TestDaemon::start();
    ok(&d.wharf(&["import", tar.to_str().unwrap(), "debian:bookworm"]));
    let ctx = context(&[
        ("Dockerfile", NGINX_DOCKERFILE),
        ("my_nginx.conf", "# seed 002\nserver { listen 80; }\n"),
    ]);
    let out = build(&d, Cli::Wharf, ctx.path(), &["-t", "my_test_docker_image"]);
    let text = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    // Only a host that cannot reach the mirror excuses a failed download: build steps must
    // reach whatever the host reaches.
    if !out.status.success()
        && text.contains("Temporary failure resolving")
        && !host_resolves("deb.debian.org")
    {
        eprintln!("skipped: the Debian mirror is not reachable from this machine:\n{text}");
        return;
    }
    ok(&out);
    for (i, step) in [
        "FROM debian:bookworm",
        "MAINTAINER hbyyytest",
        "LABEL \"purpose\"=\"practice\"",
        "RUN apt -y update && apt -y dist-upgrade && apt -y autoremove",
        "RUN\tapt install -y nginx",
        "ADD my_nginx.conf /etc/nginx/",
        "WORKDIR /src/app",
        "EXPOSE 80",
        "CMD nginx -g \"daemon off;\"",
    ]
    .iter()
    .enumerate()
    {
        assert!(
            text.contains(&format!("Step {}/9 : {step}\n", i + 1)),
            "{step}:\n{text}"
        );
    }
    assert!(
        text.contains("Successfully tagged my_test_docker_image:latest"),
        "{text}"
    );
    assert_eq!(
        inspect(
            &d,
            "my_test_docker_image",
            "{{json .Config.Cmd}} {{json .Config.ExposedPorts}} {{.Config.WorkingDir}} {{.Author}} {{.Config.Labels.purpose}}"
        ),
        r#"["/bin/sh","-c","nginx -g \"daemon off;\""] {"80/tcp":{}} /src/app hbyyytest practice"#
    );
    assert_eq!(
        run_in(
            &d,
            "my_test_docker_image",
            "nginx -v 2>&1 | cut -d/ -f1 && head -1 /etc/nginx/my_nginx.conf && pwd"
        ),
        "nginx version: nginx\n# seed 002\n/src/app"
    );
    // The docker CLI rebuilds it from the cache, step for step.
    if docker_available() {
        let again = build_ok(&d, Cli::Docker, ctx.path(), &["-t", "my_test_docker_image"]);
        assert_eq!(again.matches(" ---> Using cache").count(), 8, "{again}");
    }
    let hist = ok(&d.wharf(&[
        "history",
        "--format",
        "{{.CreatedBy}}",
        "--no-trunc",
        "my_test_docker_image",
    ]));
    assert!(
        hist.lines()
            .next()
            .unwrap()
            .ends_with(r#"#(nop)  CMD ["/bin/sh" "-c" "nginx -g \"daemon off;\""]"#),
        "{hist}"
    );
}
