//! Container endpoints. Handlers parse the request, call the service, and encode the answer.

use std::sync::Arc;

use http::StatusCode;
use wharf_api::ApiVersion;
use wharf_api::container::{ContainersPruneReport, CreateRequest};
use wharf_api::hostconfig::UpdateConfig;
use wharf_api::stdcopy;
use wharf_shim::protocol::{AttachSpec, Request};

use super::hijack::hijack;
use crate::body::{self, BodyReader, BodyWriter};
use crate::engine::Engine;
use crate::error::ApiError;
use crate::request::{Reply, Req, json, no_content, ok_json, status_only, stream};
use crate::service::containers::logs::LogOptions;
use crate::service::containers::record::Status;
use crate::service::containers::{
    Ctr, attach as attach_svc, create as create_svc, fs, lifecycle, logs as logs_svc, resources,
    shim, view,
};

fn ctr(e: &Engine, r: &Req) -> Result<Arc<Ctr>, ApiError> {
    e.containers.get(r.param("id"))
}

/// The media type of a container's output stream for this client.
fn stream_type(tty: bool, version: ApiVersion) -> &'static str {
    if !tty && !version.below(1, 42) {
        stdcopy::MULTIPLEXED_STREAM
    } else {
        stdcopy::RAW_STREAM
    }
}

pub async fn list(e: Arc<Engine>, r: Req) -> Reply {
    let filters = r.filters()?;
    let all = r.query_bool("all");
    let size = r.query_bool("size");
    let limit = r.query_int("limit")?.or(r.query_int("last")?);
    let v = r.version;
    let out = e
        .blocking(move |e| view::list(e, all, limit, size, &filters, v))
        .await?;
    ok_json(&out)
}

pub async fn create(e: Arc<Engine>, mut r: Req) -> Reply {
    let name = r.query("name").unwrap_or("").to_string();
    if let Some(p) = r.query("platform").filter(|p| !p.is_empty())
        && !p.starts_with("linux")
    {
        return Err(ApiError::bad_request(format!(
            "image with reference was found but does not match the specified platform: wanted {p}"
        )));
    }
    let req: CreateRequest = r.json().await?;
    let e2 = e.clone();
    let out = e
        .blocking(move |_| create_svc::create(&e2, &name, req).map(|(_, resp)| resp))
        .await?;
    json(StatusCode::CREATED, &out)
}

pub async fn inspect(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    let size = r.query_bool("size");
    let out = e.blocking(move |e| view::inspect(e, &c, size)).await?;
    ok_json(&out)
}

pub async fn start(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    if lifecycle::start(&e, &c).await? {
        no_content()
    } else {
        status_only(StatusCode::NOT_MODIFIED)
    }
}

fn timeout(r: &Req) -> Result<Option<i64>, ApiError> {
    r.query_int("t")?
        .map_or(r.query_int("timeout"), |t| Ok(Some(t)))
}

pub async fn stop(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    let t = timeout(&r)?;
    let sig = r.query("signal").map(str::to_string);
    if lifecycle::stop(&e, &c, t, sig).await? {
        no_content()
    } else {
        status_only(StatusCode::NOT_MODIFIED)
    }
}

pub async fn restart(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    let t = timeout(&r)?;
    let sig = r.query("signal").map(str::to_string);
    lifecycle::restart(&e, &c, t, sig).await?;
    no_content()
}

pub async fn kill(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    lifecycle::kill(&e, &c, r.query("signal").unwrap_or("")).await?;
    no_content()
}

pub async fn pause(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    lifecycle::pause(&e, &c, true).await?;
    no_content()
}

pub async fn unpause(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    lifecycle::pause(&e, &c, false).await?;
    no_content()
}

pub async fn rename(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    lifecycle::rename(&e, &c, r.query("name").unwrap_or("")).await?;
    no_content()
}

pub async fn remove(e: Arc<Engine>, r: Req) -> Reply {
    if r.query_bool("link") {
        // `parent/alias` with its slash escaped reaches here as one segment.
        return match r.param("id").split_once('/') {
            Some((parent, alias)) => {
                crate::service::containers::links::remove(&e, parent, alias).await?;
                no_content()
            }
            None => Err(ApiError::conflict(
                "Conflict, cannot remove the default link name of the container",
            )),
        };
    }
    let c = ctr(&e, &r)?;
    lifecycle::remove(&e, &c, r.query_bool("force"), r.query_bool("v")).await?;
    no_content()
}

