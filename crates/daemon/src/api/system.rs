//! `/_ping`, `/version`, `/info`.

use std::collections::BTreeMap;
use std::sync::Arc;

use http::{HeaderValue, Response, StatusCode};
use wharf_api::ApiVersion;
use wharf_api::system::{Commit, Component, Info, Platform, Plugins, RuntimeInfo, Version};

use crate::body;
use crate::engine::Engine;
use crate::request::{Reply, Req, ok_json};

pub async fn ping(_e: Arc<Engine>, _r: Req) -> Reply {
    let mut resp = Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(
            http::header::CACHE_CONTROL,
            "no-cache, no-store, must-revalidate",
        )
        .header(http::header::PRAGMA, "no-cache")
        .body(body::full("OK"))
        .expect("static response parts");
    let h = resp.headers_mut();
    h.insert("Builder-Version", HeaderValue::from_static("1"));
    h.insert("Swarm", HeaderValue::from_static("inactive"));
    Ok(resp)
}

pub fn version_info(e: &Engine) -> Version {
    let details = |pairs: &[(&str, String)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    };
    Version {
        platform: Platform {
            name: "wharf".into(),
        },
        components: vec![Component {
            name: "Engine".into(),
            version: crate::VERSION.into(),
            details: details(&[
                ("ApiVersion", ApiVersion::MAX.to_string()),
                ("Arch", e.host.goarch().into()),
                ("BuildTime", String::new()),
                ("Experimental", "false".into()),
                ("GitCommit", wharf_api::version::git_commit().into()),
                ("GoVersion", crate::RUST_VERSION.into()),
                ("KernelVersion", e.host.kernel_version.clone()),
                ("MinAPIVersion", ApiVersion::MIN.to_string()),
                ("Os", "linux".into()),
            ]),
        }],
        version: crate::VERSION.into(),
        api_version: ApiVersion::MAX.to_string(),
        min_api_version: ApiVersion::MIN.to_string(),
        git_commit: wharf_api::version::git_commit().into(),
        go_version: crate::RUST_VERSION.into(),
        os: "linux".into(),
        arch: e.host.goarch().into(),
        kernel_version: e.host.kernel_version.clone(),
        experimental: false,
        build_time: String::new(),
    }
}

pub async fn version(e: Arc<Engine>, _r: Req) -> Reply {
    ok_json(&version_info(&e))
}

pub async fn info(e: Arc<Engine>, _r: Req) -> Reply {
    let (images, (containers, running, paused, stopped)) = e
        .blocking(|e| {
            Ok((
                e.images.count()?,
                crate::service::system::container_counts(e),
            ))
        })
        .await?;
    let driver = e.storage_driver();
    let driver_status: Vec<[String; 2]> = if driver == "overlay2" {
        vec![
            ["Backing Filesystem".into(), backing_fs(&e.config.data_root)],
            ["Supports d_type".into(), "true".into()],
            ["Using metacopy".into(), "false".into()],
            ["Native Overlay Diff".into(), "true".into()],
            ["userxattr".into(), "false".into()],
        ]
    } else {
        vec![]
    };
    let nfd = std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count() as i64)
        .unwrap_or(0);
    let info = Info {
        id: e.id.clone(),
        containers,
        containers_running: running,
        containers_paused: paused,
        containers_stopped: stopped,
        images: images as i64,
        driver: driver.into(),
        driver_status,
        plugins: Plugins {
            volume: vec!["local".into()],
            network: vec!["bridge".into(), "host".into(), "null".into()],
            authorization: None,
            log: vec!["json-file".into(), "local".into()],
        },
        memory_limit: true,
        swap_limit: true,
        cpu_cfs_period: true,
        cpu_cfs_quota: true,
        cpu_shares: true,
        cpu_set: true,
        pids_limit: true,
        ipv4_forwarding: std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward")
            .map(|s| s.trim() == "1")
            .unwrap_or(false),
        debug: e.config.log_level == "debug",
        nfd,
        oom_kill_disable: e.host.cgroup_version == "1",
        ngoroutines: tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks() as i64,
        system_time: wharf_image::clock::now_rfc3339(),
        logging_driver: "json-file".into(),
        cgroup_driver: "cgroupfs".into(),
        cgroup_version: e.host.cgroup_version.clone(),
        nevents_listener: 0,
        kernel_version: e.host.kernel_version.clone(),
        operating_system: e.host.operating_system.clone(),
        os_version: e.host.os_version.clone(),
        os_type: "linux".into(),
        architecture: e.host.architecture.clone(),
        index_server_address: "https://index.docker.io/v1/".into(),
        registry_config: serde_json::json!({
            "AllowNondistributableArtifactsCIDRs": null,
            "AllowNondistributableArtifactsHostnames": null,
            "InsecureRegistryCIDRs": ["127.0.0.0/8", "::1/128"],
            "IndexConfigs": {
                "docker.io": {"Name": "docker.io", "Mirrors": e.config.registry_mirrors, "Secure": true, "Official": true}
            },
            "Mirrors": e.config.registry_mirrors,
        }),
        ncpu: e.host.ncpu,
        mem_total: e.host.mem_total,
        generic_resources: None,
        docker_root_dir: e.config.data_root.display().to_string(),
        http_proxy: std::env::var("HTTP_PROXY").unwrap_or_default(),
        https_proxy: std::env::var("HTTPS_PROXY").unwrap_or_default(),
        no_proxy: std::env::var("NO_PROXY").unwrap_or_default(),
        name: e.host.hostname.clone(),
        labels: vec![],
        experimental_build: false,
        server_version: crate::VERSION.into(),
        runtimes: e
            .config
            .runtime_names()
            .into_iter()
            .map(|(name, path)| {
                let info = RuntimeInfo {
                    path: path.display().to_string(),
                    runtime_args: vec![],
                };
                (name, info)
            })
            .collect(),
        default_runtime: e.config.default_runtime.clone(),
        swarm: serde_json::json!({
            "NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive",
            "ControlAvailable": false, "Error": "", "RemoteManagers": null
        }),
        live_restore_enabled: true,
        isolation: String::new(),
        init_binary: String::new(),
        containerd_commit: Commit::default(),
        runc_commit: Commit::default(),
        init_commit: Commit::default(),
        security_options: {
            let mut v = vec!["name=seccomp,profile=builtin".to_string()];
            if e.remap.is_some() {
                v.push("name=userns".into());
            }
            v.push("name=cgroupns".into());
            v
        },
        warnings: None,
    };
    ok_json(&info)
}

fn backing_fs(path: &std::path::Path) -> String {
    let Ok(s) = rustix::fs::statfs(path) else {
        return "unknown".into();
    };
    match s.f_type {
        0xEF53 => "extfs",
        0x5846_5342 => "xfs",
        0x9123_683E => "btrfs",
        0x0102_1994 => "tmpfs",
        0x2FC1_2FC1 => "zfs",
        0x794c_7630 => "overlayfs",
        _ => "unknown",
    }
    .into()
}

pub async fn disk_usage(e: Arc<Engine>, r: Req) -> Reply {
    let v = r.version;
    let out = e
        .blocking(move |e| crate::service::system::disk_usage(e, v))
        .await?;
    ok_json(&out)
}
