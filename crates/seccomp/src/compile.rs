//! OCI `linux.seccomp` → classic BPF.

use crate::{BpfProgram, SeccompError};

/// Compile an OCI runtime-spec `linux.seccomp` object.
pub fn compile_oci(oci: &serde_json::Value) -> Result<BpfProgram, SeccompError> {
    let _ = oci;
    todo!()
}
