//! One build stage: FROM, ONBUILD triggers of the base, then each instruction as a step, with
//! the legacy builder's progress lines ("Step 3/9 : …", " ---> Using cache", " ---> Running in
//! …", " ---> 1a2b3c4d5e6f") and one image per step.

use std::collections::BTreeMap;

use wharf_api::ContainerConfig;
use wharf_digest::Digest;
use wharf_dockerfile::Command;
use wharf_dockerfile::instructions::{
    ArgDef, CommandLine, Instruction, RunInstruction, RunScript, Security, parse_onbuild_trigger,
};
use wharf_dockerfile::shell::Lexer;
use wharf_image::ImageStore;

use crate::args::{Platform, StageArgs};
use crate::cache::Inputs;
use crate::commit::{Committer, ImageState, StepMeta};
use crate::config::{self, DispatchState};
use crate::error::{BuildError, StepError};
use crate::exec::Shared;
use crate::fsview::LayerView;
use crate::network::Network;
use crate::output::StageOut;
use crate::run::{RunSpec, Runner, StepRoot};
use crate::{gofmt, mounts, users};

mod copy_steps;

/// Files to mount for a RUN (`RUN <<EOF` scripts with a shebang): path and content.
type Scripts = Vec<(String, Vec<u8>)>;

const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];
const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

pub(crate) struct StageRun<'a> {
    sh: &'a Shared<'a>,
    index: usize,
    out: StageOut,
    step: usize,
    total: usize,
    image: ImageState,
    cfg: ContainerConfig,
    dstate: DispatchState,
    maintainer: String,
    args: StageArgs,
    lexer: Lexer,
}

/// Twelve characters of an ID, as the legacy builder shows them.
pub(crate) fn short(id: &str) -> String {
    id.strip_prefix("sha256:")
        .unwrap_or(id)
        .chars()
        .take(12)
        .collect()
}

fn shell_of(cfg: &ContainerConfig) -> Vec<String> {
    match &cfg.shell {
        Some(s) if !s.is_empty() => s.clone(),
        _ => DEFAULT_SHELL.iter().map(|s| s.to_string()).collect(),
    }
}

/// The layer directories of an image, top first.
pub(crate) fn image_view(store: &ImageStore, img: &ImageState) -> Result<LayerView, StepError> {
    let Some(top) = img.chain() else {
        return Ok(LayerView::new(Vec::new()));
    };
    let snaps = store.snapshots();
    let mut dirs = vec![snaps.upper_dir(top.as_str())?];
    if snaps.layer_format() == wharf_store::snapshot::LayerFormat::OverlayDiff {
        dirs.extend(snaps.parent_dirs(top.as_str())?);
    }
    Ok(LayerView::new(dirs))
}

