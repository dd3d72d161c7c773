//! Registry workflow end to end against Debian's `docker-registry`: login, push, pull (tag,
//! digest, all tags), layer reuse, logout, search, the bearer-token flow, faults, and interop
//! with skopeo. Each test starts its own registry and daemon and removes them.

mod common;
mod registry_support;

use common::*;
use registry_support::proxy::Proxy;
use registry_support::token::TokenServer;
use registry_support::*;

/// Runs a command with `input` on its stdin, capturing its output.
trait WithStdin {
    fn with_stdin(&mut self, input: &[u8]) -> std::process::Output;
}

impl WithStdin for std::process::Command {
    fn with_stdin(&mut self, input: &[u8]) -> std::process::Output {
        use std::io::Write;
        let mut c = self
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(input).unwrap();
        c.wait_with_output().unwrap()
    }
}

fn load(d: &TestDaemon, archive: &[u8]) {
    let p = d.dir.path().join(format!("load-{}.tar", archive.len()));
    std::fs::write(&p, archive).unwrap();
    ok(&d.wharf(&["load", "-i", p.to_str().unwrap()]));
}

/// wharf's CLI with the daemon and a client config inside the test dir.
fn wharf(d: &TestDaemon, args: &[&str]) -> std::process::Output {
    d.wharf_cmd(args)
        .env("DOCKER_CONFIG", d.dir.path().join("wharf-config"))
        .output()
        .unwrap()
}

fn digest_line(out: &str) -> String {
    out.lines()
        .find_map(|l| {
            l.split_once(": digest: ")
                .map(|(_, r)| r.split_whitespace().next().unwrap().to_string())
        })
        .unwrap_or_else(|| panic!("no digest line in push output:\n{out}"))
}

