//! Base images from a registry: a `FROM` image missing from the store is pulled with the
//! client's stored credentials (`X-Registry-Config`), and `--pull` fetches a newer one even
//! when a local copy exists, through wharf's CLI and docker's.

mod build_common;
mod common;
mod registry_support;

use build_common::*;
use common::*;
use registry_support::*;

/// A client command with the test's own client config (where `login` stores credentials).
fn with_config(d: &TestDaemon, cli: Cli, args: &[&str]) -> std::process::Output {
    let mut c = match cli {
        Cli::Wharf => d.wharf_cmd(args),
        Cli::Docker => d.docker_cmd(args),
    };
    c.env("DOCKER_CONFIG", d.dir.path().join("client-config"))
        .output()
        .unwrap()
}

fn build_with_config(d: &TestDaemon, cli: Cli, ctx: &std::path::Path, args: &[&str]) -> String {
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    all.push(ctx.to_str().unwrap());
    let out = with_config(d, cli, &all);
    format!("{}{}", ok(&out), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn missing_bases_are_pulled_with_credentials_and_pull_refreshes_them() {
    if skip_without_registry() {
        return;
    }
    let reg = Registry::start(true);
    let d = TestDaemon::start();
    let base = format!("{}/team/base:1", reg.host());
    let old = d.import_busybox(&base);
    let login = with_config(
        &d,
        Cli::Wharf,
        &["login", "-u", USER, "-p", PASS, &reg.host()],
    );
    ok(&login);
    ok(&with_config(&d, Cli::Wharf, &["push", &base]));
    let ctx = context(&[(
        "Dockerfile",
        &format!("FROM {base}\nRUN echo pulled > /pulled\n"),
    )]);

    // Without credentials the pull is refused: the build names the FROM line, tags nothing.
    ok(&d.wharf(&["rmi", &base]));
    let out = build(&d, Cli::Wharf, ctx.path(), &["-t", "child"]);
    let err = fails(&out, 1);
    assert!(err.contains("Dockerfile:1: "), "{err}");
    assert!(err.contains("pull access denied for"), "{err}");
    assert_eq!(image_id(&d, "child"), "");

    for cli in clis() {
        let _ = d.wharf(&["rmi", "-f", &base]);
        let out = build_with_config(&d, cli, ctx.path(), &["--no-cache", "-t", "child"]);
        assert!(
            out.contains("Pulling from team/base") && out.contains("Downloaded newer image"),
            "{cli:?}: {out}"
        );
        assert_eq!(run_in(&d, "child", "cat /pulled"), "pulled");
        assert_eq!(image_id(&d, &base), old);
    }

    // The registry gets a newer base; the local copy stays the old one.
    let newer = context(&[("Dockerfile", &format!("FROM {base}\nLABEL generation=2\n"))]);
    build_ok(&d, Cli::Wharf, newer.path(), &["-t", &base]);
    ok(&with_config(&d, Cli::Wharf, &["push", &base]));
    ok(&d.wharf(&["tag", &old, &base]));
    let label = "{{json .Config.Labels}}";
    build_with_config(&d, Cli::Wharf, ctx.path(), &["-t", "child"]);
    assert_eq!(inspect(&d, "child", label), "null");
    for cli in clis() {
        ok(&d.wharf(&["tag", &old, &base]));
        build_with_config(&d, cli, ctx.path(), &["--pull", "-t", "child"]);
        assert_eq!(
            inspect(&d, "child", label),
            r#"{"generation":"2"}"#,
            "{cli:?}"
        );
        assert_ne!(image_id(&d, &base), old);
    }
}
