//! Bad archives are refused with a clear error, nothing is recorded, and nothing is written
//! outside the data root.

mod common;

use std::process::Command;

use common::*;

/// Builds a tar with python's tarfile from a small script describing the members.
fn python_tar(path: &std::path::Path, members: &str) {
    let script = format!(
        "import io, tarfile, sys\nt = tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT)\n\
         def f(name, data=b'x', **kw):\n    i = tarfile.TarInfo(name); i.size = len(data)\n    for k, v in kw.items(): setattr(i, k, v)\n    t.addfile(i, io.BytesIO(data))\n\
         def link(name, target, kind=tarfile.SYMTYPE):\n    i = tarfile.TarInfo(name); i.type = kind; i.linkname = target; t.addfile(i)\n\
         {members}\nt.close()\n"
    );
    let st = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success(), "python3 tarfile failed");
}

fn images_listed(d: &TestDaemon) -> String {
    ok(&d.wharf(&["images", "-aq"]))
}

#[test]
fn import_refuses_entries_that_climb_out_with_dotdot() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    let victim = d.dir.path().join("outside-dotdot");
    let tar = d.dir.path().join("evil.tar");
    let rel = format!("../../../../../../../../{}", victim.display());
    python_tar(&tar, &format!("f('ok'); f({rel:?}, b'pwned')"));
    let err = fails(&d.wharf(&["import", tar.to_str().unwrap(), "evil"]), 1);
    assert!(err.contains("Error response from daemon:"), "{err}");
    assert!(!victim.exists(), "a file was written outside the data root");
    assert_eq!(images_listed(&d), "");
}

#[test]
fn import_refuses_writing_through_an_absolute_symlink_out_of_the_rootfs() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    let outside = d.dir.path().join("outside-dir");
    std::fs::create_dir(&outside).unwrap();
    let tar = d.dir.path().join("evil.tar");
    python_tar(
        &tar,
        &format!(
            "link('escape', {:?}); f('escape/pwned', b'pwned')",
            outside.display().to_string()
        ),
    );
    let err = fails(&d.wharf(&["import", tar.to_str().unwrap(), "evil"]), 1);
    assert!(err.contains("escape"), "the error names the entry: {err}");
    assert!(
        !outside.join("pwned").exists(),
        "a file was written through the symlink"
    );
    assert_eq!(images_listed(&d), "");

    // A hard link to a host file is refused too.
    let tar2 = d.dir.path().join("evil2.tar");
    python_tar(&tar2, "link('passwd', '/etc/passwd', tarfile.LNKTYPE)");
    fails(&d.wharf(&["import", tar2.to_str().unwrap(), "evil"]), 1);
    assert_eq!(images_listed(&d), "");
}

#[test]
fn load_refuses_a_layer_whose_digest_does_not_match_and_a_truncated_archive() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox:latest");
    let good = d.dir.path().join("good.tar");
    ok(&d.wharf(&["save", "-o", good.to_str().unwrap(), "busybox"]));
    ok(&d.wharf(&["rmi", "busybox"]));
    ok(&d.wharf(&["image", "prune", "-af"]));

    // Tamper with the layer blob's content while keeping its name (= claimed digest).
    let tampered = d.dir.path().join("tampered.tar");
    let script = r#"
import tarfile, sys, io
src = tarfile.open(sys.argv[1]); dst = tarfile.open(sys.argv[2], 'w')
for m in src.getmembers():
    data = src.extractfile(m).read() if m.isfile() else None
    if m.isfile() and m.size > 100000:
        data = data[:-1024] + b'\x00' * 1023 + b'\x01'
    dst.addfile(m, io.BytesIO(data) if data is not None else None)
dst.close()
"#;
    let st = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&good)
        .arg(&tampered)
        .status()
        .unwrap();
    assert!(st.success());
    let err = fails(&d.wharf(&["load", "-i", tampered.to_str().unwrap()]), 1);
    assert!(err.contains("does not match its digest"), "{err}");
    assert_eq!(images_listed(&d), "");

    // Truncated in the middle of the layer.
    let truncated = d.dir.path().join("truncated.tar");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = fails(&d.wharf(&["load", "-i", truncated.to_str().unwrap()]), 1);
    // As with dockerd, the failure is the answer stream's error, printed as it is.
    assert!(
        err.starts_with("invalid archive: ") && err.contains("bytes early"),
        "{err}"
    );
    assert_eq!(images_listed(&d), "");

    // Not an archive at all.
    let junk = d.dir.path().join("junk.tar");
    std::fs::write(&junk, b"this is not a tarball").unwrap();
    let junk_err = fails(&d.wharf(&["load", "-i", junk.to_str().unwrap()]), 1);
    assert!(junk_err.contains("not a tar archive"), "{junk_err}");

    // Nothing was left behind by the failures.
    ok(&d.wharf(&["image", "prune", "-af"]));
    assert_eq!(
        std::fs::read_dir(d.root.join("content/blobs/sha256"))
            .unwrap()
            .count(),
        0
    );
    assert_eq!(
        std::fs::read_dir(d.root.join("snapshots")).unwrap().count(),
        0
    );

    // And the good archive still loads.
    assert_eq!(
        ok(&d.wharf(&["load", "-i", good.to_str().unwrap()])),
        "Loaded image: busybox:latest\n"
    );
}
