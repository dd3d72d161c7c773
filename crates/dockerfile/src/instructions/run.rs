//! What a RUN executes once its heredocs are resolved (buildkit
//! `dispatchRun`).

use super::{CommandLine, InstructionError};
use crate::parser::{chomp_heredoc_content, parse_heredoc};

/// The command a RUN executes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunScript {
    /// Run these arguments; for shell form prepend the stage's SHELL
    /// (default `["/bin/sh", "-c"]`).
    Args(Vec<String>),
    /// `RUN <<EOF` whose body starts with `#!` (not on Windows images):
    /// create the file `name` (mode 0755) holding `data` in an otherwise
    /// empty directory, mount that directory read-only at `/dev/pipes/`,
    /// and run `/dev/pipes/<name>` (shell form: with SHELL prepended).
    Script {
        /// File name (the heredoc delimiter).
        name: String,
        /// Script body, tabs already stripped for `<<-`.
        data: String,
    },
}

impl CommandLine {
    /// Resolve heredocs as buildkit does: `RUN <<EOF` alone runs the body
    /// (as a script file when it has a shebang, otherwise as the shell
    /// command string); any other line with heredocs is passed to the shell
    /// with the bodies appended after it, as a real shell heredoc.
    pub fn run_script(&self, windows_image: bool) -> Result<RunScript, InstructionError> {
        let args = self.args.clone().unwrap_or_default();
        if self.files.is_empty() {
            return Ok(RunScript::Args(args));
        }
        if args.len() != 1 || !self.prepend_shell {
            return Err(InstructionError::InvalidRunCommand(args));
        }
        if matches!(parse_heredoc(&args[0]), Ok(Some(_))) {
            let file = &self.files[0];
            let data = if file.chomp {
                chomp_heredoc_content(&file.data)
            } else {
                file.data.clone()
            };
            if !windows_image && data.starts_with("#!") {
                return Ok(RunScript::Script {
                    name: file.name.clone(),
                    data,
                });
            }
            return Ok(RunScript::Args(vec![data]));
        }
        let mut line = args[0].clone();
        for f in &self.files {
            line.push('\n');
            line.push_str(&f.data);
            line.push_str(&f.name);
        }
        Ok(RunScript::Args(vec![line]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Instruction, parse};

    fn script(src: &str) -> RunScript {
        let df = parse(&format!("FROM a\n{src}")).unwrap();
        let Instruction::Run(r) = &df.stages[0].instructions[0].instruction else {
            panic!()
        };
        r.cmd.run_script(false).unwrap()
    }

    #[test]
    fn heredoc_forms() {
        assert_eq!(
            script("RUN echo hi"),
            RunScript::Args(vec!["echo hi".into()])
        );
        assert_eq!(
            script("RUN <<EOF\necho a\necho b\nEOF"),
            RunScript::Args(vec!["echo a\necho b\n".into()])
        );
        assert_eq!(
            script("RUN <<-EOF\n\techo a\nEOF"),
            RunScript::Args(vec!["echo a\n".into()])
        );
        assert_eq!(
            script("RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF"),
            RunScript::Script {
                name: "EOF".into(),
                data: "#!/usr/bin/env python3\nprint(1)\n".into()
            }
        );
        assert_eq!(
            script("RUN python3 <<EOF\nprint(1)\nEOF"),
            RunScript::Args(vec!["python3 <<EOF\nprint(1)\nEOF".into()])
        );
    }
}