#[test]
fn login_push_pull_by_tag_digest_and_all_tags_then_logout() {
    if skip_without_registry() {
        return;
    }
    let reg = Registry::start(true);
    let d = TestDaemon::start();
    let host = reg.host();
    let image = format!("{host}/team/bb");
    d.import_busybox(&format!("{image}:1"));

    // A wrong password is refused and nothing is stored.
    let bad = d
        .wharf_cmd(&["login", "-u", USER, "-p", "wrong", &host])
        .env("DOCKER_CONFIG", d.dir.path().join("wharf-config"))
        .output()
        .unwrap();
    let err = fails(&bad, 1);
    assert!(
        err.contains(&format!(
            "login attempt to http://{host}/v2/ failed with status: 401 Unauthorized"
        )),
        "{err}"
    );
    assert!(!d.dir.path().join("wharf-config/config.json").exists());

    // Without credentials the registry refuses the push.
    let err = fails(&wharf(&d, &["push", &format!("{image}:1")]), 1);
    assert!(
        err.contains("unauthorized: authentication required"),
        "{err}"
    );

    let out = d
        .wharf_cmd(&["login", "-u", USER, "--password-stdin", &host])
        .env("DOCKER_CONFIG", d.dir.path().join("wharf-config"))
        .with_stdin(format!("{PASS}\n").as_bytes());
    assert_eq!(ok(&out), "Login Succeeded\n");
    let cfg: serde_json::Value = serde_json::from_slice(
        &std::fs::read(d.dir.path().join("wharf-config/config.json")).unwrap(),
    )
    .unwrap();
    let want = std::process::Command::new("base64")
        .arg("-w0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .unwrap()
                .write_all(format!("{USER}:{PASS}").as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(
        cfg["auths"][&host]["auth"],
        String::from_utf8_lossy(&want.stdout).trim()
    );

    let pushed = ok(&wharf(&d, &["push", &format!("{image}:1")]));
    assert!(
        pushed.starts_with(&format!("The push refers to repository [{image}]\n")),
        "{pushed}"
    );
    assert!(pushed.contains(": Pushed\n"), "{pushed}");
    let digest = digest_line(&pushed);
    let again = ok(&wharf(&d, &["push", &format!("{image}:1")]));
    assert!(again.contains(": Layer already exists\n"), "{again}");
    assert_eq!(
        digest_line(&again),
        digest,
        "pushing again gives the same manifest"
    );
    ok(&wharf(
        &d,
        &["tag", &format!("{image}:1"), &format!("{image}:2")],
    ));
    ok(&wharf(&d, &["push", &format!("{image}:2")]));

    // Pull into an empty engine.
    ok(&wharf(
        &d,
        &["rmi", "-f", &format!("{image}:1"), &format!("{image}:2")],
    ));
    assert_eq!(ok(&wharf(&d, &["images", "-q"])), "");
    let pulled = ok(&wharf(&d, &["pull", &format!("{image}:1")]));
    assert!(pulled.starts_with("1: Pulling from team/bb\n"), "{pulled}");
    assert!(pulled.contains(": Pull complete\n"), "{pulled}");
    assert!(pulled.contains(&format!("Digest: {digest}\n")), "{pulled}");
    assert!(
        pulled.ends_with(&format!(
            "Status: Downloaded newer image for {image}:1\n{image}:1\n"
        )),
        "{pulled}"
    );
    let up_to_date = ok(&wharf(&d, &["pull", &format!("{image}:1")]));
    assert!(
        up_to_date.contains(&format!("Status: Image is up to date for {image}:1")),
        "{up_to_date}"
    );
    let listed = ok(&wharf(
        &d,
        &[
            "images",
            "--digests",
            "--format",
            "{{.Repository}} {{.Tag}} {{.Digest}}",
        ],
    ));
    assert!(listed.contains(&format!("{image} 1 {digest}")), "{listed}");

    // By digest.
    ok(&wharf(&d, &["rmi", &format!("{image}:1")]));
    let by_digest = format!("{image}@{digest}");
    let pulled = ok(&wharf(&d, &["pull", &by_digest]));
    assert!(
        pulled.contains(&format!("Status: Downloaded newer image for {by_digest}")),
        "{pulled}"
    );
    let rd = ok(&wharf(
        &d,
        &[
            "image",
            "inspect",
            "--format",
            "{{json .RepoDigests}} {{json .RepoTags}}",
            &by_digest,
        ],
    ));
    assert_eq!(rd.trim(), format!("[\"{by_digest}\"] []"));

    // Every tag.
    let all = ok(&wharf(&d, &["pull", "-a", &image]));
    assert!(
        all.contains(&format!("Status: Downloaded newer image for {image}\n")),
        "{all}"
    );
    let tags = ok(&wharf(&d, &["images", "--format", "{{.Tag}}", &image]));
    let mut tags: Vec<&str> = tags.lines().collect();
    tags.sort();
    assert_eq!(tags, ["1", "2"]);
    let q = ok(&wharf(&d, &["pull", "-q", &format!("{image}:2")]));
    assert_eq!(q, format!("{image}:2\n"));

    // Logout forgets the credentials; the registry then refuses.
    assert_eq!(
        ok(&wharf(&d, &["logout", &host])),
        format!("Removing login credentials for {host}\n")
    );
    assert_eq!(
        ok(&wharf(&d, &["logout", &host])),
        format!("Not logged in to {host}\n")
    );
    let err = fails(&wharf(&d, &["pull", &format!("{image}:3")]), 1);
    assert!(err.contains(&format!("pull access denied for {image}, repository does not exist or may require 'docker login'")), "{err}");
}

#[test]
fn missing_tags_and_platforms_are_clear_errors() {
    if skip_without_registry() {
        return;
    }
    let reg = Registry::start(false);
    let d = TestDaemon::start();
    let image = format!("{}/bb", reg.host());
    d.import_busybox(&format!("{image}:1"));
    ok(&d.wharf(&["push", &format!("{image}:1")]));
    let err = fails(&d.wharf(&["pull", &format!("{image}:nope")]), 1);
    assert_eq!(
        err,
        format!(
            "Error response from daemon: manifest for {image}:nope not found: manifest unknown: manifest unknown\n"
        )
    );
    let err = fails(
        &d.wharf(&["pull", "--platform", "linux/s390x", &format!("{image}:1")]),
        1,
    );
    assert!(
        err.contains("does not match the specified platform: wanted linux/s390x, actual: linux/"),
        "{err}"
    );
    let err = fails(&d.wharf(&["push", &format!("{image}:9")]), 1);
    assert!(
        err.contains(&format!("tag does not exist: {image}:9")),
        "{err}"
    );
}

#[test]
fn a_second_image_on_the_same_base_moves_only_its_new_layer() {
    if skip_without_registry() {
        return;
    }
    let reg = Registry::start(false);
    let host = reg.host();
    let base_layer = std::fs::read(busybox_tar()).unwrap();
    let app_layer = layer_tar(&[("app/data.bin", &noise(3 << 20, 7))]);
    let pusher = TestDaemon::start();
    load(
        &pusher,
        &image_archive(
            &format!("{host}/base:1"),
            std::slice::from_ref(&base_layer),
            "base",
        ),
    );
    load(
        &pusher,
        &image_archive(
            &format!("{host}/app:1"),
            &[base_layer.clone(), app_layer.clone()],
            "app",
        ),
    );
    let out = ok(&pusher.wharf(&["push", &format!("{host}/base:1")]));
    assert_eq!(out.matches(": Pushed").count(), 1, "{out}");
    let out = ok(&pusher.wharf(&["push", &format!("{host}/app:1")]));
    assert_eq!(
        out.matches(": Pushed").count(),
        1,
        "only the app layer is sent:\n{out}"
    );
    assert!(
        out.contains(": Mounted from base\n"),
        "the base layer is mounted across repositories, not sent: {out}"
    );

    let puller = TestDaemon::start();
    let out = ok(&puller.wharf(&["pull", &format!("{host}/base:1")]));
    assert_eq!(out.matches(": Pull complete").count(), 1, "{out}");
    let out = ok(&puller.wharf(&["pull", &format!("{host}/app:1")]));
    assert_eq!(
        out.matches(": Already exists").count(),
        1,
        "the base layer is reused:\n{out}"
    );
    assert_eq!(out.matches(": Pull complete").count(), 1, "{out}");
    let layers = ok(&puller.wharf(&[
        "image",
        "inspect",
        "--format",
        "{{len .RootFS.Layers}}",
        &format!("{host}/app:1"),
    ]));
    assert_eq!(layers.trim(), "2");
}

#[test]
fn bearer_tokens_are_fetched_with_credentials_and_reused() {
    if skip_without_registry() {
        return;
    }
    let reg = Registry::start(false);
    let d = TestDaemon::start();
    d.import_busybox(&format!("{}/tok:1", reg.host()));
    ok(&d.wharf(&["push", &format!("{}/tok:1", reg.host())]));
    d.import_busybox(&format!("{}/public/open:1", reg.host()));
    ok(&d.wharf(&["push", &format!("{}/public/open:1", reg.host())]));
    let ts = TokenServer::start(reg.port);
    let image = format!("{}/tok:1", ts.host());

    // Anonymous: a public repository is pulled with an anonymous token.
    let open = format!("{}/public/open:1", ts.host());
    let out = ok(&wharf(&d, &["pull", &open]));
    assert!(
        out.contains(&format!("Status: Downloaded newer image for {open}")),
        "{out}"
    );
    assert_eq!(
        ts.requests(),
        ["anonymous repository:public/open:pull"],
        "one anonymous token for the whole pull"
    );

    // Anonymous: a token without access, so the pull is denied.
    let err = fails(&wharf(&d, &["pull", &image]), 1);
    assert!(err.contains("pull access denied"), "{err}");
    assert!(
        ts.requests()
            .iter()
            .any(|r| r == "anonymous repository:tok:pull"),
        "{:?}",
        ts.requests()
    );

    let bad = d
        .wharf_cmd(&["login", "-u", USER, "-p", "nope", &ts.host()])
        .env("DOCKER_CONFIG", d.dir.path().join("wharf-config"))
        .output()
        .unwrap();
    let err = fails(&bad, 1);
    assert!(
        err.contains("unauthorized: incorrect username or password"),
        "{err}"
    );

    let out = d
        .wharf_cmd(&["login", "-u", USER, "--password-stdin", &ts.host()])
        .env("DOCKER_CONFIG", d.dir.path().join("wharf-config"))
        .with_stdin(PASS.as_bytes());
    ok(&out);
    let before = ts.issued();
    let out = ok(&wharf(&d, &["pull", &image]));
    assert!(
        out.contains(&format!("Status: Downloaded newer image for {image}")),
        "{out}"
    );
    assert_eq!(
        ts.issued(),
        before + 1,
        "one token serves the whole pull: {:?}",
        ts.requests()
    );
    assert!(
        ts.requests()
            .iter()
            .any(|r| r == &format!("{USER} repository:tok:pull")),
        "{:?}",
        ts.requests()
    );
    ok(&wharf(&d, &["rmi", &image]));
    ok(&wharf(&d, &["pull", &image]));
    assert_eq!(
        ts.issued(),
        before + 1,
        "the token is reused until it expires"
    );
}

/// The blob digests of a manifest's layers, smallest first.
fn layer_digests_by_size(host: &str, repo: &str, reference: &str) -> Vec<String> {
    let m: serde_json::Value = serde_json::from_str(&get_manifest(host, repo, reference)).unwrap();
    let mut layers: Vec<(u64, String)> = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["size"].as_u64().unwrap(),
                l["digest"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    layers.sort();
    layers.into_iter().map(|(_, d)| d).collect()
}

#[test]
fn registry_killed_mid_pull_leaves_no_image_and_the_next_pull_resumes() {
    if skip_without_registry() {
        return;
    }
    let mut reg = Registry::start(false);
    let host = reg.host();
    let small = layer_tar(&[("small", b"small layer")]);
    let big = layer_tar(&[("big.bin", &noise(24 << 20, 3))]);
    let pusher = TestDaemon::start();
    load(
        &pusher,
        &image_archive(&format!("{host}/big:1"), &[small, big], "big"),
    );
    ok(&pusher.wharf(&["push", &format!("{host}/big:1")]));
    drop(pusher);
    let layers = layer_digests_by_size(&host, "big", "1");
    let (small_blob, big_blob) = (&layers[0], &layers[1]);

    // The registry process is SIGKILLed once 10 MiB of responses went out, mid-blob.
    let port = free_port();
    let mut proxy = Proxy::killing(port, reg.port, 10 << 20, reg.pid().unwrap());
    let image = format!("127.0.0.1:{port}/big:1");
    let d = TestDaemon::start();
    let err = fails(&d.wharf(&["pull", &image]), 1);
    assert!(proxy.is_dead(), "the registry died mid-transfer");
    assert!(
        err.contains(&format!("127.0.0.1:{port}"))
            && (err.contains("refused") || err.contains("EOF") || err.contains("reset")),
        "a clear error naming the registry: {err}"
    );
    assert_eq!(ok(&d.wharf(&["images", "-aq"])), "", "no partial image");
    let first = proxy.served();
    proxy.kill();
    reg.kill();

    reg.spawn();
    let proxy = Proxy::start(port, reg.port, None);
    let out = ok(&d.wharf(&["pull", &image]));
    assert!(out.contains("Status: Downloaded newer image"), "{out}");
    let total = 24u64 << 20;
    assert!(
        proxy.served() < total,
        "the second pull resumed ({} bytes after {first})",
        proxy.served()
    );
    let log = proxy.log();
    assert!(
        log.iter()
            .any(|l| l.to_ascii_lowercase().starts_with("range: bytes=")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with(&format!("GET /v2/big/blobs/{big_blob}"))),
        "{log:?}"
    );
    assert!(
        !log.iter().any(|l| l.contains(small_blob.as_str())),
        "the blob verified by the first pull is not fetched again: {log:?}"
    );
    let size = ok(&d.wharf(&[
        "image",
        "inspect",
        "--format",
        "{{len .RootFS.Layers}}",
        &image,
    ]));
    assert_eq!(size.trim(), "2");
}

#[test]
fn a_blob_whose_digest_does_not_match_is_refused() {
    if skip_without_registry() {
        return;
    }
    let reg = Registry::start(false);
    let host = reg.host();
    let pusher = TestDaemon::start();
    let layer = layer_tar(&[("f.bin", &noise(1 << 20, 5))]);
    load(
        &pusher,
        &image_archive(&format!("{host}/bad:1"), &[layer], "bad"),
    );
    let out = ok(&pusher.wharf(&["push", &format!("{host}/bad:1")]));
    drop(pusher);
    let _ = out;
    // Corrupt the stored layer blob (same size, one byte flipped).
    let blobs = reg.dir.path().join("data/docker/registry/v2/blobs/sha256");
    let mut biggest = None;
    for a in std::fs::read_dir(&blobs).unwrap().flatten() {
        for b in std::fs::read_dir(a.path()).unwrap().flatten() {
            let f = b.path().join("data");
            let len = std::fs::metadata(&f).unwrap().len();
            if biggest.as_ref().is_none_or(|(l, _)| len > *l) {
                biggest = Some((len, f));
            }
        }
    }
    let (_, f) = biggest.unwrap();
    let mut data = std::fs::read(&f).unwrap();
    let mid = data.len() / 2;
    data[mid] ^= 0xff;
    std::fs::write(&f, data).unwrap();

    let d = TestDaemon::start();
    let err = fails(&d.wharf(&["pull", &format!("{host}/bad:1")]), 1);
    assert!(err.contains("digest mismatch"), "{err}");
    assert_eq!(ok(&d.wharf(&["images", "-aq"])), "");
}

#[test]
fn docker_cli_logs_in_pushes_and_pulls_through_wharf() {
    if skip_without_registry() || !docker_available() {
        return;
    }
    let reg = Registry::start(true);
    let d = TestDaemon::start();
    let host = reg.host();
    d.import_busybox(&format!("{host}/viadocker:1"));
    let out = d
        .docker_cmd(&["login", "-u", USER, "--password-stdin", &host])
        .with_stdin(PASS.as_bytes());
    assert!(ok(&out).contains("Login Succeeded"));
    let bad = fails(&d.docker(&["login", "-u", USER, "-p", "wrong", &host]), 1);
    assert!(bad.contains("401 Unauthorized"), "{bad}");
    let pushed = ok(&d.docker(&["push", &format!("{host}/viadocker:1")]));
    assert!(
        pushed.contains("Pushed") && pushed.contains("1: digest: sha256:"),
        "{pushed}"
    );
    ok(&d.docker(&["rmi", &format!("{host}/viadocker:1")]));
    let pulled = ok(&d.docker(&["pull", &format!("{host}/viadocker:1")]));
    assert!(
        pulled.contains("Pull complete") && pulled.contains("Status: Downloaded newer image"),
        "{pulled}"
    );
    let digest = pulled
        .lines()
        .find_map(|l| l.strip_prefix("Digest: "))
        .unwrap_or_else(|| panic!("{pulled}"))
        .to_string();
    assert!(
        pushed.contains(&format!("1: digest: {digest} ")),
        "{pushed}"
    );
    let digests = ok(&d.docker(&[
        "images",
        "--digests",
        "--format",
        "{{.Repository}} {{.Tag}} {{.Digest}}",
    ]));
    assert!(
        digests.contains(&format!("{host}/viadocker 1 {digest}")),
        "{digests}"
    );

    // By digest, then every tag.
    ok(&d.docker(&[
        "tag",
        &format!("{host}/viadocker:1"),
        &format!("{host}/viadocker:2"),
    ]));
    ok(&d.docker(&["push", &format!("{host}/viadocker:2")]));
    ok(&d.docker(&[
        "rmi",
        &format!("{host}/viadocker:1"),
        &format!("{host}/viadocker:2"),
    ]));
    let by_digest = format!("{host}/viadocker@{digest}");
    let pulled = ok(&d.docker(&["pull", &by_digest]));
    assert!(
        pulled.contains(&format!("Status: Downloaded newer image for {by_digest}")),
        "{pulled}"
    );
    let all = ok(&d.docker(&["pull", "--all-tags", &format!("{host}/viadocker")]));
    assert!(all.contains(&format!("{host}/viadocker")), "{all}");
    let tags = ok(&d.docker(&[
        "images",
        "--format",
        "{{.Tag}}",
        &format!("{host}/viadocker"),
    ]));
    let mut tags: Vec<&str> = tags.lines().collect();
    tags.sort();
    assert_eq!(tags, ["1", "2"]);

    let search = ok(&d.docker(&["search", &format!("{host}/viad")]));
    assert!(search.contains(&format!("{host}/viadocker")), "{search}");
    let insp = ok(&d.docker(&[
        "manifest",
        "inspect",
        "--insecure",
        &format!("{host}/viadocker:1"),
    ]));
    let m: serde_json::Value = serde_json::from_str(&insp).unwrap();
    assert_eq!(m["schemaVersion"], 2, "{insp}");

    // Logout: the credentials are gone and the registry refuses again.
    assert!(
        ok(&d.docker(&["logout", &host]))
            .contains(&format!("Removing login credentials for {host}"))
    );
    let err = fails(&d.docker(&["pull", &format!("{host}/viadocker:1")]), 1);
    assert!(
        err.contains(&format!("pull access denied for {host}/viadocker")),
        "{err}"
    );
}

#[test]
fn search_lists_matching_repositories_of_a_registry() {
    if skip_without_registry() {
        return;
    }
    let reg = Registry::start(false);
    let d = TestDaemon::start();
    let host = reg.host();
    for name in ["alpha/web", "beta/web", "gamma/db"] {
        d.import_busybox(&format!("{host}/{name}:1"));
        ok(&d.wharf(&["push", &format!("{host}/{name}:1")]));
    }
    let out = ok(&d.wharf(&["search", &format!("{host}/web")]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["NAME", "DESCRIPTION", "STARS", "OFFICIAL", "AUTOMATED"]
    );
    assert_eq!(lines.len(), 3, "{out}");
    let names = ok(&d.wharf(&[
        "search",
        "--limit",
        "1",
        "--format",
        "{{.Name}}",
        &format!("{host}/web"),
    ]));
    assert_eq!(names, format!("{host}/alpha/web\n"));
}

#[test]
fn skopeo_pulls_what_wharf_pushes_and_wharf_pulls_what_skopeo_pushes_with_the_same_digests() {
    if skip_without_registry() || !std::path::Path::new("/usr/bin/skopeo").exists() {
        return;
    }
    let reg = Registry::start(false);
    let d = TestDaemon::start();
    let host = reg.host();
    d.import_busybox(&format!("{host}/fromwharf:1"));
    let digest = digest_line(&ok(&d.wharf(&["push", &format!("{host}/fromwharf:1")])));
    let insp = std::process::Command::new("skopeo")
        .args([
            "inspect",
            "--tls-verify=false",
            "--format",
            "{{.Digest}}",
            &format!("docker://{host}/fromwharf:1"),
        ])
        .output()
        .unwrap();
    assert_eq!(ok(&insp).trim(), digest);
    let copy_dir = d.dir.path().join("oci");
    ok(&std::process::Command::new("skopeo")
        .args([
            "copy",
            "--src-tls-verify=false",
            &format!("docker://{host}/fromwharf:1"),
            &format!("oci:{}:x", copy_dir.display()),
        ])
        .output()
        .unwrap());

    // skopeo pushes an OCI image; wharf pulls it with the digest skopeo reports.
    let pushed = std::process::Command::new("skopeo")
        .args([
            "copy",
            "--dest-tls-verify=false",
            "--format",
            "oci",
            &format!("oci:{}:x", copy_dir.display()),
            &format!("docker://{host}/fromskopeo:1"),
        ])
        .output()
        .unwrap();
    ok(&pushed);
    let want = std::process::Command::new("skopeo")
        .args([
            "inspect",
            "--tls-verify=false",
            "--format",
            "{{.Digest}}",
            &format!("docker://{host}/fromskopeo:1"),
        ])
        .output()
        .unwrap();
    let want = ok(&want).trim().to_string();
    let out = ok(&d.wharf(&["pull", &format!("{host}/fromskopeo:1")]));
    assert!(out.contains(&format!("Digest: {want}")), "{out}");
    // And pushing it back keeps its (OCI) manifest digest.
    ok(&d.wharf(&[
        "tag",
        &format!("{host}/fromskopeo:1"),
        &format!("{host}/again:1"),
    ]));
    assert_eq!(
        digest_line(&ok(&d.wharf(&["push", &format!("{host}/again:1")]))),
        want
    );
}

#[test]
fn a_dropped_connection_mid_layer_is_resumed_within_the_same_pull() {
    if skip_without_registry() {
        return;
    }
    let reg = Registry::start(false);
    let host = reg.host();
    let pusher = TestDaemon::start();
    let layer = layer_tar(&[("big.bin", &noise(12 << 20, 11))]);
    load(
        &pusher,
        &image_archive(&format!("{host}/flaky:1"), &[layer], "flaky"),
    );
    ok(&pusher.wharf(&["push", &format!("{host}/flaky:1")]));
    drop(pusher);
    let proxy = Proxy::flaky(reg.port, 5 << 20);
    let d = TestDaemon::start();
    let image = format!("127.0.0.1:{}/flaky:1", proxy.port);
    let out = ok(&d.wharf(&["pull", &image]));
    assert!(out.contains("Status: Downloaded newer image"), "{out}");
    assert!(
        proxy
            .log()
            .iter()
            .any(|l| l.to_ascii_lowercase().starts_with("range: bytes=")),
        "resumed with a Range request: {:?}",
        proxy.log()
    );
}

#[test]
fn mirrors_serve_pulls_for_any_registry() {
    if skip_without_registry() {
        return;
    }
    let upstream = Registry::start(false);
    let mirror = Registry::start(false);
    // The image exists only on the mirror, under the upstream's name.
    let pusher = TestDaemon::start();
    pusher.import_busybox(&format!("{}/mirrored:1", mirror.host()));
    let digest = digest_line(&ok(
        &pusher.wharf(&["push", &format!("{}/mirrored:1", mirror.host())])
    ));
    drop(pusher);
    let m = format!("{}=http://{}", upstream.host(), mirror.host());
    let d = TestDaemon::start_with(&["--registry-mirror", &m]);
    let out = ok(&d.wharf(&["pull", &format!("{}/mirrored:1", upstream.host())]));
    assert!(out.contains(&format!("Digest: {digest}")), "{out}");
    // Not on the mirror: the upstream serves it.
    let pusher = TestDaemon::start();
    pusher.import_busybox(&format!("{}/upstream-only:1", upstream.host()));
    let digest = digest_line(&ok(
        &pusher.wharf(&["push", &format!("{}/upstream-only:1", upstream.host())])
    ));
    drop(pusher);
    let out = ok(&d.wharf(&["pull", &format!("{}/upstream-only:1", upstream.host())]));
    assert!(out.contains(&format!("Digest: {digest}")), "{out}");
    // On neither: the upstream's answer is the error.
    let err = fails(
        &d.wharf(&["pull", &format!("{}/elsewhere:1", upstream.host())]),
        1,
    );
    assert!(
        err.contains(&format!(
            "manifest for {}/elsewhere:1 not found: manifest unknown",
            upstream.host()
        )),
        "{err}"
    );
}

/// PUTs a manifest or index with curl.
fn put_manifest(host: &str, repo: &str, reference: &str, media_type: &str, body: &str) {
    let out = std::process::Command::new("curl")
        .args([
            "-sf",
            "-X",
            "PUT",
            "-H",
            &format!("Content-Type: {media_type}"),
            "--data-binary",
            body,
        ])
        .arg(format!("http://{host}/v2/{repo}/manifests/{reference}"))
        .output()
        .unwrap();
    ok(&out);
}

fn get_manifest(host: &str, repo: &str, reference: &str) -> String {
    let out = std::process::Command::new("curl")
        .args([
            "-sf",
            "-H",
            "Accept: application/vnd.docker.distribution.manifest.v2+json",
        ])
        .arg(format!("http://{host}/v2/{repo}/manifests/{reference}"))
        .output()
        .unwrap();
    ok(&out)
}

#[test]
fn an_index_resolves_to_the_host_platform_or_the_one_asked_for() {
    if skip_without_registry() {
        return;
    }
    let reg = Registry::start(false);
    let host = reg.host();
    let d = TestDaemon::start();
    let layer = layer_tar(&[("which", b"amd64")]);
    let arm_layer = layer_tar(&[("which", b"arm64")]);
    load(
        &d,
        &image_archive_for(&format!("{host}/multi:amd64"), &[layer], "amd64", "amd64"),
    );
    load(
        &d,
        &image_archive_for(
            &format!("{host}/multi:arm64"),
            &[arm_layer],
            "arm64",
            "arm64",
        ),
    );
    let a = digest_line(&ok(&d.wharf(&["push", &format!("{host}/multi:amd64")])));
    let b = digest_line(&ok(&d.wharf(&["push", &format!("{host}/multi:arm64")])));
    let size = |r: &str| get_manifest(&host, "multi", r).len();
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"{b}","size":{},"platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}},{{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"{a}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
        size(&b),
        size(&a)
    );
    put_manifest(
        &host,
        "multi",
        "1",
        "application/vnd.oci.image.index.v1+json",
        &index,
    );
    let amd_id = ok(&d.wharf(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}}",
        &format!("{host}/multi:amd64"),
    ]));
    let arm_id = ok(&d.wharf(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}}",
        &format!("{host}/multi:arm64"),
    ]));

    let out = ok(&d.wharf(&["pull", &format!("{host}/multi:1")]));
    let index_digest = out
        .lines()
        .find_map(|l| l.strip_prefix("Digest: "))
        .unwrap()
        .to_string();
    assert!(
        index_digest != a && index_digest != b,
        "the RepoDigest is the index's"
    );
    let id = ok(&d.wharf(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}}",
        &format!("{host}/multi:1"),
    ]));
    if std::env::consts::ARCH == "x86_64" {
        assert_eq!(id, amd_id);
    }
    ok(&d.wharf(&[
        "pull",
        "--platform",
        "linux/arm64",
        &format!("{host}/multi:1"),
    ]));
    let id = ok(&d.wharf(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}} {{.Architecture}}",
        &format!("{host}/multi:1"),
    ]));
    assert_eq!(id.split_whitespace().next().unwrap(), arm_id.trim());
    assert!(id.trim().ends_with("arm64"));
    let err = fails(
        &d.wharf(&[
            "pull",
            "--platform",
            "linux/s390x",
            &format!("{host}/multi:1"),
        ]),
        1,
    );
    assert!(
        err.contains("no matching manifest for linux/s390x in the manifest list entries"),
        "{err}"
    );

    // GET /distribution/{name}/json (docker-py's get_registry_data): the index and its platforms.
    let out = std::process::Command::new("curl")
        .args(["-sf", "--unix-socket"])
        .arg(&d.socket)
        .arg(format!(
            "http://wharf/v1.47/distribution/{host}/multi:1/json"
        ))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["Descriptor"]["digest"], index_digest);
    assert_eq!(
        v["Descriptor"]["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let archs: Vec<&str> = v["Platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["architecture"].as_str().unwrap())
        .collect();
    assert_eq!(archs, ["arm64", "amd64"]);
}

