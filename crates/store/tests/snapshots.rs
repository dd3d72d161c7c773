//! Shared behaviour every snapshot driver must have.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use wharf_store::StoreError;
use wharf_store::db::Db;
use wharf_store::journal::{self, JOURNAL};
use wharf_store::snapshot::{DirSnapshotter, Driver, Kind, Snapshotter};

fn cp_a(src: &Path, dst: &Path) -> std::io::Result<()> {
    let st = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", src.display()))
        .arg(dst)
        .status()?;
    if st.success() {
        Ok(())
    } else {
        Err(std::io::Error::other("cp -a failed"))
    }
}

fn open(dir: &Path, driver: Driver) -> (Arc<Db>, DirSnapshotter) {
    let mut tables = DirSnapshotter::TABLES.to_vec();
    tables.push(JOURNAL);
    let db = Arc::new(Db::open(&dir.join("meta.db"), &tables).unwrap());
    let s = DirSnapshotter::new(
        db.clone(),
        &dir.join("snapshots"),
        driver,
        Some(Arc::new(cp_a)),
    )
    .unwrap();
    (db, s)
}

fn each_driver(f: impl Fn(Driver)) {
    f(Driver::Overlay);
    f(Driver::Copy);
}

#[test]
fn layers_commit_into_a_chain_and_children_see_parent_content() {
    each_driver(|driver| {
        let dir = tempfile::tempdir().unwrap();
        let (_db, s) = open(dir.path(), driver);
        s.prepare("extract-1", None, true).unwrap();
        fs::write(s.upper_dir("extract-1").unwrap().join("base"), b"1").unwrap();
        let base = s.commit("chain-1", "extract-1").unwrap();
        assert_eq!(base.kind, Kind::Committed);
        assert_eq!(base.size, 1);
        assert!(matches!(
            s.stat("extract-1"),
            Err(StoreError::SnapshotNotFound(_))
        ));

        s.prepare("extract-2", Some("chain-1"), true).unwrap();
        let upper = s.upper_dir("extract-2").unwrap();
        match driver {
            Driver::Overlay => assert!(!upper.join("base").exists(), "overlay layers hold diffs"),
            Driver::Copy => assert!(upper.join("base").exists(), "copy layers hold full trees"),
        }
        fs::write(upper.join("top"), b"22").unwrap();
        s.commit("chain-2", "extract-2").unwrap();
        assert_eq!(s.parent_dirs("chain-2").unwrap().len(), 1);
        assert!(matches!(
            s.remove("chain-1"),
            Err(StoreError::SnapshotInUse(_, 1))
        ));

        let mounts = s.prepare("ctr", Some("chain-2"), false).unwrap();
        assert_eq!(mounts.len(), 1);
        match driver {
            Driver::Overlay => {
                assert_eq!(mounts[0].fstype, "overlay");
                let lower = mounts[0]
                    .options
                    .iter()
                    .find(|o| o.starts_with("lowerdir="))
                    .unwrap();
                assert_eq!(
                    lower.matches(':').count(),
                    1,
                    "two lower dirs, nearest first"
                );
            }
            Driver::Copy => assert_eq!(mounts[0].fstype, "bind"),
        }
        s.remove("ctr").unwrap();
        s.remove("chain-2").unwrap();
        s.remove("chain-1").unwrap();
        assert!(s.list().unwrap().is_empty());
        assert!(s.orphan_dirs().unwrap().is_empty());
        assert_eq!(
            fs::read_dir(dir.path().join("snapshots")).unwrap().count(),
            0
        );
    });
}

#[test]
fn uncommitted_ephemeral_snapshots_are_undone_by_recovery() {
    each_driver(|driver| {
        let dir = tempfile::tempdir().unwrap();
        {
            let (_db, s) = open(dir.path(), driver);
            s.prepare("extract-x", None, true).unwrap();
            fs::write(s.upper_dir("extract-x").unwrap().join("half"), b"partial").unwrap();
            s.prepare("ctr", None, false).unwrap();
            // the process "dies" here: no commit
        }
        let (db, s) = open(dir.path(), driver);
        let n = journal::recover(&db, DirSnapshotter::drop_record).unwrap();
        assert_eq!(n, 1);
        let keys: Vec<String> = s.list().unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            vec!["ctr".to_string()],
            "durable snapshots survive, ephemeral ones go"
        );
        assert!(s.orphan_dirs().unwrap().is_empty());
        assert_eq!(
            fs::read_dir(dir.path().join("snapshots")).unwrap().count(),
            1
        );
    });
}

