//! Image commands: images/ls, inspect, history, tag, rmi, prune, save, load, import.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use serde_json::{Value, json};
use wharf_api::filters::Filters;
use wharf_api::image::{DeleteItem, HistoryItem, ImageSummary, ImagesPruneReport};
use wharf_reference::Reference;

use crate::app::{Args, Command};
use crate::client::{Body, with_query};
use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::{Flag, Parsed};
use crate::format::{self, Columns, Format};
use crate::jsonmessage;

pub fn commands() -> Vec<Command> {
    vec![
        Command {
            path: "image ls",
            aliases: &["images", "image list"],
            usage: "[OPTIONS] [REPOSITORY[:TAG]]",
            about: "List images",
            flags: || {
                vec![
                    Flag::bool(
                        "all",
                        Some('a'),
                        "Show all images (default hides intermediate images)",
                    ),
                    Flag::bool("digests", None, "Show digests"),
                    Flag::list(
                        "filter",
                        Some('f'),
                        "filter",
                        "Filter output based on conditions provided",
                    ),
                    Flag::value(
                        "format",
                        None,
                        "string",
                        "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template",
                    ),
                    Flag::bool("no-trunc", None, "Don't truncate output"),
                    Flag::bool("quiet", Some('q'), "Only show image IDs"),
                ]
            },
            args: Args::Max(1),
            interspersed: true,
            run: list,
        },
        Command {
            path: "image inspect",
            aliases: &[],
            usage: "[OPTIONS] IMAGE [IMAGE...]",
            about: "Display detailed information on one or more images",
            flags: || {
                vec![Flag::value(
                    "format",
                    Some('f'),
                    "string",
                    "Format output using a custom template: 'json' or a Go template",
                )]
            },
            args: Args::Min(1),
            interspersed: true,
            run: inspect,
        },
        Command {
            path: "image history",
            aliases: &["history"],
            usage: "[OPTIONS] IMAGE",
            about: "Show the history of an image",
            flags: || {
                vec![
                    Flag::value(
                        "format",
                        None,
                        "string",
                        "Format output using a custom template",
                    ),
                    Flag::value(
                        "human",
                        Some('H'),
                        "bool",
                        "Print sizes and dates in human readable format",
                    )
                    .default("true"),
                    Flag::bool("no-trunc", None, "Don't truncate output"),
                    Flag::bool("quiet", Some('q'), "Only show image IDs"),
                ]
            },
            args: Args::Exact(1),
            interspersed: true,
            run: history,
        },
        Command {
            path: "image tag",
            aliases: &["tag"],
            usage: "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
            about: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
            flags: Vec::new,
            args: Args::Exact(2),
            interspersed: true,
            run: tag,
        },
        Command {
            path: "image rm",
            aliases: &["rmi", "image remove"],
            usage: "[OPTIONS] IMAGE [IMAGE...]",
            about: "Remove one or more images",
            flags: || {
                vec![
                    Flag::bool("force", Some('f'), "Force removal of the image"),
                    Flag::bool("no-prune", None, "Do not delete untagged parents"),
                ]
            },
            args: Args::Min(1),
            interspersed: true,
            run: remove,
        },
        Command {
            path: "image prune",
            aliases: &[],
            usage: "[OPTIONS]",
            about: "Remove unused images",
            flags: || {
                vec![
                    Flag::bool(
                        "all",
                        Some('a'),
                        "Remove all unused images, not just dangling ones",
                    ),
                    Flag::list(
                        "filter",
                        None,
                        "filter",
                        "Provide filter values (e.g. \"until=<timestamp>\")",
                    ),
                    Flag::bool("force", Some('f'), "Do not prompt for confirmation"),
                ]
            },
            args: Args::Max(0),
            interspersed: true,
            run: prune,
        },
        Command {
            path: "image save",
            aliases: &["save"],
            usage: "[OPTIONS] IMAGE [IMAGE...]",
            about: "Save one or more images to a tar archive (streamed to STDOUT by default)",
            flags: || {
                vec![Flag::value(
                    "output",
                    Some('o'),
                    "string",
                    "Write to a file, instead of STDOUT",
                )]
            },
            args: Args::Min(1),
            interspersed: true,
            run: save,
        },
        Command {
            path: "image load",
            aliases: &["load"],
            usage: "[OPTIONS]",
            about: "Load an image from a tar archive or STDIN",
            flags: || {
                vec![
                    Flag::value(
                        "input",
                        Some('i'),
                        "string",
                        "Read from tar archive file, instead of STDIN",
                    ),
                    Flag::bool("quiet", Some('q'), "Suppress the load output"),
                ]
            },
            args: Args::Max(0),
            interspersed: true,
            run: load,
        },
        Command {
            path: "image import",
            aliases: &["import"],
            usage: "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
            about: "Import the contents from a tarball to create a filesystem image",
            flags: || {
                vec![
                    Flag::list(
                        "change",
                        Some('c'),
                        "list",
                        "Apply Dockerfile instruction to the created image",
                    ),
                    Flag::value(
                        "message",
                        Some('m'),
                        "string",
                        "Set commit message for imported image",
                    ),
                    Flag::value(
                        "platform",
                        None,
                        "string",
                        "Set platform if server is multi-platform capable",
                    ),
                ]
            },
            args: Args::Min(1),
            interspersed: true,
            run: import,
        },
    ]
}

