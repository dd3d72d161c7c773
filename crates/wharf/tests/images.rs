//! Image commands end to end, through wharf's CLI and the official docker CLI.

mod common;

use common::*;

#[test]
fn import_lists_inspects_and_tags_through_both_clis() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    let id = d.import_busybox("busybox:latest");
    assert!(
        id.starts_with("sha256:") && id.len() == 71,
        "import prints the image id: {id}"
    );

    let list = ok(&d.wharf(&["images"]));
    let mut lines = list.lines();
    assert_eq!(
        lines.next().unwrap().split_whitespace().collect::<Vec<_>>(),
        ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("busybox      latest    ") && row.contains(&id[7..19]),
        "{list}"
    );

    ok(&d.wharf(&["tag", "busybox", "example.com/team/bb:1.0"]));
    let q = ok(&d.wharf(&["images", "-q"]));
    assert_eq!(q.lines().count(), 2, "one row per tag: {q}");
    let fmt = ok(&d.wharf(&[
        "images",
        "--format",
        "{{.Repository}}:{{.Tag}}",
        "example.com/*/*",
    ]));
    assert_eq!(fmt.trim(), "example.com/team/bb:1.0");

    let inspect = ok(&d.wharf(&[
        "image",
        "inspect",
        "--format",
        "{{.Os}} {{json .Config.Cmd}} {{.Comment}} {{len .RootFS.Layers}}",
        "busybox",
    ]));
    assert_eq!(inspect.trim(), "linux [\"sh\"] busybox from debian 1");

    if docker_available() {
        let docker_list =
            ok(&d.docker(&["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]));
        assert!(
            docker_list.contains(&format!("busybox:latest {}", &id[7..19])),
            "{docker_list}"
        );
        let env = ok(&d.docker(&[
            "image",
            "inspect",
            "--format",
            "{{.ContainerConfig.Env}} {{.RootFS.Layers}} {{index .RepoTags 0}}",
            "busybox",
        ]));
        assert!(env.starts_with("[] [sha256:"), "{env}");
        let hist = ok(&d.docker(&["history", "busybox"]));
        assert!(
            hist.contains("busybox from debian") && hist.contains("1.98MB"),
            "{hist}"
        );
    }
}

#[test]
fn rmi_untags_while_other_tags_remain_then_deletes_layers() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    let id = d.import_busybox("busybox:latest");
    ok(&d.wharf(&["tag", "busybox", "busybox:1.0"]));
    let out = ok(&d.wharf(&["rmi", "busybox:1.0"]));
    assert_eq!(out, "Untagged: busybox:1.0\n");
    let out = ok(&d.wharf(&["rmi", "busybox"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "Untagged: busybox:latest");
    assert_eq!(lines[1], format!("Deleted: {id}"));
    assert!(
        lines[2].starts_with("Deleted: sha256:"),
        "the layer goes too: {out}"
    );
    assert_eq!(ok(&d.wharf(&["images", "-aq"])), "");

    let err = fails(&d.wharf(&["rmi", "nonexist"]), 1);
    assert_eq!(
        err,
        "Error response from daemon: No such image: nonexist:latest\n"
    );
}

#[test]
fn save_and_load_round_trip_keeps_the_image_id() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    let id = d.import_busybox("busybox:latest");
    let archive = d.dir.path().join("bb.tar");
    ok(&d.wharf(&["save", "-o", archive.to_str().unwrap(), "busybox"]));
    ok(&d.wharf(&["rmi", "busybox"]));
    let out = ok(&d.wharf(&["load", "-i", archive.to_str().unwrap()]));
    assert_eq!(out, "Loaded image: busybox:latest\n");
    let got = ok(&d.wharf(&["image", "inspect", "--format", "{{.Id}}", "busybox"]));
    assert_eq!(got.trim(), id);

    // gzip-compressed archives load too, through docker's CLI on stdin.
    if docker_available() {
        ok(&d.wharf(&["rmi", "busybox"]));
        let gz = d.dir.path().join("bb.tar.gz");
        let st = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("gzip -c {} > {}", archive.display(), gz.display()))
            .status()
            .unwrap();
        assert!(st.success());
        let out = ok(&d
            .docker_cmd(&["load"])
            .stdin(std::fs::File::open(&gz).unwrap())
            .output()
            .unwrap());
        assert!(out.contains("Loaded image: busybox:latest"), "{out}");
    }
}

#[test]
fn flag_and_argument_errors_read_like_dockers() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    let err = fails(&d.wharf(&["images", "--foo"]), 125);
    assert!(
        err.starts_with("unknown flag: --foo\n\nUsage:  wharf images [OPTIONS] [REPOSITORY[:TAG]]"),
        "{err}"
    );
    let err = fails(&d.wharf(&["tag", "busybox"]), 1);
    assert!(
        err.starts_with("wharf: 'wharf tag' requires 2 arguments"),
        "{err}"
    );
}

