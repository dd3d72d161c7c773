//! The rest of the Dockerfile reference and of `build`'s flags, end to end: ARG scoping, the
//! predefined platform and proxy args, `FROM --platform`, variable expansion forms, lowercase
//! keywords, the escape directive, `HEALTHCHECK NONE`, `COPY --link`, `ADD --chmod`, several
//! `-t`, `--network`, `--platform`, `NAME.dockerignore`, `--progress=tty`, and docker-py.

mod build_common;
mod common;

use build_common::*;
use common::*;

/// The host's architecture as Docker names it.
fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

const ARGS_DOCKERFILE: &str = r#"ARG GLOBAL=g1
ARG BASE=busybox
FROM --platform=$BUILDPLATFORM $BASE AS first
ARG GLOBAL
ARG TARGETARCH
ARG STAGE=s1
ENV E1=${UNSET:-dflt} E2=${STAGE:+alt} E3=\$literal E4=${GLOBAL} E5="${UNSET:+never}"
RUN echo "global=$GLOBAL stage=$STAGE arch=$TARGETARCH proxy=$HTTP_PROXY" > /args
from first
run echo "second: global=[$GLOBAL] stage=[$STAGE] arch=[$TARGETARCH]" > /second
"#;

#[test]
fn args_scope_per_stage_with_platform_and_proxy_args() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let ctx = context(&[("Dockerfile", ARGS_DOCKERFILE)]);
    for cli in clis() {
        let tag = format!("args-{cli:?}").to_lowercase();
        build_ok(
            &d,
            cli,
            ctx.path(),
            &[
                "--no-cache",
                "-t",
                &tag,
                "--build-arg",
                "HTTP_PROXY=http://proxy.example:3128",
            ],
        );
        assert_eq!(
            run_in(&d, &tag, "cat /args /second"),
            format!(
                "global=g1 stage=s1 arch={} proxy=http://proxy.example:3128\nsecond: global=[] stage=[] arch=[]",
                host_arch()
            )
        );
        let env = inspect(&d, &tag, "{{json .Config.Env}}");
        for want in ["E1=dflt", "E2=alt", "E3=$literal", "E4=g1", "\"E5=\""] {
            assert!(env.contains(want), "{want} in {env}");
        }
        // Proxy values are used but never recorded.
        let hist = ok(&d.wharf(&["history", "--no-trunc", "--format", "{{.CreatedBy}}", &tag]));
        assert!(hist.contains("|3 GLOBAL=g1 STAGE=s1 TARGETARCH="), "{hist}");
        assert!(!hist.contains("proxy.example"), "{hist}");
    }
}

#[test]
fn platform_flag_checks_the_base_images_platform() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let other = if host_arch() == "arm64" {
        "linux/amd64"
    } else {
        "linux/arm64"
    };
    let ctx = context(&[("Dockerfile", "FROM busybox\nRUN true\n")]);
    for cli in clis() {
        let out = build(&d, cli, ctx.path(), &["--platform", other, "-t", "plat"]);
        let err = fails(&out, 1);
        assert!(
            err.contains(&format!(
                "image with reference busybox was found but does not match the specified platform: wanted {other}, actual: linux/{}",
                host_arch()
            )),
            "{cli:?}: {err}"
        );
        assert_eq!(image_id(&d, "plat"), "");
        let here = format!("linux/{}", host_arch());
        build_ok(&d, cli, ctx.path(), &["--platform", &here, "-t", "plat"]);
        assert_eq!(inspect(&d, "plat", "{{.Architecture}}"), host_arch());
        ok(&d.wharf(&["rmi", "plat"]));
    }
    let bad = context(&[("Dockerfile", "FROM --platform=linux/arm64 busybox\n")]);
    let other_ctx = if host_arch() == "arm64" {
        context(&[("Dockerfile", "FROM --platform=linux/amd64 busybox\n")])
    } else {
        bad
    };
    let err = fails(&build(&d, Cli::Wharf, other_ctx.path(), &[]), 1);
    assert!(err.contains("Dockerfile:1: image with reference busybox was found but does not match the specified platform"), "{err}");
}

