//! From directories back to layers: upper dirs, `docker diff`, full-tree diffs, exports, and
//! round trips through a real overlayfs mount.

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Layer, describe, header, headers, run, tempdir};
use rustix::fs::{FileType, Mode};
use wharf_archive::tar::{EntryKind, Header, Timestamp};
use wharf_archive::{
    ApplyOptions, ArchiveError, Change, ChangeKind, Whiteouts, WriteOptions, apply_layer, changes,
    diff_trees, write_layer_from_upper, write_tree,
};
use wharf_digest::Digest;

fn whiteout(path: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        FileType::CharacterDevice,
        Mode::empty(),
        0,
    )
    .unwrap();
}

fn set_xattr(path: &Path, k: &str, v: &[u8]) {
    rustix::fs::lsetxattr(path, k, v, rustix::fs::XattrFlags::empty()).unwrap();
}

fn layer_of_upper(upper: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    let stats = write_layer_from_upper(upper, &mut out, &WriteOptions::default()).unwrap();
    assert_eq!(stats.diff_id, Digest::sha256_of(&out));
    assert_eq!(stats.size, out.len() as u64);
    out
}

fn apply_with(tar: &[u8], dest: &Path, whiteouts: Whiteouts) {
    let opts = ApplyOptions {
        whiteouts,
        ..ApplyOptions::default()
    };
    apply_layer(tar, dest, &opts).unwrap();
}

/// An overlayfs mount, unmounted when dropped (also when the test panics).
struct Overlay {
    target: PathBuf,
}

impl Overlay {
    fn mount(lowers: &[&Path], upper: Option<(&Path, &Path)>, target: &Path) -> Overlay {
        let lower: Vec<String> = lowers.iter().map(|p| p.display().to_string()).collect();
        let mut data = format!("lowerdir={}", lower.join(":"));
        if let Some((upper, work)) = upper {
            data += &format!(",upperdir={},workdir={}", upper.display(), work.display());
        }
        data += ",redirect_dir=off,metacopy=off,index=off";
        rustix::mount::mount(
            "overlay",
            target,
            "overlay",
            rustix::mount::MountFlags::empty(),
            std::ffi::CString::new(data.clone()).unwrap().as_c_str(),
        )
        .unwrap_or_else(|e| panic!("mounting overlay ({data}): {e}"));
        Overlay {
            target: target.to_path_buf(),
        }
    }
}

impl Drop for Overlay {
    fn drop(&mut self) {
        let _ = rustix::mount::unmount(&self.target, rustix::mount::UnmountFlags::DETACH);
    }
}

fn mkdirs(root: &Path, names: &[&str]) -> Vec<PathBuf> {
    names
        .iter()
        .map(|n| {
            let p = root.join(n);
            fs::create_dir_all(&p).unwrap();
            p
        })
        .collect()
}

#[test]
fn upper_dir_becomes_a_layer_with_docker_whiteouts_and_opaque_markers() {
    let tmp = tempdir();
    let up = tmp.path();
    fs::write(up.join("a.txt"), b"a").unwrap();
    fs::create_dir(up.join("dir")).unwrap();
    fs::set_permissions(up.join("dir"), fs::Permissions::from_mode(0o750)).unwrap();
    fs::write(up.join("dir/child"), b"c").unwrap();
    set_xattr(&up.join("dir"), "trusted.overlay.opaque", b"y");
    whiteout(&up.join("gone"));
    fs::write(up.join("kept"), b"k").unwrap();
    set_xattr(&up.join("kept"), "trusted.overlay.origin", b"\0\xfb");
    set_xattr(&up.join("kept"), "user.note", b"n");

    let tar = layer_of_upper(up);
    let entries = headers(&tar);
    let view: Vec<(String, EntryKind, u32, usize)> = entries
        .iter()
        .map(|(h, d)| {
            (
                h.display_path(),
                h.kind,
                h.mode,
                h.xattrs.len() + d.len() * 100,
            )
        })
        .collect();
    assert_eq!(
        view,
        [
            ("a.txt".into(), EntryKind::Regular, 0o644, 100),
            ("dir/".into(), EntryKind::Directory, 0o750, 0),
            ("dir/.wh..wh..opq".into(), EntryKind::Regular, 0o750, 0),
            ("dir/child".into(), EntryKind::Regular, 0o644, 100),
            (".wh.gone".into(), EntryKind::Regular, 0o600, 0),
            ("kept".into(), EntryKind::Regular, 0o644, 101),
        ]
    );
    let kept = &entries[5].0;
    assert_eq!(
        kept.xattrs.keys().collect::<Vec<_>>(),
        ["user.note"],
        "overlay xattrs are dropped"
    );
}