#[test]
fn every_image_command_works_through_the_docker_cli() {
    if skip_unless_root() || !docker_available() {
        return;
    }
    let d = TestDaemon::start();
    let tar = busybox_tar().to_str().unwrap();
    let id = ok(&d.docker(&[
        "import",
        "-c",
        "CMD [\"sh\"]",
        "-c",
        "ENV A=1",
        "-m",
        "via docker",
        tar,
        "bb:1",
    ]));
    let id = id.trim();
    assert!(id.starts_with("sha256:"), "{id}");
    let env = ok(&d.docker(&[
        "image",
        "inspect",
        "-f",
        "{{.Config.Env}} {{.Comment}}",
        "bb:1",
    ]));
    assert_eq!(env.trim(), "[A=1] via docker");
    ok(&d.docker(&["tag", "bb:1", "bb:2"]));
    let tags = ok(&d.docker(&["images", "--format", "{{.Tag}}", "bb"]));
    let mut tags: Vec<&str> = tags.lines().collect();
    tags.sort();
    assert_eq!(tags, ["1", "2"]);
    assert_eq!(ok(&d.docker(&["history", "-q", "bb:1"])).trim(), &id[7..19]);

    // save to stdout, remove, load from stdin
    let archive = d.dir.path().join("docker-save.tar");
    let out = d
        .docker_cmd(&["save", "bb:1", "bb:2"])
        .stdout(std::fs::File::create(&archive).unwrap())
        .output()
        .unwrap();
    ok(&out);
    let rm = ok(&d.docker(&["rmi", "bb:1", "bb:2"]));
    assert!(
        rm.contains("Untagged: bb:1") && rm.contains(&format!("Deleted: {id}")),
        "{rm}"
    );
    let loaded = ok(&d
        .docker_cmd(&["load"])
        .stdin(std::fs::File::open(&archive).unwrap())
        .output()
        .unwrap());
    assert!(
        loaded.contains("Loaded image: bb:1") && loaded.contains("Loaded image: bb:2"),
        "{loaded}"
    );

    // rmi -f of a tagged image leaves nothing; prune -a removes what is left
    ok(&d.docker(&["rmi", "bb:2"]));
    let pruned = ok(&d.docker(&["image", "prune", "-a", "-f"]));
    assert!(
        pruned.contains("untagged: bb:1") && pruned.contains("Total reclaimed space:"),
        "{pruned}"
    );
    assert_eq!(ok(&d.docker(&["images", "-aq"])), "");
    let df = ok(&d.docker(&["system", "df"]));
    assert!(
        df.lines().nth(1).unwrap().starts_with("Images          0"),
        "{df}"
    );
}

#[test]
fn xz_and_zstd_archives_load() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    let id = d.import_busybox("busybox:latest");
    let archive = d.dir.path().join("bb.tar");
    ok(&d.wharf(&["save", "-o", archive.to_str().unwrap(), "busybox"]));
    for (tool, ext) in [("xz", "xz"), ("zstd", "zst")] {
        if std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("skipping {tool}: not installed");
            continue;
        }
        ok(&d.wharf(&["rmi", "busybox"]));
        let packed = d.dir.path().join(format!("bb.tar.{ext}"));
        let st = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{tool} -c {} > {}",
                archive.display(),
                packed.display()
            ))
            .status()
            .unwrap();
        assert!(st.success());
        assert_eq!(
            ok(&d.wharf(&["load", "-q", "-i", packed.to_str().unwrap()])),
            "Loaded image: busybox:latest\n"
        );
        assert_eq!(
            ok(&d.wharf(&["image", "inspect", "-f", "{{.Id}}", "busybox"])).trim(),
            id
        );
    }
}

#[test]
fn the_copying_vfs_driver_serves_the_same_image_commands() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start_with(&["--storage-driver", "vfs"]);
    let info = ok(&d.wharf(&["info", "--format", "{{.Driver}}"]));
    assert_eq!(info.trim(), "vfs");
    let id = d.import_busybox("busybox:latest");
    let archive = d.dir.path().join("bb.tar");
    ok(&d.wharf(&["save", "-o", archive.to_str().unwrap(), "busybox"]));
    ok(&d.wharf(&["rmi", "busybox"]));
    ok(&d.wharf(&["load", "-i", archive.to_str().unwrap()]));
    assert_eq!(
        ok(&d.wharf(&["image", "inspect", "-f", "{{.Id}}", "busybox"])).trim(),
        id
    );
    ok(&d.wharf(&["rmi", "busybox"]));
    assert_eq!(
        std::fs::read_dir(d.root.join("snapshots")).unwrap().count(),
        0
    );
}

/// `version` names the commit the binary was built from, for both CLIs (as Docker's "Git
/// commit"), when it was built in a git checkout.
#[test]
fn version_names_the_git_commit_built_from() {
    if skip_unless_root() {
        return;
    }
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=7", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let Some(head) = head else {
        eprintln!("skipped: not built from a git checkout");
        return;
    };
    let d = TestDaemon::start();
    let fmt = "{{.Client.GitCommit}} {{.Server.GitCommit}}";
    assert_eq!(
        ok(&d.wharf(&["version", "--format", fmt])).trim(),
        format!("{head} {head}")
    );
    if docker_available() {
        let server = ok(&d.docker(&["version", "--format", "{{.Server.GitCommit}}"]));
        assert_eq!(server.trim(), head);
    }
}