#[test]
fn dockerd_pulls_what_wharf_pushes_and_wharf_pulls_what_dockerd_pushes() {
    if skip_without_registry() || !registry_support::dockerd::Dockerd::available() {
        return;
    }
    let Some(dk) = registry_support::dockerd::Dockerd::start() else {
        return;
    };
    let reg = Registry::start(false);
    let host = reg.host();
    let d = TestDaemon::start();
    d.import_busybox(&format!("{host}/fromwharf:1"));
    let digest = digest_line(&ok(&d.wharf(&["push", &format!("{host}/fromwharf:1")])));
    let out = ok(&dk.docker(&["pull", &format!("{host}/fromwharf:1")]));
    assert!(out.contains(&format!("Digest: {digest}")), "{out}");
    let id = ok(&d.wharf(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}}",
        &format!("{host}/fromwharf:1"),
    ]));
    let dk_id = ok(&dk.docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}}",
        &format!("{host}/fromwharf:1"),
    ]));
    assert_eq!(id, dk_id, "the same image");

    // dockerd pushes (its own compression); wharf pulls the digest dockerd reports.
    let tar = busybox_tar().to_str().unwrap().to_string();
    ok(&dk.docker(&["import", &tar, &format!("{host}/fromdocker:1")]));
    let pushed = ok(&dk.docker(&["push", &format!("{host}/fromdocker:1")]));
    let want = digest_line(&pushed);
    let out = ok(&d.wharf(&["pull", &format!("{host}/fromdocker:1")]));
    assert!(out.contains(&format!("Digest: {want}")), "{out}");
    let rd = ok(&d.wharf(&[
        "image",
        "inspect",
        "--format",
        "{{index .RepoDigests 0}}",
        &format!("{host}/fromdocker:1"),
    ]));
    assert_eq!(rd.trim(), format!("{host}/fromdocker@{want}"));
}

