//! Throughput check: `cargo run --release -p wharf-archive --example bench -- LAYER.tar[.gz|.zst]`
//! applies the layer into a fresh temp dir (overlay whiteouts), writes it back with
//! `write_layer_from_upper`, and prints MB/s for each (uncompressed tar bytes per second).

use std::fs::File;
use std::io::{self, BufReader};
use std::time::Instant;

use wharf_archive::{ApplyOptions, WriteOptions, apply_layer, write_layer_from_upper};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: bench LAYER")?;
    let base =
        std::env::var("BENCH_DIR").unwrap_or_else(|_| std::env::temp_dir().display().to_string());
    let dest = tempdir_in(&base)?;
    let mb = |bytes: u64, secs: f64| bytes as f64 / 1e6 / secs;

    let start = Instant::now();
    let stats = apply_layer(
        BufReader::new(File::open(&path)?),
        &dest,
        &ApplyOptions::default(),
    )?;
    let t = start.elapsed().as_secs_f64();
    let sync_start = Instant::now();
    rustix::fs::syncfs(File::open(&dest)?)?;
    let sync = sync_start.elapsed().as_secs_f64();
    println!(
        "apply: {} entries, {:.1} MB tar, {:.1} MB data in {t:.2}s = {:.0} MB/s (then syncfs {sync:.2}s: {:.0} MB/s)",
        stats.entries,
        stats.tar_size as f64 / 1e6,
        stats.unpacked_bytes as f64 / 1e6,
        mb(stats.tar_size, t),
        mb(stats.tar_size, t + sync),
    );
    println!("diff_id {}", stats.diff_id);

    let start = Instant::now();
    let out = write_layer_from_upper(&dest, io::sink(), &WriteOptions::default())?;
    let t = start.elapsed().as_secs_f64();
    println!(
        "write_layer_from_upper: {:.1} MB in {t:.2}s = {:.0} MB/s",
        out.size as f64 / 1e6,
        mb(out.size, t)
    );

    std::process::Command::new("rm")
        .arg("-rf")
        .arg(&dest)
        .status()?;
    Ok(())
}

fn tempdir_in(base: &str) -> io::Result<std::path::PathBuf> {
    let p = std::path::Path::new(base).join(format!("wharf-bench-{}", std::process::id()));
    std::fs::create_dir(&p)?;
    Ok(p)
}
