//! The tar reader and writer against two independent implementations: GNU tar and Python's
//! tarfile. Archives made by them must read the same with our reader as with tarfile, and
//! archives we write must read back the same with tarfile and extract with GNU tar.

mod common;

use std::fs;
use std::io::Read;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

use common::{header, run, tempdir};
use wharf_archive::ArchiveError;
use wharf_archive::tar::{EntryKind, Reader, Timestamp, Writer};
use wharf_digest::Digest;

const PY_VIEW: &str = r#"
import sys, tarfile, hashlib
kinds = {b'0': 'file', b'\0': 'file', b'7': 'file', b'1': 'link', b'2': 'symlink', b'3': 'chr',
         b'4': 'blk', b'5': 'dir', b'6': 'fifo'}
with tarfile.open(sys.argv[1]) as t:
    for m in t:
        kind = kinds[m.type]
        data = t.extractfile(m).read() if kind == 'file' else b''
        size = m.size if kind == 'file' else 0
        x = sorted((k[len('SCHILY.xattr.'):], v) for k, v in m.pax_headers.items() if k.startswith('SCHILY.xattr.'))
        print('|'.join(map(str, [m.name.rstrip('/'), kind, m.linkname, size, oct(m.mode), m.uid, m.gid,
              int(m.mtime), m.uname, m.gname, hashlib.sha256(data).hexdigest(), x])))
"#;

fn python_view(tar: &Path) -> Vec<String> {
    run(Command::new("python3").arg("-c").arg(PY_VIEW).arg(tar))
        .lines()
        .map(String::from)
        .collect()
}