#[test]
fn run_pulls_a_missing_image_with_the_stored_credentials() {
    if skip_without_registry() {
        return;
    }
    let reg = Registry::start(true);
    let d = TestDaemon::start();
    let host = reg.host();
    let image = format!("{host}/runme:1");
    d.import_busybox(&image);
    let login = d
        .wharf_cmd(&["login", "-u", USER, "--password-stdin", &host])
        .env("DOCKER_CONFIG", d.dir.path().join("wharf-config"))
        .with_stdin(PASS.as_bytes());
    ok(&login);
    ok(&wharf(&d, &["push", &image]));
    ok(&wharf(&d, &["rmi", &image]));
    let out = d
        .wharf_cmd(&["run", "--rm", &image, "echo", "pulled and ran"])
        .env("DOCKER_CONFIG", d.dir.path().join("wharf-config"))
        .output()
        .unwrap();
    assert_eq!(ok(&out), "pulled and ran\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("Unable to find image '{image}' locally")),
        "{err}"
    );
    assert!(err.contains("Pull complete"), "{err}");
}

static INDEX: &[registry_support::v1search::Entry] = &[
    (
        "webserver",
        "Official build of a small web server that serves static files fast",
        120,
        true,
        false,
    ),
    ("team/webapp", "An app", 7, false, true),
    ("other/db", "A database", 50, false, false),
];

