//! `--change` instructions for `import` and `commit`: Dockerfile instructions applied to an
//! image's runtime config.

use wharf_api::ContainerConfig;

use crate::error::ApiError;

pub fn apply(_config: &mut ContainerConfig, changes: &[String]) -> Result<(), ApiError> {
    if changes.is_empty() {
        return Ok(());
    }
    Err(ApiError::not_implemented(
        "--change is not available in this build",
    ))
}
