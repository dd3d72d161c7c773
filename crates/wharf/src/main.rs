//! `wharf`: the CLI (`wharf images`, `wharf run`, …), the engine (`wharf daemon`) and the
//! per-container supervisor (`wharf shim`, internal) in one binary.

mod daemon_cmd;

fn main() {
    wharf_api::version::set_git_commit(env!("WHARF_GIT_COMMIT"));
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let status = match argv.first().map(String::as_str) {
        Some("daemon") => daemon_cmd::run(&argv[1..]),
        // Internal: the engine runs each RUN step of a build through this helper.
        Some("build-step") if argv.len() == 2 => {
            wharf_builder::step::main(std::path::Path::new(&argv[1]))
        }
        // Hidden: the per-container supervisor the daemon spawns. Dispatched before anything
        // else is set up, to keep each shim small.
        Some("shim") => wharf_shim::main(&argv[1..]),
        _ => wharf_cli::run(&argv),
    };
    std::process::exit(status);
}
