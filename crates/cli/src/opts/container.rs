//! `create`/`run` flags and the `POST /containers/create` body they make, field for field as
//! docker 28's CLI sends it (captured from its requests; see the tests).

use serde_json::{Map, Value, json};

use super::{checks, envfile, mounts, ports};
use crate::flags::{Flag, Parsed};

/// Flags of both `create` and `run`, sorted as docker lists them.
pub fn container_flags(run: bool) -> Vec<Flag> {
    use checks as c;
    let mut v = vec![
        Flag::list(
            "add-host",
            None,
            "list",
            "Add a custom host-to-IP mapping (host:ip)",
        )
        .check(c::extra_host),
        Flag::list(
            "annotation",
            None,
            "map",
            "Add an annotation to the container (passed through to the OCI runtime)",
        )
        .default("map[]"),
        Flag::list(
            "attach",
            Some('a'),
            "list",
            "Attach to STDIN, STDOUT or STDERR",
        )
        .check(c::attach),
        Flag::value(
            "blkio-weight",
            None,
            "uint16",
            "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)",
        )
        .check(c::uint16),
        Flag::list("cap-add", None, "list", "Add Linux capabilities"),
        Flag::list("cap-drop", None, "list", "Drop Linux capabilities"),
        Flag::value(
            "cgroup-parent",
            None,
            "string",
            "Optional parent cgroup for the container",
        ),
        Flag::value(
            "cgroupns",
            None,
            "string",
            "Cgroup namespace to use (host|private)\n'host':    Run the container in the wharf host's cgroup namespace\n'private': Run the container in its own private cgroup namespace\n'':        Use the cgroup namespace as configured by the\n           default-cgroupns-mode option on the daemon (default)",
        ),
        Flag::value(
            "cidfile",
            None,
            "string",
            "Write the container ID to the file",
        ),
        Flag::value(
            "cpu-period",
            None,
            "int",
            "Limit CPU CFS (Completely Fair Scheduler) period",
        )
        .check(c::int),
        Flag::value(
            "cpu-quota",
            None,
            "int",
            "Limit CPU CFS (Completely Fair Scheduler) quota",
        )
        .check(c::int),
        Flag::value(
            "cpu-rt-period",
            None,
            "int",
            "Limit CPU real-time period in microseconds",
        )
        .check(c::int),
        Flag::value(
            "cpu-rt-runtime",
            None,
            "int",
            "Limit CPU real-time runtime in microseconds",
        )
        .check(c::int),
        Flag::value(
            "cpu-shares",
            Some('c'),
            "int",
            "CPU shares (relative weight)",
        )
        .check(c::int),
        Flag::value("cpus", None, "decimal", "Number of CPUs").check(c::nano_cpus),
        Flag::value(
            "cpuset-cpus",
            None,
            "string",
            "CPUs in which to allow execution (0-3, 0,1)",
        ),
        Flag::value(
            "cpuset-mems",
            None,
            "string",
            "MEMs in which to allow execution (0-3, 0,1)",
        ),
    ];
    if run {
        v.push(Flag::bool(
            "detach",
            Some('d'),
            "Run container in background and print container ID",
        ));
        v.push(Flag::value(
            "detach-keys",
            None,
            "string",
            "Override the key sequence for detaching a container",
        ));
    }
    v.extend([
        Flag::list("device", None, "list", "Add a host device to the container"),
        Flag::list(
            "device-cgroup-rule",
            None,
            "list",
            "Add a rule to the cgroup allowed devices list",
        ),
        Flag::bool("disable-content-trust", None, "Skip image verification").default("true"),
        Flag::list("dns", None, "list", "Set custom DNS servers").check(c::ip),
        Flag::list("dns-option", None, "list", "Set DNS options"),
        Flag::list("dns-opt", None, "list", "Set DNS options").hidden(),
        Flag::list("dns-search", None, "list", "Set custom DNS search domains"),
        Flag::value("domainname", None, "string", "Container NIS domain name"),
        Flag::value("entrypoint", None, "string", "Overwrite the default ENTRYPOINT of the image"),
        Flag::list("env", Some('e'), "list", "Set environment variables").check(c::env),
        Flag::list("env-file", None, "list", "Read in a file of environment variables"),
        Flag::list("expose", None, "list", "Expose a port or a range of ports"),
        Flag::list("group-add", None, "list", "Add additional groups to join"),
        Flag::value("health-cmd", None, "string", "Command to run to check health"),
        Flag::value("health-interval", None, "duration", "Time between running the check (ms|s|m|h) (default 0s)").check(c::duration),
        Flag::value("health-on-failure", None, "string", "Action when the container becomes unhealthy (none|kill|restart|stop)").check(health_action),
        Flag::value("health-retries", None, "int", "Consecutive failures needed to report unhealthy").check(c::int),
        Flag::value("health-start-interval", None, "duration", "Time between running the check during the start period (ms|s|m|h) (default 0s)").check(c::duration),
        Flag::value("health-start-period", None, "duration", "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)").check(c::duration),
        Flag::value("health-timeout", None, "duration", "Maximum time to allow one check to run (ms|s|m|h) (default 0s)").check(c::duration),
        // Shown because `-h` is --hostname here (docker lists it too).
        Flag::bool("help", None, "Print usage"),
        Flag::value("hostname", Some('h'), "string", "Container host name"),
        Flag::bool("init", None, "Run an init inside the container that forwards signals and reaps processes"),
        Flag::bool("interactive", Some('i'), "Keep STDIN open even if not attached"),
        Flag::value("ip", None, "string", "IPv4 address (e.g., 172.30.100.104)"),
        Flag::value("ip6", None, "string", "IPv6 address (e.g., 2001:db8::33)"),
        Flag::value("ipc", None, "string", "IPC mode to use"),
        Flag::value("isolation", None, "string", "Container isolation technology"),
        Flag::value("kernel-memory", None, "bytes", "Kernel memory limit").check(c::mem_bytes),
        Flag::list("label", Some('l'), "list", "Set meta data on a container").check(c::label),
        Flag::list("label-file", None, "list", "Read in a line delimited file of labels"),
        Flag::list("link", None, "list", "Add link to another container").check(c::link),
        Flag::list(
            "link-local-ip",
            None,
            "list",
            "Container IPv4/IPv6 link-local addresses",
        ),
        Flag::value("log-driver", None, "string", "Logging driver for the container"),
        Flag::list("log-opt", None, "list", "Log driver options"),
        Flag::value("mac-address", None, "string", "Container MAC address (e.g., 92:d0:c6:0a:29:33)"),
        Flag::value("memory", Some('m'), "bytes", "Memory limit").check(c::mem_bytes),
        Flag::value("memory-reservation", None, "bytes", "Memory soft limit").check(c::mem_bytes),
        Flag::value("memory-swap", None, "bytes", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap").check(c::mem_swap),
        Flag::value("memory-swappiness", None, "int", "Tune container memory swappiness (0 to 100)").default("-1").check(c::int),
        Flag::list("mount", None, "mount", "Attach a filesystem mount to the container").check(c::mount),
        Flag::value("name", None, "string", "Assign a name to the container"),
        Flag::value("network", None, "network", "Connect a container to a network"),
        Flag::value("net", None, "network", "Connect a container to a network").hidden(),
        Flag::list("network-alias", None, "list", "Add network-scoped alias for the container"),
        Flag::bool("no-healthcheck", None, "Disable any container-specified HEALTHCHECK"),
        Flag::bool("oom-kill-disable", None, "Disable OOM Killer"),
        Flag::value("oom-score-adj", None, "int", "Tune host's OOM preferences (-1000 to 1000)").check(c::int),
        Flag::value("pid", None, "string", "PID namespace to use"),
        Flag::value("pids-limit", None, "int", "Tune container pids limit (set -1 for unlimited)").check(c::int),
        Flag::value("platform", None, "string", "Set platform if server is multi-platform capable"),
        Flag::bool("privileged", None, "Give extended privileges to this container"),
        Flag::list("publish", Some('p'), "list", "Publish a container's port(s) to the host"),
        Flag::bool("publish-all", Some('P'), "Publish all exposed ports to random ports"),
        Flag::value("pull", None, "string", if run { "Pull image before running (\"always\", \"missing\", \"never\")" } else { "Pull image before creating (\"always\", \"missing\", \"never\")" }).default("missing"),
        Flag::bool("quiet", Some('q'), "Suppress the pull output"),
        Flag::bool("read-only", None, "Mount the container's root filesystem as read only"),
        Flag::value("restart", None, "string", "Restart policy to apply when a container exits").default("no"),
        Flag::bool("rm", None, "Automatically remove the container and its associated anonymous volumes when it exits"),
        Flag::value("runtime", None, "string", "Runtime to use for this container"),
        Flag::list("security-opt", None, "list", "Security Options"),
        Flag::value("shm-size", None, "bytes", "Size of /dev/shm").check(c::mem_bytes),
    ]);
    if run {
        v.push(
            Flag::bool("sig-proxy", None, "Proxy received signals to the process").default("true"),
        );
    }
    v.extend([
        Flag::value(
            "stop-signal",
            None,
            "string",
            "Signal to stop the container",
        ),
        Flag::value(
            "stop-timeout",
            None,
            "int",
            "Timeout (in seconds) to stop a container",
        )
        .check(c::int),
        Flag::list(
            "storage-opt",
            None,
            "list",
            "Storage driver options for the container",
        ),
        Flag::list("sysctl", None, "map", "Sysctl options").default("map[]"),
        Flag::list("tmpfs", None, "list", "Mount a tmpfs directory"),
        Flag::bool("tty", Some('t'), "Allocate a pseudo-TTY"),
        Flag::list("ulimit", None, "ulimit", "Ulimit options")
            .default("[]")
            .check(c::ulimit),
        Flag::value(
            "user",
            Some('u'),
            "string",
            "Username or UID (format: <name|uid>[:<group|gid>])",
        ),
        Flag::value("userns", None, "string", "User namespace to use"),
        Flag::value("uts", None, "string", "UTS namespace to use"),
        Flag::list("volume", Some('v'), "list", "Bind mount a volume"),
        Flag::value(
            "volume-driver",
            None,
            "string",
            "Optional volume driver for the container",
        ),
        Flag::list(
            "volumes-from",
            None,
            "list",
            "Mount volumes from the specified container(s)",
        ),
        Flag::value(
            "workdir",
            Some('w'),
            "string",
            "Working directory inside the container",
        ),
    ]);
    v
}

fn health_action(v: &str) -> Result<String, String> {
    match v {
        "" | "none" | "kill" | "restart" | "stop" => Ok(v.to_string()),
        _ => Err("must be one of \"none\", \"kill\", \"restart\" or \"stop\"".into()),
    }
}

/// What `create`/`run` send: the body and the query's name and platform.
#[derive(Debug, Clone)]
pub struct CreateSpec {
    pub image: String,
    pub name: String,
    pub platform: String,
    pub body: Value,
    pub tty: bool,
    pub open_stdin: bool,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    pub auto_remove: bool,
}

fn int_of(p: &Parsed, name: &str) -> i64 {
    p.value(name).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn null_if_empty(v: Vec<String>) -> Value {
    if v.is_empty() { Value::Null } else { json!(v) }
}

/// Builds the create request from parsed flags; `args` is `IMAGE [COMMAND] [ARG...]`.
/// Errors are docker's messages (shown as `docker: <message>` with exit status 125).
pub fn create_spec(p: &Parsed, args: &[String], console: (u16, u16)) -> Result<CreateSpec, String> {
    let image = args[0].clone();
    let attach = p.list("attach");
    let mut attach_stdin = attach.iter().any(|a| a == "stdin");
    let (mut attach_stdout, mut attach_stderr) = (
        attach.iter().any(|a| a == "stdout"),
        attach.iter().any(|a| a == "stderr"),
    );
    if let Some(mac) = p.value("mac-address")
        && !valid_mac(mac.trim())
    {
        return Err(format!("{mac} is not a valid mac address"));
    }
    let open_stdin = p.bool("interactive");
    if open_stdin {
        attach_stdin = true;
    }
    if attach.is_empty() {
        attach_stdout = true;
        attach_stderr = true;
    }
    let swappiness = int_of(p, "memory-swappiness");
    if swappiness != -1 && !(0..=100).contains(&swappiness) {
        return Err(format!(
            "invalid value: {swappiness}. Valid memory swappiness range is 0-100"
        ));
    }
    let (binds, anon) = mounts::split_volumes(&p.list("volume"))?;
    let mut tmpfs = Map::new();
    for t in p.list("tmpfs") {
        let (k, v) = t.split_once(':').unwrap_or((&t, ""));
        tmpfs.insert(k.to_string(), json!(v));
    }
    let cmd = if args.len() > 1 {
        json!(args[1..])
    } else {
        Value::Null
    };
    let entrypoint = match p.value("entrypoint") {
        Some("") => json!([""]),
        Some(e) => json!([e]),
        None => Value::Null,
    };
    let published = ports::parse_publish(&p.list("publish"))?;
    let mut exposed = Map::new();
    for port in &published.exposed {
        exposed.insert(port.clone(), json!({}));
    }
    for e in p.list("expose") {
        for port in ports::parse_expose(&e)? {
            exposed.insert(port, json!({}));
        }
    }
    let mut bindings = Map::new();
    for (port, bs) in &published.bindings {
        let list: Vec<Value> = bs
            .iter()
            .map(|b| json!({"HostIp": b.host_ip, "HostPort": b.host_port}))
            .collect();
        bindings.insert(port.clone(), json!(list));
    }
    let mut env = Vec::new();
    for f in p.list("env-file") {
        env.extend(envfile::parse_file(&f, Some(envfile::from_env))?);
    }
    env.extend(p.list("env"));
    let mut labels_kv = Vec::new();
    for f in p.list("label-file") {
        labels_kv.extend(envfile::parse_file(&f, None)?);
    }
    labels_kv.extend(p.list("label"));
    let mut labels = Map::new();
    for l in labels_kv {
        let (k, v) = l.split_once('=').unwrap_or((&l, ""));
        labels.insert(k.to_string(), json!(v));
    }
    for (flag, what) in [("pid", "PID"), ("uts", "UTS"), ("userns", "USER")] {
        let v = p.string(flag);
        let ok = match flag {
            "userns" => v.is_empty() || v == "host",
            _ => v.is_empty() || v == "host" || v.starts_with("container:") && v.len() > 10,
        };
        if !ok {
            return Err(format!("--{flag}: invalid {what} mode"));
        }
    }
    let cgroupns = p.string("cgroupns");
    if !["", "host", "private"].contains(&cgroupns.as_str()) {
        return Err("--cgroupns: invalid CGROUP mode".into());
    }
    let (restart_name, restart_count) = checks::restart_policy(&p.string("restart"))?;
    let log_opts = p.list("log-opt");
    let log_driver = p.string("log-driver");
    if log_driver == "none" && !log_opts.is_empty() {
        return Err(format!("invalid logging opts for driver {log_driver}"));
    }
    let mut log_config = Map::new();
    for o in &log_opts {
        let (k, v) = o.split_once('=').unwrap_or((o, ""));
        log_config.insert(k.to_string(), json!(v));
    }
    let security_opts = p.list("security-opt");
    for opt in &security_opts {
        let kv = opt.split_once('=').or_else(|| opt.split_once(':'));
        if opt != "no-new-privileges" && kv.is_none_or(|(_, v)| v.is_empty()) {
            return Err(format!("Invalid --security-opt: {opt:?}"));
        }
    }
    let mut storage = Map::new();
    for o in p.list("storage-opt") {
        let (k, v) = o.split_once('=').ok_or("invalid storage option")?;
        storage.insert(k.to_string(), json!(v));
    }
    let health = health_config(p)?;
    let mut ulimits: Vec<Value> = Vec::new();
    for u in p.list("ulimit") {
        let parsed = wharf_units::Ulimit::parse(&u).map_err(|e| e.to_string())?;
        let item = json!({"Name": parsed.name, "Hard": parsed.hard, "Soft": parsed.soft});
        ulimits.retain(|x| x["Name"] != item["Name"]);
        ulimits.push(item);
    }
    let mut mount_list = Vec::new();
    for m in p.list("mount") {
        mount_list.push(mounts::parse_mount(&m)?);
    }
    let mut sysctls = Map::new();
    for s in p.list("sysctl") {
        let (k, v) = s.split_once('=').unwrap_or((&s, ""));
        sysctls.insert(k.to_string(), json!(v));
    }
    let auto_remove = p.bool("rm");
    if auto_remove && !(restart_name.is_empty() || restart_name == "no") {
        return Err("conflicting options: cannot specify both --restart and --rm".into());
    }
    let network = p
        .value("network")
        .or(p.value("net"))
        .unwrap_or("default")
        .to_string();
    let links = p.list("link");
    let aliases = p.list("network-alias");
    let user_defined = !["default", "bridge", "host", "none"].contains(&network.as_str())
        && !network.starts_with("container:");
    if !user_defined && !aliases.is_empty() {
        return Err("network-scoped aliases are only supported for user-defined networks".into());
    }
    let mut endpoint = json!({
        "IPAMConfig": null, "Links": null, "Aliases": null, "MacAddress": "", "DriverOpts": null,
        "GwPriority": 0, "NetworkID": "", "EndpointID": "", "Gateway": "", "IPAddress": "",
        "IPPrefixLen": 0, "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
        "DNSNames": null
    });
    let mut endpoint_set = false;
    if !aliases.is_empty() {
        endpoint["Aliases"] = json!(aliases);
        endpoint_set = true;
    }
    if user_defined && !links.is_empty() {
        endpoint["Links"] = json!(links);
        endpoint_set = true;
    }
    let mut ipam = Map::new();
    if let Some(ip) = p.value("ip") {
        ipam.insert("IPv4Address".into(), json!(ip));
    }
    if let Some(ip) = p.value("ip6") {
        ipam.insert("IPv6Address".into(), json!(ip));
    }
    let link_local = p.list("link-local-ip");
    if !link_local.is_empty() {
        ipam.insert("LinkLocalIPs".into(), json!(link_local));
    }
    if !ipam.is_empty() {
        endpoint["IPAMConfig"] = Value::Object(ipam);
        endpoint_set = true;
    }
    if let Some(mac) = p.value("mac-address") {
        endpoint["MacAddress"] = json!(mac);
        endpoint_set = true;
    }
    let mut endpoints = Map::new();
    if p.value("network").or(p.value("net")).is_none() || endpoint_set {
        endpoints.insert(network.clone(), endpoint);
    }
    let tty = p.bool("tty");
    let stdin_once = open_stdin && attach_stdin;
    let mut config = json!({
        "Hostname": p.string("hostname"),
        "Domainname": p.string("domainname"),
        "User": p.string("user"),
        "AttachStdin": attach_stdin,
        "AttachStdout": attach_stdout,
        "AttachStderr": attach_stderr,
        "Tty": tty,
        "OpenStdin": open_stdin,
        "StdinOnce": stdin_once,
        "Env": env,
        "Cmd": cmd,
        "Image": image,
        "Volumes": anon.iter().map(|v| (v.clone(), json!({}))).collect::<Map<_, _>>(),
        "WorkingDir": p.string("workdir"),
        "Entrypoint": entrypoint,
        "OnBuild": null,
        "Labels": labels,
    });
    if !exposed.is_empty() {
        config["ExposedPorts"] = Value::Object(exposed);
    }
    if let Some(h) = health {
        config["Healthcheck"] = h;
    }
    if let Some(s) = p.value("stop-signal").filter(|s| !s.is_empty()) {
        config["StopSignal"] = json!(s);
    }
    if p.changed("stop-timeout") {
        config["StopTimeout"] = json!(int_of(p, "stop-timeout"));
    }
    let mut dns_options = p.list("dns-option");
    dns_options.extend(p.list("dns-opt"));
    let mut host = json!({
        "Binds": null_if_empty(binds),
        "ContainerIDFile": p.string("cidfile"),
        "LogConfig": {"Type": log_driver, "Config": log_config},
        "NetworkMode": network,
        "PortBindings": bindings,
        "RestartPolicy": {"Name": restart_name, "MaximumRetryCount": restart_count},
        "AutoRemove": auto_remove,
        "VolumeDriver": p.string("volume-driver"),
        "VolumesFrom": null_if_empty(p.list("volumes-from")),
        "ConsoleSize": [console.0, console.1],
        "CapAdd": null_if_empty(p.list("cap-add")),
        "CapDrop": null_if_empty(p.list("cap-drop")),
        "CgroupnsMode": cgroupns,
        "Dns": p.list("dns"),
        "DnsOptions": dns_options,
        "DnsSearch": p.list("dns-search"),
        "ExtraHosts": null_if_empty(p.list("add-host")),
        "GroupAdd": null_if_empty(p.list("group-add")),
        "IpcMode": p.string("ipc"),
        "Cgroup": "",
        "Links": null_if_empty(links),
        "OomScoreAdj": int_of(p, "oom-score-adj"),
        "PidMode": p.string("pid"),
        "Privileged": p.bool("privileged"),
        "PublishAllPorts": p.bool("publish-all"),
        "ReadonlyRootfs": p.bool("read-only"),
        "SecurityOpt": null_if_empty(security_opts),
        "UTSMode": p.string("uts"),
        "UsernsMode": p.string("userns"),
        "ShmSize": int_of(p, "shm-size"),
        "Isolation": p.string("isolation"),
        "CpuShares": int_of(p, "cpu-shares"),
        "Memory": int_of(p, "memory"),
        "NanoCpus": int_of(p, "cpus"),
        "CgroupParent": p.string("cgroup-parent"),
        "BlkioWeight": int_of(p, "blkio-weight"),
        "BlkioWeightDevice": [],
        "BlkioDeviceReadBps": [],
        "BlkioDeviceWriteBps": [],
        "BlkioDeviceReadIOps": [],
        "BlkioDeviceWriteIOps": [],
        "CpuPeriod": int_of(p, "cpu-period"),
        "CpuQuota": int_of(p, "cpu-quota"),
        "CpuRealtimePeriod": int_of(p, "cpu-rt-period"),
        "CpuRealtimeRuntime": int_of(p, "cpu-rt-runtime"),
        "CpusetCpus": p.string("cpuset-cpus"),
        "CpusetMems": p.string("cpuset-mems"),
        "Devices": device_mappings(&p.list("device"))?,
        "DeviceCgroupRules": null_if_empty(p.list("device-cgroup-rule")),
        "DeviceRequests": null,
        "MemoryReservation": int_of(p, "memory-reservation"),
        "MemorySwap": int_of(p, "memory-swap"),
        "MemorySwappiness": swappiness,
        "OomKillDisable": p.bool("oom-kill-disable"),
        "PidsLimit": int_of(p, "pids-limit"),
        "Ulimits": ulimits,
        "CpuCount": 0,
        "CpuPercent": 0,
        "IOMaximumIOps": 0,
        "IOMaximumBandwidth": 0,
        "MaskedPaths": null,
        "ReadonlyPaths": null,
    });
    if !tmpfs.is_empty() {
        host["Tmpfs"] = Value::Object(tmpfs);
    }
    if !mount_list.is_empty() {
        host["Mounts"] = json!(mount_list);
    }
    if !storage.is_empty() {
        host["StorageOpt"] = Value::Object(storage);
    }
    if !sysctls.is_empty() {
        host["Sysctls"] = Value::Object(sysctls);
    }
    if let Some(r) = p.value("runtime").filter(|r| !r.is_empty()) {
        host["Runtime"] = json!(r);
    }
    let mut annotations = Map::new();
    for a in p.list("annotation") {
        let (k, v) = a.split_once('=').unwrap_or((&a, ""));
        annotations.insert(k.to_string(), json!(v));
    }
    if !annotations.is_empty() {
        host["Annotations"] = Value::Object(annotations);
    }
    if p.changed("init") {
        host["Init"] = json!(p.bool("init"));
    }
    if let Some(a) = p.value("health-on-failure").filter(|a| !a.is_empty()) {
        host["HealthOnFailure"] = json!(a);
    }
    let mut body = config;
    body["HostConfig"] = host;
    body["NetworkingConfig"] = json!({"EndpointsConfig": endpoints});
    Ok(CreateSpec {
        image,
        name: p.string("name"),
        platform: p.string("platform"),
        body,
        tty,
        open_stdin,
        attach_stdin,
        attach_stdout,
        attach_stderr,
        auto_remove,
    })
}

fn valid_mac(s: &str) -> bool {
    let parts: Vec<&str> = s.split([':', '-']).collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && u8::from_str_radix(p, 16).is_ok())
}

/// The `Healthcheck` object of `--health-*` / `--no-healthcheck`.
fn health_config(p: &Parsed) -> Result<Option<Value>, String> {
    let cmd = p.string("health-cmd");
    let dur = |n: &str| int_of(p, n);
    let (interval, timeout, start, start_interval, retries) = (
        dur("health-interval"),
        dur("health-timeout"),
        dur("health-start-period"),
        dur("health-start-interval"),
        int_of(p, "health-retries"),
    );
    let any = !cmd.is_empty()
        || interval != 0
        || timeout != 0
        || start != 0
        || retries != 0
        || start_interval != 0;
    if p.bool("no-healthcheck") {
        if any {
            return Err("--no-healthcheck conflicts with --health-* options".into());
        }
        return Ok(Some(json!({"Test": ["NONE"]})));
    }
    if !any {
        return Ok(None);
    }
    for (v, name) in [
        (interval, "--health-interval"),
        (timeout, "--health-timeout"),
        (retries, "--health-retries"),
        (start, "--health-start-period"),
        (start_interval, "--health-start-interval"),
    ] {
        if v < 0 {
            return Err(format!("{name} cannot be negative"));
        }
    }
    let mut h = Map::new();
    if !cmd.is_empty() {
        h.insert("Test".into(), json!(["CMD-SHELL", cmd]));
    }
    for (k, v) in [
        ("Interval", interval),
        ("Timeout", timeout),
        ("StartPeriod", start),
        ("StartInterval", start_interval),
        ("Retries", retries),
    ] {
        if v != 0 {
            h.insert(k.into(), json!(v));
        }
    }
    Ok(Some(Value::Object(h)))
}

/// `--device /dev/x[:/dev/y][:rwm]` as the API's device mappings.
fn device_mappings(devices: &[String]) -> Result<Value, String> {
    let mut out = Vec::new();
    for d in devices {
        let parts: Vec<&str> = d.splitn(4, ':').collect();
        let valid_mode = |m: &str| !m.is_empty() && m.chars().all(|c| "rwm".contains(c));
        let (src, dst, perms) = match parts.as_slice() {
            [s] => (*s, *s, "rwm"),
            [s, m] if valid_mode(m) => (*s, *s, *m),
            [s, t] => (*s, *t, "rwm"),
            [s, t, m] => (*s, *t, *m),
            _ => return Err(format!("invalid device specification: {d}")),
        };
        out.push(json!({"PathOnHost": src, "PathInContainer": dst, "CgroupPermissions": perms}));
    }
    Ok(json!(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::parse;

    fn spec(args: &str) -> Result<CreateSpec, String> {
        let argv: Vec<String> = args.split_whitespace().map(str::to_string).collect();
        let p = parse(&container_flags(true), &argv, false).map_err(|e| e.to_string())?;
        create_spec(&p, &p.args, (0, 0))
    }

    /// The body docker 28.2.2 sent for
    /// `create --name t1 -e A=1 -v /tmp:/host:ro -p 8080:80 --memory 64m
    ///  --restart on-failure:3 -l x=y busybox echo hi` (captured at the socket).
    #[test]
    fn the_body_matches_what_docker_sends() {
        let got = spec("--name t1 -e A=1 -v /tmp:/host:ro -p 8080:80 --memory 64m --restart on-failure:3 -l x=y busybox echo hi").unwrap();
        let want: Value = serde_json::from_str(include_str!("testdata/create_t1.json")).unwrap();
        assert_eq!(got.body, want);
        assert_eq!(got.name, "t1");
    }

    #[test]
    fn interactive_tty_attach_and_entrypoint() {
        let s = spec("-it busybox sh").unwrap();
        assert!(s.tty && s.open_stdin && s.attach_stdin);
        assert_eq!(s.body["StdinOnce"], json!(true));
        assert_eq!(s.body["Cmd"], json!(["sh"]));
        let s = spec("-a stdout --entrypoint= busybox").unwrap();
        assert!(!s.attach_stdin && s.attach_stdout && !s.attach_stderr);
        assert_eq!(s.body["Entrypoint"], json!([""]));
        assert_eq!(s.body["Cmd"], Value::Null);
    }

    #[test]
    fn conflicts_and_bad_values_use_dockers_words() {
        assert_eq!(
            spec("--rm --restart always busybox").unwrap_err(),
            "conflicting options: cannot specify both --restart and --rm"
        );
        assert_eq!(
            spec("--memory x busybox").unwrap_err(),
            "invalid argument \"x\" for \"-m, --memory\" flag: invalid size: 'x'"
        );
        assert_eq!(
            spec("-p 99999:80 busybox").unwrap_err(),
            "invalid hostPort: 99999"
        );
        assert_eq!(
            spec("--no-healthcheck --health-cmd true busybox").unwrap_err(),
            "--no-healthcheck conflicts with --health-* options"
        );
        assert_eq!(
            spec("--log-driver none --log-opt a=b busybox").unwrap_err(),
            "invalid logging opts for driver none"
        );
    }

    #[test]
    fn resources_health_and_network() {
        let s = spec("--cpus 1.5 --pids-limit 20 --ulimit nofile=10:20 --health-cmd true --health-interval 2s --health-retries 3 --stop-timeout 5 --init --network none --health-on-failure kill busybox").unwrap();
        let h = &s.body["HostConfig"];
        assert_eq!(h["NanoCpus"], json!(1_500_000_000));
        assert_eq!(h["PidsLimit"], json!(20));
        assert_eq!(
            h["Ulimits"],
            json!([{"Name": "nofile", "Hard": 20, "Soft": 10}])
        );
        assert_eq!(h["Init"], json!(true));
        assert_eq!(h["NetworkMode"], json!("none"));
        assert_eq!(h["HealthOnFailure"], json!("kill"));
        assert_eq!(s.body["NetworkingConfig"], json!({"EndpointsConfig": {}}));
        assert_eq!(
            s.body["Healthcheck"],
            json!({"Test": ["CMD-SHELL", "true"], "Interval": 2_000_000_000i64, "Retries": 3})
        );
        assert_eq!(s.body["StopTimeout"], json!(5));
    }
}
