//! Dockerfile builds end to end: every instruction, through wharf's CLI and the official docker
//! CLI (classic builder API), checked the way a user sees the result.

mod build_common;
mod common;

use build_common::*;
use common::*;

const EVERY_INSTRUCTION: &str = r#"# syntax=docker/dockerfile:1
ARG BASE=base
FROM $BASE AS start
MAINTAINER seeds <seeds@example.com>
LABEL "purpose"="practice" version=1.0
ENV myName="this is yuntreee" \
    myOrder=Pizza\ Pasta\ Salad
ENV LEGACY form value
ARG WHO=world
RUN echo "hello $WHO from $myName" > /greeting
WORKDIR /src/app
WORKDIR sub
ADD host.html /first_dir/
ADD webdata.tar /first_dir/
COPY --chown=65534:65534 --chmod=750 conf/ /etc/conf/
COPY ["spaced name.txt", "/spaced/"]
COPY <<EOF /heredoc.txt
made by $WHO
EOF
RUN <<SCRIPT
echo heredoc-run > /heredoc-run
SCRIPT
RUN ["/bin/sh", "-c", "echo exec-form > /exec-form"]
EXPOSE 80 443/tcp 53/udp
VOLUME ["/data", "/logs"]
USER nobody
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=30s --timeout=3s --retries=3 CMD wget -q -O- http://localhost/ || exit 1
ONBUILD RUN echo triggered
SHELL ["/bin/sh", "-ec"]
ENTRYPOINT ["/bin/echo"]
CMD ["hello"]
"#;

fn every_instruction_context() -> tempfile::TempDir {
    let ctx = context(&[
        ("Dockerfile", EVERY_INSTRUCTION),
        ("host.html", "<h1>host</h1>\n"),
        ("conf/app.conf", "key=value\n"),
        ("conf/nested/more.conf", "more\n"),
        ("spaced name.txt", "spaces\n"),
    ]);
    // A tar for ADD to unpack.
    let web = ctx.path().join("web");
    std::fs::create_dir_all(web.join("site")).unwrap();
    std::fs::write(web.join("site/index.html"), "index\n").unwrap();
    let st = std::process::Command::new("tar")
        .args(["--numeric-owner", "--owner=0", "--group=0", "-C"])
        .arg(&web)
        .arg("-cf")
        .arg(ctx.path().join("webdata.tar"))
        .arg("site")
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::remove_dir_all(web).unwrap();
    ctx
}