/// `key=value` filter flags as the API's filters object.
pub fn filters_from_flags(flags: &[String]) -> Result<Filters, CliError> {
    let mut f = Filters::default();
    for item in flags {
        let (k, v) = item.split_once('=').ok_or_else(|| {
            CliError::msg(format!("invalid argument \"{item}\" for \"-f, --filter\" flag: bad format of filter (expected name=value)"))
        })?;
        f.add(k.trim().to_ascii_lowercase().as_str(), v);
    }
    Ok(f)
}

pub const IMAGE_COLUMNS: Columns = &[
    ("ID", "IMAGE ID"),
    ("Repository", "REPOSITORY"),
    ("Tag", "TAG"),
    ("Digest", "DIGEST"),
    ("CreatedSince", "CREATED"),
    ("CreatedAt", "CREATED AT"),
    ("Size", "SIZE"),
    ("SharedSize", "SHARED SIZE"),
    ("UniqueSize", "UNIQUE SIZE"),
    ("VirtualSize", "VIRTUAL SIZE"),
    ("Containers", "CONTAINERS"),
];

/// One row of `images`: an image under one repository and tag.
pub struct ImageRow<'a> {
    pub img: &'a ImageSummary,
    pub repo: String,
    pub tag: String,
    pub digest: String,
}

/// Splits a familiar `repo:tag` (the tag follows the last `:` after the last `/`).
fn split_tag(r: &str) -> Option<(&str, &str)> {
    let slash = r.rfind('/').map(|i| i + 1).unwrap_or(0);
    r[slash..]
        .rfind(':')
        .map(|i| (&r[..slash + i], &r[slash + i + 1..]))
}

/// The rows docker shows for one image: one per repository tag (and digest with `--digests`),
/// or a single `<none>` row for a dangling image.
pub fn image_row_keys(img: &ImageSummary, digests: bool) -> Vec<ImageRow<'_>> {
    let mut tags: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut digs: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for t in &img.repo_tags {
        if let Some((repo, tag)) = split_tag(t) {
            tags.entry(repo).or_default().push(tag);
        }
    }
    for d in &img.repo_digests {
        if let Some((repo, dg)) = d.split_once('@') {
            digs.entry(repo).or_default().push(dg);
        }
    }
    let row = |repo: &str, tag: &str, digest: &str| ImageRow {
        img,
        repo: repo.to_string(),
        tag: tag.to_string(),
        digest: digest.to_string(),
    };
    let mut rows = Vec::new();
    if tags.is_empty() && digs.is_empty() {
        rows.push(row("<none>", "<none>", "<none>"));
        return rows;
    }
    for (repo, ts) in &tags {
        let ds = digs.remove(repo).filter(|_| digests).unwrap_or_default();
        for t in ts {
            if ds.is_empty() {
                rows.push(row(repo, t, "<none>"));
            }
            for d in &ds {
                rows.push(row(repo, t, d));
            }
        }
    }
    for (repo, ds) in digs {
        if digests {
            for d in ds {
                rows.push(row(repo, "<none>", d));
            }
        } else {
            rows.push(row(repo, "<none>", ""));
        }
    }
    rows
}

