//! Build steps on bridge networks: each RUN step gets a namespace of its own with one endpoint,
//! made by the same code as a container's ([`sandbox::plan`], [`sandbox::plumb`]) and with
//! the `/etc/hosts` and `resolv.conf` a container there gets.
//!
//! A step publishes no ports, so its network never rewrites the firewall. What it holds is
//! given back when its [`StepHold`] drops: the address, the sandbox entry (the DNS server on a
//! user network) and the veth pair. If the engine dies mid-step, the address was only in
//! memory, and the host end of the veth carries the engine's mark, so start-up recovery
//! deletes it like any device of a dead run ([`super::recover::recover`]); the namespace
//! goes with the step's last process.

use std::net::Ipv4Addr;
use std::sync::Arc;

use wharf_builder::{NetworkError, StepNetworks, StepRequest, StepSandbox};
use wharf_network::dns;
use wharf_network::netlink::Socket;
use wharf_network::netns::Netns;

use super::resolver::ContainerResolver;
use super::sandbox::{self, Undo};
use super::{Active, Naming, Networks, Sandbox, etc, new_id};
use crate::error::ApiError;
use crate::service::containers::files;

/// The engine's [`StepNetworks`].
pub struct BuildNetworks {
    pub nw: Arc<Networks>,
}

fn setup(e: ApiError) -> NetworkError {
    NetworkError::Setup(e.message)
}

impl BuildNetworks {
    fn find(&self, network: &str) -> Result<super::record::NetworkRecord, NetworkError> {
        let rec = self.nw.get(network).map_err(|e| {
            if e.status == http::StatusCode::NOT_FOUND {
                NetworkError::NotFound(network.to_string())
            } else {
                NetworkError::Unsupported(e.message)
            }
        })?;
        if !rec.is_bridge() {
            return Err(NetworkError::Unsupported(format!(
                "network {network} is not a bridge network: build steps use bridge networks, host or none"
            )));
        }
        Ok(rec)
    }
}

impl StepNetworks for BuildNetworks {
    fn check(&self, network: &str) -> Result<(), NetworkError> {
        self.find(network).map(|_| ())
    }

    fn attach(&self, req: &StepRequest<'_>) -> Result<StepSandbox, NetworkError> {
        let rec = self.find(req.network)?;
        let nw = &*self.nw;
        // The sandbox's key: step container ids come from cache keys, so two builds of one
        // Dockerfile may run the same one at once.
        let id = new_id();
        nw.await_firewall();
        let mut undo = Undo::new(nw, &id);
        let plan = sandbox::plan(&mut undo, &rec, rec.name.clone(), Default::default(), None)
            .map_err(setup)?;
        let user_net = plan.net.is_user_bridge();
        let owner = nw.owner();
        let plans = [plan];
        let (ns, sockets) =
            sandbox::plumb(&mut undo, &plans, user_net, Some(&owner)).map_err(setup)?;
        let [plan] = plans;
        let extra: Vec<String> = req
            .extra_hosts
            .iter()
            .map(|(name, ip)| format!("{name}:{ip}"))
            .collect();
        let hosts = etc::hosts(Some(plan.ip), req.hostname, "", &extra, &[]);
        let resolv_conf = if user_net {
            etc::embedded_resolv_conf(&[], &[])
        } else {
            files::resolv_conf(&[], &[], &[], false)
        };
        let veth = Naming::veth(&plan.endpoint_id);
        let sb = Sandbox {
            endpoints: vec![Active {
                net: plan.net.id.clone(),
                ip: plan.ip,
                names: Vec::new(),
                links: Vec::new(),
                veth: veth.clone(),
            }],
            dns: sockets.map(|s| {
                dns::serve(
                    &nw.rt,
                    s,
                    Arc::new(ContainerResolver {
                        state: Arc::downgrade(&nw.shared),
                        id: id.clone(),
                    }),
                )
            }),
            upstreams: etc::host_nameservers(),
            ..Default::default()
        };
        nw.state().sandboxes.insert(id.clone(), sb);
        // Kept: the hold gives them back.
        undo.ips.clear();
        undo.veths.clear();
        drop(undo);
        let netns = ns.path();
        Ok(StepSandbox {
            netns,
            hosts,
            resolv_conf,
            hold: Box::new(StepHold {
                nw: self.nw.clone(),
                id,
                net: plan.net.id,
                ip: plan.ip,
                veth,
                ns: Some(ns),
            }),
        })
    }
}

/// What a step holds on the host while it runs.
struct StepHold {
    nw: Arc<Networks>,
    id: String,
    net: String,
    ip: Ipv4Addr,
    veth: String,
    ns: Option<Netns>,
}

impl Drop for StepHold {
    fn drop(&mut self) {
        let sb = self.nw.state().sandboxes.remove(&self.id);
        drop(sb);
        // Deleting a veth waits for RCU grace periods in the kernel (20-50 ms), which the next
        // step need not wait for. The address goes back only once the pair is gone, so it can
        // never answer on the bridge twice.
        let nw = self.nw.clone();
        let (id, net, ip, veth) = (
            std::mem::take(&mut self.id),
            std::mem::take(&mut self.net),
            self.ip,
            std::mem::take(&mut self.veth),
        );
        let ns = self.ns.take();
        self.nw.rt.spawn_blocking(move || {
            drop(ns);
            if let Ok(mut nl) = Socket::open()
                && let Err(e) = nl.delete_link(&veth)
            {
                tracing::warn!(device = %veth, error = %e, "removing a build step's veth");
            }
            sandbox::release_ips(&nw, &id, &[(net, ip)]);
        });
    }
}
