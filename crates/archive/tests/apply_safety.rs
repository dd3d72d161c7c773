//! One test per way a layer could try to reach outside its destination. Each runs with a
//! sibling directory `outside/` holding a secret and checks, besides the error, that nothing
//! outside the destination changed.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};

use common::{Layer, describe, tempdir};
use wharf_archive::{ApplyOptions, ArchiveError, Whiteouts, apply_layer};

struct Arena {
    _tmp: tempfile::TempDir,
    dest: PathBuf,
    outside: PathBuf,
    before: BTreeMap<String, String>,
}

impl Arena {
    fn new() -> Arena {
        let tmp = tempdir();
        let (dest, outside) = (tmp.path().join("dest"), tmp.path().join("outside"));
        fs::create_dir(&dest).unwrap();
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("secret"), b"secret").unwrap();
        let mut a = Arena {
            _tmp: tmp,
            dest,
            outside,
            before: BTreeMap::new(),
        };
        a.before = a.outside_state();
        a
    }

    /// Everything in the temp dir except the destination.
    fn outside_state(&self) -> BTreeMap<String, String> {
        describe(self.dest.parent().unwrap())
            .into_iter()
            .filter(|(k, _)| !k.starts_with("dest"))
            .collect()
    }

    fn apply(&self, tar: &[u8], whiteouts: Whiteouts) -> Result<(), ArchiveError> {
        let opts = ApplyOptions {
            whiteouts,
            ..ApplyOptions::default()
        };
        apply_layer(tar, &self.dest, &opts).map(|_| ())
    }

    fn assert_outside_untouched(&self) {
        assert_eq!(self.outside_state(), self.before);
        assert_eq!(
            fs::metadata(self.outside.join("secret")).unwrap().nlink(),
            1
        );
    }

    fn outside_str(&self) -> &str {
        self.outside.to_str().unwrap()
    }
}

fn unsafe_reason(err: ArchiveError) -> String {
    match err {
        ArchiveError::UnsafePath { reason, .. } => reason,
        other => panic!("expected UnsafePath, got: {other}"),
    }
}

#[test]
fn dotdot_names_are_refused() {
    for name in ["../escaped", "a/../../escaped", "./../outside/secret"] {
        let a = Arena::new();
        let err = a
            .apply(
                &Layer::new().file(name, b"pwned").bytes(),
                Whiteouts::Overlay,
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("refusing layer entry {name:?}: path escapes the destination root (\"..\")")
        );
        a.assert_outside_untouched();
    }
}

#[test]
fn absolute_names_stay_inside_the_destination() {
    let a = Arena::new();
    a.apply(
        &Layer::new()
            .file("/etc/x", b"1")
            .file("/../../y", b"2")
            .bytes(),
        Whiteouts::Overlay,
    )
    .unwrap();
    assert_eq!(fs::read(a.dest.join("etc/x")).unwrap(), b"1");
    assert_eq!(fs::read(a.dest.join("y")).unwrap(), b"2");
    a.assert_outside_untouched();
}

#[test]
fn a_file_written_through_an_absolute_symlink_is_refused() {
    let a = Arena::new();
    let tar = Layer::new()
        .symlink("evil", a.outside_str())
        .file("evil/secret", b"pwned")
        .bytes();
    let err = a.apply(&tar, Whiteouts::Overlay).unwrap_err();
    assert_eq!(
        err.to_string(),
        "refusing layer entry \"evil/secret\": its parent path goes through a symlink that leads \
         outside the destination"
    );
    a.assert_outside_untouched();

    // The same with the symlink from an earlier layer and a new directory below it.
    let a = Arena::new();
    a.apply(
        &Layer::new().symlink("etc", a.outside_str()).bytes(),
        Whiteouts::Remove,
    )
    .unwrap();
    let err = a
        .apply(
            &Layer::new().file("etc/newdir/passwd", b"x").bytes(),
            Whiteouts::Remove,
        )
        .unwrap_err();
    assert!(unsafe_reason(err).contains("symlink that leads outside"));
    a.assert_outside_untouched();
}

#[test]
fn a_relative_symlink_climbing_out_is_refused() {
    let a = Arena::new();
    let tar = Layer::new()
        .symlink("dir/up", "../../outside")
        .file("dir/up/planted", b"x")
        .bytes();
    let err = a.apply(&tar, Whiteouts::Overlay).unwrap_err();
    assert!(unsafe_reason(err).contains("symlink that leads outside"));
    a.assert_outside_untouched();
}