#[test]
fn upper_dirs_with_redirects_or_metacopy_are_refused() {
    let tmp = tempdir();
    fs::create_dir(tmp.path().join("moved")).unwrap();
    set_xattr(
        &tmp.path().join("moved"),
        "trusted.overlay.redirect",
        b"/old",
    );
    let err = write_layer_from_upper(tmp.path(), Vec::new(), &WriteOptions::default()).unwrap_err();
    assert!(matches!(err, ArchiveError::UnsupportedUpper { .. }));
    assert!(err.to_string().ends_with("moved: renamed directory (overlay redirect_dir): mount the overlay with redirect_dir=off"), "{err}");
}

/// A layer exercising every kind of entry, in canonical (sorted depth-first) order.
fn rich_layer() -> Vec<u8> {
    let mut tool = header(EntryKind::Regular, "bin/hard", 0o4711);
    (tool.uid, tool.gid, tool.size) = (1000, 1000, 6);
    tool.xattrs.insert("user.k".into(), b"v".to_vec());
    let mut link = tool.clone();
    (link.kind, link.path, link.link_name, link.size) = (
        EntryKind::HardLink,
        b"bin/tool".to_vec(),
        b"bin/hard".to_vec(),
        0,
    );
    link.xattrs.clear();
    let mut null = header(EntryKind::CharDevice, "dev/null", 0o666);
    (null.dev_major, null.dev_minor) = (1, 3);
    let mut opq = header(EntryKind::Regular, "opq/.wh..wh..opq", 0o755);
    opq.mtime = Timestamp::new(1_600_000_000, 0);
    Layer::new()
        .dir("bin", 0o755)
        .entry(tool, b"binary")
        .symlink("bin/sh", "hard")
        .entry(link, b"")
        .dir("dev", 0o755)
        .entry(null, b"")
        .entry(header(EntryKind::Fifo, "dev/pipe", 0o600), b"")
        .dir("opq", 0o755)
        .entry(opq, b"")
        .file("opq/new", b"n")
        .entry(header(EntryKind::Regular, ".wh.removed", 0o600), b"")
        .bytes()
}

