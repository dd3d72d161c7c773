//! COPY and ADD: where sources come from (the context, another stage, an image), their
//! options (`--chown --chmod --link --exclude`, heredocs, ADD's URLs and archives) and the
//! layer they make.

use wharf_digest::Digest;
use wharf_dockerfile::instructions::{AddInstruction, CopyInstruction, FromRef, Instruction};

use super::{StageRun, image_view, shell_of};
use crate::cache::Inputs;
use crate::copy::{self, Item, SourceTree};
use crate::error::StepError;
use crate::{fetch, users};

impl<'a> StageRun<'a> {
    fn source_tree(&self, from: &str) -> Result<(SourceTree<'a>, String), StepError> {
        if from.is_empty() {
            return Ok((SourceTree::Context(self.sh.ctx), String::new()));
        }
        let img = match self
            .sh
            .df
            .resolve_from(from)
            .map_err(|e| StepError::msg(e.to_string()))?
        {
            FromRef::Stage(i) => {
                if i >= self.index {
                    let cur = self.sh.df.stages[self.index]
                        .name
                        .clone()
                        .unwrap_or_else(|| self.index.to_string());
                    return Err(StepError::msg(format!(
                        "invalid from flag value {from}: cannot copy from stage \"{from}\", it needs to be defined before current stage \"{cur}\""
                    )));
                }
                self.sh.wait_stage(i).ok_or(StepError::Cancelled)?
            }
            FromRef::Image(name) => self
                .sh
                .resolve_image(&name, None, &self.out)
                .map_err(|e| StepError::msg(format!("invalid from flag value {from}: {e}")))?,
        };
        let view = image_view(&self.sh.b.store, &img)?;
        let id = img.id_string();
        Ok((
            SourceTree::Image {
                view,
                id: id.clone(),
            },
            id,
        ))
    }

    fn chmod(spec: &str) -> Result<Option<u32>, StepError> {
        if spec.is_empty() {
            return Ok(None);
        }
        u32::from_str_radix(spec, 8)
            .ok()
            .filter(|m| *m <= 0o7777)
            .map(Some)
            .ok_or_else(|| StepError::msg(format!("invalid chmod parameter: {spec}")))
    }

    #[allow(clippy::too_many_arguments)]
    fn copy_like(
        &mut self,
        cmd_name: &str,
        tree: SourceTree<'_>,
        from_id: &str,
        files: &wharf_dockerfile::instructions::SourcesAndDest,
        sources: &[String],
        data: Vec<Item>,
        chown: &str,
        chmod: &str,
        link: bool,
        parents: bool,
        exclude: &[String],
        unpack: bool,
    ) -> Result<(), StepError> {
        let chmod_bits = Self::chmod(chmod)?;
        let dest = copy::normalize_dest(&self.cfg.working_dir, &files.dest);
        let plan = copy::plan(cmd_name, &tree, sources, data, &dest, exclude)?;
        let chown_comment = if chown.is_empty() {
            String::new()
        } else {
            format!("--chown={chown} ")
        };
        let comment = format!(
            "{cmd_name} {chown_comment}{} in {} ",
            plan.label, files.dest
        );
        let mut ccfg = self.cfg.clone();
        let mut cmd = shell_of(&self.cfg);
        cmd.push(format!("#(nop) {comment}"));
        ccfg.cmd = Some(cmd);
        // The instruction as written (not the content hash the history shows): contents are
        // compared file by file through `sources`.
        let inputs = Inputs {
            parent: self.image.id_string(),
            instruction: format!(
                "{cmd_name} {chown_comment}{} {}\nchmod={chmod} link={link} parents={parents} unpack={unpack} exclude={} from={from_id} shell={:?}",
                sources.join(" "),
                files.dest,
                exclude.join(","),
                ccfg.cmd
                    .as_ref()
                    .map(|c| c[..c.len().saturating_sub(1)].to_vec())
                    .unwrap_or_default()
            ),
            args: Vec::new(),
            sources: plan.sources.clone(),
        };
        let Some(key) = self.probe(&inputs)? else {
            self.after_step();
            return Ok(());
        };
        let (snap, view, _) = self.prepare(&Self::container_id(&key))?;
        let result = (|| {
            let chown = if chown.is_empty() {
                None
            } else {
                let parent_view = image_view(&self.sh.b.store, &self.image)?;
                Some(users::chown(&parent_view, chown).map_err(StepError::Msg)?)
            };
            let owner = from_id.is_empty().then_some((0, 0));
            copy::apply(
                &plan,
                &tree,
                &view,
                &copy::Options {
                    chown,
                    owner,
                    chmod: chmod_bits,
                    unpack,
                    exclude,
                    parents,
                },
            )
            .map_err(|e| match e {
                StepError::Msg(m) => StepError::Msg(format!("{cmd_name} failed: {m}")),
                e => e,
            })
        })();
        if let Err(e) = result {
            let _ = self.sh.b.store.snapshots().remove(&snap);
            return Err(e);
        }
        self.commit_layer(&snap, &key, &inputs, &ccfg, "")?;
        self.after_step();
        Ok(())
    }

