//! `POST /containers/create`: validation with dockerd's messages, the merge of the image's
//! config under the container's, the writable snapshot on the image's top ChainID, mounts and
//! volumes (anonymous volumes for the image's `VOLUME`s, content copied up), and the generated
//! files. Nothing is left behind when a step fails.

use std::collections::BTreeMap;
use std::sync::Arc;

use wharf_api::ContainerConfig;
use wharf_api::container::{CreateRequest, CreateResponse};
use wharf_api::hostconfig::HEALTH_ON_FAILURE_LABEL;
use wharf_api::volume::VolumeCreateRequest;
use wharf_image::spec::ImageConfig;
use wharf_store::fsutil;

use super::mounts;
use super::names;
use super::record::{ContainerRecord, MountSpec, State};
use super::{Ctr, files, new_id};
use crate::engine::Engine;
use crate::error::ApiError;

/// dockerd's merge of the image config under the container's (`daemon/commit.go: merge`).
pub fn merge(user: &mut ContainerConfig, image: &ContainerConfig) {
    if user.user.is_empty() {
        user.user = image.user.clone();
    }
    if let Some(ip) = &image.exposed_ports {
        let ports = user.exposed_ports.get_or_insert_with(Default::default);
        for (k, v) in ip {
            ports.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if user.env.is_empty() {
        user.env = image.env.clone();
    } else {
        for e in &image.env {
            let key = e.split('=').next().unwrap_or("");
            if !user.env.iter().any(|u| u.split('=').next() == Some(key)) {
                user.env.push(e.clone());
            }
        }
    }
    if let Some(il) = &image.labels {
        let labels = user.labels.get_or_insert_with(Default::default);
        for (k, v) in il {
            labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if user.entrypoint.as_ref().is_none_or(|e| e.is_empty()) {
        if user.cmd.as_ref().is_none_or(|c| c.is_empty()) {
            user.cmd = image.cmd.clone();
            user.args_escaped = image.args_escaped;
        }
        if user.entrypoint.is_none() {
            user.entrypoint = image.entrypoint.clone();
        }
    }
    match (&mut user.healthcheck, &image.healthcheck) {
        (None, Some(h)) => user.healthcheck = Some(h.clone()),
        (Some(u), Some(i)) => {
            if u.test.as_ref().is_none_or(|t| t.is_empty()) {
                u.test = i.test.clone();
            }
            if u.interval == 0 {
                u.interval = i.interval;
            }
            if u.timeout == 0 {
                u.timeout = i.timeout;
            }
            if u.start_period == 0 {
                u.start_period = i.start_period;
            }
            if u.start_interval == 0 {
                u.start_interval = i.start_interval;
            }
            if u.retries == 0 {
                u.retries = i.retries;
            }
        }
        _ => {}
    }
    if user.working_dir.is_empty() {
        user.working_dir = image.working_dir.clone();
    }
    if let Some(iv) = &image.volumes {
        let vols = user.volumes.get_or_insert_with(Default::default);
        for (k, v) in iv {
            vols.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if user.stop_signal.is_empty() {
        user.stop_signal = image.stop_signal.clone();
    }
    if user.on_build.is_empty() {
        user.on_build = image.on_build.clone();
    }
    if user.shell.is_none() {
        user.shell = image.shell.clone();
    }
}

fn validate_host_config(e: &Engine, hc: &mut wharf_api::HostConfig) -> Result<(), ApiError> {
    let bad = |m: String| Err(ApiError::bad_request(m));
    hc.restart_policy
        .validate()
        .map_err(ApiError::bad_request)?;
    if hc.auto_remove && !hc.restart_policy.is_none() {
        return bad("can't create 'AutoRemove' container with restart policy".into());
    }
    if hc.restart_policy.name.is_empty() {
        hc.restart_policy.name = "no".into();
    }
    match hc.network_mode.as_str() {
        "" => hc.network_mode = "default".into(),
        "default" | "bridge" | "none" | "host" => {}
        // A user network is looked up at start, as dockerd does: create succeeds (a 404 here
        // would make clients pull the image) and start fails with "network X not found".
        _ => {}
    }
    match hc.userns_mode.as_str() {
        "" | "host" => {}
        m => return bad(format!("invalid USER mode: {m}")),
    }
    if super::uses_remap(e, hc).is_some() {
        // dockerd's refusals, word for word.
        if hc.privileged {
            return bad("privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode".into());
        }
        if hc.network_mode == "host" {
            return bad(
                "cannot share the host's network namespace when user namespaces are enabled".into(),
            );
        }
        if hc.pid_mode == "host" {
            return bad(
                "cannot share the host PID namespace when user namespaces are enabled".into(),
            );
        }
    }
    let r = &hc.resources;
    if r.memory > 0 && r.memory < 6 * 1024 * 1024 {
        return bad("Minimum memory limit allowed is 6MB".into());
    }
    if r.memory_swap > 0 && r.memory > 0 && r.memory_swap < r.memory {
        return bad(
            "Minimum memoryswap limit should be larger than memory limit, see usage".into(),
        );
    }
    let ncpu = e.host.ncpu.max(1);
    if r.nano_cpus < 0 || r.nano_cpus > ncpu * 1_000_000_000 {
        return bad(format!(
            "Range of CPUs is from 0.01 to {ncpu}.00, as there are only {ncpu} CPUs available"
        ));
    }
    if r.nano_cpus > 0 && (r.cpu_period > 0 || r.cpu_quota > 0) {
        return bad("Conflicting options: Nano CPUs and CPU Period cannot both be set".into());
    }
    for c in hc
        .cap_add
        .iter()
        .flatten()
        .chain(hc.cap_drop.iter().flatten())
    {
        if !c.eq_ignore_ascii_case("ALL") && wharf_runtime::caps::normalize(c).is_none() {
            return bad(format!("invalid CapAdd: unknown capability: \"{c}\""));
        }
    }
    for u in hc.resources.ulimits.iter().flatten() {
        if wharf_runtime::rlimit::normalize(&u.name).is_none() {
            return bad(format!("invalid ulimit type: {}", u.name));
        }
        if u.soft > u.hard {
            return bad(format!(
                "ulimit soft limit must be less than or equal to hard limit: {} > {}",
                u.soft, u.hard
            ));
        }
    }
    if !hc.runtime.is_empty() && e.config.runtime_path(&hc.runtime).is_none() {
        return bad(format!("unknown or invalid runtime name: {}", hc.runtime));
    }
    match hc.log_config.kind.as_str() {
        "" | "json-file" | "local" | "none" => {}
        other => {
            // dockerd's words at create: any other name would be a logging plugin.
            return bad(format!(
                "error looking up logging plugin {other}: plugin \"{other}\" not found"
            ));
        }
    }
    for (k, v) in &hc.log_config.config {
        match k.as_str() {
            "max-size" => {
                wharf_units::ram_in_bytes(v)
                    .map_err(|_| ApiError::bad_request(format!("invalid max-size: {v}")))?;
            }
            "max-file" => {
                if v.parse::<u32>().map_or(true, |n| n == 0) {
                    return bad(format!("invalid value for max-file: {v}"));
                }
            }
            "mode" | "max-buffer-size" | "compress" | "labels" | "env" | "tag" => {}
            other => {
                return bad(format!(
                    "unknown log opt '{other}' for json-file log driver"
                ));
            }
        }
    }
    match hc.health_on_failure.as_str() {
        "" | "none" | "kill" | "restart" | "stop" => {}
        other => {
            return bad(format!(
                "invalid health-on-failure action \"{other}\": use none, kill, restart or stop"
            ));
        }
    }
    Ok(())
}

/// Everything a failed create must undo.
struct Undo<'a> {
    e: &'a Engine,
    dir: Option<std::path::PathBuf>,
    volumes: Vec<String>,
}

impl Drop for Undo<'_> {
    fn drop(&mut self) {
        if let Some(d) = &self.dir {
            let _ = fsutil::remove_all(d);
        }
        for v in &self.volumes {
            let _ = self.e.volumes.remove(v, &[], true);
        }
    }
}

pub fn create(
    e: &Arc<Engine>,
    name: &str,
    mut req: CreateRequest,
) -> Result<(Arc<Ctr>, CreateResponse), ApiError> {
    if !name.is_empty() && !names::valid(name) {
        return Err(ApiError::bad_request(names::invalid_message(name)));
    }
    let name = if name.is_empty() {
        None
    } else if name.starts_with('/') {
        Some(name.to_string())
    } else {
        Some(format!("/{name}"))
    };
    if let Some(n) = &name
        && let Some(owner) = e.containers.name_owner(n)
    {
        return Err(ApiError::conflict(names::conflict_message(n, &owner)));
    }
    if req.config.image.is_empty() {
        return Err(ApiError::bad_request("No command specified"));
    }
    let image = e
        .images
        .resolve(&req.config.image)
        .map_err(|err| match err {
            wharf_image::ImageError::NotFound(_) => {
                ApiError::not_found(format!("No such image: {}", familiar(&req.config.image)))
            }
            other => other.into(),
        })?;
    let image_config: ImageConfig = e.images.config(&image)?;
    let mut hc = req.host_config.take().unwrap_or_default();
    validate_host_config(e, &mut hc)?;
    let joined = crate::service::network::validate::for_create(
        e,
        &req.config,
        &mut hc,
        req.networking_config.as_ref(),
    )?;

    let id = new_id();
    let mut config = req.config;
    if let Some(ic) = &image_config.config {
        merge(&mut config, ic);
    }
    if config.hostname.is_empty() && hc.network_mode != "host" {
        config.hostname = id[..12].to_string();
    } else if config.hostname.is_empty() {
        config.hostname = e.host.hostname.clone();
    }
    let mut argv: Vec<String> = config.entrypoint.clone().unwrap_or_default();
    argv.extend(config.cmd.clone().unwrap_or_default());
    if argv.is_empty() {
        return Err(ApiError::bad_request("No command specified"));
    }
    if hc.health_on_failure.is_empty()
        && let Some(v) = config
            .labels
            .as_ref()
            .and_then(|l| l.get(HEALTH_ON_FAILURE_LABEL))
    {
        hc.health_on_failure = v.clone();
        validate_host_config(e, &mut hc)?;
    }

    // Mounts: user binds and mounts, tmpfs, then the image's VOLUMEs not covered by them.
    let mut specs: Vec<MountSpec> = Vec::new();
    for b in hc.binds.iter().flatten() {
        specs.push(mounts::parse_bind(b)?);
    }
    for m in hc.mounts.iter().flatten() {
        specs.push(mounts::parse_mount(m)?);
    }
    if let Some(t) = &hc.tmpfs {
        specs.extend(mounts::parse_tmpfs(t)?);
    }
    mounts::check_duplicates(&specs)?;
    for dst in config.volumes.iter().flat_map(|v| v.keys()) {
        if !specs.iter().any(|m| &m.destination == dst) {
            specs.push(mounts::parse_bind(dst)?);
        }
    }

    let mut undo = Undo {
        e,
        dir: None,
        volumes: Vec::new(),
    };
    let dir = e.containers.dir(&id);
    std::fs::create_dir_all(dir.join("rootfs"))
        .map_err(|err| ApiError::internal(format!("creating {}: {err}", dir.display())))?;
    undo.dir = Some(dir.clone());
    let chain = image.top_chain().map(|c| c.to_string());
    super::layer::prepare(e, &dir, chain.as_deref())?;
    let remap = super::uses_remap(e, &hc);
    if remap.is_some() && !super::layer::at(e, &dir, chain.as_deref())?.full_tree {
        // The overlay's upper root is the container's `/`: its root must own it.
        crate::remap::chown_to_root(remap, &dir.join("fs"))
            .map_err(|err| ApiError::internal(format!("chown of the container layer: {err}")))?;
    }

    let mut copy_up = Vec::new();
    for m in &mut specs {
        match m.kind.as_str() {
            "bind" if !std::path::Path::new(&m.source).exists() => {
                std::fs::create_dir_all(&m.source).map_err(|err| {
                    ApiError::bad_request(format!(
                        "error while creating mount source path '{}': {err}",
                        m.source
                    ))
                })?;
            }
            "volume" => {
                let (vol, created) = e.volumes.create(
                    &VolumeCreateRequest {
                        name: m.name.clone(),
                        ..Default::default()
                    },
                    m.anonymous,
                )?;
                if created {
                    undo.volumes.push(vol.name.clone());
                    e.events.publish(
                        "volume",
                        "create",
                        &vol.name,
                        BTreeMap::from([("driver".into(), "local".into())]),
                    );
                }
                m.name = vol.name.clone();
                m.source = e.volumes.data_dir(&vol.name).display().to_string();
                if m.options != "nocopy"
                    && m.subpath.is_empty()
                    && dir_is_empty(&e.volumes.data_dir(&vol.name))
                {
                    copy_up.push((m.destination.clone(), e.volumes.data_dir(&vol.name)));
                }
            }
            _ => {}
        }
    }
    if !copy_up.is_empty() {
        let layer = super::layer::at(e, &dir, chain.as_deref())?;
        super::fs::copy_up(&layer, &dir, &copy_up)?;
        if let Some(r) = remap {
            for (_, vol) in &copy_up {
                crate::remap::shift_tree(r, vol).map_err(|err| {
                    ApiError::internal(format!("chown of {}: {err}", vol.display()))
                })?;
            }
        }
    }

    let host_network = hc.network_mode == "host";
    let write = |n: &str, c: &str| {
        files::write(&dir, n, c).map_err(|err| ApiError::internal(format!("writing {n}: {err}")))
    };
    write("hostname", &format!("{}\n", config.hostname))?;
    write(
        "hosts",
        &files::hosts(
            &config.hostname,
            hc.extra_hosts.as_deref().unwrap_or(&[]),
            host_network,
        ),
    )?;
    write(
        "resolv.conf",
        &files::resolv_conf(
            hc.dns.as_deref().unwrap_or(&[]),
            hc.dns_search.as_deref().unwrap_or(&[]),
            hc.dns_options.as_deref().unwrap_or(&[]),
            host_network,
        ),
    )?;
    for f in ["hostname", "hosts", "resolv.conf"] {
        crate::remap::chown_to_root(remap, &dir.join(f))
            .map_err(|err| ApiError::internal(format!("chown of {f}: {err}")))?;
    }

    let runtime = if hc.runtime.is_empty() {
        e.config.default_runtime.clone()
    } else {
        hc.runtime.clone()
    };
    hc.runtime = runtime.clone();
    if hc.masked_paths.is_none() && !hc.privileged {
        hc.masked_paths = Some(
            wharf_runtime::defaults::default_spec()
                .linux
                .map(|l| l.masked_paths)
                .unwrap_or_default(),
        );
        hc.readonly_paths = Some(
            wharf_runtime::defaults::default_spec()
                .linux
                .map(|l| l.readonly_paths)
                .unwrap_or_default(),
        );
    }
    if hc.log_config.kind.is_empty() {
        hc.log_config.kind = "json-file".into();
    }
    if matches!(hc.log_config.kind.as_str(), "json-file" | "local") {
        // Docker records the daemon's log options in the container; ours always rotate, so
        // inspect shows the bound the shim applies.
        let opts = &mut hc.log_config.config;
        if !opts.contains_key("max-size") {
            opts.insert("max-size".into(), size_opt(e.config.log_max_size));
            if !opts.contains_key("max-file") {
                opts.insert("max-file".into(), e.config.log_max_file.to_string());
            }
        }
    }
    if hc.shm_size == 0 && hc.ipc_mode != "host" {
        hc.shm_size = 64 * 1024 * 1024;
    }
    if hc.ipc_mode.is_empty() {
        hc.ipc_mode = "private".into();
    }
    if hc.cgroupns_mode.is_empty() {
        hc.cgroupns_mode = if e.host.cgroup_version == "2" {
            "private"
        } else {
            "host"
        }
        .into();
    }
    let path = argv.remove(0);
    let mut rec = ContainerRecord {
        id: id.clone(),
        name: String::new(),
        created: wharf_units::Timestamp::now().to_rfc3339_nano(),
        path,
        args: argv,
        config,
        host_config: hc,
        image: image.id.to_string(),
        chain_id: chain,
        driver: e.storage_driver().to_string(),
        mounts: specs,
        runtime,
        state: State::default(),
        restart_count: 0,
        has_been_started: false,
        networks: joined.networks,
        desired_macs: joined.macs,
        ports: Default::default(),
    };
    let ctr = insert_named(e, &mut rec, name)?;
    crate::service::network::validate::normalize_links(&mut ctr.lock());
    if let Err(err) = e.containers.save(&ctr) {
        e.containers.forget(&ctr);
        return Err(err);
    }
    std::mem::forget(undo);
    e.events.publish(
        "container",
        "create",
        &id,
        super::lifecycle::attributes(&rec),
    );
    Ok((
        ctr,
        CreateResponse {
            id,
            warnings: joined.warnings,
        },
    ))
}

/// A byte count as a `--log-opt max-size` value (`20m`, `512k`, `1000`).
fn size_opt(bytes: u64) -> String {
    const K: u64 = 1024;
    match bytes {
        0 => "-1".into(),
        b if b % (K * K * K) == 0 => format!("{}g", b / (K * K * K)),
        b if b % (K * K) == 0 => format!("{}m", b / (K * K)),
        b if b % K == 0 => format!("{}k", b / K),
        b => b.to_string(),
    }
}

fn insert_named(
    e: &Engine,
    rec: &mut ContainerRecord,
    name: Option<String>,
) -> Result<Arc<Ctr>, ApiError> {
    if let Some(n) = name {
        rec.name = n;
        return e.containers.insert(rec.clone());
    }
    for attempt in 0..10 {
        rec.name = format!("/{}", names::random_name(attempt));
        match e.containers.insert(rec.clone()) {
            Ok(c) => return Ok(c),
            Err(err) if err.status == http::StatusCode::CONFLICT => continue,
            Err(err) => return Err(err),
        }
    }
    rec.name = format!("/{}", &rec.id[..12]);
    e.containers.insert(rec.clone())
}

fn dir_is_empty(p: &std::path::Path) -> bool {
    std::fs::read_dir(p)
        .map(|mut d| d.next().is_none())
        .unwrap_or(true)
}

/// `busybox` → `busybox:latest`, as dockerd names a missing image.
fn familiar(name: &str) -> String {
    match wharf_reference::Reference::parse_normalized(name) {
        Ok(r) => r.with_default_tag().familiar_string(),
        Err(_) => name.to_string(),
    }
}
