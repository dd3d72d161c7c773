//! A host-wide lock between engines: an abstract unix socket name can be bound by one socket
//! at a time per network namespace, and the kernel releases it when its holder exits, so the
//! lock leaves nothing behind and never outlives a crashed holder.

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener};
use std::time::{Duration, Instant};

use crate::NetError;

/// Held while alive.
pub struct HostLock {
    _sock: UnixListener,
}

/// Takes the lock `name`, waiting up to `timeout`.
pub fn lock(name: &str, timeout: Duration) -> Result<HostLock, NetError> {
    let addr = SocketAddr::from_abstract_name(format!("wharf-lock:{name}").as_bytes())
        .map_err(|e| NetError::io("host lock address", e))?;
    let deadline = Instant::now() + timeout;
    loop {
        match UnixListener::bind_addr(&addr) {
            Ok(sock) => return Ok(HostLock { _sock: sock }),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) => return Err(NetError::io(&format!("taking the host lock {name}"), e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time() {
        let name = format!("test-{}", std::process::id());
        let a = lock(&name, Duration::from_secs(1)).unwrap();
        assert!(lock(&name, Duration::from_millis(20)).is_err());
        drop(a);
        assert!(lock(&name, Duration::from_millis(20)).is_ok());
    }
}
