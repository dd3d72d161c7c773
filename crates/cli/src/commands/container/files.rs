//! Files in and out of containers: `cp` (both ways, `-` for tar streams), `export`, `commit`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;
use wharf_reference::Reference;

use super::{cpath, decode};
use crate::app::{Args, Command};
use crate::client::{Body, Client, with_query};
use crate::context::Ctx;
use crate::copy::{self, PathStat};
use crate::error::CliError;
use crate::flags::{Flag, Parsed};
use crate::opts::envfile::go_io_error;

pub fn commands() -> Vec<Command> {
    vec![
        Command {
            path: "container cp",
            aliases: &["cp"],
            usage: "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\twharf cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
            about: "Copy files/folders between a container and the local filesystem",
            flags: || {
                vec![
                    Flag::bool(
                        "archive",
                        Some('a'),
                        "Archive mode (copy all uid/gid information)",
                    ),
                    Flag::bool(
                        "follow-link",
                        Some('L'),
                        "Always follow symbol link in SRC_PATH",
                    ),
                    Flag::bool(
                        "quiet",
                        Some('q'),
                        "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached",
                    ),
                ]
            },
            args: Args::Exact(2),
            interspersed: true,
            run: cp,
        },
        Command {
            path: "container export",
            aliases: &["export"],
            usage: "[OPTIONS] CONTAINER",
            about: "Export a container's filesystem as a tar archive",
            flags: || {
                vec![Flag::value(
                    "output",
                    Some('o'),
                    "string",
                    "Write to a file, instead of STDOUT",
                )]
            },
            args: Args::Exact(1),
            interspersed: true,
            run: export,
        },
        Command {
            path: "container commit",
            aliases: &["commit"],
            usage: "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
            about: "Create a new image from a container's changes",
            flags: || {
                vec![
                    Flag::value(
                        "author",
                        Some('a'),
                        "string",
                        "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")",
                    ),
                    Flag::list(
                        "change",
                        Some('c'),
                        "list",
                        "Apply Dockerfile instruction to the created image",
                    ),
                    Flag::value("message", Some('m'), "string", "Commit message"),
                    Flag::bool("pause", Some('p'), "Pause container during commit").default("true"),
                ]
            },
            args: Args::Range(1, 2),
            interspersed: false,
            run: commit,
        },
    ]
}

/// docker's `splitCpArg`: `CONTAINER:PATH`, unless the argument is an absolute or `./` path.
fn split_cp_arg(arg: &str) -> (Option<&str>, &str) {
    if arg.starts_with('/') {
        return (None, arg);
    }
    match arg.split_once(':') {
        Some((c, p)) if !c.starts_with('.') => (Some(c), p),
        _ => (None, arg),
    }
}

/// An absolute local path keeping a trailing `/` or `/.` as the user wrote it.
fn resolve_local(p: &str) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let mut abs = if p.starts_with('/') {
        crate::opts::mounts::clean_join("/", p)
    } else {
        crate::opts::mounts::clean_join(&cwd.to_string_lossy(), p)
    };
    if p.ends_with("/.") {
        abs.push_str("/.");
    } else if p.ends_with('/') && abs != "/" {
        abs.push('/');
    }
    PathBuf::from(abs)
}

fn cp(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let (src_ctr, src) = split_cp_arg(&p.args[0]);
    let (dst_ctr, dst) = split_cp_arg(&p.args[1]);
    let client = ctx.client()?.clone();
    let opts = CopyOpts {
        follow: p.bool("follow-link"),
        archive: p.bool("archive"),
        // Progress and the summary line only go to a terminal, as in docker.
        quiet: p.bool("quiet") || !std::io::stderr().is_terminal(),
    };
    match (src_ctr, dst_ctr) {
        (Some(c), None) => copy_from(ctx, &client, c, src, dst, &opts),
        (None, Some(c)) => copy_to(&client, c, src, dst, &opts),
        (Some(_), Some(_)) => Err(CliError::msg("copying between containers is not supported")),
        (None, None) => Err(CliError::msg("must specify at least one container source")),
    }
}

struct CopyOpts {
    follow: bool,
    archive: bool,
    quiet: bool,
}

fn stat_path(client: &Client, ctr: &str, path: &str) -> Result<Option<PathStat>, CliError> {
    let resp = client.send(
        "HEAD",
        &with_query(
            &format!("{}/archive", cpath(ctr)),
            &[("path", path.to_string())],
        ),
        Body::None,
    )?;
    if resp.status == 404 {
        return Ok(None);
    }
    if !resp.is_success() {
        return Err(crate::client::daemon_error(resp));
    }
    Ok(resp
        .header("X-Docker-Container-Path-Stat")
        .and_then(PathStat::from_header))
}