#[test]
fn symlinks_that_stay_inside_are_followed_for_parents() {
    let a = Arena::new();
    let tar = Layer::new()
        .dir("usr/lib", 0o755)
        .symlink("lib", "usr/lib")
        .file("lib/libc.so", b"c")
        .bytes();
    a.apply(&tar, Whiteouts::Overlay).unwrap();
    assert_eq!(fs::read(a.dest.join("usr/lib/libc.so")).unwrap(), b"c");
    assert!(
        fs::symlink_metadata(a.dest.join("lib"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn hard_links_to_anything_but_earlier_entries_are_refused() {
    let a = Arena::new();
    let err = a
        .apply(
            &Layer::new().hardlink("pw", "/etc/passwd").bytes(),
            Whiteouts::Overlay,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "refusing layer entry \"pw\": hard link target \"/etc/passwd\" is not an earlier entry of this layer"
    );
    let err = a
        .apply(
            &Layer::new().hardlink("pw", "../outside/secret").bytes(),
            Whiteouts::Overlay,
        )
        .unwrap_err();
    assert_eq!(
        unsafe_reason(err),
        "hard link target escapes the destination root"
    );
    // Through a symlinked directory of the same layer: the target path is not an entry.
    let tar = Layer::new()
        .symlink("o", a.outside_str())
        .hardlink("h", "o/secret")
        .bytes();
    assert!(
        unsafe_reason(a.apply(&tar, Whiteouts::Overlay).unwrap_err())
            .contains("not an earlier entry")
    );
    a.assert_outside_untouched();
}

#[test]
fn a_hard_link_to_a_symlink_links_the_symlink_not_its_target() {
    let a = Arena::new();
    let target = a.outside.join("secret");
    let tar = Layer::new()
        .symlink("s", target.to_str().unwrap())
        .hardlink("h", "s")
        .bytes();
    a.apply(&tar, Whiteouts::Overlay).unwrap();
    assert!(
        fs::symlink_metadata(a.dest.join("h"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    a.assert_outside_untouched();
}

#[test]
fn writing_over_a_symlink_replaces_it_instead_of_writing_its_target() {
    let a = Arena::new();
    let secret = a.outside.join("secret");
    let tar = Layer::new()
        .symlink("f", secret.to_str().unwrap())
        .file("f", b"pwned")
        .symlink("d", a.outside_str())
        .dir("d", 0o755)
        .file("d/secret", b"pwned")
        .bytes();
    a.apply(&tar, Whiteouts::Overlay).unwrap();
    assert_eq!(fs::read(a.dest.join("f")).unwrap(), b"pwned");
    assert!(fs::symlink_metadata(a.dest.join("d")).unwrap().is_dir());
    assert_eq!(fs::read(a.dest.join("d/secret")).unwrap(), b"pwned");
    assert_eq!(fs::read(&secret).unwrap(), b"secret");
    a.assert_outside_untouched();
}

#[test]
fn whiteouts_and_opaque_markers_do_not_follow_symlinks_out() {
    for (marker, mode) in [
        ("link/.wh.secret", Whiteouts::Remove),
        ("link/.wh..wh..opq", Whiteouts::Remove),
        ("link/.wh.secret", Whiteouts::Overlay),
        ("link/.wh..wh..opq", Whiteouts::Overlay),
    ] {
        let a = Arena::new();
        symlink(&a.outside, a.dest.join("link")).unwrap();
        let err = a
            .apply(&Layer::new().file(marker, b"").bytes(), mode)
            .unwrap_err();
        assert!(
            unsafe_reason(err).contains("symlink that leads outside"),
            "{marker} {mode:?}"
        );
        assert_eq!(fs::read(a.outside.join("secret")).unwrap(), b"secret");
        a.assert_outside_untouched();
    }
}

#[test]
fn device_and_fifo_entries_are_created_inside_only() {
    let a = Arena::new();
    let mut h = common::header(wharf_archive::tar::EntryKind::Fifo, "../fifo", 0o644);
    h.mtime = wharf_archive::tar::Timestamp::new(0, 0);
    let err = a
        .apply(&Layer::new().entry(h, b"").bytes(), Whiteouts::Overlay)
        .unwrap_err();
    assert!(unsafe_reason(err).contains("escapes"));
    a.assert_outside_untouched();
    assert!(!Path::new(&a.dest.parent().unwrap().join("fifo")).exists());
}