#[test]
fn parents_must_be_committed_and_keys_unique() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, s) = open(dir.path(), Driver::Overlay);
    s.prepare("a", None, false).unwrap();
    assert!(matches!(
        s.prepare("b", Some("a"), false),
        Err(StoreError::SnapshotKind { .. })
    ));
    assert!(matches!(
        s.prepare("a", None, false),
        Err(StoreError::SnapshotExists(_))
    ));
    assert!(matches!(
        s.prepare("c", Some("nope"), false),
        Err(StoreError::SnapshotNotFound(_))
    ));
}

#[test]
fn stray_directories_are_reported_as_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, s) = open(dir.path(), Driver::Overlay);
    s.prepare("a", None, false).unwrap();
    fs::create_dir_all(dir.path().join("snapshots/999/fs")).unwrap();
    let orphans = s.orphan_dirs().unwrap();
    assert_eq!(orphans, vec![dir.path().join("snapshots/999")]);
}

#[test]
fn overlay_mount_description_mounts_and_shows_the_merged_tree() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: needs root to mount overlayfs");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_db, s) = open(dir.path(), Driver::Overlay);
    s.prepare("l1", None, true).unwrap();
    fs::write(s.upper_dir("l1").unwrap().join("a"), b"a").unwrap();
    s.commit("c1", "l1").unwrap();
    s.prepare("l2", Some("c1"), true).unwrap();
    fs::write(s.upper_dir("l2").unwrap().join("b"), b"b").unwrap();
    s.commit("c2", "l2").unwrap();
    let m = &s.prepare("ctr", Some("c2"), false).unwrap()[0];
    let target = dir.path().join("merged");
    fs::create_dir(&target).unwrap();
    let st = Command::new("mount")
        .args(["-t", &m.fstype, &m.source, "-o", &m.options.join(",")])
        .arg(&target)
        .status()
        .unwrap();
    assert!(st.success());
    let seen = (target.join("a").exists(), target.join("b").exists());
    fs::write(target.join("c"), b"c").unwrap();
    let _ = Command::new("umount").arg(&target).status();
    assert_eq!(seen, (true, true));
    assert!(
        s.upper_dir("ctr").unwrap().join("c").exists(),
        "writes land in the upper dir"
    );
}

#[test]
fn detached_layers_link_to_their_parent_at_commit_in_any_unpack_order() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, s) = open(dir.path(), Driver::Overlay);
    // The top layer is prepared (and written) before its parent exists.
    s.prepare("extract-top", None, true).unwrap();
    fs::write(s.upper_dir("extract-top").unwrap().join("top"), b"2").unwrap();
    s.prepare("extract-base", None, true).unwrap();
    fs::write(s.upper_dir("extract-base").unwrap().join("base"), b"1").unwrap();
    assert!(matches!(
        s.commit_onto("chain-2", "extract-top", Some("chain-1")),
        Err(StoreError::SnapshotNotFound(_))
    ));
    s.commit_onto("chain-1", "extract-base", None).unwrap();
    let top = s
        .commit_onto("chain-2", "extract-top", Some("chain-1"))
        .unwrap();
    assert_eq!(top.parent.as_deref(), Some("chain-1"));
    assert_eq!(s.stat("chain-1").unwrap().children, 1);
    assert_eq!(s.parent_dirs("chain-2").unwrap().len(), 1);
    assert!(matches!(
        s.remove("chain-1"),
        Err(StoreError::SnapshotInUse(_, 1))
    ));
    s.remove("chain-2").unwrap();
    s.remove("chain-1").unwrap();
}

#[test]
fn copy_driver_refuses_to_relink_a_full_tree() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, s) = open(dir.path(), Driver::Copy);
    s.prepare("a", None, true).unwrap();
    s.commit("chain-1", "a").unwrap();
    s.prepare("b", None, true).unwrap();
    assert!(matches!(
        s.commit_onto("chain-2", "b", Some("chain-1")),
        Err(StoreError::Relink { .. })
    ));
    // Committing with the parent it was prepared on is always fine.
    s.commit_onto("chain-2", "b", None).unwrap();
}

/// A crash loses the id counter's last steps, while a directory of a lost id may survive the
/// recovery (a build step that outlived the engine still had it mounted).
#[test]
fn ids_whose_directory_survived_a_crash_are_not_reused() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, s) = open(dir.path(), Driver::Overlay);
    let stale = dir.path().join("snapshots/1/work/work");
    fs::create_dir_all(&stale).unwrap();
    fs::write(stale.join("left"), b"x").unwrap();
    s.prepare("a", None, false).unwrap();
    assert_eq!(s.stat("a").unwrap().id, 2);
    assert!(
        stale.join("left").exists(),
        "the stale directory is not touched"
    );
}