/// Single quotes for the Dockerfile lexer, so a value is taken literally.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl<'a> StageRun<'a> {
    pub(crate) fn new(
        sh: &'a Shared<'a>,
        index: usize,
        out: StageOut,
        step: usize,
        total: usize,
    ) -> Self {
        StageRun {
            sh,
            index,
            out,
            step,
            total,
            image: ImageState::scratch(&sh.platform),
            cfg: ContainerConfig::default(),
            dstate: DispatchState::default(),
            maintainer: String::new(),
            args: StageArgs::default(),
            lexer: Lexer::new(sh.df.escape_token),
        }
    }

    fn fail(&self, line: usize, e: StepError) -> BuildError {
        match e {
            StepError::Cancelled => BuildError::Cancelled,
            StepError::NonZero { code, .. } => BuildError::Step {
                file: self.sh.file.to_string(),
                line,
                message: e.to_string(),
                code,
            },
            e => BuildError::Step {
                file: self.sh.file.to_string(),
                line,
                message: e.to_string(),
                code: 0,
            },
        }
    }

    fn print_step(&mut self, text: &str) {
        self.out
            .text(format!("Step {}/{} : {text}\n", self.step, self.total));
        self.step += 1;
    }

    fn print_id(&self) {
        self.out
            .text(format!(" ---> {}\n", short(&self.image.id_string())));
    }

    /// Runs the stage; returns its final image.
    pub(crate) fn run(mut self) -> Result<ImageState, BuildError> {
        let stage = &self.sh.df.stages[self.index];
        self.print_step(&stage.source);
        let line = stage.location.start_line;
        self.from().map_err(|e| self.fail(line, e))?;
        let mut commands: Vec<Command> = stage.instructions.clone();
        if self.index == self.sh.target {
            for (k, v) in &self.sh.req.labels {
                commands.push(label_command(k, v, &commands, stage.location.end_line));
            }
        }
        let triggers = std::mem::take(&mut self.cfg.on_build);
        if !triggers.is_empty() {
            self.out.text(format!(
                "# Executing {} build trigger{}\n",
                triggers.len(),
                if triggers.len() > 1 { "s" } else { "" }
            ));
            for t in &triggers {
                let cmd = parse_onbuild_trigger(t)
                    .map_err(|e| self.fail(line, StepError::msg(e.to_string())))?;
                self.dispatch(&cmd).map_err(|e| self.fail(line, e))?;
            }
        }
        self.print_id();
        for cmd in &commands {
            if self.sh.cancelled() {
                return Err(BuildError::Cancelled);
            }
            self.print_step(&cmd.source);
            let t = std::time::Instant::now();
            self.dispatch(cmd)
                .map_err(|e| self.fail(cmd.location.start_line, e))?;
            tracing::debug!(step = %cmd.source, ms = t.elapsed().as_secs_f64() * 1e3, "build step");
            self.print_id();
        }
        if let Some(id) = &self.image.id {
            self.out.aux_id(id.as_str());
        }
        self.sh.mark_consumed(self.args.names());
        Ok(self.image)
    }

    // ---- FROM ----

    fn from(&mut self) -> Result<(), StepError> {
        let stage = &self.sh.df.stages[self.index];
        let scope = self.sh.globals.meta_scope();
        let name = self
            .lexer
            .process_word(&stage.base, &scope)
            .map_err(|e| StepError::msg(e.to_string()))?;
        if name.is_empty() {
            return Err(StepError::msg(format!(
                "base name ({}) should not be blank",
                stage.base
            )));
        }
        let platform =
            match &stage.platform {
                Some(p) => {
                    let v = self
                        .lexer
                        .process_word(p, &scope)
                        .map_err(|e| StepError::msg(e.to_string()))?;
                    Some(Platform::parse(&v).map_err(|e| {
                        StepError::msg(format!("failed to parse platform {v}: {e}"))
                    })?)
                }
                None => None,
            };
        let earlier = self.sh.df.stages[..self.index]
            .iter()
            .rposition(|s| s.name.as_deref() == Some(name.as_str()));
        self.image = if name == "scratch" {
            ImageState::scratch(platform.as_ref().unwrap_or(&self.sh.platform))
        } else if let Some(i) = earlier {
            self.sh.wait_stage(i).ok_or(StepError::Cancelled)?
        } else {
            self.sh.resolve_image(&name, platform.as_ref(), &self.out)?
        };
        self.cfg = self.image.run_config();
        if !self.cfg.env.iter().any(|e| e.starts_with("PATH=")) {
            self.cfg.env.push(DEFAULT_PATH.to_string());
        }
        self.cfg.open_stdin = false;
        self.cfg.stdin_once = false;
        self.cfg.image = self.image.id_string();
        Ok(())
    }

    // ---- dispatch ----

    /// The environment words expand in: ENV, then in-scope ARGs ENV does not define.
    fn scope(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        for (k, v) in self.args.visible(self.sh.globals, &self.cfg.env) {
            m.insert(k, v);
        }
        for e in &self.cfg.env {
            let (k, v) = e.split_once('=').unwrap_or((e, ""));
            m.insert(k.to_string(), v.to_string());
        }
        m
    }

    fn dispatch(&mut self, cmd: &Command) -> Result<(), StepError> {
        match &cmd.instruction {
            Instruction::Arg(defs) => self.arg(defs),
            Instruction::Maintainer(m) => {
                self.maintainer = m.clone();
                let cfg = self.cfg.clone();
                self.config_step(&format!("MAINTAINER {m}"), cfg)
            }
            Instruction::Run(r) => self.run_step(r),
            Instruction::Copy(c) => self.copy_step(c),
            Instruction::Add(a) => self.add_step(a),
            Instruction::Workdir(_) => self.workdir_step(&cmd.instruction),
            other => {
                let scope = self.scope();
                let ex = other
                    .expand(&self.lexer, &scope)
                    .map_err(|e| StepError::msg(e.to_string()))?;
                if let Instruction::Healthcheck(_) = &ex
                    && let Some(old) = self.cfg.healthcheck.as_ref().and_then(|h| h.test.clone())
                    && old.first().is_some_and(|t| t != "NONE")
                {
                    self.out.text(format!(
                        "Note: overriding previous HEALTHCHECK: [{}]\n",
                        old.join(" ")
                    ));
                }
                let mut cfg = self.cfg.clone();
                config::apply_expanded(ex.clone(), &mut cfg, &mut self.dstate)
                    .map_err(|e| StepError::msg(e.to_string()))?;
                let comment = gofmt::comment(&ex, &cfg);
                self.config_step(&comment, cfg)
            }
        }
    }

    fn arg(&mut self, defs: &[ArgDef]) -> Result<(), StepError> {
        let mut parts = Vec::new();
        for d in defs {
            let scope = self.scope();
            let value = match &d.value {
                Some(v) => Some(
                    self.lexer
                        .process_word(v, &scope)
                        .map_err(|e| StepError::msg(e.to_string()))?,
                ),
                None => None,
            };
            parts.push(match &value {
                Some(v) => format!("{}={v}", d.key),
                None => d.key.clone(),
            });
            self.args.declare(self.sh.globals, &d.key, value);
        }
        let cfg = self.cfg.clone();
        self.config_step(&format!("ARG {}", parts.join(" ")), cfg)
    }

    fn container_id(key: &str) -> String {
        Digest::sha256_of(format!("container {key}").as_bytes())
            .hex()
            .to_string()
    }

    fn committer(&self) -> Committer<'_> {
        Committer {
            store: &self.sh.b.store,
            epoch: self.sh.epoch,
            docker_version: &self.sh.b.docker_version,
        }
    }

    /// Looks a step up in the cache; on a hit the stage moves to the cached image.
    fn probe(&mut self, inputs: &Inputs) -> Result<Option<String>, StepError> {
        let key = inputs.key();
        if self.sh.req.no_cache {
            if self.sh.req.explain {
                self.out
                    .text(" ---> Cache miss: cache disabled (--no-cache)\n");
            }
            return Ok(Some(key));
        }
        let allowed = |image: &str| {
            self.sh
                .cache_sources
                .as_ref()
                .is_none_or(|ids| ids.contains(image))
        };
        if let Some(rec) = self.sh.b.cache.get(&key)
            && allowed(rec.image.as_str())
            && let Some(img) = self.sh.b.store.get(&rec.image)?
        {
            self.image = ImageState::from_record(&self.sh.b.store, img)?;
            self.sh.hit(key);
            self.out.text(" ---> Using cache\n");
            return Ok(None);
        }
        if self.sh.req.explain {
            self.out.text(format!(
                " ---> Cache miss: {}\n",
                self.sh.b.cache.explain(inputs)
            ));
        }
        Ok(Some(key))
    }

    fn record(&self, key: &str, inputs: &Inputs, size: u64) -> Result<(), StepError> {
        self.sh.made_something();
        if let Some(id) = &self.image.id {
            self.sh.b.cache.put(key, id, inputs, size)?;
        }
        Ok(())
    }

    fn after_step(&mut self) {
        self.cfg = self.image.run_config();
        self.cfg.image = self.image.id_string();
    }

    /// A step that only changes the config (ENV, LABEL, CMD, ...).
    fn config_step(&mut self, comment: &str, new_cfg: ContainerConfig) -> Result<(), StepError> {
        let mut ccfg = new_cfg.clone();
        let mut cmd = shell_of(&new_cfg);
        cmd.push("#(nop) ".into());
        cmd.push(comment.to_string());
        ccfg.cmd = Some(cmd);
        let inputs = Inputs {
            parent: self.image.id_string(),
            instruction: ccfg.cmd.as_ref().map(|c| c.join(" ")).unwrap_or_default(),
            args: Vec::new(),
            sources: Vec::new(),
        };
        let Some(key) = self.probe(&inputs)? else {
            self.after_step();
            return Ok(());
        };
        let cid = Self::container_id(&key);
        self.out.text(format!(" ---> Running in {}\n", short(&cid)));
        let image = self.committer().commit(
            &self.image,
            None,
            StepMeta {
                config: &new_cfg,
                container_config: &ccfg,
                author: &self.maintainer,
                container: &cid,
            },
        )?;
        self.image = image;
        self.record(&key, &inputs, 0)?;
        self.out
            .text(format!("Removing intermediate container {}\n", short(&cid)));
        self.after_step();
        Ok(())
    }

    /// Prepares an active snapshot on the current image for a step that writes files.
    fn prepare(&self, cid: &str) -> Result<(String, LayerView, StepRoot), StepError> {
        let snaps = self.sh.b.store.snapshots();
        let key = format!("build-{}-{}", short(cid), wharf_image::store::random_hex());
        snaps.prepare(&key, self.image.chain().map(|c| c.as_str()), true)?;
        let upper = snaps.upper_dir(&key)?;
        let full_tree = snaps.layer_format() == wharf_store::snapshot::LayerFormat::FullTree;
        let lowers = if full_tree {
            Vec::new()
        } else {
            snaps.parent_dirs(&key)?
        };
        let mut dirs = vec![upper.clone()];
        dirs.extend(lowers.iter().cloned());
        let work = upper
            .parent()
            .map(|p| p.join("work"))
            .unwrap_or_else(|| upper.join("../work"));
        Ok((
            key,
            LayerView::new(dirs),
            StepRoot {
                upper,
                work,
                lowers,
                full_tree,
            },
        ))
    }

    /// Writes the layer of snapshot `key` and records the step's image.
    fn commit_layer(
        &mut self,
        key: &str,
        cache_key: &str,
        inputs: &Inputs,
        ccfg: &ContainerConfig,
        cid: &str,
    ) -> Result<(), StepError> {
        let mut lease = self.sh.b.store.lease();
        let committer = self.committer();
        let t = std::time::Instant::now();
        let layer = match committer.write_layer(&self.image, key, &mut lease) {
            Ok(l) => l,
            Err(e) => {
                let _ = self.sh.b.store.snapshots().remove(key);
                return Err(e);
            }
        };
        let size = layer.as_ref().map(|l| l.record.size).unwrap_or(0);
        tracing::debug!(ms = t.elapsed().as_secs_f64() * 1e3, size, "layer written");
        let cfg = self.cfg.clone();
        let image = committer.commit(
            &self.image,
            layer,
            StepMeta {
                config: &cfg,
                container_config: ccfg,
                author: &self.maintainer,
                container: cid,
            },
        )?;
        drop(lease);
        self.image = image;
        self.record(cache_key, inputs, size)
    }

    // ---- WORKDIR ----

    fn workdir_step(&mut self, ins: &Instruction) -> Result<(), StepError> {
        let scope = self.scope();
        let ex = ins
            .expand(&self.lexer, &scope)
            .map_err(|e| StepError::msg(e.to_string()))?;
        config::apply_expanded(ex, &mut self.cfg, &mut self.dstate)
            .map_err(|e| StepError::msg(e.to_string()))?;
        let dir = self.cfg.working_dir.clone();
        let mut ccfg = self.cfg.clone();
        let mut cmd = shell_of(&self.cfg);
        cmd.push(format!("#(nop) WORKDIR {dir}"));
        ccfg.cmd = Some(cmd);
        let inputs = Inputs {
            parent: self.image.id_string(),
            instruction: ccfg.cmd.as_ref().map(|c| c.join(" ")).unwrap_or_default(),
            ..Default::default()
        };
        let Some(key) = self.probe(&inputs)? else {
            self.after_step();
            return Ok(());
        };
        let cid = Self::container_id(&key);
        self.out.text(format!(" ---> Running in {}\n", short(&cid)));
        let (snap, view, _) = self.prepare(&cid)?;
        let rel = view.resolve(&dir, true);
        if let Err(e) = view.ensure_dir(&rel, 0o755, (0, 0)) {
            let _ = self.sh.b.store.snapshots().remove(&snap);
            return Err(e.into());
        }
        self.commit_layer(&snap, &key, &inputs, &ccfg, &cid)?;
        self.out
            .text(format!("Removing intermediate container {}\n", short(&cid)));
        self.after_step();
        Ok(())
    }

    // ---- RUN ----

    /// What a RUN executes, and script files to mount (`RUN <<EOF` with a shebang).
    fn command_args(&self, cmd: &CommandLine) -> Result<(Vec<String>, Scripts), StepError> {
        let with_shell = |mut a: Vec<String>| {
            if cmd.prepend_shell {
                let mut s = shell_of(&self.cfg);
                s.append(&mut a);
                s
            } else {
                a
            }
        };
        match cmd
            .run_script(false)
            .map_err(|e| StepError::msg(e.to_string()))?
        {
            RunScript::Args(a) => Ok((with_shell(a), Vec::new())),
            RunScript::Script { name, data } => {
                let path = format!("/dev/pipes/{name}");
                Ok((
                    with_shell(vec![path.clone()]),
                    vec![(path, data.into_bytes())],
                ))
            }
        }
    }

    fn run_step(&mut self, r: &RunInstruction) -> Result<(), StepError> {
        if !r.devices.is_empty() {
            return Err(StepError::msg(
                "device feature is only supported in Dockerfile frontend 1.14.0-labs or later",
            ));
        }
        if r.security == Security::Insecure {
            return Err(StepError::msg(
                "--security=insecure is not allowed: the security.insecure entitlement is not granted",
            ));
        }
        let (args, files) = self.command_args(&r.cmd)?;
        let recorded = self.args.recorded(self.sh.globals, &self.cfg.env);
        let mut save = Vec::new();
        if !recorded.is_empty() {
            save.push(format!("|{}", recorded.len()));
            save.extend(recorded.iter().cloned());
        }
        save.extend(args.iter().cloned());
        let mut ccfg = self.cfg.clone();
        ccfg.cmd = Some(save);
        if !args.is_empty() {
            ccfg.entrypoint = None;
        }
        let scope = self.scope();
        let parsed = r
            .mounts(&self.lexer, &scope)
            .map_err(|e| StepError::msg(e.to_string()))?;
        let network = match r.network {
            wharf_dockerfile::instructions::NetworkMode::None => Network::None,
            wharf_dockerfile::instructions::NetworkMode::Host => Network::Host,
            wharf_dockerfile::instructions::NetworkMode::Default => self.sh.network.clone(),
        };
        let prepared_inputs = mounts::inputs(self.sh, self.index, &parsed)?;
        // The instruction without the `|N k=v` prefix: arguments are compared on their own.
        let inputs = Inputs {
            parent: self.image.id_string(),
            instruction: format!(
                "{}\n{}\nnetwork={}{}",
                args.join(" "),
                prepared_inputs.describe,
                network.cache_key(),
                extra_hosts_key(&self.sh.req.extra_hosts)
            ),
            args: recorded,
            sources: prepared_inputs.sources,
        };
        let Some(key) = self.probe(&inputs)? else {
            self.after_step();
            return Ok(());
        };
        let cid = Self::container_id(&key);
        self.out.text(format!(" ---> Running in {}\n", short(&cid)));
        let (snap, view, root) = self.prepare(&cid)?;
        let result = (|| {
            let user = users::run_user(&view, &self.cfg.user).map_err(StepError::Msg)?;
            let mut env = self.cfg.env.clone();
            for (k, v) in self.args.visible(self.sh.globals, &self.cfg.env) {
                env.push(format!("{k}={v}"));
            }
            let work = self.sh.work.join(format!("mnt-{}", short(&cid)));
            let m = mounts::prepare(self.sh, &parsed, &work, &user, &files)?;
            env.extend(m.env.iter().cloned());
            let spec = RunSpec {
                id: cid.clone(),
                args: args.clone(),
                env,
                user,
                cwd: self.cfg.working_dir.clone(),
                network,
                extra_hosts: self.sh.req.extra_hosts.clone(),
                mounts: m.mounts.clone(),
                stubs: m.stubs.clone(),
            };
            let runner = Runner {
                helper: &self.sh.b.helper,
                work: &self.sh.work,
                networks: self.sh.b.networks.as_deref(),
            };
            let r = runner.run(&root, &view, &spec, &self.out);
            drop(m);
            let _ = std::fs::remove_dir_all(&work);
            r
        })();
        if let Err(e) = result {
            let _ = self.sh.b.store.snapshots().remove(&snap);
            return Err(e);
        }
        self.commit_layer(&snap, &key, &inputs, &ccfg, &cid)?;
        self.out
            .text(format!("Removing intermediate container {}\n", short(&cid)));
        self.after_step();
        Ok(())
    }
}

/// A `--label` from the build request as a LABEL instruction taken literally.
fn label_command(k: &str, v: &str, _others: &[Command], line: usize) -> Command {
    Command {
        keyword: "LABEL".into(),
        source: format!("LABEL {k}={v}"),
        location: wharf_dockerfile::instructions::Location {
            start_line: line,
            end_line: line,
        },
        comments: Vec::new(),
        instruction: Instruction::Label(vec![wharf_dockerfile::instructions::KeyValue {
            key: literal(k),
            value: literal(v),
            no_delim: false,
        }]),
    }
}

/// `--add-host` entries are part of a RUN step's cache key (as in BuildKit) when there are
/// any; steps of builds without keep the keys they always had.
fn extra_hosts_key(hosts: &[(String, std::net::IpAddr)]) -> String {
    hosts
        .iter()
        .map(|(name, ip)| format!("\nhost={name}:{ip}"))
        .collect()
}
