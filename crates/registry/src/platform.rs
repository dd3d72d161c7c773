//! Platforms (`linux/arm64/v8`) and the choice of one manifest from an index, with the
//! normalisation containerd's `platforms` package applies (`aarch64` is `arm64`, arm64's default
//! variant is `v8`, arm's is `v7`).

use wharf_image::spec::{Descriptor, Platform};

use crate::error::{RegistryError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformSpec {
    pub os: String,
    pub architecture: String,
    pub variant: String,
}

fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let a = arch.to_ascii_lowercase();
    let v = variant.to_ascii_lowercase();
    match a.as_str() {
        "i386" | "386" => ("386".into(), String::new()),
        "x86_64" | "x86-64" | "amd64" => {
            ("amd64".into(), if v == "v1" { String::new() } else { v })
        }
        "aarch64" | "arm64" => (
            "arm64".into(),
            if v == "8" || v == "v8" || v.is_empty() {
                "v8".into()
            } else {
                v
            },
        ),
        "armhf" => ("arm".into(), "v7".into()),
        "armel" => ("arm".into(), "v6".into()),
        "arm" => (
            "arm".into(),
            match v.as_str() {
                "" | "7" => "v7".into(),
                "5" | "6" | "8" => format!("v{v}"),
                _ => v,
            },
        ),
        _ => (a, v),
    }
}

impl PlatformSpec {
    /// Parses `os[/arch[/variant]]` (or just `arch`, with the host's OS).
    pub fn parse(s: &str) -> Result<PlatformSpec> {
        let parts: Vec<&str> = s.trim().split('/').collect();
        let bad = || {
            RegistryError::Platform(format!(
                "\"{s}\": unknown operating system or architecture: invalid argument"
            ))
        };
        let (os, arch, variant) = match parts.as_slice() {
            [one] if !one.is_empty() => {
                if *one == "linux" || *one == "windows" || *one == "darwin" {
                    (
                        one.to_string(),
                        crate::platform::host_arch().to_string(),
                        String::new(),
                    )
                } else {
                    ("linux".to_string(), one.to_string(), String::new())
                }
            }
            [os, arch] if !os.is_empty() && !arch.is_empty() => {
                (os.to_string(), arch.to_string(), String::new())
            }
            [os, arch, v] if !os.is_empty() && !arch.is_empty() => {
                (os.to_string(), arch.to_string(), v.to_string())
            }
            _ => return Err(bad()),
        };
        let (architecture, variant) = normalize_arch(&arch, &variant);
        Ok(PlatformSpec {
            os: os.to_ascii_lowercase(),
            architecture,
            variant,
        })
    }

    pub fn host() -> PlatformSpec {
        let (architecture, variant) = normalize_arch(host_arch(), "");
        PlatformSpec {
            os: "linux".into(),
            architecture,
            variant,
        }
    }

    pub fn matches(&self, p: &Platform) -> bool {
        let (arch, variant) = normalize_arch(&p.architecture, &p.variant);
        p.os.eq_ignore_ascii_case(&self.os)
            && arch == self.architecture
            && (self.variant.is_empty() || variant == self.variant)
    }

    pub fn matches_config(&self, os: &str, arch: &str, variant: &str) -> bool {
        self.matches(&Platform {
            architecture: arch.to_string(),
            os: os.to_string(),
            os_version: String::new(),
            variant: variant.to_string(),
        })
    }
}

impl std::fmt::Display for PlatformSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if !self.variant.is_empty() {
            write!(f, "/{}", self.variant)?;
        }
        Ok(())
    }
}

/// GOARCH of this build.
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// The first entry of an index for `want` (attestation manifests have `unknown/unknown`).
pub fn select<'a>(manifests: &'a [Descriptor], want: &PlatformSpec) -> Option<&'a Descriptor> {
    manifests
        .iter()
        .find(|d| d.platform.as_ref().is_some_and(|p| want.matches(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plat(os: &str, arch: &str, variant: &str) -> Platform {
        Platform {
            architecture: arch.into(),
            os: os.into(),
            os_version: String::new(),
            variant: variant.into(),
        }
    }

    #[test]
    fn parses_and_normalises() {
        let p = PlatformSpec::parse("linux/aarch64").unwrap();
        assert_eq!(p.to_string(), "linux/arm64/v8");
        assert_eq!(
            PlatformSpec::parse("linux/arm").unwrap().to_string(),
            "linux/arm/v7"
        );
        assert_eq!(
            PlatformSpec::parse("linux/amd64").unwrap().to_string(),
            "linux/amd64"
        );
        assert!(PlatformSpec::parse("linux/").is_err());
        assert!(PlatformSpec::parse("").is_err());
    }

    #[test]
    fn matching_ignores_case_and_default_variants() {
        let arm64 = PlatformSpec::parse("linux/arm64").unwrap();
        assert!(arm64.matches(&plat("linux", "arm64", "")));
        assert!(arm64.matches(&plat("linux", "arm64", "v8")));
        assert!(!arm64.matches(&plat("linux", "amd64", "")));
        let armv6 = PlatformSpec::parse("linux/arm/v6").unwrap();
        assert!(!armv6.matches(&plat("linux", "arm", "v7")));
        assert!(armv6.matches(&plat("linux", "arm", "v6")));
        assert!(!arm64.matches(&plat("unknown", "unknown", "")));
    }
}
