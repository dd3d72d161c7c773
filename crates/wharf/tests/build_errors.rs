//! Bad Dockerfiles fail with a message naming the line, through both CLIs, and leave no
//! half-tagged image: a tag a failed build asked for is not created, and an existing one still
//! names the image it named before.

mod build_common;
mod common;

use build_common::*;
use common::*;

/// Builds `dockerfile` tagged `bad:latest`; returns what the user saw on stderr.
fn fails_with(d: &TestDaemon, cli: Cli, dockerfile: &str, extra: &[(&str, &str)]) -> String {
    let mut files = vec![("Dockerfile", dockerfile)];
    files.extend_from_slice(extra);
    let ctx = context(&files);
    let out = build(d, cli, ctx.path(), &["-t", "bad"]);
    assert!(
        !out.status.success(),
        "expected a failure:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_dockerfiles_name_the_line_and_tag_nothing() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    // `bad` names a good image first; failed builds must leave it alone.
    let good = context(&[("Dockerfile", "FROM busybox\nLABEL good=yes\n")]);
    build_ok(&d, Cli::Wharf, good.path(), &["-t", "bad"]);
    let before = image_id(&d, "bad");
    let unreachable = "http://127.0.0.1:1/file.txt";
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "unknown instruction",
            "FROM busybox\nRUN true\nFOO bar\n".into(),
            "dockerfile parse error on line 3: unknown instruction: FOO",
        ),
        (
            "SHELL not in JSON form",
            "FROM busybox\nSHELL /bin/bash -c\n".into(),
            "dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form",
        ),
        (
            "no FROM",
            "# comment\nRUN echo hi\n".into(),
            "dockerfile parse error on line 2: no build stage in current context",
        ),
        (
            "unknown stage",
            "FROM busybox AS one\nFROM busybox\nCOPY --from=nosuchstage /x /x\n".into(),
            // Not a stage, so an image to pull: the registry's answer (or, offline, the
            // lookup failure) follows.
            "Dockerfile:3: invalid from flag value nosuchstage: ",
        ),
        (
            "COPY source outside the context",
            "FROM busybox\nCOPY ../etc/passwd /x\n".into(),
            "Dockerfile:2: COPY failed: forbidden path outside the build context: ../etc/passwd",
        ),
        (
            "missing COPY source",
            "FROM busybox\nRUN true\nCOPY missing.txt /x\n".into(),
            "Dockerfile:3: COPY failed: file not found in build context or excluded by .dockerignore: stat missing.txt: file does not exist",
        ),
        (
            "ADD of an unreachable URL",
            format!("FROM busybox\nADD {unreachable} /x\n"),
            "Dockerfile:2: ADD failed: Get \"http://127.0.0.1:1/file.txt\": dial tcp 127.0.0.1:1: connect: connection refused",
        ),
        (
            "missing base image",
            "FROM 127.0.0.1:1/nosuchimage:1.0\nRUN true\n".into(),
            "Dockerfile:1: Get \"http://127.0.0.1:1/v2/\": dial tcp",
        ),
        (
            "bad variable expansion",
            "FROM busybox\nENV A=${B:?required}\n".into(),
            "Dockerfile:2: failed to process \"${B:?required}\": B: required",
        ),
    ];
    for cli in clis() {
        for (what, df, want) in &cases {
            let err = fails_with(&d, cli, df, &[]);
            assert!(
                err.contains(want),
                "{what} ({cli:?}): expected {want:?} in:\n{err}"
            );
            assert_eq!(
                image_id(&d, "bad"),
                before,
                "{what} ({cli:?}) moved the tag"
            );
        }
    }
    // Nothing half-built is left tagged: only the good image and busybox carry names (the
    // steps that succeeded stay as untagged images, as with dockerd's legacy builder).
    let names = ok(&d.wharf(&["images", "--format", "{{.Repository}}:{{.Tag}}"]));
    let mut names: Vec<&str> = names.lines().filter(|n| *n != "<none>:<none>").collect();
    names.sort();
    assert_eq!(names, vec!["bad:latest", "busybox:latest"]);
}

#[test]
fn a_failed_step_removes_its_work_and_the_next_build_succeeds() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let ctx = context(&[(
        "Dockerfile",
        "FROM busybox\nRUN echo partial > /partial && false\n",
    )]);
    let out = build(&d, Cli::Wharf, ctx.path(), &["-t", "fails"]);
    let err = fails(&out, 1);
    assert!(err.contains("Dockerfile:2: The command '/bin/sh -c echo partial > /partial && false' returned a non-zero code: 1"), "{err}");
    // No snapshot of the failed step is left behind.
    let snaps = std::fs::read_dir(d.root.join("snapshots")).unwrap().count();
    assert_eq!(snaps, 1, "only busybox's layer remains");
    assert!(
        std::fs::read_dir(d.root.join("tmp"))
            .unwrap()
            .next()
            .is_none(),
        "no build scratch left"
    );
    write(
        ctx.path(),
        "Dockerfile",
        "FROM busybox\nRUN echo fixed > /fixed\n",
    );
    build_ok(&d, Cli::Wharf, ctx.path(), &["-t", "fails"]);
    assert_eq!(run_in(&d, "fails", "cat /fixed"), "fixed");
}