#[test]
fn search_speaks_the_v1_api_with_limit_filters_truncation_and_format() {
    if skip_unless_root() {
        return;
    }
    let index = registry_support::v1search::V1Search::start(INDEX);
    let d = TestDaemon::start();
    let term = format!("{}/web", index.host());
    let out = ok(&d.wharf(&["search", &term]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["NAME", "DESCRIPTION", "STARS", "OFFICIAL", "AUTOMATED"],
        "{out}"
    );
    let rows: Vec<Vec<&str>> = lines[1..]
        .iter()
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(
        rows,
        [
            vec![
                "webserver",
                "Official build of a small web server that se…",
                "120",
                "[OK]"
            ],
            vec!["team/webapp", "An app", "7", "[OK]"],
        ],
        "{out}"
    );
    // OFFICIAL and AUTOMATED are told apart by column position.
    let automated_col = lines[0].find("AUTOMATED").unwrap();
    assert_eq!(lines[2].find("[OK]"), Some(automated_col), "{out}");
    assert_eq!(index.queries().last().unwrap(), "q=web&n=25");

    let full = ok(&d.wharf(&["search", "--no-trunc", &term]));
    assert!(
        full.contains("Official build of a small web server that serves static files fast"),
        "{full}"
    );
    let fmt = |args: &[&str]| {
        let mut a = vec!["search", "--format", "{{.Name}} {{.StarCount}}"];
        a.extend_from_slice(args);
        a.push(&term);
        ok(&d.wharf(&a))
    };
    assert_eq!(fmt(&["--limit", "1"]), "webserver 120\n");
    assert_eq!(index.queries().last().unwrap(), "q=web&n=1");
    assert_eq!(fmt(&["--filter", "is-official=true"]), "webserver 120\n");
    assert_eq!(fmt(&["--filter", "is-automated=true"]), "team/webapp 7\n");
    assert_eq!(fmt(&["--filter", "stars=10"]), "webserver 120\n");
    let err = fails(&d.wharf(&["search", "--filter", "color=red", &term]), 1);
    assert!(err.contains("invalid filter 'color'"), "{err}");
    let err = fails(&d.wharf(&["search", "--limit", "500", &term]), 1);
    assert!(
        err.contains("limit 500 is outside the range of [1, 100]"),
        "{err}"
    );

    if docker_available() {
        let out = ok(&d.docker(&[
            "search",
            "--filter",
            "is-official=true",
            "--format",
            "{{.Name}}|{{.Description}}|{{.StarCount}}|{{.IsOfficial}}",
            &term,
        ]));
        assert_eq!(
            out,
            "webserver|Official build of a small web server that se…|120|[OK]\n"
        );
        let out = ok(&d.docker(&["search", &term]));
        assert!(
            out.starts_with("NAME") && out.contains("webserver") && out.contains("team/webapp"),
            "{out}"
        );
    }
}

/// The JSON messages of a streamed Engine API call made with curl.
fn api_stream(d: &TestDaemon, method: &str, path: &str) -> Vec<serde_json::Value> {
    let out = std::process::Command::new("curl")
        .args([
            "-sfN",
            "-X",
            method,
            "-H",
            "X-Registry-Auth: e30=",
            "--unix-socket",
        ])
        .arg(&d.socket)
        .arg(format!("http://wharf/v1.47{path}"))
        .output()
        .unwrap();
    ok(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn statuses_of(msgs: &[serde_json::Value], id: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for m in msgs.iter().filter(|m| m["id"] == id) {
        let s = m["status"].as_str().unwrap().to_string();
        if seen.last() != Some(&s) {
            seen.push(s);
        }
    }
    seen
}

#[test]
fn pull_and_push_progress_is_dockers_json_stream_and_bars_in_a_terminal() {
    if skip_without_registry() {
        return;
    }
    let reg = Registry::start(false);
    let host = reg.host();
    let d = TestDaemon::start();
    let layer = layer_tar(&[("data.bin", &noise(4 << 20, 21))]);
    load(
        &d,
        &image_archive(&format!("{host}/prog:1"), &[layer], "progress"),
    );

    let msgs = api_stream(&d, "POST", &format!("/images/{host}/prog/push?tag=1"));
    assert_eq!(
        msgs[0]["status"],
        format!("The push refers to repository [{host}/prog]")
    );
    let bar = msgs
        .iter()
        .find(|m| m["status"] == "Pushing")
        .unwrap_or_else(|| panic!("{msgs:?}"));
    // As dockerd, a push names layers by their DiffID, a pull by their blob digest.
    let diff_id = ok(&d.wharf(&[
        "image",
        "inspect",
        "--format",
        "{{index .RootFS.Layers 0}}",
        &format!("{host}/prog:1"),
    ]));
    assert_eq!(bar["id"].as_str().unwrap(), &diff_id.trim()[7..19]);
    assert!(bar["progressDetail"]["total"].as_i64().unwrap() > 4 << 20);
    assert_eq!(
        statuses_of(&msgs, bar["id"].as_str().unwrap())
            .last()
            .unwrap(),
        "Pushed"
    );
    assert!(bar["progress"].as_str().unwrap().starts_with('['), "{bar}");
    let aux = msgs
        .iter()
        .find_map(|m| m.get("aux"))
        .unwrap_or_else(|| panic!("{msgs:?}"));
    assert_eq!(aux["Tag"], "1");
    let digest = aux["Digest"].as_str().unwrap().to_string();
    assert!(
        msgs.iter().any(|m| m["status"]
            == format!(
                "1: digest: {digest} size: {}",
                aux["Size"].as_i64().unwrap()
            )),
        "{msgs:?}"
    );

    ok(&d.wharf(&["rmi", &format!("{host}/prog:1")]));
    let msgs = api_stream(
        &d,
        "POST",
        &format!("/images/create?fromImage={host}/prog&tag=1"),
    );
    assert_eq!(msgs[0]["status"], "Pulling from prog");
    assert_eq!(msgs[0]["id"], "1");
    let blob = layer_digests_by_size(&host, "prog", "1").remove(0);
    let id = blob[7..19].to_string();
    assert_eq!(
        statuses_of(&msgs, &id),
        [
            "Pulling fs layer",
            "Downloading",
            "Verifying Checksum",
            "Download complete",
            "Pull complete"
        ],
        "{msgs:?}"
    );
    let last_bar = msgs
        .iter()
        .rfind(|m| m["id"] == id && m["status"] == "Downloading")
        .unwrap();
    assert_eq!(
        last_bar["progressDetail"]["current"],
        last_bar["progressDetail"]["total"]
    );
    let n = msgs.len();
    assert_eq!(msgs[n - 2]["status"], format!("Digest: {digest}"));
    assert_eq!(
        msgs[n - 1]["status"],
        format!("Status: Downloaded newer image for {host}/prog:1")
    );

    // In a terminal, the CLI redraws each layer's line with its bar.
    ok(&d.wharf(&["rmi", &format!("{host}/prog:1")]));
    let out = std::process::Command::new("script")
        .args(["-qefc", &format!("{WHARF} pull {host}/prog:1"), "/dev/null"])
        .env("WHARF_HOST", d.host())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let shown = ok(&out);
    assert!(
        shown.contains(&format!("{id}: Downloading [")) && shown.contains("=>"),
        "{shown:?}"
    );
    assert!(shown.contains("\x1b[2K"), "lines are redrawn: {shown:?}");
    assert!(shown.contains(&format!("{id}: Pull complete")), "{shown:?}");

    // docker's CLI draws its progress from the same stream (from progressDetail).
    if docker_available() {
        ok(&d.wharf(&["rmi", &format!("{host}/prog:1")]));
        let out = std::process::Command::new("script")
            .args([
                "-qefc",
                &format!("{DOCKER} pull {host}/prog:1"),
                "/dev/null",
            ])
            .env("DOCKER_HOST", d.host())
            .env("DOCKER_CONFIG", d.dir.path().join("docker-config"))
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let shown = ok(&out);
        assert!(
            shown.contains(&format!("{id}: Downloading"))
                && shown.contains("MB/4.")
                && shown.contains("\x1b[2K"),
            "{shown:?}"
        );
        assert!(shown.contains(&format!("{id}: Pull complete")), "{shown:?}");
    }
}

#[test]
fn whiteouts_and_opaque_dirs_hold_when_the_top_layer_lands_first() {
    if skip_without_registry() {
        return;
    }
    let reg = Registry::start(false);
    let host = reg.host();
    let busybox = std::fs::read(busybox_tar()).unwrap();
    // A slow (big) middle layer, and a tiny top one that deletes from it.
    let base = layer_tar(&[
        ("filler.bin", &noise(16 << 20, 9)),
        ("etc/gone", b"x"),
        ("etc/conf.d/old", b"x"),
        ("etc/kept", b"x"),
    ]);
    let top = layer_tar(&[
        ("etc/.wh.gone", b""),
        ("etc/conf.d/.wh..wh..opq", b""),
        ("etc/conf.d/new", b"y"),
    ]);
    let image = format!("{host}/wh:1");
    let pusher = TestDaemon::start();
    load(&pusher, &image_archive(&image, &[busybox, base, top], "wh"));
    ok(&pusher.wharf(&["push", &image]));
    drop(pusher);

    let d = TestDaemon::start();
    ok(&d.wharf(&["pull", &image]));
    let out = ok(&d.wharf(&[
        "run",
        "--rm",
        &image,
        "sh",
        "-c",
        "ls /etc/conf.d; ls /etc | grep -e gone -e kept",
    ]));
    assert_eq!(out, "new\nkept\n");
}

const HELPER: &str = r#"#!/bin/sh
d=$(dirname "$0")
case "$1" in
store) cat > "$d/stored.json" ;;
get)
    read -r key
    echo "$key" >> "$d/asked"
    if [ -f "$d/stored.json" ]; then cat "$d/stored.json"; else echo "credentials not found in native keychain"; exit 1; fi ;;
erase) read -r key; echo "$key" >> "$d/erased"; rm -f "$d/stored.json" ;;
esac
"#;

