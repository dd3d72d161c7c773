//! `version` and `info`.

use wharf_api::system::{Info, Version};

use crate::app::{Args, Command};
use crate::client::with_query;
use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::{Flag, Parsed};
use crate::format;

pub fn commands() -> Vec<Command> {
    vec![
        Command {
            path: "version",
            aliases: &[],
            usage: "[OPTIONS]",
            about: "Show the wharf version information",
            flags: || {
                vec![Flag::value(
                    "format",
                    Some('f'),
                    "string",
                    "Format output using a custom template",
                )]
            },
            args: Args::Max(0),
            interspersed: true,
            run: version,
        },
        Command {
            path: "system info",
            aliases: &["info"],
            usage: "[OPTIONS]",
            about: "Display system-wide information",
            flags: || {
                vec![Flag::value(
                    "format",
                    Some('f'),
                    "string",
                    "Format output using a custom template",
                )]
            },
            args: Args::Max(0),
            interspersed: true,
            run: info,
        },
    ]
}

fn goarch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

fn client_json() -> serde_json::Value {
    serde_json::json!({
        "Version": env!("CARGO_PKG_VERSION"),
        "ApiVersion": "1.50",
        "DefaultAPIVersion": "1.50",
        "GitCommit": option_env!("WHARF_GIT_COMMIT").unwrap_or(""),
        "GoVersion": "",
        "Os": "linux",
        "Arch": goarch(),
        "BuildTime": "",
        "Context": "default",
    })
}

fn version(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let server: Result<Version, CliError> = ctx
        .client()
        .and_then(|c| c.get_json(&with_query("/version", &[])));
    if let Some(f) = p.value("format") {
        let v = serde_json::json!({
            "Client": client_json(),
            "Server": server.as_ref().ok().map(|s| serde_json::to_value(s).unwrap_or_default()),
        });
        let out = if f == "json" {
            serde_json::to_string(&v).unwrap_or_default() + "\n"
        } else {
            format::render_each(f, &[v])?
        };
        ctx.print(out)?;
        return server.map(|_| ());
    }
    let c = client_json();
    let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
    let mut out = format!(
        "Client:\n Version:           {}\n API version:       {}\n Git commit:        {}\n OS/Arch:           {}/{}\n Context:           {}\n",
        s("Version"),
        s("ApiVersion"),
        s("GitCommit"),
        s("Os"),
        s("Arch"),
        s("Context")
    );
    if let Ok(v) = &server {
        {
            out.push_str(&format!("\nServer: {}\n", v.platform.name));
            for comp in &v.components {
                out.push_str(&format!(
                    " {}:\n  Version:          {}\n",
                    comp.name, comp.version
                ));
                if comp.name == "Engine" {
                    out.push_str(&format!(
                        "  API version:      {} (minimum version {})\n  Git commit:       {}\n  OS/Arch:          {}/{}\n  Experimental:     {}\n",
                        v.api_version, v.min_api_version, v.git_commit, v.os, v.arch, v.experimental
                    ));
                } else {
                    for (k, val) in &comp.details {
                        out.push_str(&format!("  {:<18}{}\n", format!("{k}:"), val));
                    }
                }
            }
        }
    }
    ctx.print(out)?;
    server.map(|_| ())
}

fn info(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let info: Info = ctx.client()?.get_json(&with_query("/info", &[]))?;
    if let Some(f) = p.value("format") {
        let v = serde_json::to_value(&info).unwrap_or_default();
        let out = if f == "json" {
            serde_json::to_string(&v).unwrap_or_default() + "\n"
        } else {
            format::render_each(f, &[v])?
        };
        return ctx.print(out);
    }
    let mut o = String::new();
    o.push_str(&format!(
        "Client:\n Version:    {}\n Context:    default\n Debug Mode: false\n\n",
        env!("CARGO_PKG_VERSION")
    ));
    o.push_str("Server:\n");
    o.push_str(&format!(
        " Containers: {}\n  Running: {}\n  Paused: {}\n  Stopped: {}\n Images: {}\n Server Version: {}\n Storage Driver: {}\n",
        info.containers, info.containers_running, info.containers_paused, info.containers_stopped, info.images, info.server_version, info.driver
    ));
    for [k, v] in &info.driver_status {
        o.push_str(&format!("  {k}: {v}\n"));
    }
    o.push_str(&format!(
        " Logging Driver: {}\n Cgroup Driver: {}\n Cgroup Version: {}\n Plugins:\n  Volume: {}\n  Network: {}\n  Log: {}\n Swarm: inactive\n",
        info.logging_driver,
        info.cgroup_driver,
        info.cgroup_version,
        info.plugins.volume.join(" "),
        info.plugins.network.join(" "),
        info.plugins.log.join(" ")
    ));
    o.push_str(&format!(
        " Runtimes: {}\n Default Runtime: {}\n Security Options:\n",
        info.runtimes.keys().cloned().collect::<Vec<_>>().join(" "),
        info.default_runtime
    ));
    for opt in &info.security_options {
        let mut parts = opt.split(',');
        let name = parts.next().unwrap_or("").trim_start_matches("name=");
        o.push_str(&format!("  {name}\n"));
        for kv in parts {
            if let Some((k, v)) = kv.split_once('=') {
                let mut k = k.to_string();
                if let Some(f) = k.get_mut(0..1) {
                    f.make_ascii_uppercase();
                }
                o.push_str(&format!("   {k}: {v}\n"));
            }
        }
    }
    o.push_str(&format!(
        " Kernel Version: {}\n Operating System: {}\n OSType: {}\n Architecture: {}\n CPUs: {}\n Total Memory: {}\n Name: {}\n ID: {}\n Docker Root Dir: {}\n Debug Mode: {}\n Experimental: {}\n",
        info.kernel_version,
        info.operating_system,
        info.os_type,
        info.architecture,
        info.ncpu,
        wharf_units::bytes_size(info.mem_total as f64),
        info.name,
        info.id,
        info.docker_root_dir,
        info.debug,
        info.experimental_build
    ));
    if let Some(cidrs) = info
        .registry_config
        .get("InsecureRegistryCIDRs")
        .and_then(|v| v.as_array())
    {
        o.push_str(" Insecure Registries:\n");
        for c in cidrs {
            o.push_str(&format!("  {}\n", c.as_str().unwrap_or("")));
        }
    }
    o.push_str(&format!(
        " Live Restore Enabled: {}\n",
        info.live_restore_enabled
    ));
    ctx.print(o)
}