fn our_view(tar: &[u8]) -> Vec<String> {
    let mut r = Reader::new(tar);
    let mut out = Vec::new();
    while let Some(mut e) = r.next_entry().unwrap() {
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        let h = e.header().clone();
        let kind = match h.kind {
            EntryKind::Regular => "file",
            EntryKind::HardLink => "link",
            EntryKind::Symlink => "symlink",
            EntryKind::CharDevice => "chr",
            EntryKind::BlockDevice => "blk",
            EntryKind::Directory => "dir",
            EntryKind::Fifo => "fifo",
        };
        let xattrs: Vec<(String, String)> = h
            .xattrs
            .iter()
            .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        let xattrs = xattrs
            .iter()
            .map(|(k, v)| format!("('{k}', '{v}')"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(format!(
            "{}|{kind}|{}|{}|{:#o}|{}|{}|{}|{}|{}|{}|[{xattrs}]",
            h.display_path().trim_end_matches('/'),
            String::from_utf8_lossy(&h.link_name),
            h.size,
            h.mode,
            h.uid,
            h.gid,
            h.mtime.secs,
            h.uname,
            h.gname,
            Digest::sha256_of(&data).hex(),
        ));
    }
    out
}

/// A tree with every entry kind and the names that need extensions.
fn sample_tree(root: &Path, long_names: bool) {
    fs::create_dir_all(root.join("dir/sub")).unwrap();
    fs::write(root.join("dir/file.txt"), b"hello tar").unwrap();
    fs::write(root.join("dir/empty"), b"").unwrap();
    fs::write(root.join("big"), vec![b'x'; 70_000]).unwrap();
    fs::set_permissions(root.join("big"), fs::Permissions::from_mode(0o4755)).unwrap();
    fs::hard_link(root.join("dir/file.txt"), root.join("dir/hard")).unwrap();
    symlink("../big", root.join("dir/sym")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        root.join("fifo"),
        rustix::fs::FileType::Fifo,
        0o644.into(),
        0,
    )
    .unwrap();
    if long_names {
        let long = "n".repeat(120);
        fs::create_dir_all(root.join(&long)).unwrap();
        fs::write(root.join(&long).join("x".repeat(110)), b"deep").unwrap();
        symlink("t".repeat(150), root.join("longlink")).unwrap();
        fs::write(root.join("caf\u{e9}"), b"utf8").unwrap();
    }
}

#[test]
fn gnu_tar_archives_read_the_same_as_python_tarfile_in_every_format() {
    let tmp = tempdir();
    let (full, short) = (tmp.path().join("full"), tmp.path().join("short"));
    sample_tree(&full, true);
    sample_tree(&short, false);
    for (format, src) in [
        ("gnu", &full),
        ("oldgnu", &full),
        ("posix", &full),
        ("ustar", &short),
        ("v7", &short),
    ] {
        let tar = tmp.path().join(format!("{format}.tar"));
        run(Command::new("tar")
            .args([
                "--format",
                format,
                "--numeric-owner",
                "--owner=1234",
                "--group=99",
            ])
            .args(if format == "v7" {
                &["--exclude=./fifo"][..]
            } else {
                &[]
            }) // v7: no fifos
            .arg("-cf")
            .arg(&tar)
            .arg("-C")
            .arg(src)
            .arg("."));
        let ours = our_view(&fs::read(&tar).unwrap());
        assert_eq!(ours, python_view(&tar), "format {format}");
        assert!(
            ours.iter()
                .any(|l| l.starts_with("./dir/hard|link|./dir/file.txt|")),
            "{format}: {ours:?}"
        );
    }
}

#[test]
fn python_pax_global_headers_xattrs_fractional_times_and_gnu_base256() {
    let tmp = tempdir();
    let script = r#"
import sys, tarfile, io
def add(t, name, data=b'', **kw):
    ti = tarfile.TarInfo(name); ti.size = len(data)
    for k, v in kw.items(): setattr(ti, k, v)
    t.addfile(ti, io.BytesIO(data))
with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT, pax_headers={'uname': 'globaluser'}) as t:
    add(t, 'a', b'one', mtime=1500000000.25, uid=3000000, gid=5)
    ti = tarfile.TarInfo('b'); ti.size = 3
    ti.pax_headers = {'SCHILY.xattr.user.k': 'v1', 'SCHILY.xattr.security.capability': 'cap', 'uname': 'local', 'SCHILY.xattr.user.empty': ''}
    t.addfile(ti, io.BytesIO(b'two'))
    add(t, 'p/' * 60 + 'deep', b'3')
with tarfile.open(sys.argv[2], 'w', format=tarfile.GNU_FORMAT) as t:
    add(t, 'L' * 200, b'long', uid=10**10, gid=2**31, mtime=-5)
    add(t, 'lnk', type=tarfile.SYMTYPE, linkname='K' * 300)
"#;
    let (pax, gnu) = (tmp.path().join("pax.tar"), tmp.path().join("gnu.tar"));
    run(Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&pax)
        .arg(&gnu));

    let entries = common::headers(&fs::read(&pax).unwrap());
    let (a, b, deep) = (&entries[0].0, &entries[1].0, &entries[2].0);
    assert_eq!(
        (a.uid, a.gid, a.mtime),
        (3_000_000, 5, Timestamp::new(1_500_000_000, 250_000_000))
    );
    assert_eq!(a.uname, "globaluser", "global PAX record applies");
    assert_eq!(
        b.uname, "local",
        "local PAX record overrides the global one"
    );
    assert_eq!(b.xattrs.get("user.k").map(Vec::as_slice), Some(&b"v1"[..]));
    assert_eq!(
        b.xattrs.get("security.capability").map(Vec::as_slice),
        Some(&b"cap"[..])
    );
    let empty = b.xattrs.get("user.empty").map(Vec::as_slice);
    assert_eq!(empty, Some(&b""[..]), "an empty xattr value is kept");
    assert_eq!(deep.path, format!("{}deep", "p/".repeat(60)).into_bytes());
    assert_eq!(entries[2].1, b"3");

    let entries = common::headers(&fs::read(&gnu).unwrap());
    let (l, k) = (&entries[0].0, &entries[1].0);
    assert_eq!(l.path, vec![b'L'; 200]);
    assert_eq!(
        (l.uid, l.gid, l.mtime.secs),
        (10_000_000_000, 1 << 31, -5),
        "base-256 fields"
    );
    assert_eq!(entries[0].1, b"long");
    assert_eq!(
        (k.kind, k.link_name.clone()),
        (EntryKind::Symlink, vec![b'K'; 300])
    );
}

#[test]
fn sparse_files_are_refused_clearly() {
    let tmp = tempdir();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    let f = fs::File::create(src.join("holes")).unwrap();
    f.set_len(8 << 20).unwrap();
    for format in ["gnu", "posix"] {
        let tar = tmp.path().join(format!("{format}.tar"));
        run(Command::new("tar")
            .args(["--sparse", "--format", format, "-cf"])
            .arg(&tar)
            .arg("-C")
            .arg(&src)
            .arg("holes"));
        let data = fs::read(&tar).unwrap();
        let mut r = Reader::new(&data[..]);
        let err = r.next_entry().err().expect("sparse entry must be refused");
        assert!(
            matches!(err, ArchiveError::Unsupported { .. }),
            "{format}: {err}"
        );
        assert!(err.to_string().contains("sparse"), "{err}");
    }
}

