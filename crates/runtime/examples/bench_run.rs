//! create + start + wait + delete of `true` in a busybox rootfs mounted as overlay, N times;
//! prints the median. Needs root.
//!
//! `cargo run --release -p wharf-runtime --example bench_run -- [builtin|runc|crun] [N]`

use std::path::Path;
use std::time::Instant;

use wharf_runtime::{Builtin, CreateOptions, External, RootfsMount, Runtime, SpecBuilder, Stdio};

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "builtin".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(200);
    let rt: Box<dyn Runtime> = match which.as_str() {
        "builtin" => Box::new(Builtin),
        "runc" => Box::new(External::new("/usr/sbin/runc", "/run/wharf-bench-runc")),
        "crun" => Box::new(External::new("/usr/bin/crun", "/run/wharf-bench-crun")),
        other => panic!("unknown runtime {other}"),
    };
    wharf_runtime::set_child_subreaper().expect("subreaper");
    if which != "builtin" {
        // External runtimes see the rootfs we mount: keep it in our own mount namespace.
        wharf_runtime::enter_private_mount_namespace().unwrap();
    }
    let dir = std::env::temp_dir().join(format!("wharf-bench-{}", std::process::id()));
    let lower = dir.join("lower");
    make_rootfs(&lower);
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let upper = dir.join(format!("c{i}/upper"));
        let work = dir.join(format!("c{i}/work"));
        let root = dir.join(format!("c{i}/rootfs"));
        for d in [&upper, &work, &root] {
            std::fs::create_dir_all(d).unwrap();
        }
        let spec = SpecBuilder::new(root.display().to_string(), vec!["true".into()])
            .build()
            .unwrap();
        let mount = RootfsMount::overlay(&[&lower], &upper, &work);
        let bundle = dir.join(format!("c{i}/bundle"));
        let t = Instant::now();
        let mut c = rt
            .create(CreateOptions {
                id: &format!("bench-{}-{i}", std::process::id()),
                spec: &spec,
                rootfs: Some(&mount),
                stdio: Stdio::null(),
                bundle: &bundle,
            })
            .unwrap();
        rt.start(&mut c).unwrap();
        let status = c.wait().unwrap();
        rt.delete(c, false).unwrap();
        times.push(t.elapsed());
        assert_eq!(status.code(), 0);
        let _ = std::fs::remove_dir_all(dir.join(format!("c{i}")));
    }
    let _ = std::fs::remove_dir_all(&dir);
    times.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{which}: create+start+exit+delete of `true` (overlay busybox), n={n}: median {:.2} ms, p10 {:.2} ms, p90 {:.2} ms",
        ms(times[n / 2]),
        ms(times[n / 10]),
        ms(times[n * 9 / 10])
    );
}

fn make_rootfs(root: &Path) {
    for d in ["bin", "dev", "proc", "sys", "etc", "tmp"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::copy("/usr/bin/busybox", root.join("bin/busybox")).unwrap();
    for a in ["sh", "true"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(a)).unwrap();
    }
}
