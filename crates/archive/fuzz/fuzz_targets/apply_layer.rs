//! Applying arbitrary bytes as a layer never panics and never touches anything outside the
//! destination: the sandbox around it must hold exactly `dest` and an untouched `outside/`.
#![no_main]

use std::fs;

use libfuzzer_sys::fuzz_target;
use wharf_archive::{ApplyOptions, Whiteouts, apply_layer};

fuzz_target!(|data: &[u8]| {
    let sandbox = tempfile::tempdir().expect("tempdir");
    let (dest, outside) = (sandbox.path().join("dest"), sandbox.path().join("outside"));
    fs::create_dir(&dest).unwrap();
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("secret"), b"secret").unwrap();
    for whiteouts in [Whiteouts::Overlay, Whiteouts::Remove] {
        let opts = ApplyOptions {
            whiteouts,
            ignore_xattr_errors: true,
            ..ApplyOptions::default()
        };
        let _ = apply_layer(data, &dest, &opts);
        let mut names: Vec<_> = fs::read_dir(sandbox.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["dest", "outside"]);
        let inside: Vec<_> = fs::read_dir(&outside)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(inside, ["secret"]);
        assert_eq!(fs::read(outside.join("secret")).unwrap(), b"secret");
        let md = fs::symlink_metadata(outside.join("secret")).unwrap();
        assert!(md.is_file());
        assert_eq!(std::os::unix::fs::MetadataExt::nlink(&md), 1);
    }
    // Entries may have taken write permission away from their directories; as root that does not
    // stop the cleanup, and the sandbox is removed on drop.
});
