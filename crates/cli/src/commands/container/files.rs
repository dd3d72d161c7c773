//! (in progress)

use crate::app::Command;

pub fn commands() -> Vec<Command> {
    Vec::new()
}