/// `DELETE /containers/{parent}/{alias}`: only `link=1` means something for such a name.
pub async fn remove_link(e: Arc<Engine>, r: Req) -> Reply {
    let (parent, alias) = (r.param("parent"), r.param("alias"));
    if !r.query_bool("link") {
        return Err(ApiError::not_found(format!(
            "No such container: {parent}/{alias}"
        )));
    }
    crate::service::containers::links::remove(&e, parent, alias).await?;
    no_content()
}

/// Answers at once (so the client knows the condition is registered), the body when met.
pub async fn wait(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    let fut = lifecycle::wait_condition(&c, r.query("condition").unwrap_or(""))?;
    let (w, body) = BodyWriter::channel();
    tokio::spawn(async move {
        let resp = fut.await;
        let mut data = serde_json::to_vec(&resp).unwrap_or_default();
        data.push(b'\n');
        let _ = w.send(bytes::Bytes::from(data)).await;
    });
    stream("application/json", body)
}

pub async fn attach(e: Arc<Engine>, mut r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    let (tty, stdin_once) = {
        let rec = c.lock();
        (rec.config.tty, rec.config.stdin_once)
    };
    let logs = r.query_bool("logs");
    let streaming = r.query_bool("stream");
    let spec = AttachSpec {
        stdin: r.query_bool("stdin"),
        stdout: r.query_bool("stdout"),
        stderr: r.query_bool("stderr"),
        multiplex: !tty,
        detach_keys: attach_svc::detach_keys(r.query("detachKeys").unwrap_or(""))?,
        // As dockerd: the end of a client's input closes the container's stdin only without
        // a tty (with one, a detaching client must leave the shell usable).
        close_stdin: stdin_once && !tty,
        initial: Vec::new(),
    };
    if c.lock().state.status == Status::Paused {
        return Err(ApiError::conflict(format!(
            "container {} is paused, unpause the container before attach",
            c.id
        )));
    }
    let ct = stream_type(tty, r.version);
    let (resp, conn) = hijack(&mut r, ct)?;
    let placing = c.attach_begun();
    tokio::spawn(async move {
        let _placing = placing;
        let Some(h) = conn.await else { return };
        let mut spec = spec;
        spec.initial = h.initial;
        if !streaming {
            // logs only: write them and close.
            let c2 = c.clone();
            let e2 = e.clone();
            let _ = tokio::task::spawn_blocking(move || {
                let rec = c2.rec();
                if let Some(log) = lifecycle::log_spec(&e2, &rec) {
                    let mut s = std::os::unix::net::UnixStream::from(h.fd);
                    let o = LogOptions {
                        stdout: spec.stdout,
                        stderr: spec.stderr,
                        multiplex: spec.multiplex,
                        ..Default::default()
                    };
                    let _ = logs_svc::stream(&c2, &log.path, log.max_file, &o, &mut s, &|| false);
                }
            })
            .await;
            return;
        }
        if let Err(err) = attach_svc::attach(&e, &c, spec, h.fd, logs).await {
            tracing::warn!(container = %c.id, error = %err.message, "attach failed");
        }
    });
    Ok(resp)
}

pub async fn resize(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    let h = r.query_int("h")?.unwrap_or(0);
    let w = r.query_int("w")?.unwrap_or(0);
    if !c.lock().state.status.is_alive() {
        return Err(ApiError::conflict(format!(
            "Container {} is not running",
            c.id
        )));
    }
    let dir = e.containers.dir(&c.id);
    shim::call(
        &dir,
        Request::Resize {
            exec: None,
            height: h.clamp(0, u16::MAX as i64) as u16,
            width: w.clamp(0, u16::MAX as i64) as u16,
        },
    )
    .await?;
    status_only(StatusCode::OK)
}

pub async fn logs(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    let stdout = r.query_bool("stdout");
    let stderr = r.query_bool("stderr");
    if !stdout && !stderr {
        return Err(ApiError::bad_request(
            "Bad parameters: you must choose at least one stream",
        ));
    }
    let rec = c.rec();
    let Some(log) = lifecycle::log_spec(&e, &rec) else {
        return Err(ApiError::not_implemented(
            "configured logging driver does not support reading",
        ));
    };
    let time = |k: &str| -> Result<Option<(i64, i64)>, ApiError> {
        match r.query(k).filter(|s| !s.is_empty() && *s != "0") {
            None => Ok(None),
            Some(v) => wharf_units::parse_timestamps(v, 0)
                .map(Some)
                .map_err(|err| ApiError::bad_request(err.to_string())),
        }
    };
    let tail = match r.query("tail").unwrap_or("all") {
        "" | "all" => None,
        n => match n.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n as usize),
            _ => None,
        },
    };
    let opts = LogOptions {
        stdout,
        stderr,
        follow: r.query_bool("follow"),
        since: time("since")?,
        until: time("until")?,
        timestamps: r.query_bool("timestamps"),
        tail,
        multiplex: !rec.config.tty,
    };
    let ct = stream_type(rec.config.tty, r.version);
    let (mut w, body) = BodyWriter::channel();
    tokio::task::spawn_blocking(move || {
        let closed = w.sender();
        let _ = logs_svc::stream(&c, &log.path, log.max_file, &opts, &mut w, &|| {
            closed.is_closed()
        });
    });
    stream(ct, body)
}

