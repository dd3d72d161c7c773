//! `wharf daemon`: flags, logging, then the engine.

use std::path::PathBuf;

use wharf_cli::flags::{self, Flag, FlagError};
use wharf_daemon::config::{self, DaemonConfig, LogFormat};

fn daemon_flags() -> Vec<Flag> {
    vec![
        Flag::value(
            "data-root",
            None,
            "string",
            "Root directory of persistent wharf state",
        )
        .default(config::DEFAULT_DATA_ROOT),
        Flag::list(
            "host",
            Some('H'),
            "list",
            "Daemon socket to listen on (unix:///path)",
        ),
        Flag::value(
            "storage-driver",
            Some('s'),
            "string",
            "Storage driver to use (overlay2, vfs)",
        ),
        Flag::value(
            "log-level",
            Some('l'),
            "string",
            "Set the logging level (\"debug\", \"info\", \"warn\", \"error\")",
        )
        .default("info"),
        Flag::value(
            "log-format",
            None,
            "string",
            "Set the logging format (\"text\", \"json\")",
        )
        .default("text"),
        Flag::value("config-file", None, "string", "Daemon configuration file")
            .default("/etc/wharf/daemon.json"),
        Flag::value(
            "pidfile",
            Some('p'),
            "string",
            "Path to use for daemon PID file",
        ),
        Flag::list(
            "insecure-registry",
            None,
            "list",
            "Enable insecure registry communication",
        ),
        Flag::list("registry-mirror", None, "list", "Preferred registry mirror"),
        Flag::value(
            "userns-remap",
            None,
            "string",
            "User/Group setting for user namespaces",
        ),
        Flag::bool("debug", Some('D'), "Enable debug mode"),
    ]
}

fn build_config(p: &flags::Parsed) -> Result<DaemonConfig, String> {
    let mut c = DaemonConfig::default();
    let file = PathBuf::from(p.string("config-file"));
    if file.exists() {
        c.apply_file(&file).map_err(|e| e.to_string())?;
    } else if p.is_set("config-file") && p.string("config-file") != "/etc/wharf/daemon.json" {
        return Err(format!(
            "configuration file {} does not exist",
            file.display()
        ));
    }
    if p.is_set("data-root") || !file.exists() {
        c.data_root = PathBuf::from(p.string("data-root"));
    }
    if let Some(h) = p.list("host").first() {
        c.socket = config::parse_host(h).map_err(|e| e.to_string())?;
    }
    if let Some(d) = p.value("storage-driver") {
        c.storage_driver = config::parse_storage_driver(d).map_err(|e| e.to_string())?;
    }
    if p.is_set("log-level") || c.log_level.is_empty() {
        c.log_level = p.string("log-level");
    }
    if p.bool("debug") {
        c.log_level = "debug".into();
    }
    if p.is_set("log-format") {
        c.log_format =
            config::parse_log_format(&p.string("log-format")).map_err(|e| e.to_string())?;
    }
    if let Some(pf) = p.value("pidfile") {
        c.pidfile = Some(PathBuf::from(pf));
    }
    c.insecure_registries.extend(p.list("insecure-registry"));
    c.registry_mirrors.extend(p.list("registry-mirror"));
    if let Some(r) = p.value("userns-remap") {
        c.userns_remap = r.to_string();
    }
    if !c.data_root.is_absolute() {
        return Err(format!(
            "--data-root must be an absolute path, got {}",
            c.data_root.display()
        ));
    }
    Ok(c)
}

fn init_logging(c: &DaemonConfig) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("WHARF_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&c.log_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match c.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.with_ansi(false).init(),
    }
}

pub fn run(argv: &[String]) -> i32 {
    let parsed = match flags::parse(&daemon_flags(), argv, true) {
        Ok(p) => p,
        Err(FlagError::Help) => {
            print!(
                "\nUsage:  wharf daemon [OPTIONS]\n\nRun the wharf engine\n\nOptions:\n{}",
                flags::help_block(&daemon_flags())
            );
            return 0;
        }
        Err(e) => {
            eprintln!("{e}\n\nRun 'wharf daemon --help' for more information");
            return 125;
        }
    };
    if !parsed.args.is_empty() {
        eprintln!("wharf daemon: unexpected arguments {:?}", parsed.args);
        return 125;
    }
    let config = match build_config(&parsed) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wharf daemon: {e}");
            return 1;
        }
    };
    init_logging(&config);
    match wharf_daemon::run(config) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!(error = %e, "engine failed");
            eprintln!("wharf daemon: {e}");
            1
        }
    }
}