/// The parts of a layer that must survive apply → write-from-upper. Whiteout mtimes are the
/// time of deletion, not content, and are left out.
fn normalized(tar: &[u8]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = headers(tar)
        .into_iter()
        .map(|(mut h, d): (Header, Vec<u8>)| {
            let name = h.display_path();
            if name.rsplit('/').next().unwrap().starts_with(".wh.") && !name.ends_with("opq") {
                h.mtime = Timestamp::default();
            }
            (
                name,
                format!(
                    "{:?} {:?} {:?}",
                    h.kind,
                    (h.mode, h.uid, h.gid, h.mtime, h.size),
                    (h.link_name, h.xattrs, d, h.dev_major, h.dev_minor)
                ),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn apply_then_write_from_upper_round_trips_a_layer() {
    let tmp = tempdir();
    let original = rich_layer();
    apply_with(&original, tmp.path(), Whiteouts::Overlay);
    let again = layer_of_upper(tmp.path());
    assert_eq!(normalized(&again), normalized(&original));
    // Hard links come out as links to the first path in walk order.
    let hard = headers(&again)
        .into_iter()
        .find(|(h, _)| h.path == b"bin/tool")
        .unwrap()
        .0;
    assert_eq!(
        (hard.kind, hard.link_name),
        (EntryKind::HardLink, b"bin/hard".to_vec())
    );
}

#[test]
fn write_tree_is_deterministic_and_clamps_mtimes() {
    let tmp = tempdir();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    fs::create_dir(&a).unwrap();
    for i in (0..50).rev() {
        fs::write(a.join(format!("f{i:02}")), format!("{i}")).unwrap();
    }
    fs::create_dir(a.join("sub")).unwrap();
    symlink("../f01", a.join("sub/link")).unwrap();
    fs::hard_link(a.join("f07"), a.join("sub/h")).unwrap();
    // A copy made in another order has other inode numbers and creation times.
    run(Command::new("cp").arg("-a").arg(&a).arg(&b));
    let export = |dir: &Path, opts: &WriteOptions| {
        let mut out = Vec::new();
        write_tree(dir, &mut out, opts).unwrap();
        out
    };
    let opts = WriteOptions::default();
    assert_eq!(export(&a, &opts), export(&a, &opts));
    assert_eq!(export(&a, &opts), export(&b, &opts));
    let clamp = WriteOptions {
        mtime_clamp: Some(86_400),
        ..WriteOptions::default()
    };
    let clamped = export(&a, &clamp);
    assert!(
        headers(&clamped)
            .iter()
            .all(|(h, _)| h.mtime == Timestamp::new(86_400, 0))
    );
    assert_eq!(clamped, export(&b, &clamp));
}

fn kinds(changes: &[Change]) -> Vec<String> {
    changes.iter().map(|c| c.to_string()).collect()
}

#[test]
fn changes_of_a_real_overlay_upper_follow_dockers_rules() {
    let tmp = tempdir();
    let [lower, upper, work, merged] = mkdirs(tmp.path(), &["lower", "upper", "work", "merged"])
        .try_into()
        .unwrap();
    let base = Layer::new()
        .dir("etc", 0o755)
        .file("etc/hosts", b"h")
        .file("etc/passwd", b"p")
        .dir("opt", 0o755)
        .dir("opt/app", 0o755)
        .file("opt/app/a", b"a")
        .file("opt/app/b", b"b")
        .dir("usr", 0o755)
        .dir("usr/bin", 0o755)
        .file("usr/bin/ls", b"ls")
        .dir("var", 0o755)
        .bytes();
    apply_with(&base, &lower, Whiteouts::Overlay);
    {
        let _m = Overlay::mount(&[&lower], Some((&upper, &work)), &merged);
        fs::write(merged.join("etc/passwd"), b"changed").unwrap();
        fs::write(merged.join("etc/new"), b"new").unwrap();
        fs::remove_file(merged.join("usr/bin/ls")).unwrap();
        fs::remove_dir_all(merged.join("opt/app")).unwrap();
        fs::create_dir(merged.join("opt/app")).unwrap();
        fs::write(merged.join("opt/app/c"), b"c").unwrap();
        fs::create_dir_all(merged.join("var/lib/new")).unwrap();
    }
    let got = changes(&upper, &[&lower]).unwrap();
    assert_eq!(
        kinds(&got),
        [
            "C /etc",
            "A /etc/new",
            "C /etc/passwd",
            "C /opt",
            "C /opt/app",
            "D /opt/app/a",
            "D /opt/app/b",
            "A /opt/app/c",
            "C /usr",
            "C /usr/bin",
            "D /usr/bin/ls",
            "C /var",
            "A /var/lib",
            "A /var/lib/new",
        ]
    );
    assert_eq!(
        got[1],
        Change {
            kind: ChangeKind::Added,
            path: "/etc/new".into()
        }
    );
    assert_eq!(ChangeKind::Deleted as u8, 2, "Docker's numbering");
}

#[test]
fn changes_see_lower_layers_through_their_own_whiteouts() {
    let tmp = tempdir();
    let [l1, l2, upper] = mkdirs(tmp.path(), &["l1", "l2", "upper"])
        .try_into()
        .unwrap();
    fs::write(l1.join("old"), b"o").unwrap();
    whiteout(&l2.join("old")); // deleted in the second layer
    fs::write(upper.join("old"), b"back").unwrap();
    let got = changes(&upper, &[&l2, &l1]).unwrap();
    assert_eq!(kinds(&got), ["A /old"]);
    let got = changes(&upper, &[&l1]).unwrap();
    assert_eq!(kinds(&got), ["C /old"]);
}

#[test]
fn overlay_mount_of_applied_layers_matches_applying_them_onto_one_tree() {
    let tmp = tempdir();
    let [base_dir, top_dir, merged, flat, upper, work] = mkdirs(
        tmp.path(),
        &["base", "top", "merged", "flat", "upper", "work"],
    )
    .try_into()
    .unwrap();
    let base = Layer::new()
        .dir("etc", 0o755)
        .file("etc/a", b"a")
        .file("etc/b", b"b")
        .dir("lib", 0o755)
        .file("lib/x", b"x")
        .file("lib/y", b"y")
        .dir("srv", 0o700)
        .file("srv/data", b"d")
        .bytes();
    let top = Layer::new()
        .dir("etc", 0o755)
        .file("etc/.wh.a", b"")
        .file("etc/c", b"c")
        .dir("lib", 0o755)
        .file("lib/.wh..wh..opq", b"")
        .file("lib/z", b"z")
        .file(".wh.srv", b"")
        .bytes();
    apply_with(&base, &base_dir, Whiteouts::Overlay);
    apply_with(&top, &top_dir, Whiteouts::Overlay);
    apply_with(&base, &flat, Whiteouts::Remove);
    apply_with(&top, &flat, Whiteouts::Remove);
    let want = describe(&flat);
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        ["etc", "etc/b", "etc/c", "lib", "lib/z"]
    );

    let _m = Overlay::mount(&[&top_dir, &base_dir], None, &merged);
    assert_eq!(describe(&merged), want);
    drop(_m);

    // Now a container on top: its upper dir as a layer reproduces the merged view.
    let m = Overlay::mount(&[&top_dir, &base_dir], Some((&upper, &work)), &merged);
    fs::remove_file(merged.join("etc/b")).unwrap();
    fs::remove_dir_all(merged.join("lib")).unwrap();
    fs::create_dir(merged.join("lib")).unwrap();
    fs::write(merged.join("lib/fresh"), b"f").unwrap();
    fs::write(merged.join("etc/c"), b"edited").unwrap();
    let after = describe(&merged);
    drop(m);
    let layer = layer_of_upper(&upper);
    apply_with(&layer, &flat, Whiteouts::Remove);
    assert_eq!(describe(&flat), after);
    let got = changes(&upper, &[&top_dir, &base_dir]).unwrap();
    assert_eq!(
        kinds(&got),
        [
            "C /etc",
            "D /etc/b",
            "C /etc/c",
            "C /lib",
            "A /lib/fresh",
            "D /lib/z"
        ]
    );
}

#[test]
fn diff_of_two_full_trees_reproduces_the_new_tree_in_both_apply_modes() {
    let tmp = tempdir();
    let [lower, target, layer_dir, merged] =
        mkdirs(tmp.path(), &["lower", "target", "layer", "merged"])
            .try_into()
            .unwrap();
    let upper = tmp.path().join("upper");
    let base = Layer::new()
        .dir("d", 0o755)
        .file("d/same", b"s")
        .file("d/edit", b"old")
        .file("d/gone", b"g")
        .dir("d/deep", 0o755)
        .dir("d/deep/er", 0o755)
        .file("d/deep/er/f", b"f")
        .dir("olddir", 0o755)
        .file("olddir/x", b"x")
        .dir("perm", 0o755)
        .file("replace", b"file")
        .symlink("sym", "d/same")
        .bytes();
    apply_with(&base, &lower, Whiteouts::Remove);
    run(Command::new("cp").arg("-a").arg(&lower).arg(&upper));
    apply_with(&base, &target, Whiteouts::Remove);
    fs::write(upper.join("d/edit"), b"new content").unwrap();
    fs::remove_file(upper.join("d/gone")).unwrap();
    fs::write(upper.join("d/deep/er/added"), b"a").unwrap();
    fs::remove_dir_all(upper.join("olddir")).unwrap();
    fs::set_permissions(upper.join("perm"), fs::Permissions::from_mode(0o700)).unwrap();
    fs::remove_file(upper.join("replace")).unwrap();
    fs::create_dir(upper.join("replace")).unwrap();
    fs::remove_file(upper.join("sym")).unwrap();
    symlink("d/edit", upper.join("sym")).unwrap();
    set_xattr(&upper.join("d/same"), "user.tag", b"t");

    let mut layer = Vec::new();
    let stats = diff_trees(&lower, &upper, &mut layer, &WriteOptions::default()).unwrap();
    assert_eq!(stats.diff_id, Digest::sha256_of(&layer));
    let names = common::names(&layer);
    assert_eq!(
        names,
        [
            "d/",
            "d/deep/",
            "d/deep/er/",
            "d/deep/er/added",
            "d/edit",
            "d/.wh.gone",
            "d/same",
            ".wh.olddir",
            "perm/",
            "replace/",
            "sym"
        ],
        "only changes, their parent directories and whiteouts"
    );
    apply_with(&layer, &target, Whiteouts::Remove);
    assert_eq!(describe(&target), describe(&upper));

    apply_with(&layer, &layer_dir, Whiteouts::Overlay);
    let _m = Overlay::mount(&[&layer_dir, &lower], None, &merged);
    assert_eq!(describe(&merged), describe(&upper));
}
