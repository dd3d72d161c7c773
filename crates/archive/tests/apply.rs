//! Applying layers: entry kinds, metadata, whiteouts in both modes, replacement rules,
//! compression and the DiffID.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use common::{Layer, describe, header, tempdir, xattrs};
use wharf_archive::tar::{EntryKind, Timestamp};
use wharf_archive::{
    ApplyOptions, ArchiveError, Compression, Compressor, IdMap, IdRange, Whiteouts, apply_layer,
};
use wharf_digest::Digest;

/// security.capability v2 granting cap_net_bind_service (permitted + effective).
const CAP_NET_BIND: [u8; 20] = [1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

fn apply(tar: &[u8], dest: &Path) -> Result<wharf_archive::ApplyStats, ArchiveError> {
    apply_layer(tar, dest, &ApplyOptions::default())
}

fn remove_mode() -> ApplyOptions {
    ApplyOptions {
        whiteouts: Whiteouts::Remove,
        ..ApplyOptions::default()
    }
}

#[test]
fn unpacks_every_entry_kind_with_owner_mode_times_and_xattrs() {
    let tmp = tempdir();
    let mut setuid = header(EntryKind::Regular, "bin/tool", 0o4755);
    (setuid.uid, setuid.gid, setuid.size) = (1000, 2000, 4);
    setuid
        .xattrs
        .insert("security.capability".into(), CAP_NET_BIND.to_vec());
    setuid
        .xattrs
        .insert("user.origin".into(), b"layer".to_vec());
    let mut dir = header(EntryKind::Directory, "bin/", 0o750);
    (dir.uid, dir.mtime) = (7, Timestamp::new(1_234_567_890, 0));
    let mut null = header(EntryKind::CharDevice, "dev/null", 0o666);
    (null.dev_major, null.dev_minor) = (1, 3);
    let mut loop0 = header(EntryKind::BlockDevice, "dev/loop0", 0o660);
    (loop0.dev_major, loop0.dev_minor) = (7, 0);
    let mut sticky = header(EntryKind::Directory, "tmp", 0o1777);
    sticky.mtime = Timestamp::new(1_000_000_000, 0);
    let tar = Layer::new()
        .entry(dir, b"")
        .entry(setuid, b"tool")
        .symlink("bin/link", "tool")
        .hardlink("bin/hard", "bin/tool")
        .entry(header(EntryKind::Fifo, "run/fifo", 0o600), b"")
        .entry(null, b"")
        .entry(loop0, b"")
        .entry(sticky, b"")
        .file("tmp/inside", b"data")
        .bytes();
    let stats = apply(&tar, tmp.path()).unwrap();

    assert_eq!(stats.diff_id, Digest::sha256_of(&tar));
    assert_eq!(stats.tar_size, tar.len() as u64);
    assert_eq!((stats.unpacked_bytes, stats.entries), (8, 9));
    let t = describe(tmp.path());
    let m = "mtime=1600000000";
    let cap = format!("(\"security.capability\", {:?})", CAP_NET_BIND);
    let expected = [
        (
            "bin",
            "dir mode=750 owner=7:0 mtime=1234567890 xattrs=[]".to_string(),
        ),
        (
            "bin/hard",
            format!(
                "file:tool mode=4755 owner=1000:2000 {m} xattrs=[{cap}, (\"user.origin\", [108, 97, 121, 101, 114])]"
            ),
        ),
        (
            "bin/link",
            "symlink->tool mode=777 owner=0:0 xattrs=[]".to_string(),
        ),
        (
            "dev",
            format!(
                "dir mode=755 owner=0:0 mtime={} xattrs=[]",
                t["dev"]
                    .split("mtime=")
                    .nth(1)
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap()
            ),
        ),
        (
            "dev/loop0",
            format!("blk:7:0 mode=660 owner=0:0 {m} xattrs=[]"),
        ),
        (
            "dev/null",
            format!("chr:1:3 mode=666 owner=0:0 {m} xattrs=[]"),
        ),
        ("run/fifo", format!("fifo mode=600 owner=0:0 {m} xattrs=[]")),
        (
            "tmp",
            "dir mode=1777 owner=0:0 mtime=1000000000 xattrs=[]".to_string(),
        ),
        (
            "tmp/inside",
            format!("file:data mode=644 owner=0:0 {m} xattrs=[]"),
        ),
    ];
    for (path, want) in expected {
        assert_eq!(t[path], want, "{path}");
    }
    assert_eq!(t["bin/tool"], t["bin/hard"]);
    let ino = |p: &str| fs::metadata(tmp.path().join(p)).unwrap().ino();
    assert_eq!(ino("bin/tool"), ino("bin/hard"));
    // A parent missing from the layer is created like Docker does: 0755, root.
    assert!(t["run"].starts_with("dir mode=755 owner=0:0"));
}

#[test]
fn diff_id_covers_trailing_padding_and_compression_is_transparent() {
    let mut tar = Layer::new()
        .dir("etc", 0o755)
        .file("etc/hostname", b"wharf\n")
        .bytes();
    tar.extend_from_slice(&[0u8; 8192]); // writers that pad to a 10 KiB record
    let want = Digest::sha256_of(&tar);
    let mut trees = Vec::new();
    for kind in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let mut c = Compressor::new(Vec::new(), kind).unwrap();
        c.write_all(&tar).unwrap();
        let packed = c.finish().unwrap();
        let tmp = tempdir();
        let stats = apply(&packed, tmp.path()).unwrap();
        assert_eq!(
            (stats.diff_id.clone(), stats.tar_size),
            (want.clone(), tar.len() as u64),
            "{kind:?}"
        );
        trees.push(describe(tmp.path()));
    }
    assert_eq!(trees[0], trees[1]);
    assert_eq!(trees[0], trees[2]);
}

