//! The route table: every Engine API endpoint wharf serves.

pub mod build;
pub mod images;
pub mod system;

use http::Method;

use crate::router::Router;
use crate::server::{Handler, handler};

pub fn routes() -> Router<Handler> {
    let mut r = Router::default();
    let get = Method::GET;
    let post = Method::POST;
    let delete = Method::DELETE;
    r.add(get.clone(), "/_ping", handler(system::ping));
    r.add(get.clone(), "/version", handler(system::version));
    r.add(get.clone(), "/info", handler(system::info));
    r.add(get.clone(), "/system/df", handler(system::disk_usage));
    r.add(post.clone(), "/build", handler(build::build));
    r.add(post.clone(), "/build/prune", handler(build::prune));

    // Literal image routes first: `{name:.*}` would swallow them.
    r.add(get.clone(), "/images/json", handler(images::list));
    r.add(get.clone(), "/images/get", handler(images::save));
    r.add(post.clone(), "/images/load", handler(images::load));
    r.add(post.clone(), "/images/create", handler(images::create));
    r.add(post.clone(), "/images/prune", handler(images::prune));
    r.add(
        get.clone(),
        "/images/{name:.*}/json",
        handler(images::inspect),
    );
    r.add(
        get.clone(),
        "/images/{name:.*}/history",
        handler(images::history),
    );
    r.add(get.clone(), "/images/{name:.*}/get", handler(images::save));
    r.add(post.clone(), "/images/{name:.*}/tag", handler(images::tag));
    r.add(delete, "/images/{name:.*}", handler(images::delete));
    r
}
