//! A hijacked connection: after `101 UPGRADED` the HTTP connection carries the container's raw
//! streams in both directions. Reads come from `reader` (which may already hold bytes that
//! arrived with the response head); writes go to `writer`; `close_write` half-closes so the
//! engine sees the end of stdin while output keeps flowing.

use std::io::BufReader;
use std::net::Shutdown;
use std::os::unix::net::UnixStream;

pub struct Hijacked {
    pub reader: BufReader<UnixStream>,
    pub writer: UnixStream,
}

impl Hijacked {
    /// Tells the engine that no more input comes (`shutdown(SHUT_WR)`).
    pub fn close_write(&self) -> std::io::Result<()> {
        self.writer.shutdown(Shutdown::Write)
    }

    /// Ends the connection in both directions (unblocks a reader in another thread).
    pub fn close(&self) {
        let _ = self.writer.shutdown(Shutdown::Both);
    }
}