pub async fn top(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    let args = r.query("ps_args").unwrap_or("").to_string();
    let out = e.blocking(move |_| resources::top(&c, &args)).await?;
    ok_json(&out)
}

pub async fn changes(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    let out = e.blocking(move |e| fs::diff(e, &c.rec())).await?;
    ok_json(&out)
}

pub async fn export(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    let (mut w, body) = BodyWriter::channel();
    tokio::task::spawn_blocking(move || {
        let rec = c.rec();
        let r = fs::export(&e, &rec, &mut w);
        match r {
            Ok(()) => drop(w),
            Err(err) => w.fail(std::io::Error::other(err.message)),
        }
    });
    stream("application/x-tar", body)
}

pub async fn stats(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    let streaming = r.query("stream").is_none_or(|_| r.query_bool("stream"));
    let one_shot = r.query_bool("one-shot");
    let (w, body) = BodyWriter::channel();
    tokio::spawn(async move {
        let take = |pre: Option<wharf_api::stats::StatsResponse>| {
            let (e, c) = (e.clone(), c.clone());
            async move {
                tokio::task::spawn_blocking(move || resources::sample(&e, &c, pre.as_ref()))
                    .await
                    .unwrap_or_default()
            }
        };
        let mut prev = take(None).await;
        if !streaming {
            if !one_shot && c.lock().state.status.is_alive() {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                prev = take(Some(prev)).await;
            }
            let mut data = serde_json::to_vec(&prev).unwrap_or_default();
            data.push(b'\n');
            let _ = w.send(bytes::Bytes::from(data)).await;
            return;
        }
        loop {
            let mut data = serde_json::to_vec(&prev).unwrap_or_default();
            data.push(b'\n');
            if w.send(bytes::Bytes::from(data)).await.is_err() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            prev = take(Some(prev)).await;
        }
    });
    stream("application/json", body)
}

pub async fn update(e: Arc<Engine>, mut r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    let u: UpdateConfig = r.json().await?;
    let out = e.blocking(move |e| resources::update(e, &c, u)).await?;
    let c = ctr(&e, &r)?;
    lifecycle::event(&e, &c, "update", &[]);
    ok_json(&out)
}

pub async fn prune(e: Arc<Engine>, r: Req) -> Reply {
    let filters = r.filters()?;
    filters
        .validate(&["until", "label", "label!"])
        .map_err(ApiError::bad_request)?;
    let until = match filters.get("until").first() {
        Some(u) => Some(
            wharf_units::get_timestamp(u, wharf_units::Timestamp::now(), 0)
                .map_err(|err| ApiError::bad_request(err.to_string()))?,
        ),
        None => None,
    };
    let mut report = ContainersPruneReport::default();
    for c in e.containers.all() {
        let rec = c.rec();
        if rec.state.status.is_alive() || rec.state.status == Status::Restarting {
            continue;
        }
        if let Some((secs, _)) = until
            .as_ref()
            .and_then(|u| wharf_units::parse_timestamps(u, 0).ok())
            && wharf_units::Timestamp::parse_rfc3339(&rec.created)
                .map(|t| t.unix_secs())
                .unwrap_or(0)
                >= secs
        {
            continue;
        }
        let labels = rec.config.labels.clone().unwrap_or_default();
        let label_ok = |l: &String| match l.split_once('=') {
            Some((k, v)) => labels.get(k).is_some_and(|x| x == v),
            None => labels.contains_key(l.as_str()),
        };
        if !filters.get("label").iter().all(label_ok) || filters.get("label!").iter().any(label_ok)
        {
            continue;
        }
        let size = {
            let state_dir = e.containers.dir(&rec.id);
            // What df counts for a container: its directory (writable layer and logs).
            e.blocking(move |_| Ok(wharf_store::fsutil::disk_usage(&state_dir).unwrap_or(0)))
                .await
                .unwrap_or(0)
        };
        if lifecycle::remove(&e, &c, false, false).await.is_ok() {
            report.containers_deleted.push(rec.id.clone());
            report.space_reclaimed += size;
        }
    }
    e.events.publish(
        "container",
        "prune",
        "",
        std::collections::BTreeMap::from([(
            "reclaimed".to_string(),
            report.space_reclaimed.to_string(),
        )]),
    );
    ok_json(&report)
}