    fn heredocs(&self, files: &wharf_dockerfile::instructions::SourcesAndDest) -> Vec<Item> {
        files
            .contents
            .iter()
            .map(|c| Item::Data {
                name: c.path.clone(),
                data: c.data.clone().into_bytes(),
                mode: 0o644,
                mtime: 0,
                raw: true,
            })
            .collect()
    }

    pub(super) fn copy_step(&mut self, c: &CopyInstruction) -> Result<(), StepError> {
        let scope = self.scope();
        let Instruction::Copy(ex) = Instruction::Copy(c.clone())
            .expand(&self.lexer, &scope)
            .map_err(|e| StepError::msg(e.to_string()))?
        else {
            unreachable!("expanding COPY gives COPY")
        };
        for s in &ex.files.sources {
            if fetch::is_url(s) {
                return Err(StepError::msg(
                    "COPY failed: source can't be a URL for COPY",
                ));
            }
        }
        let (tree, from_id) = self.source_tree(&ex.from)?;
        let data = self.heredocs(&ex.files);
        self.copy_like(
            "COPY",
            tree,
            &from_id,
            &ex.files,
            &ex.files.sources,
            data,
            &ex.chown,
            &ex.chmod,
            ex.link,
            ex.parents,
            &ex.exclude,
            false,
        )
    }

    pub(super) fn add_step(&mut self, a: &AddInstruction) -> Result<(), StepError> {
        let scope = self.scope();
        let Instruction::Add(ex) = Instruction::Add(a.clone())
            .expand(&self.lexer, &scope)
            .map_err(|e| StepError::msg(e.to_string()))?
        else {
            unreachable!("expanding ADD gives ADD")
        };
        let mut data = self.heredocs(&ex.files);
        let mut local = Vec::new();
        for s in &ex.files.sources {
            if s.starts_with("git@")
                || (fetch::is_url(s) && (s.ends_with(".git") || s.contains(".git#")))
            {
                return Err(StepError::msg(format!(
                    "ADD failed: git sources are not supported by this engine: {s}"
                )));
            }
            if !fetch::is_url(s) {
                local.push(s.clone());
                continue;
            }
            if !ex.checksum.is_empty() && ex.files.sources.len() > 1 {
                return Err(StepError::msg(
                    "checksum can't be specified for multiple sources",
                ));
            }
            self.out.text(format!("Downloading {s}\n"));
            let d = fetch::get(s).map_err(|e| StepError::msg(format!("ADD failed: {e}")))?;
            if !ex.checksum.is_empty() {
                let got = Digest::sha256_of(&d.data);
                let want = ex.checksum.trim();
                if !want.starts_with("sha256:") || want.len() != 71 {
                    return Err(StepError::msg(format!(
                        "invalid checksum digest format: {want}"
                    )));
                }
                if got.as_str() != want {
                    return Err(StepError::msg(format!(
                        "ADD failed: digest mismatch for {s}: expected {want}, got {got}"
                    )));
                }
            }
            let mut name = fetch::file_name(&d.url, &d.content_disposition);
            if name.is_empty() {
                if ex.files.dest.ends_with('/') {
                    return Err(StepError::msg(format!(
                        "ADD failed: cannot determine filename for source {s}"
                    )));
                }
                name = "__unnamed__".into();
            }
            let mtime = fetch::http_date(&d.last_modified).unwrap_or(0);
            data.push(Item::Data {
                name,
                data: d.data,
                mode: 0o600,
                mtime,
                raw: true,
            });
        }
        let tree = SourceTree::Context(self.sh.ctx);
        self.copy_like(
            "ADD",
            tree,
            "",
            &ex.files,
            &local,
            data,
            &ex.chown,
            &ex.chmod,
            ex.link,
            false,
            &ex.exclude,
            ex.unpack.unwrap_or(true),
        )
    }
}