#[test]
fn overlay_mode_turns_whiteouts_into_devices_and_opaque_xattrs() {
    let tmp = tempdir();
    let tar = Layer::new()
        .file(".wh.gone", b"")
        .dir("dir", 0o755)
        .file("dir/.wh..wh..opq", b"")
        .file("dir/keep", b"k")
        .file("dir/sub/.wh.old", b"")
        .file(".wh..wh.plnk/123", b"aufs hardlink store")
        .file("x/.wh..wh.aufs", b"")
        .bytes();
    apply(&tar, tmp.path()).unwrap();
    let t = describe(tmp.path());
    assert!(t["gone"].starts_with("chr:0:0 "), "{}", t["gone"]);
    assert!(t["dir/sub/old"].starts_with("chr:0:0 "));
    assert!(
        t["dir"].contains(r#"("trusted.overlay.opaque", [121])"#),
        "{}",
        t["dir"]
    );
    assert!(
        t.keys().all(|k| !k.contains(".wh.")),
        "no whiteout files are written: {t:?}"
    );
    assert!(
        !t.contains_key(".wh..wh.plnk") && !t.contains_key("x"),
        "aufs metadata is skipped: {t:?}"
    );
}

#[test]
fn remove_mode_deletes_whited_out_paths_and_empties_opaque_dirs_of_older_content() {
    let tmp = tempdir();
    let base = Layer::new()
        .file("gone", b"old")
        .file("olddir/a/b", b"old")
        .file("dir/old1", b"old")
        .file("dir/sub/old2", b"old")
        .file("other/kept", b"kept")
        .bytes();
    apply_layer(&base[..], tmp.path(), &remove_mode()).unwrap();
    let upper = Layer::new()
        .file(".wh.gone", b"")
        .file(".wh.olddir", b"")
        .dir("dir", 0o755)
        .file("dir/new", b"new")
        .dir("dir/sub", 0o755)
        .file("dir/sub/new2", b"new")
        // The marker after this layer's own children must not remove them.
        .file("dir/.wh..wh..opq", b"")
        .file("other/.wh.missing", b"")
        .bytes();
    apply_layer(&upper[..], tmp.path(), &remove_mode()).unwrap();
    let t = describe(tmp.path());
    let names: Vec<&str> = t.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "dir",
            "dir/new",
            "dir/sub",
            "dir/sub/new2",
            "other",
            "other/kept"
        ]
    );
}

#[test]
fn an_entry_replaces_what_is_there_unless_both_are_directories() {
    let tmp = tempdir();
    let mut redeclared = header(EntryKind::Directory, "keepdir", 0o700);
    redeclared.uid = 42;
    let tar = Layer::new()
        .file("x", b"file first")
        .dir("x", 0o755)
        .file("x/child", b"c")
        .dir("d", 0o755)
        .file("d/child", b"c")
        .file("d", b"now a file")
        .dir("keepdir", 0o755)
        .file("keepdir/child", b"kept")
        .entry(redeclared, b"")
        .symlink("s", "/etc/passwd")
        .file("s", b"regular now")
        .file("dup", b"first")
        .file("dup", b"second")
        .bytes();
    apply(&tar, tmp.path()).unwrap();
    let t = describe(tmp.path());
    assert!(t["x"].starts_with("dir") && t["x/child"].starts_with("file:c"));
    assert!(t["d"].starts_with("file:now a file") && !t.contains_key("d/child"));
    assert!(
        t["keepdir"].starts_with("dir mode=700 owner=42:0"),
        "{}",
        t["keepdir"]
    );
    assert!(t["keepdir/child"].starts_with("file:kept"));
    assert!(t["s"].starts_with("file:regular now"));
    assert!(t["dup"].starts_with("file:second"));
}

#[test]
fn a_directory_replacing_a_whiteout_in_the_same_layer_is_opaque() {
    let tmp = tempdir();
    let tar = Layer::new()
        .file(".wh.foo", b"")
        .dir("foo", 0o755)
        .file("foo/new", b"n")
        .bytes();
    apply(&tar, tmp.path()).unwrap();
    let x = xattrs(&tmp.path().join("foo"));
    assert_eq!(
        x,
        vec![("trusted.overlay.opaque".to_string(), b"y".to_vec())]
    );
}