#[test]
fn login_keeps_credentials_in_the_configured_credential_helper() {
    if skip_without_registry() {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let reg = Registry::start(true);
    let d = TestDaemon::start();
    let host = reg.host();
    let image = format!("{host}/helped:1");
    d.import_busybox(&image);
    let bin = d.dir.path().join("helper-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-wharftest");
    std::fs::write(&helper, HELPER).unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cfg = d.dir.path().join("helper-config");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(cfg.join("config.json"), r#"{"credsStore": "wharftest"}"#).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |args: &[&str]| {
        d.wharf_cmd(args)
            .env("DOCKER_CONFIG", &cfg)
            .env("PATH", &path)
            .output()
            .unwrap()
    };

    let out = d
        .wharf_cmd(&["login", "-u", USER, "--password-stdin", &host])
        .env("DOCKER_CONFIG", &cfg)
        .env("PATH", &path)
        .with_stdin(PASS.as_bytes());
    assert_eq!(ok(&out), "Login Succeeded\n");
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bin.join("stored.json")).unwrap()).unwrap();
    assert_eq!(
        stored,
        serde_json::json!({"ServerURL": host, "Username": USER, "Secret": PASS})
    );
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cfg.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["auths"][&host], serde_json::json!({}), "{config}");
    assert_eq!(config["credsStore"], "wharftest");

    ok(&run(&["push", &image]));
    let asked = std::fs::read_to_string(bin.join("asked")).unwrap();
    assert!(asked.lines().any(|l| l == host), "{asked}");

    assert_eq!(
        ok(&run(&["logout", &host])),
        format!("Removing login credentials for {host}\n")
    );
    assert!(!bin.join("stored.json").exists());
    let err = fails(&run(&["push", &image]), 1);
    assert!(
        err.contains("unauthorized: authentication required"),
        "{err}"
    );
}
