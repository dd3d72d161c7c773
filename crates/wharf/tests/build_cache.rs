//! The build cache as users meet it: seed 004's layer ordering (dependencies first, sources
//! last), hits across a daemon restart, `--explain-cache`, reproducible `--no-cache` rebuilds
//! with SOURCE_DATE_EPOCH, `builder prune` and `system df`.

mod build_common;
mod common;

use build_common::*;
use common::*;

/// How many steps of a build output used the cache.
fn cached(out: &str) -> usize {
    out.matches(" ---> Using cache").count()
}

/// Seed 004: `COPY package.json .` + `RUN npm install` before `COPY . .`, so editing the app
/// reruns only what comes after the sources; editing the dependencies reruns the install.
#[test]
fn seed_004_layer_order_keeps_the_install_cached() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("node:14-alpine");
    let ctx = context(&[
        (
            "Dockerfile",
            "FROM node:14-alpine\n\nWORKDIR /app\n\nCOPY package.json .\n\nRUN echo \"installing $(cat package.json)\" && cp package.json installed.json\n\nCOPY . .\n\nEXPOSE 80\n\nCMD [\"node\", \"app.js\"]\n",
        ),
        ("package.json", "{\"deps\":1}\n"),
        ("app.js", "console.log(1)\n"),
    ]);
    for cli in clis() {
        let first = build_ok(&d, cli, ctx.path(), &["-t", "nodeapp"]);
        let id1 = image_id(&d, "nodeapp");
        assert!(first.contains("Step 4/7 : RUN echo"), "{first}");
        // Same inputs: everything cached, same image.
        let again = build_ok(&d, cli, ctx.path(), &["-t", "nodeapp"]);
        assert_eq!(cached(&again), 6, "{again}");
        assert_eq!(image_id(&d, "nodeapp"), id1);
        // The app changes: the install stays cached, COPY . . and what follows rerun.
        write(ctx.path(), "app.js", &format!("console.log('{cli:?}')\n"));
        let out = build_ok(&d, cli, ctx.path(), &["-t", "nodeapp"]);
        assert_eq!(
            cached(&out),
            3,
            "WORKDIR, COPY package.json and RUN hit: {out}"
        );
        assert!(
            !out.contains("installing {"),
            "the install did not run again: {out}"
        );
        // A touch changes nothing a copy keeps but the time: still cached.
        let t = std::process::Command::new("touch")
            .arg(ctx.path().join("app.js"))
            .status()
            .unwrap();
        assert!(t.success());
        let out = build_ok(&d, cli, ctx.path(), &["-t", "nodeapp"]);
        assert_eq!(cached(&out), 6, "{out}");
        // The dependencies change: the install runs again.
        write(
            ctx.path(),
            "package.json",
            &format!("{{\"deps\":\"{cli:?}\"}}\n"),
        );
        let out = build_ok(&d, cli, ctx.path(), &["-t", "nodeapp"]);
        assert_eq!(cached(&out), 1, "only WORKDIR hits: {out}");
        assert!(
            out.contains(&format!("installing {{\"deps\":\"{cli:?}\"}}")),
            "{out}"
        );
    }
    // Layers: the base, WORKDIR, package.json, the install, the sources.
    assert_eq!(inspect(&d, "nodeapp", "{{len .RootFS.Layers}}"), "5");
    assert_eq!(
        run_in(&d, "nodeapp", "cat installed.json && ls"),
        format!(
            "{{\"deps\":\"{:?}\"}}\nDockerfile\napp.js\ninstalled.json\npackage.json",
            clis().last().unwrap()
        )
    );
}

#[test]
fn the_cache_survives_a_restart_and_explains_its_misses() {
    if skip_unless_root() {
        return;
    }
    let mut d = TestDaemon::start();
    d.import_busybox("busybox");
    let ctx = context(&[
        (
            "Dockerfile",
            "FROM busybox\nARG VERSION=1\nCOPY src /src\nRUN echo v$VERSION > /version\nRUN ls /src > /listing\n",
        ),
        ("src/a.txt", "a\n"),
        ("src/b.txt", "b\n"),
    ]);
    build_ok(&d, Cli::Wharf, ctx.path(), &["-t", "cached"]);
    let id = image_id(&d, "cached");
    d.stop();
    d.spawn();
    let out = build_ok(&d, Cli::Wharf, ctx.path(), &["-t", "cached"]);
    assert_eq!(cached(&out), 4, "{out}");
    assert_eq!(image_id(&d, "cached"), id);

    write(ctx.path(), "src/a.txt", "changed\n");
    std::fs::remove_file(ctx.path().join("src/b.txt")).unwrap();
    write(ctx.path(), "src/c.txt", "c\n");
    let out = build_ok(
        &d,
        Cli::Wharf,
        ctx.path(),
        &["-t", "cached", "--explain-cache"],
    );
    assert!(
        out.contains(" ---> Cache miss: file src/a.txt changed; file src/c.txt added; file src/b.txt removed\n"),
        "{out}"
    );
    assert!(
        out.contains(" ---> Cache miss: nothing was built on "),
        "later steps say why: {out}"
    );
    let out = build_ok(
        &d,
        Cli::Wharf,
        ctx.path(),
        &[
            "-t",
            "cached",
            "--explain-cache",
            "--build-arg",
            "VERSION=2",
        ],
    );
    assert!(
        out.contains(" ---> Cache miss: build argument VERSION changed (\"1\" → \"2\")\n"),
        "{out}"
    );
    let out = build_ok(
        &d,
        Cli::Wharf,
        ctx.path(),
        &["-t", "cached", "--explain-cache", "--no-cache"],
    );
    assert!(
        out.contains(" ---> Cache miss: cache disabled (--no-cache)"),
        "{out}"
    );
    write(
        ctx.path(),
        "Dockerfile",
        "FROM busybox\nARG VERSION=1\nCOPY src /src\nRUN echo version $VERSION > /version\n",
    );
    let out = build_ok(
        &d,
        Cli::Wharf,
        ctx.path(),
        &["-t", "cached", "--explain-cache"],
    );
    assert!(
        out.contains(
            " ---> Cache miss: instruction changed (was: /bin/sh -c echo v$VERSION > /version"
        ),
        "{out}"
    );
}

