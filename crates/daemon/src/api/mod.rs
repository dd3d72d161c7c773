//! The route table: every Engine API endpoint wharf serves.

pub mod build;
pub mod containers;
pub mod events;
pub mod exec;
pub mod hijack;
pub mod images;
pub mod networks;
pub mod registry;
pub mod swarm;
pub mod system;
pub mod volumes;

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
    r.add(post.clone(), "/build/context", handler(build::plan_context));
    swarm::add_routes(&mut r);

    // Literal image routes first: `{name:.*}` would swallow them.
    r.add(get.clone(), "/images/json", handler(images::list));
    r.add(get.clone(), "/images/get", handler(images::save));
    r.add(post.clone(), "/images/load", handler(images::load));
    r.add(post.clone(), "/images/create", handler(images::create));
    r.add(post.clone(), "/images/prune", handler(images::prune));
    r.add(get.clone(), "/images/search", handler(registry::search));
    r.add(post.clone(), "/auth", handler(registry::auth));
    r.add(
        get.clone(),
        "/distribution/{name:.*}/json",
        handler(registry::distribution),
    );
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
    r.add(
        post.clone(),
        "/images/{name:.*}/push",
        handler(registry::push),
    );
    r.add(delete.clone(), "/images/{name:.*}", handler(images::delete));

    let head = Method::HEAD;
    let put = Method::PUT;
    r.add(get.clone(), "/containers/json", handler(containers::list));
    r.add(
        post.clone(),
        "/containers/create",
        handler(containers::create),
    );
    r.add(
        post.clone(),
        "/containers/prune",
        handler(containers::prune),
    );
    r.add(
        get.clone(),
        "/containers/{id}/json",
        handler(containers::inspect),
    );
    r.add(
        get.clone(),
        "/containers/{id}/top",
        handler(containers::top),
    );
    r.add(
        get.clone(),
        "/containers/{id}/logs",
        handler(containers::logs),
    );
    r.add(
        get.clone(),
        "/containers/{id}/changes",
        handler(containers::changes),
    );
    r.add(
        get.clone(),
        "/containers/{id}/export",
        handler(containers::export),
    );
    r.add(
        get.clone(),
        "/containers/{id}/stats",
        handler(containers::stats),
    );
    r.add(
        post.clone(),
        "/containers/{id}/resize",
        handler(containers::resize),
    );
    r.add(
        post.clone(),
        "/containers/{id}/start",
        handler(containers::start),
    );
    r.add(
        post.clone(),
        "/containers/{id}/stop",
        handler(containers::stop),
    );
    r.add(
        post.clone(),
        "/containers/{id}/restart",
        handler(containers::restart),
    );
    r.add(
        post.clone(),
        "/containers/{id}/kill",
        handler(containers::kill),
    );
    r.add(
        post.clone(),
        "/containers/{id}/update",
        handler(containers::update),
    );
    r.add(
        post.clone(),
        "/containers/{id}/rename",
        handler(containers::rename),
    );
    r.add(
        post.clone(),
        "/containers/{id}/pause",
        handler(containers::pause),
    );
    r.add(
        post.clone(),
        "/containers/{id}/unpause",
        handler(containers::unpause),
    );
    r.add(
        post.clone(),
        "/containers/{id}/attach",
        handler(containers::attach),
    );
    r.add(
        post.clone(),
        "/containers/{id}/wait",
        handler(containers::wait),
    );
    r.add(
        head,
        "/containers/{id}/archive",
        handler(containers::archive_head),
    );
    r.add(
        get.clone(),
        "/containers/{id}/archive",
        handler(containers::archive_get),
    );
    r.add(
        put,
        "/containers/{id}/archive",
        handler(containers::archive_put),
    );
    r.add(post.clone(), "/containers/{id}/exec", handler(exec::create));
    r.add(
        delete.clone(),
        "/containers/{parent}/{alias}",
        handler(containers::remove_link),
    );
    r.add(
        delete.clone(),
        "/containers/{id}",
        handler(containers::remove),
    );
    r.add(post.clone(), "/commit", handler(containers::commit));

    r.add(post.clone(), "/exec/{id}/start", handler(exec::start));
    r.add(post.clone(), "/exec/{id}/resize", handler(exec::resize));
    r.add(get.clone(), "/exec/{id}/json", handler(exec::inspect));

    r.add(get.clone(), "/volumes", handler(volumes::list));
    r.add(post.clone(), "/volumes/create", handler(volumes::create));
    r.add(post.clone(), "/volumes/prune", handler(volumes::prune));
    r.add(get.clone(), "/volumes/{name}", handler(volumes::inspect));
    r.add(delete.clone(), "/volumes/{name}", handler(volumes::remove));

    r.add(get.clone(), "/networks", handler(networks::list));
    r.add(post.clone(), "/networks/create", handler(networks::create));
    r.add(post.clone(), "/networks/prune", handler(networks::prune));
    r.add(get.clone(), "/networks/{id}", handler(networks::inspect));
    r.add(
        post.clone(),
        "/networks/{id}/connect",
        handler(networks::connect),
    );
    r.add(
        post.clone(),
        "/networks/{id}/disconnect",
        handler(networks::disconnect),
    );
    r.add(delete.clone(), "/networks/{id}", handler(networks::remove));

    r.add(get, "/events", handler(events::events));
    r
}