#[test]
fn id_map_shifts_owners_and_refuses_ids_outside_it() {
    let tmp = tempdir();
    let map = IdMap {
        uids: vec![IdRange {
            container: 0,
            host: 100_000,
            size: 65536,
        }],
        gids: vec![IdRange {
            container: 0,
            host: 200_000,
            size: 65536,
        }],
    };
    let opts = ApplyOptions {
        id_map: Some(map),
        ..ApplyOptions::default()
    };
    let mut f = header(EntryKind::Regular, "f", 0o644);
    (f.uid, f.gid) = (1000, 50);
    let tar = Layer::new()
        .dir("d", 0o755)
        .entry(f, b"")
        .symlink("l", "f")
        .bytes();
    apply_layer(&tar[..], tmp.path(), &opts).unwrap();
    let owner = |p: &str| {
        let m = fs::symlink_metadata(tmp.path().join(p)).unwrap();
        (m.uid(), m.gid())
    };
    assert_eq!(owner("d"), (100_000, 200_000));
    assert_eq!(owner("f"), (101_000, 200_050));
    assert_eq!(owner("l"), (100_000, 200_000));

    let mut bad = header(EntryKind::Regular, "bad", 0o644);
    bad.uid = 70_000;
    let err =
        apply_layer(&Layer::new().entry(bad, b"").bytes()[..], tmp.path(), &opts).unwrap_err();
    assert_eq!(
        err.to_string(),
        "entry \"bad\": uid 70000 is not covered by the id map"
    );
}

#[test]
fn overlay_internal_xattrs_in_a_layer_are_dropped_with_a_warning() {
    let tmp = tempdir();
    let mut d = header(EntryKind::Directory, "d", 0o755);
    d.xattrs
        .insert("trusted.overlay.redirect".into(), b"/etc".to_vec());
    d.xattrs
        .insert("trusted.overlay.opaque".into(), b"y".to_vec());
    let stats = apply(&Layer::new().entry(d, b"").bytes(), tmp.path()).unwrap();
    assert!(xattrs(&tmp.path().join("d")).is_empty());
    assert_eq!(stats.warnings.len(), 2, "{:?}", stats.warnings);
    assert!(stats.warnings[0].contains("ignored overlay-internal xattr trusted.overlay.opaque"));
}

#[test]
fn a_refused_privileged_xattr_fails_unless_the_caller_allows_skipping_it() {
    let mut f = header(EntryKind::Regular, "f", 0o755);
    f.xattrs
        .insert("security.capability".into(), b"not a capability".to_vec());
    let tar = Layer::new().entry(f, b"").bytes();

    let tmp = tempdir();
    let err = apply(&tar, tmp.path()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("layer entry \"f\": setting extended attribute: security.capability:"),
        "{err}"
    );
    let opts = ApplyOptions {
        ignore_xattr_errors: true,
        ..ApplyOptions::default()
    };
    let stats = apply_layer(&tar[..], tmp.path(), &opts).unwrap();
    assert!(
        stats.warnings[0].starts_with("f: xattr security.capability not set"),
        "{:?}",
        stats.warnings
    );
    assert!(tmp.path().join("f").is_file());
}

#[test]
fn the_root_entry_sets_root_metadata_and_cannot_be_replaced() {
    let tmp = tempdir();
    let mut root = header(EntryKind::Directory, "./", 0o711);
    root.mtime = Timestamp::new(1_111_111_111, 0);
    apply(
        &Layer::new().entry(root, b"").file("./a", b"a").bytes(),
        tmp.path(),
    )
    .unwrap();
    let m = fs::metadata(tmp.path()).unwrap();
    assert_eq!((m.mode() & 0o7777, m.mtime()), (0o711, 1_111_111_111));

    let err = apply(&Layer::new().symlink(".", "/").bytes(), tmp.path()).unwrap_err();
    assert!(matches!(err, ArchiveError::UnsafePath { .. }), "{err}");
}

#[test]
fn a_truncated_layer_fails_naming_the_entry() {
    let tar = Layer::new()
        .file("complete", b"ok")
        .file("partial", &[7u8; 5000])
        .bytes();
    let tmp = tempdir();
    let err = apply(&tar[..512 * 3 + 1000], tmp.path()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "truncated tar archive: unexpected end of stream in the data of entry \"partial\""
    );
}

#[test]
fn owners_are_set_even_where_a_setgid_directory_would_pass_its_group_on() {
    let tmp = tempdir();
    let mut sg = header(EntryKind::Directory, "sg", 0o2775);
    sg.gid = 50;
    let tar = Layer::new()
        .entry(sg, b"")
        .file("sg/f", b"f")
        .dir("sg/d", 0o755)
        .symlink("sg/l", "f")
        .bytes();
    apply(&tar, tmp.path()).unwrap();
    let t = describe(tmp.path());
    assert!(
        t["sg"].starts_with("dir mode=2775 owner=0:50"),
        "{}",
        t["sg"]
    );
    for p in ["sg/f", "sg/d", "sg/l"] {
        assert!(t[p].contains(" owner=0:0"), "{p}: {}", t[p]);
    }
    assert!(
        t["sg/d"].starts_with("dir mode=755 "),
        "setgid is not inherited: {}",
        t["sg/d"]
    );
}
