//! Where COPY and ADD take files from, and where they put them: URLs (with `--checksum`),
//! compressed archives, wildcards, `--from` images, `--parents`, `--exclude`, owners by name,
//! and build contexts given as a URL.

mod build_common;
mod common;

use std::io::{Read, Write};
use std::net::TcpListener;

use build_common::*;
use common::*;

/// Serves `body` for every request on 127.0.0.1 until the test ends; returns the base URL.
fn serve(body: Vec<u8>, content_type: &'static str) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            // Read the whole request head before answering.
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    url
}

fn tar_of(dir: &std::path::Path, gzip: bool) -> Vec<u8> {
    let mut c = std::process::Command::new("tar");
    c.args(["--numeric-owner", "--owner=1000", "--group=1000", "-C"])
        .arg(dir);
    c.args(if gzip { ["-czf", "-"] } else { ["-cf", "-"] })
        .arg(".");
    let out = c.output().unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn add_downloads_urls_and_unpacks_archives() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let url = serve(b"downloaded\n".to_vec(), "application/octet-stream");
    let sum = wharf_sum(b"downloaded\n");
    let arch = context(&[("pkg/bin/tool", "tool\n"), ("pkg/share/doc", "doc\n")]);
    let ctx = context(&[
        (
            "Dockerfile",
            &format!(
                "FROM busybox\n\
                 ADD {url}/files/remote.txt /dl/\n\
                 ADD --checksum={sum} {url}/x /dl/renamed.txt\n\
                 ADD pkg.tar.gz /opt/\n\
                 ADD --chown=7:8 pkg.tar.gz /chowned/\n\
                 COPY pkg.tar.gz /copied/\n\
                 RUN stat -c '%a %n' /dl/remote.txt && cat /dl/remote.txt /dl/renamed.txt /opt/pkg/bin/tool && stat -c '%u:%g' /opt/pkg/bin/tool /chowned/pkg/share/doc && ls /copied\n"
            ),
        ),
        ("README", "x\n"),
    ]);
    std::fs::write(ctx.path().join("pkg.tar.gz"), tar_of(arch.path(), true)).unwrap();
    for cli in clis() {
        let out = build_ok(&d, cli, ctx.path(), &["--no-cache"]);
        assert!(
            out.contains(
                "600 /dl/remote.txt\ndownloaded\ndownloaded\ntool\n1000:1000\n7:8\npkg.tar.gz\n"
            ),
            "{out}"
        );
    }
    let bad = context(&[(
        "Dockerfile",
        &format!(
            "FROM busybox\nADD --checksum=sha256:{} {url}/x /x\n",
            "0".repeat(64)
        ),
    )]);
    let out = build(&d, Cli::Wharf, bad.path(), &[]);
    let err = fails(&out, 1);
    assert!(
        err.contains("Dockerfile:2: ADD failed: digest mismatch"),
        "{err}"
    );
}

fn wharf_sum(data: &[u8]) -> String {
    let out = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(data)?;
            c.wait_with_output()
        })
        .unwrap();
    format!(
        "sha256:{}",
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap()
    )
}

#[test]
fn copy_wildcards_from_images_parents_excludes_and_owners() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let base = context(&[(
        "Dockerfile",
        "FROM busybox\nRUN echo 'www:x:33:44::/var/www:/bin/false' >> /etc/passwd && echo 'web:x:44:' >> /etc/group && mkdir -p /srv/data && echo from-image > /srv/data/f && chown 33:44 /srv/data/f\n",
    )]);
    build_ok(&d, Cli::Wharf, base.path(), &["-t", "withusers"]);
    let ctx = context(&[
        (
            "Dockerfile",
            "FROM withusers\n\
             COPY *.txt /wild/\n\
             COPY --from=withusers /srv/data /fromimage\n\
             COPY --parents a/b/deep.conf c/other.conf /parents/\n\
             COPY --exclude=*.log --exclude=tmp logs/ /kept/\n\
             COPY --chown=www:web owned.txt /owned/\n\
             COPY link.txt /link-target/\n\
             WORKDIR /relative\n\
             COPY one.txt dest-name\n\
             RUN ls /wild && cat /fromimage/f && stat -c '%u:%g' /fromimage/f /owned/owned.txt && find /parents -type f | sort && ls /kept && cat /link-target/link.txt /relative/dest-name\n",
        ),
        ("one.txt", "1\n"),
        ("two.txt", "2\n"),
        ("owned.txt", "o\n"),
        ("a/b/deep.conf", "deep\n"),
        ("c/other.conf", "other\n"),
        ("logs/app.log", "l\n"),
        ("logs/keep.me", "k\n"),
        ("logs/tmp/x", "x\n"),
    ]);
    std::os::unix::fs::symlink("one.txt", ctx.path().join("link.txt")).unwrap();
    for cli in clis() {
        let out = build_ok(&d, cli, ctx.path(), &["--no-cache"]);
        assert!(
            out.contains("one.txt\nowned.txt\ntwo.txt\nfrom-image\n33:44\n33:44\n/parents/a/b/deep.conf\n/parents/c/other.conf\nkeep.me\n1\n1\n"),
            "{out}"
        );
    }
}

#[test]
fn a_context_from_a_url() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let ctx = context(&[
        (
            "Dockerfile",
            "FROM busybox\nCOPY hello /hello\nRUN cat /hello\n",
        ),
        ("hello", "from a tarball\n"),
    ]);
    let url = serve(tar_of(ctx.path(), true), "application/x-tar");
    let df = serve(b"FROM busybox\nLABEL from=url\n".to_vec(), "text/plain");
    for cli in clis() {
        let out = match cli {
            Cli::Wharf => d.wharf(&[
                "build",
                "--progress=plain",
                "--no-cache",
                "-t",
                "fromurl",
                &format!("{url}/ctx.tar.gz"),
            ]),
            // docker's CLI downloads the URL itself and sends the tar.
            Cli::Docker => d.docker(&[
                "build",
                "--no-cache",
                "-t",
                "fromurl",
                &format!("{url}/ctx.tar.gz"),
            ]),
        };
        let text = ok(&out);
        assert!(text.contains("from a tarball\n"), "{text}");
        let out = match cli {
            Cli::Wharf => d.wharf(&["build", "-q", "-t", "dfurl", &format!("{df}/Dockerfile")]),
            Cli::Docker => d.docker(&["build", "-q", "-t", "dfurl", &format!("{df}/Dockerfile")]),
        };
        ok(&out);
        assert_eq!(inspect(&d, "dfurl", "{{.Config.Labels.from}}"), "url");
    }
}
