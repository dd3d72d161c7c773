//! Dispatch-time word expansion of typed instructions (buildkit's
//! `SupportsSingleWordExpansion`, `SupportsSingleWordExpansionRaw` and
//! `dispatchExpose`).

use super::{Instruction, KeyValue, Mount, MountError, RunInstruction, SourcesAndDest, mount};
use crate::shell::{Env, Lexer, ShellError};

fn kvs(lex: &Lexer, env: &dyn Env, list: &[KeyValue]) -> Result<Vec<KeyValue>, ShellError> {
    list.iter()
        .map(|kv| {
            Ok(KeyValue {
                key: lex.process_word(&kv.key, env)?,
                value: lex.process_word(&kv.value, env)?,
                no_delim: kv.no_delim,
            })
        })
        .collect()
}

fn files(lex: &Lexer, env: &dyn Env, f: &SourcesAndDest) -> Result<SourcesAndDest, ShellError> {
    let sources = f
        .sources
        .iter()
        .map(|s| lex.process_word(s, env))
        .collect::<Result<Vec<_>, _>>()?;
    let dest = lex.process_word(&f.dest, env)?;
    // Heredoc bodies with an unquoted delimiter: `\` escapes, quotes kept.
    let mut raw = Lexer::new('\\');
    raw.skip_process_quotes = true;
    let mut contents = f.contents.clone();
    for c in contents.iter_mut().filter(|c| c.expand) {
        c.data = raw.process_word(&c.data, env)?;
    }
    Ok(SourcesAndDest {
        dest,
        sources,
        contents,
    })
}

impl Instruction {
    /// Expand variables the way buildkit's dispatcher does before running
    /// the instruction. `lex` must use the Dockerfile's escape token and
    /// `env` the stage environment (ENV plus in-scope ARGs).
    ///
    /// Expanded: ENV and LABEL keys and values; ADD/COPY sources,
    /// destination, `--chown`, `--chmod`, ADD `--checksum`, and heredoc
    /// bodies with unquoted delimiters; WORKDIR; USER; VOLUME; STOPSIGNAL;
    /// EXPOSE (split into words). Returned unchanged: ARG (the builder
    /// applies ARG scoping itself), RUN (see [`RunInstruction::mounts`]),
    /// CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD, MAINTAINER.
    pub fn expand(&self, lex: &Lexer, env: &dyn Env) -> Result<Instruction, ShellError> {
        let w = |s: &str| lex.process_word(s, env);
        Ok(match self {
            Instruction::Env(list) => Instruction::Env(kvs(lex, env, list)?),
            Instruction::Label(list) => Instruction::Label(kvs(lex, env, list)?),
            Instruction::Add(a) => {
                let mut a = a.clone();
                a.chown = w(&a.chown)?;
                a.chmod = w(&a.chmod)?;
                a.checksum = w(&a.checksum)?;
                a.files = files(lex, env, &a.files)?;
                Instruction::Add(a)
            }
            Instruction::Copy(c) => {
                let mut c = c.clone();
                c.chown = w(&c.chown)?;
                c.chmod = w(&c.chmod)?;
                c.files = files(lex, env, &c.files)?;
                Instruction::Copy(c)
            }
            Instruction::Workdir(p) => Instruction::Workdir(w(p)?),
            Instruction::User(u) => Instruction::User(w(u)?),
            Instruction::StopSignal(s) => Instruction::StopSignal(w(s)?),
            Instruction::Volume(v) => {
                Instruction::Volume(v.iter().map(|s| w(s)).collect::<Result<_, _>>()?)
            }
            Instruction::Expose(ports) => {
                let mut out = Vec::new();
                for p in ports {
                    out.extend(lex.process_words(p, env)?);
                }
                Instruction::Expose(out)
            }
            other => other.clone(),
        })
    }
}

impl RunInstruction {
    /// Parse and validate every `--mount`, expanding each option value with
    /// `lex` over `env` first (buildkit does this at dispatch).
    pub fn mounts(&self, lex: &Lexer, env: &dyn Env) -> Result<Vec<Mount>, MountError> {
        self.mounts
            .iter()
            .map(|raw| mount::parse_mount(raw, &mut |v| lex.process_word(v, env)))
            .collect()
    }
}
