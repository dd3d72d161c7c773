//! Swarm mode's endpoints (`/swarm`, `/nodes`, `/services`, `/tasks`, `/secrets`,
//! `/configs`): wharf is never part of a swarm (`info` says `inactive`), so
//! they answer what dockerd answers on a node outside one (503), which is what clients such
//! as docker-py's `leave_swarm(force=True)` look for. Joining or starting one is refused.

use std::sync::Arc;

use http::StatusCode;

use crate::engine::Engine;
use crate::error::ApiError;
use crate::request::{Reply, Req};

const NOT_MANAGER: &str = "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.";

pub async fn leave(_e: Arc<Engine>, _r: Req) -> Reply {
    Err(ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "This node is not part of a swarm",
    ))
}

pub async fn join(_e: Arc<Engine>, _r: Req) -> Reply {
    Err(ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "wharf does not support swarm mode",
    ))
}

pub async fn not_manager(_e: Arc<Engine>, _r: Req) -> Reply {
    Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, NOT_MANAGER))
}

/// Registers every swarm-mode path for the methods clients use on them.
pub fn add_routes(r: &mut crate::router::Router<crate::server::Handler>) {
    use crate::server::handler;
    use http::Method;
    r.add(Method::POST, "/swarm/leave", handler(leave));
    r.add(Method::POST, "/swarm/init", handler(join));
    r.add(Method::POST, "/swarm/join", handler(join));
    for path in [
        "/swarm",
        "/swarm/{rest:.*}",
        "/nodes",
        "/nodes/{rest:.*}",
        "/services",
        "/services/{rest:.*}",
        "/tasks",
        "/tasks/{rest:.*}",
        "/secrets",
        "/secrets/{rest:.*}",
        "/configs",
        "/configs/{rest:.*}",
    ] {
        for m in [Method::GET, Method::POST, Method::DELETE] {
            r.add(m, path, handler(not_manager));
        }
    }
}