fn image_id(img: &ImageSummary, trunc: bool) -> String {
    if trunc {
        format::short_id(&img.id)
    } else {
        img.id.clone()
    }
}

impl ImageRow<'_> {
    /// The row as the object `--format` templates see.
    pub fn to_value(&self, trunc: bool) -> Value {
        let img = self.img;
        // docker: SIZE with three significant digits, the other sizes with HumanSize's four.
        let na = |v: i64| {
            if v < 0 {
                "N/A".to_string()
            } else {
                wharf_units::human_size(v as f64)
            }
        };
        json!({
            "ID": image_id(img, trunc),
            "Repository": self.repo,
            "Tag": self.tag,
            "Digest": self.digest,
            "CreatedSince": format::since(img.created),
            "CreatedAt": format::created_at(img.created),
            "Size": format::size(img.size),
            "SharedSize": na(img.shared_size),
            "UniqueSize": if img.shared_size < 0 { "N/A".to_string() } else { na(img.size - img.shared_size) },
            "VirtualSize": na(img.size),
            "Containers": if img.containers < 0 { "N/A".to_string() } else { img.containers.to_string() },
        })
    }
}

pub fn image_rows(img: &ImageSummary, digests: bool, trunc: bool) -> Vec<Value> {
    image_row_keys(img, digests)
        .iter()
        .map(|r| r.to_value(trunc))
        .collect()
}