fn sample_archive() -> Vec<u8> {
    common::Layer::new()
        .file("first", &[1u8; 700])
        .file("second", b"22")
        .bytes()
}

fn read_all(data: &[u8]) -> Result<Vec<String>, ArchiveError> {
    let mut r = Reader::new(data);
    let mut names = Vec::new();
    while let Some(mut e) = r.next_entry()? {
        let mut sink = Vec::new();
        e.read_to_end(&mut sink).map_err(|e| ArchiveError::Stream {
            context: "data".into(),
            source: e,
        })?;
        names.push(e.header().display_path());
    }
    Ok(names)
}

#[test]
fn truncation_inside_header_or_data_is_an_error_naming_the_entry() {
    let full = sample_archive();
    // Layout: header(first) 512, data 700 + pad 324, header(second) 512, data 2 + pad 510, trailer.
    let err = |cut: usize| {
        let mut r = Reader::new(&full[..cut]);
        let mut out = None;
        loop {
            match r.next_entry() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    out = Some(e);
                    break;
                }
            }
        }
        out
    };
    let in_header = err(512 + 1024 + 100).expect("cut inside a header");
    assert!(
        matches!(in_header, ArchiveError::Truncated { ref entry, .. } if entry == "first"),
        "{in_header}"
    );
    let in_data = err(512 + 300).expect("cut inside data");
    assert!(
        matches!(in_data, ArchiveError::Truncated { ref entry, .. } if entry == "first"),
        "{in_data}"
    );
    assert_eq!(
        in_data.to_string(),
        "truncated tar archive: unexpected end of stream in the data of entry \"first\""
    );
    let in_padding = err(512 + 800).expect("cut inside padding");
    assert!(
        in_padding
            .to_string()
            .contains("padding of entry \"first\""),
        "{in_padding}"
    );

    // Reading data through the entry reports the short read too.
    let cut = &full[..512 + 300];
    let mut r = Reader::new(cut);
    let mut e = r.next_entry().unwrap().unwrap();
    let io_err = e.read_to_end(&mut Vec::new()).unwrap_err();
    assert_eq!(io_err.kind(), std::io::ErrorKind::UnexpectedEof);
}

#[test]
fn missing_end_of_archive_trailer_at_a_block_boundary_is_accepted() {
    let full = sample_archive();
    let no_trailer = &full[..full.len() - 1024];
    assert_eq!(read_all(no_trailer).unwrap(), ["first", "second"]);
    let one_zero_block = &full[..full.len() - 512];
    assert_eq!(read_all(one_zero_block).unwrap(), ["first", "second"]);
    assert_eq!(read_all(&[]).unwrap(), Vec::<String>::new());
}

#[test]
fn corrupted_header_fails_the_checksum() {
    let mut data = sample_archive();
    data[1024 + 512 + 3] ^= 0x20; // a byte in the name of "second"
    let err = read_all(&data).unwrap_err();
    assert!(matches!(err, ArchiveError::InvalidHeader { .. }), "{err}");
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
}

