//! Image endpoints. Handlers only parse the request, call the service, and encode the answer.

use std::sync::Arc;

use http::StatusCode;
use wharf_api::message::JsonMessage;
use wharf_image::import::ImportOptions;

use crate::body::{BodyReader, BodyWriter};
use crate::engine::Engine;
use crate::error::ApiError;
use crate::request::{Reply, Req, ok_json, status_only, stream};
use crate::service::images as svc;

pub async fn list(e: Arc<Engine>, r: Req) -> Reply {
    let filters = r.filters()?;
    let all = r.query_bool("all");
    let v = r.version;
    let out = e
        .blocking(move |e| svc::list_json(e, all, &filters, v))
        .await?;
    crate::request::raw_json(out)
}

pub async fn inspect(e: Arc<Engine>, r: Req) -> Reply {
    let name = r.param("name").to_string();
    let v = r.version;
    let out = e.blocking(move |e| svc::inspect(e, &name, v)).await?;
    ok_json(&out)
}

pub async fn history(e: Arc<Engine>, r: Req) -> Reply {
    let name = r.param("name").to_string();
    let out = e.blocking(move |e| svc::history(e, &name)).await?;
    ok_json(&out)
}

pub async fn tag(e: Arc<Engine>, r: Req) -> Reply {
    let name = r.param("name").to_string();
    let target =
        svc::repo_tag_reference(r.query("repo").unwrap_or(""), r.query("tag").unwrap_or(""))?;
    e.blocking(move |e| svc::tag(e, &name, &target)).await?;
    status_only(StatusCode::CREATED)
}

pub async fn delete(e: Arc<Engine>, r: Req) -> Reply {
    let name = r.param("name").to_string();
    let force = r.query_bool("force");
    let prune = !r.query_bool("noprune");
    let out = e
        .blocking(move |e| svc::delete(e, &name, force, prune, &|d| e.image_users(d)))
        .await?;
    ok_json(&out)
}

pub async fn prune(e: Arc<Engine>, r: Req) -> Reply {
    let filters = r.filters()?;
    let out = e
        .blocking(move |e| svc::prune(e, &filters, &|d| e.image_users(d)))
        .await?;
    ok_json(&out)
}

/// `GET /images/get?names=…` and `GET /images/{name}/get`.
pub async fn save(e: Arc<Engine>, r: Req) -> Reply {
    let mut names: Vec<String> = r
        .query_all("names")
        .into_iter()
        .map(str::to_string)
        .collect();
    if !r.param("name").is_empty() {
        names.push(r.param("name").to_string());
    }
    if names.is_empty() {
        return Err(ApiError::bad_request("no images given to save"));
    }
    // Resolve names before answering, so a missing image is a clean 404.
    let items = e
        .blocking(move |e| Ok(wharf_image::save::select(&e.images, &names)?))
        .await?;
    let (mut writer, body) = BodyWriter::channel();
    let engine = e.clone();
    tokio::task::spawn_blocking(move || {
        match wharf_image::save::save(&engine.images, &items, &mut writer) {
            Ok(()) => drop(writer),
            Err(err) => {
                tracing::warn!(error = %err, "save failed mid-stream");
                writer.fail(std::io::Error::other(err.to_string()));
            }
        }
    });
    stream("application/x-tar", body)
}

/// `POST /images/load`: the whole archive is read and recorded before the answer starts, so
/// failures are plain error responses.
pub async fn load(e: Arc<Engine>, mut r: Req) -> Reply {
    let quiet = r.query_bool("quiet");
    let input = BodyReader::new(r.take_body()?);
    let loaded = e
        .blocking(move |e| Ok(wharf_image::load::load(&e.images, input)?))
        .await;
    // As dockerd: the answer is 200 and a failure is the stream's error message (what
    // docker-py raises as ImageLoadError and the docker CLI prints).
    let loaded = match loaded {
        Ok(l) => l,
        Err(err) => {
            let line = JsonMessage::error(err.message).to_line();
            return stream("application/json", crate::body::full(line));
        }
    };
    let mut out = Vec::new();
    for l in &loaded {
        for (t, prev) in &l.moved {
            if !quiet {
                out.extend(JsonMessage::stream(format!(
                    "The image {} already exists, renaming the old one with ID {prev} to empty string\n",
                    t.familiar_string()
                )).to_line());
            }
        }
        if l.tags.is_empty() {
            out.extend(JsonMessage::stream(format!("Loaded image ID: {}\n", l.id)).to_line());
        }
        for t in &l.tags {
            out.extend(
                JsonMessage::stream(format!("Loaded image: {}\n", t.familiar_string())).to_line(),
            );
        }
    }
    stream("application/json", crate::body::full(out))
}

/// `POST /images/create`: `fromSrc` imports a tarball; `fromImage` pulls.
pub async fn create(e: Arc<Engine>, mut r: Req) -> Reply {
    let from_src = r.query("fromSrc").unwrap_or("").to_string();
    if from_src.is_empty() {
        return super::registry::pull(e, r).await;
    }
    if from_src != "-" {
        return Err(ApiError::bad_request(format!(
            "importing from a URL ({from_src}) is not supported; download the file and import it with '-'"
        )));
    }
    let target = match r.query("repo").filter(|s| !s.is_empty()) {
        Some(repo) => Some(svc::repo_tag_reference(repo, r.query("tag").unwrap_or(""))?),
        None => None,
    };
    let message = r.query("message").unwrap_or("").to_string();
    let changes: Vec<String> = r
        .query_all("changes")
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut config = wharf_api::ContainerConfig::default();
    wharf_builder::config::apply_changes(&mut config, &changes)
        .map_err(|e| ApiError::bad_request(format!("invalid --change: {e}")))?;
    let input = BodyReader::new(r.take_body()?);
    let rec = e
        .blocking(move |e| {
            let opts = ImportOptions {
                message,
                config,
                architecture: e.host.goarch().to_string(),
                os: "linux".into(),
                created: wharf_image::clock::now_rfc3339(),
                docker_version: crate::VERSION.to_string(),
            };
            let rec = wharf_image::import::import(&e.images, input, opts)?;
            if let Some(t) = &target {
                e.images.add_ref(&rec.id, t)?;
            }
            Ok(rec)
        })
        .await?;
    let line = JsonMessage::status(rec.id.to_string()).to_line();
    stream("application/json", crate::body::full(line))
}