#[test]
fn source_date_epoch_gives_the_same_image_on_a_no_cache_rebuild() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let ctx = context(&[
        (
            "Dockerfile",
            "FROM busybox\nCOPY . /ctx\nRUN mkdir -p /var/made && echo hi > /var/made/f\nENV X=1\nWORKDIR /w\n",
        ),
        ("data/x", "x\n"),
    ]);
    let ids: Vec<String> = clis()
        .into_iter()
        .chain([Cli::Wharf])
        .map(|cli| {
            let out = build(
                &d,
                cli,
                ctx.path(),
                &[
                    "--no-cache",
                    "-q",
                    "--build-arg",
                    "SOURCE_DATE_EPOCH=1700000000",
                ],
            );
            ok(&out).trim().to_string()
        })
        .collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    assert_eq!(inspect(&d, &ids[0], "{{.Created}}"), "2023-11-14T22:13:20Z");
    // wharf's CLI passes SOURCE_DATE_EPOCH from its environment, as buildx does.
    let out = d
        .wharf_cmd(&["build", "-q", "--no-cache", ctx.path().to_str().unwrap()])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert_eq!(ok(&out).trim(), ids[0]);
    // Without it the times differ, and so do the IDs.
    let plain = ok(&build(&d, Cli::Wharf, ctx.path(), &["--no-cache", "-q"]))
        .trim()
        .to_string();
    assert_ne!(plain, ids[0]);
}

#[test]
fn builder_prune_and_system_df_account_for_the_cache() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let ctx = context(&[(
        "Dockerfile",
        "FROM busybox\nRUN --mount=type=cache,target=/c echo x > /c/x && head -c 100000 /dev/zero > /blob\nLABEL a=b\n",
    )]);
    build_ok(&d, Cli::Wharf, ctx.path(), &["-t", "pruned"]);
    let df = ok(&d.wharf(&["system", "df", "--format", "{{.Type}} {{.TotalCount}}"]));
    assert!(
        df.contains("Build Cache 3"),
        "two steps and a cache mount: {df}"
    );
    let out = ok(&d.wharf(&["builder", "prune", "-f"]));
    assert!(out.starts_with("Deleted build cache objects:\n"), "{out}");
    assert!(out.contains("Total reclaimed space: "), "{out}");
    // The tagged image and its layers stay; the cache is gone.
    assert_eq!(inspect(&d, "pruned", "{{.Config.Labels.a}}"), "b");
    let out = build_ok(&d, Cli::Wharf, ctx.path(), &["-t", "pruned"]);
    assert_eq!(cached(&out), 0, "{out}");
    if docker_available() {
        let out = ok(&d.docker(&["builder", "prune", "-f"]));
        assert!(out.contains("Total reclaimed space"), "{out}");
    }
}

/// wharf's CLI sends only the files the engine does not hold from the last build of the same
/// context; what the build sees is the current content all the same.
#[test]
fn the_context_is_sent_incrementally() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let big = "x".repeat(1 << 20);
    let ctx = context(&[
        (
            "Dockerfile",
            "FROM busybox\nCOPY . /c\nRUN cat /c/small && wc -c < /c/big\n",
        ),
        ("big", &big),
        ("small", "one\n"),
    ]);
    let sent = |out: &str| -> String {
        out.lines()
            .find_map(|l| l.strip_prefix("Sending build context to Docker daemon  "))
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let first = build_ok(&d, Cli::Wharf, ctx.path(), &["-t", "inc"]);
    assert_eq!(sent(&first), "1.052MB", "{first}");
    // Only the changed file travels; the build still sees both files.
    std::thread::sleep(std::time::Duration::from_millis(20));
    write(ctx.path(), "small", "two\n");
    let second = build_ok(&d, Cli::Wharf, ctx.path(), &["-t", "inc"]);
    assert_eq!(sent(&second), "2.048kB", "{second}");
    assert!(second.contains("two\n1048576\n"), "{second}");
    // Unchanged: nothing but the tar trailer is sent, and every step is cached.
    let third = build_ok(&d, Cli::Wharf, ctx.path(), &["-t", "inc"]);
    assert_eq!(sent(&third), "1.024kB", "{third}");
    assert_eq!(cached(&third), 2, "{third}");
    // A restarted engine holds nothing: everything is sent again.
    let mut d = d;
    d.stop();
    d.spawn();
    let fourth = build_ok(&d, Cli::Wharf, ctx.path(), &["-t", "inc"]);
    assert_eq!(sent(&fourth), "1.052MB", "{fourth}");
    assert_eq!(cached(&fourth), 2, "{fourth}");
}