#[test]
fn escape_directive_healthcheck_none_link_chmod_and_several_tags() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let ctx = context(&[
        (
            "Dockerfile",
            "# escape=`\nFROM busybox\nHEALTHCHECK NONE\nCOPY --link a.txt /linked/\nADD --chmod=640 a.txt /added.txt\nRUN echo one `\n    two > /escaped\nCOPY [\"dir\\\\with\\\\backslashes.txt\", \"/bs.txt\"]\n",
        ),
        ("a.txt", "a\n"),
        ("dir\\with\\backslashes.txt", "bs\n"),
    ]);
    for cli in clis() {
        let (a, b) = (format!("misc-a-{cli:?}"), format!("misc-b-{cli:?}:v2"));
        let (a, b) = (a.to_lowercase(), b.to_lowercase());
        build_ok(&d, cli, ctx.path(), &["--no-cache", "-t", &a, "-t", &b]);
        let id = image_id(&d, &a);
        assert!(!id.is_empty());
        assert_eq!(image_id(&d, &b), id);
        assert_eq!(
            inspect(&d, &a, "{{json .Config.Healthcheck}}"),
            r#"{"Test":["NONE"]}"#
        );
        assert_eq!(
            run_in(
                &d,
                &a,
                "cat /linked/a.txt /escaped /bs.txt && stat -c %a /added.txt"
            ),
            "a\none two\nbs\n640"
        );
    }
}

#[test]
fn network_modes_for_the_build_and_for_one_run() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    // A link of the host's own network namespace that other tests do not come and go with
    // (their bridges and veths do): the default route's, else any physical-looking one.
    let route = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
    let host_link = route
        .lines()
        .skip(1)
        .find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(1) == Some(&"00000000")).then(|| f[0].to_string())
        })
        .or_else(|| {
            std::fs::read_dir("/sys/class/net").ok()?.find_map(|e| {
                let n = e.ok()?.file_name().to_string_lossy().into_owned();
                (n != "lo" && !n.starts_with("veth") && !n.starts_with("wharf")).then_some(n)
            })
        });
    let Some(host_link) = host_link else {
        eprintln!("skipped: the host has no network link but lo");
        return;
    };
    let links_of = |out: &str, prefix: &str| -> Vec<String> {
        let line = out
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} line in:\n{out}"));
        line.split_whitespace().map(str::to_string).collect()
    };
    let ctx = context(&[(
        "Dockerfile",
        "FROM busybox\nRUN echo build: $(ls /sys/class/net)\nRUN --network=host echo host: $(ls /sys/class/net)\nRUN --network=none echo none: $(ls /sys/class/net)\n",
    )]);
    for cli in clis() {
        let out = build_ok(&d, cli, ctx.path(), &["--no-cache", "--network", "none"]);
        assert_eq!(links_of(&out, "build: "), ["lo"], "{out}");
        assert!(links_of(&out, "host: ").contains(&host_link), "{out}");
        assert_eq!(links_of(&out, "none: "), ["lo"], "{out}");
        let out = build_ok(&d, cli, ctx.path(), &["--no-cache", "--network", "host"]);
        assert!(links_of(&out, "build: ").contains(&host_link), "{out}");
        assert_eq!(links_of(&out, "none: "), ["lo"], "{out}");
        let out = build(&d, cli, ctx.path(), &["--network", "nosuchnet"]);
        let err = fails(&out, 1);
        assert!(err.contains("network nosuchnet not found"), "{err}");
    }
}

#[test]
fn per_dockerfile_ignore_files_and_tty_progress() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let ctx = context(&[
        ("Dockerfile", "FROM busybox\nCOPY . /c/\nRUN ls -A /c\n"),
        (".dockerignore", "only-main-ignores\n"),
        (
            "sub/Dockerfile.dev",
            "FROM busybox\nCOPY . /c/\nRUN ls -A /c\n",
        ),
        ("sub/Dockerfile.dev.dockerignore", "dev-ignores\n"),
        ("only-main-ignores", "x\n"),
        ("dev-ignores", "y\n"),
    ]);
    let out = build_ok(&d, Cli::Wharf, ctx.path(), &["--no-cache"]);
    assert!(
        out.contains("\n.dockerignore\nDockerfile\ndev-ignores\nsub\n"),
        "{out}"
    );
    let f = ctx.path().join("sub/Dockerfile.dev");
    let out = build_ok(
        &d,
        Cli::Wharf,
        ctx.path(),
        &["--no-cache", "-f", f.to_str().unwrap()],
    );
    assert!(
        out.contains("\n.dockerignore\nDockerfile\nonly-main-ignores\nsub\n"),
        "{out}"
    );
    // The live view: steps rewritten in place, still ending with the tag.
    let out = d.wharf(&[
        "build",
        "--progress=tty",
        "-t",
        "tty",
        ctx.path().to_str().unwrap(),
    ]);
    let text = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(text.contains('\x1b'), "escape sequences: {text:?}");
    assert!(text.contains("Successfully tagged tty:latest"), "{text}");
    assert!(!image_id(&d, "tty").is_empty());
}

