//! How long compiling Docker's default profile takes (it runs on every container start).
//! `cargo run --release -p wharf-seccomp --example compile_bench`

use std::time::Instant;

use wharf_seccomp::{Arch, compile_oci, default_profile, to_oci};

fn main() {
    let caps: Vec<String> = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_SETUID", "CAP_SETGID"]
        .iter()
        .map(|c| c.to_string())
        .collect();
    let n = 2000;
    let start = Instant::now();
    let mut len = 0;
    for _ in 0..n {
        let oci = to_oci(&default_profile(), &caps, Arch::native());
        len = compile_oci(&oci).expect("compile").len();
    }
    let full = start.elapsed() / n;
    let oci = to_oci(&default_profile(), &caps, Arch::native());
    let start = Instant::now();
    for _ in 0..n {
        compile_oci(&oci).expect("compile");
    }
    let compile = start.elapsed() / n;
    println!("instructions: {len}");
    println!("compile_oci: {compile:?} per call; default_profile+to_oci+compile: {full:?}");
}