#[test]
fn every_instruction_through_both_clis() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("base");
    let ctx = every_instruction_context();
    for cli in clis() {
        let tag = format!("every-{cli:?}").to_lowercase();
        let out = build_ok(
            &d,
            cli,
            ctx.path(),
            &["-t", &tag, "--build-arg", "WHO=seeds"],
        );
        assert!(out.contains("Step 1/26 : ARG BASE=base"), "{out}");
        assert!(out.contains("Step 2/26 : FROM $BASE AS start"), "{out}");
        assert!(
            out.contains(&format!("Successfully tagged {tag}:latest")),
            "{out}"
        );

        let cfg = inspect(
            &d,
            &tag,
            "{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Config.User}} {{.Config.WorkingDir}} {{.Config.StopSignal}} {{json .Config.Shell}} {{json .Config.OnBuild}} {{.Author}}",
        );
        assert_eq!(
            cfg,
            r#"["/bin/echo"] ["hello"] nobody /src/app/sub SIGQUIT ["/bin/sh","-ec"] ["RUN echo triggered"] seeds <seeds@example.com>"#
        );
        let env = inspect(&d, &tag, "{{json .Config.Env}}");
        assert!(env.contains(r#""myName=this is yuntreee""#), "{env}");
        assert!(env.contains(r#""myOrder=Pizza Pasta Salad""#), "{env}");
        assert!(env.contains(r#""LEGACY=form value""#), "{env}");
        assert!(
            !env.contains("WHO="),
            "ARG values stay out of the config: {env}"
        );
        assert_eq!(
            inspect(&d, &tag, "{{json .Config.Labels}}"),
            r#"{"purpose":"practice","version":"1.0"}"#
        );
        assert_eq!(
            inspect(&d, &tag, "{{json .Config.ExposedPorts}}"),
            r#"{"443/tcp":{},"53/udp":{},"80/tcp":{}}"#
        );
        assert_eq!(
            inspect(&d, &tag, "{{json .Config.Volumes}}"),
            r#"{"/data":{},"/logs":{}}"#
        );
        assert_eq!(
            inspect(&d, &tag, "{{json .Config.Healthcheck}}"),
            r#"{"Test":["CMD-SHELL","wget -q -O- http://localhost/ || exit 1"],"Interval":30000000000,"Timeout":3000000000,"Retries":3}"#
        );

        let files = run_in(
            &d,
            &tag,
            "cat /greeting /first_dir/host.html /first_dir/site/index.html /etc/conf/app.conf /etc/conf/nested/more.conf '/spaced/spaced name.txt' /heredoc.txt /heredoc-run /exec-form && stat -c '%u:%g %a' /etc/conf/app.conf && ls -d /src/app/sub",
        );
        assert_eq!(
            files,
            "hello seeds from this is yuntreee\n<h1>host</h1>\nindex\nkey=value\nmore\nspaces\nmade by seeds\nheredoc-run\nexec-form\n65534:65534 750\n/src/app/sub"
        );
    }
    // The history reads as the legacy builder writes it.
    let hist = ok(&d.wharf(&[
        "history",
        "--no-trunc",
        "--format",
        "{{.CreatedBy}}",
        "every-wharf",
    ]));
    let lines: Vec<&str> = hist.lines().collect();
    assert_eq!(lines[0], r#"/bin/sh -ec #(nop)  CMD ["hello"]"#);
    assert_eq!(lines[1], r#"/bin/sh -ec #(nop)  ENTRYPOINT ["/bin/echo"]"#);
    assert!(
        hist.contains("/bin/sh -ec #(nop)  SHELL [/bin/sh -ec]"),
        "{hist}"
    );
    assert!(
        hist.contains("/bin/sh -c #(nop) WORKDIR /src/app/sub"),
        "{hist}"
    );
    assert!(
        hist.contains("|1 WHO=seeds /bin/sh -c echo \"hello $WHO from $myName\" > /greeting"),
        "{hist}"
    );
    assert!(hist.contains("/bin/sh -c #(nop) ADD file:"), "{hist}");
    assert!(
        hist.contains("/bin/sh -c #(nop) COPY --chown=65534:65534 dir:"),
        "{hist}"
    );
    assert!(
        hist.contains("/bin/sh -c #(nop)  MAINTAINER seeds <seeds@example.com>"),
        "{hist}"
    );
    // Both CLIs drive the same cache: the second build reused every step.
    if docker_available() {
        assert_eq!(image_id(&d, "every-wharf"), image_id(&d, "every-docker"));
    }
}

#[test]
fn onbuild_triggers_run_in_the_child_build() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let base = context(&[(
        "Dockerfile",
        "FROM busybox\nONBUILD RUN echo triggered > /onbuild\nONBUILD COPY marker /marker\n",
    )]);
    build_ok(&d, Cli::Wharf, base.path(), &["-t", "onbase"]);
    let child = context(&[
        ("Dockerfile", "FROM onbase\nRUN cat /onbuild /marker\n"),
        ("marker", "copied\n"),
    ]);
    for cli in clis() {
        let out = build_ok(&d, cli, child.path(), &["-t", "onchild", "--no-cache"]);
        assert!(out.contains("# Executing 2 build triggers"), "{out}");
        assert!(out.contains("triggered\ncopied\n"), "{out}");
    }
    assert_eq!(inspect(&d, "onchild", "{{json .Config.OnBuild}}"), "null");
}

#[test]
fn multi_stage_builds_copy_from_stages_and_images_and_honour_target() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let df = "FROM busybox AS builder\nRUN mkdir /out && echo built > /out/artifact && sleep 2\n\
              FROM busybox AS other\nRUN echo other > /other && sleep 2\n\
              FROM builder AS derived\nRUN echo derived >> /out/artifact\n\
              FROM busybox\nCOPY --from=builder /out/artifact /artifact\nCOPY --from=1 /other /other\n\
              COPY --from=busybox /bin/busybox /copied-busybox\nCOPY --from=derived /out /derived\n";
    let ctx = context(&[("Dockerfile", df)]);
    for cli in clis() {
        let t0 = std::time::Instant::now();
        let out = build_ok(&d, cli, ctx.path(), &["-t", "multi", "--no-cache"]);
        let took = t0.elapsed();
        // Stage output is shown in order even though independent stages run together.
        let a = out.find("FROM busybox AS builder").unwrap();
        let b = out.find("FROM busybox AS other").unwrap();
        let c = out.find("FROM builder AS derived").unwrap();
        assert!(a < b && b < c, "{out}");
        assert!(
            took < std::time::Duration::from_millis(3700),
            "the sleeps overlap: {took:?}"
        );
        assert_eq!(
            run_in(
                &d,
                "multi",
                "cat /artifact /other /derived/artifact && test -x /copied-busybox && echo ok"
            ),
            "built\nother\nbuilt\nderived\nok"
        );
        let out = build_ok(
            &d,
            cli,
            ctx.path(),
            &["-t", "only-builder", "--target", "builder"],
        );
        assert!(
            !out.contains("AS other"),
            "unneeded stages are skipped: {out}"
        );
        assert_eq!(run_in(&d, "only-builder", "cat /out/artifact"), "built");
    }
    let out = build(&d, Cli::Wharf, ctx.path(), &["--target", "nope"]);
    let err = fails(&out, 1);
    assert!(
        err.contains("target stage \"nope\" could not be found"),
        "{err}"
    );
}

#[test]
fn dockerignore_and_dockerfile_options() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let ctx = context(&[
        (
            "Dockerfile",
            "FROM busybox\nCOPY . /ctx/\nRUN find /ctx | sort\n",
        ),
        (".dockerignore", "secret*\nbuild/\n!build/keep\n*.tmp\n"),
        ("app.txt", "app\n"),
        ("secret.key", "k\n"),
        ("build/out.o", "o\n"),
        ("build/keep", "keep\n"),
        ("x.tmp", "t\n"),
        (
            "other/Dockerfile.dev",
            "FROM busybox\nARG MSG\nLABEL msg=$MSG\n",
        ),
    ]);
    for cli in clis() {
        let out = build_ok(&d, cli, ctx.path(), &["--no-cache", "-t", "ign"]);
        assert!(out.contains("/ctx/app.txt\n"), "{out}");
        assert!(out.contains("/ctx/build/keep\n"), "{out}");
        for gone in ["secret.key", "out.o", "x.tmp"] {
            assert!(!out.contains(gone), "{gone} is ignored: {out}");
        }
        // -f names a Dockerfile relative to the current directory; labels and build args.
        let f = ctx.path().join("other/Dockerfile.dev");
        let out = build_ok(
            &d,
            cli,
            ctx.path(),
            &[
                "-f",
                f.to_str().unwrap(),
                "--build-arg",
                "MSG=hi there",
                "--label",
                "team=core",
                "--build-arg",
                "UNUSED=1",
                "-t",
                "dev",
            ],
        );
        assert!(
            out.contains("[Warning] One or more build-args [UNUSED] were not consumed"),
            "{out}"
        );
        assert_eq!(
            inspect(&d, "dev", "{{json .Config.Labels}}"),
            r#"{"msg":"hi there","team":"core"}"#
        );
        // -q prints the ID alone; --iidfile writes it.
        let iid = d.dir.path().join(format!("iid-{cli:?}"));
        let out = build(
            &d,
            cli,
            ctx.path(),
            &["-q", "-t", "quiet", "--iidfile", iid.to_str().unwrap()],
        );
        let id = ok(&out).trim().to_string();
        assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");
        assert_eq!(std::fs::read_to_string(&iid).unwrap().trim(), id);
        assert_eq!(image_id(&d, "quiet"), id);
    }
}

#[test]
fn contexts_from_stdin_and_dockerfile_from_stdin() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    // A Dockerfile alone on stdin.
    let mut c = d.wharf_cmd(&["build", "--progress=plain", "-t", "stdin-df", "-"]);
    let out = pipe(&mut c, b"FROM busybox\nLABEL from=stdin\n");
    ok(&out);
    assert_eq!(inspect(&d, "stdin-df", "{{.Config.Labels.from}}"), "stdin");
    // A tar context on stdin.
    let ctx = context(&[
        ("Dockerfile", "FROM busybox\nCOPY f /f\n"),
        ("f", "from tar\n"),
    ]);
    let tar = std::process::Command::new("tar")
        .arg("-C")
        .arg(ctx.path())
        .args(["-cf", "-", "."])
        .output()
        .unwrap();
    for cli in clis() {
        let mut c = match cli {
            Cli::Wharf => d.wharf_cmd(&["build", "--progress=plain", "-t", "stdin-tar", "-"]),
            Cli::Docker => d.docker_cmd(&["build", "-t", "stdin-tar", "-"]),
        };
        ok(&pipe(&mut c, &tar.stdout));
        assert_eq!(run_in(&d, "stdin-tar", "cat /f"), "from tar");
    }
    // -f - with a directory context: the Dockerfile is not part of COPY . results.
    let dir = context(&[("data", "d\n")]);
    for cli in clis() {
        let mut c = match cli {
            Cli::Wharf => d.wharf_cmd(&[
                "build",
                "--progress=plain",
                "-t",
                "stdin-f",
                "-f",
                "-",
                dir.path().to_str().unwrap(),
            ]),
            Cli::Docker => d.docker_cmd(&[
                "build",
                "-t",
                "stdin-f",
                "-f",
                "-",
                dir.path().to_str().unwrap(),
            ]),
        };
        ok(&pipe(&mut c, b"FROM busybox\nCOPY . /c/\n"));
        // As docker 28's CLI, the added Dockerfile and `.dockerignore` stay out of COPY.
        assert_eq!(run_in(&d, "stdin-f", "ls -A /c"), "data");
    }
}

fn pipe(c: &mut std::process::Command, input: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = c
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn run_mounts_network_and_exit_codes() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let ctx = context(&[
        (
            "Dockerfile",
            "FROM busybox\n\
             RUN --mount=type=cache,target=/cache echo run >> /cache/log && cat /cache/log | wc -l > /cache-count\n\
             RUN --mount=type=bind,source=data,target=/mnt/data cat /mnt/data/f > /bound\n\
             RUN --mount=type=tmpfs,target=/scratch touch /scratch/x && grep -q ' /scratch ' /proc/mounts && echo tmpfs > /tmpfs\n\
             RUN --mount=type=secret,id=token cat /run/secrets/token > /secret-seen\n\
             RUN --network=none ls /sys/class/net > /netdevs\n\
             RUN test ! -e /scratch/x && test ! -e /mnt/data/f && echo clean\n",
        ),
        ("data/f", "bound data\n"),
        ("token", "s3cr3t\n"),
    ]);
    let token = ctx.path().join("token");
    let secret = format!("id=token,src={}", token.display());
    build_ok(
        &d,
        Cli::Wharf,
        ctx.path(),
        &["-t", "mounts", "--secret", &secret],
    );
    build_ok(
        &d,
        Cli::Wharf,
        ctx.path(),
        &["-t", "mounts", "--no-cache", "--secret", &secret],
    );
    assert_eq!(
        run_in(
            &d,
            "mounts",
            "cat /cache-count /bound /tmpfs /secret-seen /netdevs"
        ),
        "2\nbound data\ntmpfs\ns3cr3t\nlo"
    );
    // The same mounts through docker's CLI (which has no --secret for the classic builder).
    if docker_available() {
        let df = std::fs::read_to_string(ctx.path().join("Dockerfile")).unwrap();
        let df: String = df
            .lines()
            .filter(|l| !l.contains("type=secret"))
            .map(|l| format!("{l}\n"))
            .collect();
        write(ctx.path(), "Dockerfile", &df);
        for _ in 0..2 {
            build_ok(
                &d,
                Cli::Docker,
                ctx.path(),
                &["-t", "mounts-docker", "--no-cache"],
            );
        }
        assert_eq!(
            run_in(
                &d,
                "mounts-docker",
                "cat /cache-count /bound /tmpfs /netdevs"
            ),
            "4\nbound data\ntmpfs\nlo"
        );
    }
    // A failing RUN: the build fails with the command's status and names the line.
    let bad = context(&[(
        "Dockerfile",
        "FROM busybox\nRUN echo about to fail && exit 3\n",
    )]);
    for cli in clis() {
        let out = build(&d, cli, bad.path(), &["-t", "failing"]);
        let err = fails(&out, 3);
        assert!(
            err.contains("Dockerfile:2: The command '/bin/sh -c echo about to fail && exit 3' returned a non-zero code: 3"),
            "{err}"
        );
        assert!(stdout(&out).contains("about to fail"));
    }
    // (Not "bad": with no such tag, a hex-only name is also an image ID prefix, as in Docker,
    // and matched an image whose ID began with "bad" in one CI run.)
    assert_eq!(image_id(&d, "failing"), "");
}