const DOCKER_PY: &str = r#"
import sys, docker
c = docker.DockerClient(base_url="unix://" + sys.argv[1], version="auto")
img, logs = c.images.build(path=sys.argv[2], tag="pybuilt:1", buildargs={"WHO": "py"},
                           labels={"via": "docker-py"}, rm=True)
text = "".join(l.get("stream", "") for l in logs)
assert "Step 2/4 : ARG WHO" in text, text
assert "Successfully tagged pybuilt:1" in text, text
print(img.id, img.labels["via"], img.labels["who"])
try:
    c.images.build(path=sys.argv[3], tag="pybad")
    print("no error")
except docker.errors.BuildError as e:
    print("BuildError:", e.msg)
"#;

/// docker-py (`images.build`) against the classic builder API, when it is installed.
#[test]
fn docker_py_builds() {
    if skip_unless_root() {
        return;
    }
    let has_py = std::process::Command::new("python3")
        .args(["-c", "import docker"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_py {
        eprintln!("skipped: docker-py is not installed (apt-get install python3-docker)");
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let ctx = context(&[("Dockerfile", "FROM busybox\nARG WHO\nLABEL who=$WHO\n")]);
    let bad = context(&[("Dockerfile", "FROM busybox\nRUN exit 7\n")]);
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(DOCKER_PY)
        .arg(&d.socket)
        .arg(ctx.path())
        .arg(bad.path())
        .output()
        .unwrap();
    let text = ok(&out);
    let id = image_id(&d, "pybuilt:1");
    assert_eq!(
        text,
        format!(
            "{id} docker-py py\nBuildError: Dockerfile:2: The command '/bin/sh -c exit 7' returned a non-zero code: 7\n"
        )
    );
    assert_eq!(image_id(&d, "pybad"), "");
}

#[test]
fn add_host_reaches_the_steps_hosts_file_through_both_clis() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let ctx = context(&[(
        "Dockerfile",
        "FROM busybox\nRUN ping -c1 -W1 extrahost.local.test && cp /etc/hosts /hosts-file\n",
    )]);
    for cli in [Cli::Wharf, Cli::Docker] {
        let tag = format!("addhost-{cli:?}").to_lowercase();
        build_ok(
            &d,
            cli,
            ctx.path(),
            &[
                "--no-cache",
                "-t",
                &tag,
                "--add-host",
                "extrahost.local.test:127.0.0.1",
                "--add-host",
                "v6.local.test=[::1]",
            ],
        );
        let hosts = ok(&d.wharf(&["run", "--rm", &tag, "cat", "/hosts-file"]));
        assert!(hosts.contains("127.0.0.1\textrahost.local.test"), "{hosts}");
        assert!(hosts.contains("::1\tv6.local.test"), "{hosts}");
    }
    // Refused by the engine with dockerd's words when a client does not check it first.
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "--unix-socket",
            d.socket.to_str().unwrap(),
            "-X",
            "POST",
            "http://d/build?extrahosts=bad:nope",
        ])
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains(r#"invalid IP address in add-host: \"nope\""#),
        "{}",
        stdout(&out)
    );
}

#[test]
fn cache_from_limits_the_cache_to_those_images_through_both_clis() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let ctx = context(&[(
        "Dockerfile",
        "FROM busybox\nENV FOO=bar\nRUN touch baz\nRUN touch bax\n",
    )]);
    build_ok(&d, Cli::Wharf, ctx.path(), &["-t", "build1"]);
    let hits = |out: &str| out.matches("Using cache").count();
    // The image and its ancestors are the cache: every step hits.
    for cli in [Cli::Wharf, Cli::Docker] {
        let out = build_ok(
            &d,
            cli,
            ctx.path(),
            &["-t", "build2", "--cache-from", "build1"],
        );
        assert_eq!(hits(&out), 3, "{out}");
    }
    // A source that names nothing leaves no cache at all.
    for cli in [Cli::Wharf, Cli::Docker] {
        let out = build_ok(
            &d,
            cli,
            ctx.path(),
            &["-t", "build3", "--cache-from", "nosuchtag"],
        );
        assert_eq!(hits(&out), 0, "{out}");
    }
    // Without --cache-from the local cache is used as always.
    let out = build_ok(&d, Cli::Wharf, ctx.path(), &["-t", "build4"]);
    assert_eq!(hits(&out), 3, "{out}");
}