fn copy_from(
    ctx: &mut Ctx,
    client: &Client,
    ctr: &str,
    src: &str,
    dst: &str,
    opts: &CopyOpts,
) -> Result<(), CliError> {
    let follow = opts.follow;
    let mut src_path = src.to_string();
    let mut rebase_name: Option<String> = None;
    if follow
        && let Ok(Some(st)) = stat_path(client, ctr, src)
        && st.is_symlink()
    {
        let (parent, base) = copy::split_dir_entry(src);
        let target = if st.link_target.starts_with('/') {
            st.link_target.clone()
        } else {
            crate::opts::mounts::clean_join(&parent, &st.link_target)
        };
        rebase_name = Some(base);
        src_path = target;
    }
    let mut resp = client.call(
        "GET",
        &with_query(
            &format!("{}/archive", cpath(ctr)),
            &[("path", src_path.clone())],
        ),
        Body::None,
    )?;
    if dst == "-" {
        ctx.flush()?;
        let mut out = std::io::stdout().lock();
        std::io::copy(&mut resp.body, &mut out).map_err(CliError::io("writing the archive"))?;
        return out.flush().map_err(CliError::io("writing the archive"));
    }
    let stat = resp
        .header("X-Docker-Container-Path-Stat")
        .and_then(PathStat::from_header)
        .unwrap_or_default();
    let dst_path = resolve_local(dst);
    let dst_str = dst_path.to_string_lossy().to_string();
    let src_base = if stat.name.is_empty() {
        copy::split_dir_entry(&src_path).1
    } else {
        stat.name.clone()
    };
    let mut tar = Vec::new();
    std::io::copy(&mut resp.body, &mut tar).map_err(CliError::io("reading the archive"))?;
    let size = tar.len();
    if let Some(r) = &rebase_name {
        tar = copy::rebase(&tar[..], &src_base, r, Vec::new())
            .map_err(CliError::io("reading the archive"))?;
    }
    let src_base = rebase_name.unwrap_or(src_base);
    let src_contents = src.ends_with("/.");
    let (dst_parent, dst_base) = copy::split_dir_entry(&dst_str);
    let existing = std::fs::metadata(dst_str.trim_end_matches("/.")).ok();
    let (into, renamed): (PathBuf, Option<String>) = match existing {
        Some(m) if m.is_dir() => {
            if stat.is_dir() && src_contents {
                (
                    PathBuf::from(dst_str.trim_end_matches("/.")),
                    Some(".".into()),
                )
            } else {
                (PathBuf::from(dst_str.trim_end_matches("/.")), None)
            }
        }
        Some(_) => {
            if stat.is_dir() {
                return Err(CliError::msg("cannot copy directory"));
            }
            if dst.ends_with('/') {
                return Err(CliError::msg(format!(
                    "destination \"{dst_str}\" must be a directory"
                )));
            }
            (PathBuf::from(&dst_parent), Some(dst_base))
        }
        None => {
            if dst.ends_with('/') && !stat.is_dir() {
                return Err(CliError::msg("no such directory"));
            }
            if std::fs::metadata(&dst_parent).is_err() {
                return Err(CliError::msg(format!(
                    "invalid output path: directory {dst_parent:?} does not exist"
                )));
            }
            (PathBuf::from(&dst_parent), Some(dst_base))
        }
    };
    if let Some(new) = renamed {
        tar = copy::rebase(&tar[..], &src_base, &new, Vec::new())
            .map_err(CliError::io("reading the archive"))?;
    }
    copy::untar(&tar[..], &into).map_err(|e| CliError::msg(e.to_string()))?;
    ctx.flush()?;
    if !opts.quiet {
        eprintln!(
            "Successfully copied {} to {dst_str}",
            wharf_units::human_size_with_precision(size as f64, 3)
        );
    }
    Ok(())
}