#[test]
fn our_writer_output_reads_back_identically_with_python_and_extracts_with_gnu_tar() {
    let tmp = tempdir();
    let mut w = Writer::new(Vec::new());
    let mut add = |kind, path: &str, f: &dyn Fn(&mut wharf_archive::tar::Header), data: &[u8]| {
        let mut h = header(kind, path, 0o644);
        h.size = data.len() as u64;
        f(&mut h);
        w.append(&h, data).unwrap();
    };
    let long_dir = "d".repeat(130);
    add(EntryKind::Directory, "top", &|h| h.mode = 0o755, b"");
    add(
        EntryKind::Regular,
        "top/plain",
        &|h| (h.uid, h.gid) = (1000, 1000),
        b"plain data",
    );
    add(
        EntryKind::Regular,
        &format!("top/{long_dir}/file"),
        &|_| {},
        b"split into prefix",
    );
    add(
        EntryKind::Regular,
        &format!("top/{}", "f".repeat(150)),
        &|_| {},
        b"pax path",
    );
    add(EntryKind::Regular, "top/caf\u{e9}", &|_| {}, b"non-ascii");
    add(
        EntryKind::Regular,
        "top/bigid",
        &|h| (h.uid, h.gid) = (5_000_000, 7_000_000),
        b"ids",
    );
    add(
        EntryKind::Regular,
        "top/frac",
        &|h| h.mtime = Timestamp::new(1_600_000_000, 5),
        b"t",
    );
    add(EntryKind::Regular, "top/setuid", &|h| h.mode = 0o4755, b"s");
    add(
        EntryKind::Regular,
        "top/xattr",
        &|h| {
            h.xattrs.insert("user.note".into(), b"hello".to_vec());
        },
        b"x",
    );
    add(
        EntryKind::Symlink,
        "top/sym",
        &|h| h.link_name = b"plain".to_vec(),
        b"",
    );
    add(
        EntryKind::Symlink,
        "top/longsym",
        &|h| h.link_name = vec![b'z'; 200],
        b"",
    );
    add(
        EntryKind::HardLink,
        "top/hard",
        &|h| h.link_name = b"top/plain".to_vec(),
        b"",
    );
    add(EntryKind::Fifo, "top/fifo", &|_| {}, b"");
    add(
        EntryKind::CharDevice,
        "top/null",
        &|h| (h.dev_major, h.dev_minor) = (1, 3),
        b"",
    );
    let data = w.finish().unwrap();
    let tar = tmp.path().join("ours.tar");
    fs::write(&tar, &data).unwrap();

    assert_eq!(python_view(&tar), our_view(&data));
    let frac = common::headers(&data)
        .into_iter()
        .find(|(h, _)| h.path == b"top/frac")
        .unwrap()
        .0;
    assert_eq!(frac.mtime, Timestamp::new(1_600_000_000, 5));

    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    run(Command::new("tar")
        .args(["--xattrs", "--xattrs-include=*", "-xpf"])
        .arg(&tar)
        .arg("-C")
        .arg(&out));
    assert_eq!(
        fs::read(out.join("top").join(&long_dir).join("file")).unwrap(),
        b"split into prefix"
    );
    assert_eq!(fs::read(out.join("top/caf\u{e9}")).unwrap(), b"non-ascii");
    assert_eq!(
        fs::read_link(out.join("top/longsym"))
            .unwrap()
            .as_os_str()
            .len(),
        200
    );
    assert_eq!(
        fs::metadata(out.join("top/setuid"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777,
        0o4755
    );
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        fs::metadata(out.join("top/bigid")).unwrap().uid(),
        5_000_000
    );
    assert_eq!(
        fs::metadata(out.join("top/hard")).unwrap().ino(),
        fs::metadata(out.join("top/plain")).unwrap().ino()
    );
    assert_eq!(
        common::xattrs(&out.join("top/xattr")),
        vec![("user.note".to_string(), b"hello".to_vec())]
    );
}

#[test]
fn writer_adds_pax_records_only_when_needed() {
    let plain = common::Layer::new().file("a/b", b"x").bytes();
    assert_eq!(
        plain.len(),
        512 + 512 + 1024,
        "one header, one data block, the trailer"
    );
    assert!(!plain.windows(12).any(|w| w == b"PaxHeaders.0"));
    let long = common::Layer::new().file(&"a".repeat(101), b"x").bytes();
    assert!(long.windows(12).any(|w| w == b"PaxHeaders.0"));
}

#[test]
fn writer_refuses_data_shorter_than_the_header_says() {
    let mut w = Writer::new(Vec::new());
    let mut h = header(EntryKind::Regular, "short", 0o644);
    h.size = 10;
    let err = w.append(&h, &b"abc"[..]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "entry \"short\": data ended after 3 of 10 bytes"
    );
}

#[test]
fn junk_instead_of_a_tar_is_named_as_such() {
    let short = read_all(b"this is not a tarball").unwrap_err();
    assert!(matches!(short, ArchiveError::NotTar { .. }), "{short}");
    assert_eq!(
        short.to_string(),
        "not a tar archive (plain, gzip, xz or zstd): the stream holds 21 bytes, less than one tar header"
    );
    let noise: Vec<u8> = (0..2048u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let err = read_all(&noise).unwrap_err();
    assert!(matches!(err, ArchiveError::NotTar { .. }), "{err}");
    assert!(!err.to_string().contains('\u{fffd}'), "{err}");
}
