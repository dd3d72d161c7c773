//! Facts about the host for `/info` and `/version`, read once at start-up.

#[derive(Debug, Clone, Default)]
pub struct HostInfo {
    pub kernel_version: String,
    pub architecture: String,
    pub operating_system: String,
    pub os_version: String,
    pub hostname: String,
    pub ncpu: i64,
    pub mem_total: i64,
    pub cgroup_version: String,
}

impl HostInfo {
    pub fn read() -> HostInfo {
        let uname = rustix::system::uname();
        let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        let field = |k: &str| {
            os_release
                .lines()
                .find_map(|l| l.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
                .map(|v| v.trim_matches('"').to_string())
                .unwrap_or_default()
        };
        let mem_total = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .find(|l| l.starts_with("MemTotal:"))
                    .and_then(|l| {
                        l.split_whitespace()
                            .nth(1)
                            .and_then(|kb| kb.parse::<i64>().ok())
                    })
            })
            .map(|kb| kb * 1024)
            .unwrap_or(0);
        let unified = rustix::fs::statfs("/sys/fs/cgroup")
            .map(|s| s.f_type == 0x6367_7270)
            .unwrap_or(false);
        HostInfo {
            kernel_version: uname.release().to_string_lossy().into_owned(),
            architecture: uname.machine().to_string_lossy().into_owned(),
            operating_system: {
                let p = field("PRETTY_NAME");
                if p.is_empty() { "Linux".into() } else { p }
            },
            os_version: field("VERSION_ID"),
            hostname: uname.nodename().to_string_lossy().into_owned(),
            ncpu: std::thread::available_parallelism()
                .map(|n| n.get() as i64)
                .unwrap_or(1),
            mem_total,
            cgroup_version: if unified { "2".into() } else { "1".into() },
        }
    }

    /// Go's GOARCH name for the host machine (what image configs record).
    pub fn goarch(&self) -> &'static str {
        match self.architecture.as_str() {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "armv7l" | "armv6l" => "arm",
            "i686" | "i386" => "386",
            "s390x" => "s390x",
            "ppc64le" => "ppc64le",
            "riscv64" => "riscv64",
            _ => "amd64",
        }
    }
}