fn copy_to(
    client: &Client,
    ctr: &str,
    src: &str,
    dst: &str,
    opts: &CopyOpts,
) -> Result<(), CliError> {
    let (follow, archive) = (opts.follow, opts.archive);
    let mut dst_path = dst.to_string();
    let mut stat = stat_path(client, ctr, dst).ok().flatten();
    if let Some(st) = &stat
        && st.is_symlink()
    {
        let (parent, _) = copy::split_dir_entry(dst);
        dst_path = if st.link_target.starts_with('/') {
            st.link_target.clone()
        } else {
            crate::opts::mounts::clean_join(&parent, &st.link_target)
        };
        stat = stat_path(client, ctr, &dst_path).ok().flatten();
    }
    let mut q = vec![("noOverwriteDirNonDir", "true".to_string())];
    if archive {
        q.push(("copyUIDGID", "true".to_string()));
    }
    let (put_dir, body, size): (String, Body, Option<usize>) = if src == "-" {
        if !stat.as_ref().is_some_and(PathStat::is_dir) {
            return Err(CliError::msg(format!(
                "destination \"{ctr}:{dst}\" must be a directory"
            )));
        }
        (
            dst_path.clone(),
            Body::Stream(Box::new(std::io::stdin()), "application/x-tar"),
            None,
        )
    } else {
        let local = resolve_local(src);
        let local_str = local.to_string_lossy().to_string();
        let clean = local_str.trim_end_matches("/.").trim_end_matches('/');
        let meta = if follow {
            std::fs::metadata(clean)
        } else {
            std::fs::symlink_metadata(clean)
        };
        let meta =
            meta.map_err(|e| CliError::msg(format!("lstat {clean}: {}", go_io_error(&e))))?;
        let (_, src_base) = copy::split_dir_entry(clean);
        let tar = copy::tar_path(Path::new(clean), &src_base, follow, Vec::new())
            .map_err(|e| CliError::msg(e.to_string()))?;
        let contents = src.ends_with("/.") && meta.is_dir();
        let (dir, tar) = match &stat {
            Some(st) if st.is_dir() => {
                if contents {
                    (
                        dst_path.clone(),
                        copy::rebase(&tar[..], &src_base, ".", Vec::new())
                            .map_err(CliError::io("archive"))?,
                    )
                } else {
                    (dst_path.clone(), tar)
                }
            }
            Some(_) => {
                if meta.is_dir() {
                    return Err(CliError::msg("cannot copy directory"));
                }
                let (parent, base) = copy::split_dir_entry(&dst_path);
                (
                    parent,
                    copy::rebase(&tar[..], &src_base, &base, Vec::new())
                        .map_err(CliError::io("archive"))?,
                )
            }
            None => {
                if dst.ends_with('/') && !meta.is_dir() {
                    return Err(CliError::msg("no such directory"));
                }
                let (parent, base) = copy::split_dir_entry(&dst_path);
                (
                    parent,
                    copy::rebase(&tar[..], &src_base, &base, Vec::new())
                        .map_err(CliError::io("archive"))?,
                )
            }
        };
        let n = tar.len();
        (dir, Body::Bytes(tar, "application/x-tar"), Some(n))
    };
    q.insert(0, ("path", put_dir));
    client.call(
        "PUT",
        &with_query(&format!("{}/archive", cpath(ctr)), &q),
        body,
    )?;
    if let Some(n) = size.filter(|_| !opts.quiet) {
        eprintln!(
            "Successfully copied {} to {ctr}:{dst_path}",
            wharf_units::human_size_with_precision(n as f64, 3)
        );
    }
    Ok(())
}

fn export(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let output = p.string("output");
    if output.is_empty() && std::io::stdout().is_terminal() {
        return Err(CliError::msg(
            "cowardly refusing to save to a terminal. Use the -o flag or redirect",
        ));
    }
    let mut resp =
        ctx.client()?
            .call("GET", &format!("{}/export", cpath(&p.args[0])), Body::None)?;
    if output.is_empty() {
        ctx.flush()?;
        let mut out = std::io::stdout().lock();
        std::io::copy(&mut resp.body, &mut out).map_err(CliError::io("writing the archive"))?;
        return out.flush().map_err(CliError::io("writing the archive"));
    }
    let path = Path::new(&output);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.wharf-export-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
        std::process::id()
    ));
    let written = (|| {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        std::io::copy(&mut resp.body, &mut f)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(CliError::msg(format!("failed to export container: {e}")));
    }
    Ok(())
}

fn commit(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let ctr = p.args[0].trim();
    let (mut repo, mut tag) = (String::new(), String::new());
    if let Some(r) = p.args.get(1).filter(|r| !r.is_empty()) {
        let parsed = Reference::parse_normalized(r).map_err(|e| CliError::msg(e.to_string()))?;
        if parsed.digest().is_some() {
            return Err(CliError::msg(
                "refusing to create a tag with a digest reference",
            ));
        }
        let parsed = parsed.with_default_tag();
        tag = parsed.tag().unwrap_or("").to_string();
        repo = parsed.name();
    }
    let mut q = vec![
        ("container", ctr.to_string()),
        ("repo", repo),
        ("tag", tag),
        ("comment", p.string("message")),
        ("author", p.string("author")),
    ];
    for c in p.list("change") {
        q.push(("changes", c));
    }
    if !p.bool("pause") {
        q.push(("pause", "0".to_string()));
    }
    let v: Value = decode(
        ctx.client()?
            .call("POST", &with_query("/commit", &q), Body::None)?,
    )?;
    ctx.println(v["Id"].as_str().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp_arguments_split_like_docker() {
        assert_eq!(split_cp_arg("c1:/etc/hosts"), (Some("c1"), "/etc/hosts"));
        assert_eq!(split_cp_arg("/abs:path"), (None, "/abs:path"));
        assert_eq!(split_cp_arg("./c:x"), (None, "./c:x"));
        assert_eq!(split_cp_arg("file"), (None, "file"));
    }
}