fn path_stat_header(st: &wharf_api::container::PathStat) -> String {
    use std::fmt::Write;
    let json = serde_json::to_vec(st).unwrap_or_default();
    // Standard base64 with padding, as Go's base64.StdEncoding.
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in json.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                let _ = out.write_char(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

const STAT_HEADER: &str = "X-Docker-Container-Path-Stat";

pub async fn archive_head(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    let path = r.query("path").unwrap_or("").to_string();
    if path.is_empty() {
        return Err(ApiError::bad_request("path is required"));
    }
    let st = e
        .blocking(move |e| fs::archive_stat(e, &c.rec(), &path))
        .await?;
    let resp = http::Response::builder()
        .status(StatusCode::OK)
        .header(STAT_HEADER, path_stat_header(&st))
        .body(body::empty())
        .expect("static response parts");
    Ok(resp)
}

pub async fn archive_get(e: Arc<Engine>, r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    let path = r.query("path").unwrap_or("").to_string();
    if path.is_empty() {
        return Err(ApiError::bad_request("path is required"));
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (w, body) = BodyWriter::channel();
    tokio::task::spawn_blocking(move || {
        let rec = c.rec();
        let res = fs::archive_get(&e, &rec, &path, move |st| {
            let ok = st.is_ok();
            let _ = tx.send(st);
            ok.then(|| Box::new(w) as Box<dyn std::io::Write + Send>)
        });
        if let Err(err) = res {
            tracing::debug!(error = %err.message, "archive get");
        }
    });
    let st = rx.await.map_err(|_| {
        ApiError::internal("archive: the container's filesystem could not be read")
    })??;
    let resp = http::Response::builder()
        .status(StatusCode::OK)
        .header(STAT_HEADER, path_stat_header(&st))
        .header(http::header::CONTENT_TYPE, "application/x-tar")
        .body(body)
        .expect("static response parts");
    Ok(resp)
}

pub async fn archive_put(e: Arc<Engine>, mut r: Req) -> Reply {
    let c = ctr(&e, &r)?;
    let path = r.query("path").unwrap_or("").to_string();
    if path.is_empty() {
        return Err(ApiError::bad_request("path is required"));
    }
    let no_overwrite = r.query_bool("noOverwriteDirNonDir");
    let input = BodyReader::new(r.take_body()?);
    e.blocking(move |e| fs::archive_put(e, &c.rec(), &path, input, no_overwrite))
        .await?;
    status_only(StatusCode::OK)
}

/// `POST /commit`.
pub async fn commit(e: Arc<Engine>, mut r: Req) -> Reply {
    let c = e.containers.get(r.query("container").unwrap_or(""))?;
    let target = match r.query("repo").filter(|s| !s.is_empty()) {
        Some(repo) => Some(crate::service::images::repo_tag_reference(
            repo,
            r.query("tag").unwrap_or(""),
        )?),
        None => None,
    };
    let pause = r.query("pause").is_none_or(|_| r.query_bool("pause"));
    let changes: Vec<String> = r
        .query_all("changes")
        .into_iter()
        .map(str::to_string)
        .collect();
    let comment = r.query("comment").unwrap_or("").to_string();
    let author = r.query("author").unwrap_or("").to_string();
    let body = r.bytes(16 << 20).await?;
    let config: Option<wharf_api::ContainerConfig> =
        if body.iter().all(u8::is_ascii_whitespace) || &body[..] == b"null" {
            None
        } else {
            Some(wharf_api::go_json::from_slice(&body).map_err(|err| {
                ApiError::bad_request(format!("invalid JSON in request body: {err}"))
            })?)
        };
    let c2 = c.clone();
    let id = e
        .blocking(move |e| {
            crate::service::containers::commit::commit(
                e,
                &c2,
                crate::service::containers::commit::CommitOptions {
                    target,
                    comment,
                    author,
                    pause,
                    changes,
                    config,
                },
            )
        })
        .await?;
    lifecycle::event(&e, &c, "commit", &[]);
    json(
        StatusCode::CREATED,
        &wharf_api::image::IdResponse { id: id.to_string() },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_stat_header_is_standard_base64() {
        let st = wharf_api::container::PathStat {
            name: "a".into(),
            size: 1,
            mode: 420,
            mtime: "t".into(),
            link_target: String::new(),
        };
        let h = path_stat_header(&st);
        assert_eq!(
            h,
            "eyJuYW1lIjoiYSIsInNpemUiOjEsIm1vZGUiOjQyMCwibXRpbWUiOiJ0IiwibGlua1RhcmdldCI6IiJ9"
        );
    }
}