fn list(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let mut filters = filters_from_flags(&p.list("filter"))?;
    if let Some(r) = p.args.first() {
        filters.add("reference", r);
    }
    let mut q = vec![];
    if p.bool("all") {
        q.push(("all", "1".to_string()));
    }
    if !filters.is_empty() {
        q.push(("filters", filters.to_json()));
    }
    let images: Vec<ImageSummary> = ctx.client()?.get_json(&with_query("/images/json", &q))?;
    let trunc = !p.bool("no-trunc");
    let digests = p.bool("digests");
    let user_format = p.string("format");
    if user_format.is_empty() && !p.bool("quiet") {
        // The default table, rendered directly: thousands of rows in a couple of milliseconds.
        let mut header = vec!["REPOSITORY", "TAG"];
        if digests {
            header.push("DIGEST");
        }
        header.extend(["IMAGE ID", "CREATED", "SIZE"]);
        let mut rows = Vec::new();
        for img in &images {
            let (id, since, size) = (
                image_id(img, trunc),
                format::since(img.created),
                format::size(img.size),
            );
            for r in image_row_keys(img, digests) {
                let mut cells = vec![r.repo, r.tag];
                if digests {
                    cells.push(r.digest);
                }
                cells.extend([id.clone(), since.clone(), size.clone()]);
                rows.push(cells);
            }
        }
        return ctx.print(format::table(&header, &rows));
    }
    if user_format.is_empty() {
        let mut out = String::with_capacity(images.len() * 16);
        for img in &images {
            let id = image_id(img, trunc);
            for _ in image_row_keys(img, digests) {
                out.push_str(&id);
                out.push('\n');
            }
        }
        return ctx.print(out);
    }
    let default = if digests {
        "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    } else {
        "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    };
    let fmt = Format::parse(&user_format, default)?;
    let rows: Vec<Value> = images
        .iter()
        .flat_map(|i| image_rows(i, digests, trunc))
        .collect();
    let text = format::render(&fmt, IMAGE_COLUMNS, &rows)?;
    ctx.print(text)
}

/// Fetches objects for `inspect`, reporting missing ones after the output, as docker does.
pub fn inspect_objects(
    ctx: &mut Ctx,
    names: &[String],
    path_of: impl Fn(&str) -> String,
    format: &str,
) -> Result<(), CliError> {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for n in names {
        let path = path_of(n);
        match ctx.client()?.get_value(&with_query(&path, &[])) {
            Ok(v) => found.push(v),
            Err(e @ CliError::Daemon { .. }) => errors.push(e.to_string()),
            Err(e) => return Err(e),
        }
    }
    let text = match format {
        "" => format::indented_json(&found),
        "json" => found
            .iter()
            .map(|v| serde_json::to_string(v).unwrap_or_default() + "\n")
            .collect(),
        f => format::render_each(f, &found)?,
    };
    ctx.print(text)?;
    if !errors.is_empty() {
        ctx.flush()?;
        for e in errors {
            eprintln!("{e}");
        }
        return Err(CliError::Exit(1));
    }
    Ok(())
}

fn path_segment(name: &str) -> String {
    name.split('/')
        .map(|s| urlencoding::encode(s).into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn inspect(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    inspect_objects(
        ctx,
        &p.args,
        |n| format!("/images/{}/json", path_segment(n)),
        &p.string("format"),
    )
}

const HISTORY_COLUMNS: Columns = &[
    ("ID", "IMAGE"),
    ("CreatedSince", "CREATED"),
    ("CreatedAt", "CREATED AT"),
    ("CreatedBy", "CREATED BY"),
    ("Size", "SIZE"),
    ("Comment", "COMMENT"),
];

/// Go's `stringutils.Ellipsis`: at most `max` characters, the last one an ellipsis.
pub fn ellipsis(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn history(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let items: Vec<HistoryItem> = ctx.client()?.get_json(&with_query(
        &format!("/images/{}/history", path_segment(&p.args[0])),
        &[],
    ))?;
    let human = p.value("human").map(|v| v != "false").unwrap_or(true);
    let trunc = !p.bool("no-trunc");
    let rows: Vec<Value> = items
        .iter()
        .map(|h| {
            let id = if h.id.starts_with("sha256:") && trunc { format::short_id(&h.id) } else { h.id.clone() };
            let by = h.created_by.replace('\t', " ");
            json!({
                "ID": id,
                "CreatedSince": if human { format::since(h.created) } else { wharf_units::Timestamp::from_unix_normalized(h.created, 0).to_rfc3339_nano() },
                "CreatedAt": wharf_units::Timestamp::from_unix_normalized(h.created, 0).to_rfc3339_nano(),
                "CreatedBy": if trunc { ellipsis(&by, 45) } else { by },
                "Size": if human { format::size(h.size) } else { h.size.to_string() },
                "Comment": h.comment,
            })
        })
        .collect();
    let default = if p.bool("quiet") && p.value("format").is_none() {
        "{{.ID}}"
    } else {
        "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
    };
    let fmt = Format::parse(&p.string("format"), default)?;
    let text = format::render(&fmt, HISTORY_COLUMNS, &rows)?;
    ctx.print(text)
}

fn tag(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let target =
        Reference::parse_normalized(&p.args[1]).map_err(|e| CliError::msg(e.to_string()))?;
    if target.digest().is_some() {
        return Err(CliError::msg(
            "refusing to create a tag with a digest reference",
        ));
    }
    let target = target.with_default_tag();
    let q = vec![
        ("repo", target.name()),
        ("tag", target.tag().unwrap_or("latest").to_string()),
    ];
    ctx.client()?.call(
        "POST",
        &with_query(&format!("/images/{}/tag", path_segment(&p.args[0])), &q),
        Body::None,
    )?;
    Ok(())
}

fn print_delete_items(ctx: &mut Ctx, items: &[DeleteItem], lower: bool) -> Result<(), CliError> {
    for item in items {
        let line = match (item, lower) {
            (DeleteItem::Untagged(r), false) => format!("Untagged: {r}"),
            (DeleteItem::Deleted(d), false) => format!("Deleted: {d}"),
            (DeleteItem::Untagged(r), true) => format!("untagged: {r}"),
            (DeleteItem::Deleted(d), true) => format!("deleted: {d}"),
        };
        ctx.println(line)?;
    }
    Ok(())
}

fn remove(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let mut q = vec![];
    if p.bool("force") {
        q.push(("force", "1".to_string()));
    }
    if p.bool("no-prune") {
        q.push(("noprune", "1".to_string()));
    }
    let mut failed = false;
    for name in &p.args {
        let res = ctx.client()?.call(
            "DELETE",
            &with_query(&format!("/images/{}", path_segment(name)), &q),
            Body::None,
        );
        match res {
            Ok(resp) => {
                let items: Vec<DeleteItem> = resp.json()?;
                print_delete_items(ctx, &items, false)?;
            }
            Err(e @ CliError::Daemon { .. }) => {
                ctx.flush()?;
                eprintln!("{e}");
                failed = true;
            }
            Err(e) => return Err(e),
        }
    }
    if failed {
        Err(CliError::Exit(1))
    } else {
        Ok(())
    }
}

/// Asks a yes/no question on the terminal; anything but y/yes is no.
pub fn confirm(ctx: &mut Ctx, warning: &str) -> Result<bool, CliError> {
    ctx.print(format!(
        "{warning}\nAre you sure you want to continue? [y/N] "
    ))?;
    ctx.flush()?;
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(CliError::io("reading the answer"))?;
    let a = answer.trim().to_ascii_lowercase();
    Ok(a == "y" || a == "yes")
}

fn prune(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let mut filters = filters_from_flags(&p.list("filter"))?;
    let warning = if p.bool("all") {
        filters.add("dangling", "false");
        "WARNING! This will remove all images without at least one container associated to them."
    } else {
        "WARNING! This will remove all dangling images."
    };
    if !p.bool("force") && !confirm(ctx, warning)? {
        return Ok(());
    }
    let resp = ctx.client()?.call(
        "POST",
        &with_query("/images/prune", &[("filters", filters.to_json())]),
        Body::None,
    )?;
    let report: ImagesPruneReport = resp.json()?;
    if !report.images_deleted.is_empty() {
        ctx.println("Deleted Images:")?;
        print_delete_items(ctx, &report.images_deleted, true)?;
        ctx.println("")?;
    }
    ctx.println(format!(
        "Total reclaimed space: {}",
        wharf_units::human_size(report.space_reclaimed as f64)
    ))
}

fn save(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let output = p.string("output");
    if output.is_empty() && std::io::stdout().is_terminal() {
        return Err(CliError::msg(
            "cowardly refusing to save to a terminal. Use the -o flag or redirect",
        ));
    }
    let q: Vec<(&str, String)> = p.args.iter().map(|n| ("names", n.clone())).collect();
    let mut resp = ctx
        .client()?
        .call("GET", &with_query("/images/get", &q), Body::None)?;
    if output.is_empty() {
        ctx.flush()?;
        let mut out = std::io::stdout().lock();
        std::io::copy(&mut resp.body, &mut out).map_err(CliError::io("writing the archive"))?;
        return Ok(());
    }
    let path = std::path::Path::new(&output);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(
        ".{}.wharf-save-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
        std::process::id()
    ));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        std::io::copy(&mut resp.body, &mut f)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(CliError::msg(format!(
            "failed to save image: {}: {e}",
            path.display()
        )));
    }
    Ok(())
}

fn load(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let input = p.string("input");
    let body: Box<dyn std::io::Read> = if input.is_empty() {
        if std::io::stdin().is_terminal() {
            return Err(CliError::msg(
                "requested load from stdin, but stdin is empty",
            ));
        }
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(&input).map_err(|e| CliError::msg(format!("open {input}: {e}")))?,
        )
    };
    let q = vec![("quiet", if p.bool("quiet") { "1" } else { "0" }.to_string())];
    let mut resp = ctx.client()?.call(
        "POST",
        &with_query("/images/load", &q),
        Body::Stream(body, "application/x-tar"),
    )?;
    jsonmessage::display(ctx, &mut resp.body)?;
    Ok(())
}

fn import(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let source = &p.args[0];
    let mut q: Vec<(&str, String)> = Vec::new();
    let body = if source == "-" {
        q.push(("fromSrc", "-".into()));
        Body::Stream(Box::new(std::io::stdin()), "application/x-tar")
    } else if source.starts_with("http://") || source.starts_with("https://") {
        q.push(("fromSrc", source.clone()));
        Body::None
    } else {
        q.push(("fromSrc", "-".into()));
        let f = std::fs::File::open(source)
            .map_err(|e| CliError::msg(format!("open {source}: {e}")))?;
        Body::Stream(Box::new(f), "application/x-tar")
    };
    if let Some(r) = p.args.get(1) {
        let parsed = Reference::parse_normalized(r).map_err(|e| CliError::msg(e.to_string()))?;
        q.push(("repo", parsed.name()));
        if let Some(t) = parsed.tag() {
            q.push(("tag", t.to_string()));
        }
    }
    if let Some(m) = p.value("message") {
        q.push(("message", m.to_string()));
    }
    for c in p.list("change") {
        q.push(("changes", c));
    }
    if let Some(pl) = p.value("platform") {
        q.push(("platform", pl.to_string()));
    }
    let mut resp = ctx
        .client()?
        .call("POST", &with_query("/images/create", &q), body)?;
    jsonmessage::display(ctx, &mut resp.body)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(tags: &[&str], digests: &[&str]) -> ImageSummary {
        ImageSummary {
            id: "sha256:0e5b7b13e192fa504cc8f35ac55c05fa53944b0ab977de14cb222e57838e7e30".into(),
            repo_tags: tags.iter().map(|s| s.to_string()).collect(),
            repo_digests: digests.iter().map(|s| s.to_string()).collect(),
            size: 1_984_172,
            containers: -1,
            shared_size: -1,
            ..Default::default()
        }
    }

    #[test]
    fn rows_expand_per_tag_and_dangling_images_show_none() {
        let rows = image_rows(
            &summary(&["busybox:latest", "busybox:1.0"], &[]),
            false,
            true,
        );
        let tags: Vec<&str> = rows.iter().map(|r| r["Tag"].as_str().unwrap()).collect();
        assert_eq!(
            tags,
            vec!["latest", "1.0"],
            "tags keep the order the engine lists them in"
        );
        assert_eq!(rows[0]["ID"], "0e5b7b13e192");
        assert_eq!(rows[0]["Size"], "1.98MB");
        let rows = image_rows(&summary(&[], &[]), false, true);
        assert_eq!(
            (rows[0]["Repository"].as_str(), rows[0]["Tag"].as_str()),
            (Some("<none>"), Some("<none>"))
        );
    }

    #[test]
    fn digest_rows_follow_docker() {
        let d = "busybox@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let rows = image_rows(&summary(&["busybox:latest"], &[d]), true, false);
        assert_eq!(rows.len(), 1);
        assert!(
            rows[0]["Digest"]
                .as_str()
                .unwrap()
                .starts_with("sha256:e3b0")
        );
        let rows = image_rows(&summary(&[], &[d]), false, true);
        assert_eq!(rows[0]["Tag"], "<none>");
        assert_eq!(rows[0]["Repository"], "busybox");
    }

    #[test]
    fn ellipsis_cuts_like_go() {
        assert_eq!(ellipsis("abcdef", 4), "abc…");
        assert_eq!(ellipsis("abc", 4), "abc");
    }
}
