//! Layers unpacked out of order (parallel pulls) keep their whiteouts and opaque directories.

use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use wharf_image::ImageStore;
use wharf_image::store::TABLES;
use wharf_store::content::ContentStore;
use wharf_store::db::Db;
use wharf_store::journal::JOURNAL;
use wharf_store::lease::Leases;
use wharf_store::snapshot::{DirSnapshotter, Driver, Snapshotter};

fn store(dir: &Path) -> ImageStore {
    let mut tables = TABLES.to_vec();
    tables.extend(DirSnapshotter::TABLES);
    tables.push(JOURNAL);
    let db = Arc::new(Db::open(&dir.join("m.db"), &tables).unwrap());
    let snaps: Arc<dyn Snapshotter> = Arc::new(
        DirSnapshotter::new(db.clone(), &dir.join("snapshots"), Driver::Overlay, None).unwrap(),
    );
    let content = ContentStore::open(&dir.join("content")).unwrap();
    ImageStore::new(db, content, snaps, Leases::new())
}

/// A layer tar of `tree` made by GNU tar (whiteouts are plain files named `.wh.*`).
fn layer(tree: &Path) -> Vec<u8> {
    let out = Command::new("tar")
        .args(["--numeric-owner", "--owner=0", "--group=0", "-C"])
        .arg(tree)
        .args(["-cf", "-", "."])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn whiteouts_and_opaque_dirs_survive_unpacking_the_top_layer_first() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: overlay whiteouts are device nodes, which need root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let base = dir.path().join("base");
    fs::create_dir_all(base.join("etc/conf.d")).unwrap();
    fs::write(base.join("etc/gone"), b"x").unwrap();
    fs::write(base.join("etc/conf.d/old"), b"x").unwrap();
    let top = dir.path().join("top");
    fs::create_dir_all(top.join("etc/conf.d")).unwrap();
    fs::write(top.join("etc/.wh.gone"), b"").unwrap();
    fs::write(top.join("etc/conf.d/.wh..wh..opq"), b"").unwrap();
    fs::write(top.join("etc/conf.d/new"), b"y").unwrap();
    let (base_tar, top_tar) = (layer(&base), layer(&top));

    // The top layer lands first, as it may in a parallel pull.
    let t = s.unpack_detached(&top_tar[..]).unwrap();
    let b = s.unpack_detached(&base_tar[..]).unwrap();
    let mut lease = s.lease();
    let b = s.commit_detached(&mut lease, b, None, None).unwrap();
    let t = s
        .commit_detached(&mut lease, t, Some(&b.chain_id), None)
        .unwrap();
    assert_eq!(
        wharf_image::spec::chain_ids(&[b.diff_id.clone(), t.diff_id.clone()])[1],
        t.chain_id
    );

    let upper = s.snapshots().upper_dir(t.chain_id.as_str()).unwrap();
    let wh = fs::symlink_metadata(upper.join("etc/gone")).unwrap();
    assert!(
        wh.file_type().is_char_device(),
        "a whiteout is a 0/0 char device"
    );
    let opaque = Command::new("getfattr")
        .args(["--absolute-names", "-n", "trusted.overlay.opaque"])
        .arg(upper.join("etc/conf.d"))
        .output();
    if let Ok(o) = opaque
        && o.status.success()
    {
        assert!(String::from_utf8_lossy(&o.stdout).contains("\"y\""));
    }

    // Mounted, the stack shows what the image means.
    let lowers: Vec<String> = std::iter::once(upper.clone())
        .chain(s.snapshots().parent_dirs(t.chain_id.as_str()).unwrap())
        .map(|p| p.display().to_string())
        .collect();
    let merged = dir.path().join("merged");
    fs::create_dir(&merged).unwrap();
    let st = Command::new("mount")
        .args(["-t", "overlay", "overlay", "-o"])
        .arg(format!("lowerdir={}", lowers.join(":")))
        .arg(&merged)
        .status()
        .unwrap();
    assert!(st.success());
    let seen = (
        merged.join("etc/gone").exists(),
        merged.join("etc/conf.d/old").exists(),
        merged.join("etc/conf.d/new").exists(),
    );
    let _ = Command::new("umount").arg(&merged).status();
    assert_eq!(seen, (false, false, true));
}

#[test]
fn a_detached_layer_with_the_wrong_diff_id_is_refused_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let tree = dir.path().join("t");
    fs::create_dir_all(&tree).unwrap();
    fs::write(tree.join("f"), b"f").unwrap();
    let l = s.unpack_detached(&layer(&tree)[..]).unwrap();
    let wrong = wharf_digest::Digest::sha256_of(b"other");
    let mut lease = s.lease();
    let e = s
        .commit_detached(&mut lease, l, None, Some(&wrong))
        .unwrap_err();
    assert!(e.to_string().contains("layer digest mismatch"), "{e}");
    assert!(s.snapshots().list().unwrap().is_empty());
}
