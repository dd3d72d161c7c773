//! A whole build: reading the Dockerfile from the context, choosing the stages the target needs,
//! running independent stages in parallel (their output still shown in stage order), then
//! "Successfully built" and the tags.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use wharf_digest::Digest;
use wharf_dockerfile::ignore::{Patterns, read_all};
use wharf_dockerfile::instructions::{FromRef, Instruction};
use wharf_dockerfile::shell::Lexer;
use wharf_dockerfile::{Dockerfile, ParseError};
use wharf_reference::Reference;

use crate::args::{GlobalArgs, Platform};
use crate::commit::ImageState;
use crate::context::Context;
use crate::error::{BuildError, StepError};
use crate::network::{Network, NetworkError};
use crate::output::{Output, StageOut};
use crate::stage::{StageRun, short};
use crate::{BuildRequest, Builder, Puller};

/// A parsed, validated build, ready to run.
pub struct Prepared {
    pub(crate) req: BuildRequest,
    pub(crate) ctx: Context,
    pub(crate) df: Dockerfile,
    pub(crate) file: String,
    pub(crate) tags: Vec<Reference>,
    pub(crate) target: usize,
    pub(crate) stages: Vec<usize>,
    pub(crate) platform: Platform,
    pub(crate) network: Network,
    /// Fetches missing (or, with `--pull`, all) base images for this build.
    pub(crate) puller: Option<Arc<dyn Puller>>,
}

impl Prepared {
    /// Pulls base images through `puller` (with the credentials of this build's client).
    pub fn with_puller(mut self, puller: Arc<dyn Puller>) -> Prepared {
        self.puller = Some(puller);
        self
    }
}

/// What a finished build made.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: Digest,
    pub tags: Vec<String>,
}

enum Slot {
    Pending,
    Done(Box<ImageState>),
    Failed,
}

/// State shared by the stages of one build.
pub(crate) struct Shared<'a> {
    pub b: &'a Builder,
    pub req: &'a BuildRequest,
    pub ctx: &'a Context,
    pub df: &'a Dockerfile,
    pub file: &'a str,
    pub globals: &'a GlobalArgs,
    pub platform: Platform,
    pub target: usize,
    pub epoch: Option<i64>,
    pub work: PathBuf,
    pub network: Network,
    /// With `--cache-from`: the images a cached step may resolve to.
    pub cache_sources: Option<BTreeSet<String>>,
    pub out: Arc<Output>,
    puller: Option<Arc<dyn Puller>>,
    slots: Mutex<Vec<Slot>>,
    ready: Condvar,
    cancel: AtomicBool,
    hits: Mutex<Vec<String>>,
    consumed: Mutex<BTreeSet<String>>,
    /// Some step made something new (to be synced at the end).
    made: AtomicBool,
}

impl Shared<'_> {
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed) || self.out.is_broken()
    }

    /// Waits for stage `i`; `None` when it failed.
    pub fn wait_stage(&self, i: usize) -> Option<ImageState> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match &slots[i] {
                Slot::Done(img) => return Some((**img).clone()),
                Slot::Failed => return None,
                Slot::Pending => {
                    slots = self.ready.wait(slots).unwrap_or_else(|e| e.into_inner());
                }
            }
        }
    }

    fn set_slot(&self, i: usize, slot: Slot) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots[i] = slot;
        self.ready.notify_all();
    }

    pub fn made_something(&self) {
        self.made.store(true, Ordering::Relaxed);
    }

    pub fn hit(&self, key: String) {
        self.hits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(key);
    }

    pub fn mark_consumed(&self, names: impl Iterator<Item = String>) {
        self.consumed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(names);
    }

    /// A base or `--from` image from the store (pulled when asked to, or when missing and a
    /// puller is configured).
    pub fn resolve_image(
        &self,
        name: &str,
        platform: Option<&Platform>,
        out: &StageOut,
    ) -> Result<ImageState, StepError> {
        // An explicit `--platform` for the build applies to bases without their own.
        let platform = platform.or((!self.req.platform.is_empty()).then_some(&self.platform));
        let store = &self.b.store;
        let local = store.resolve(name);
        let rec = match (local, &self.puller) {
            (Ok(rec), Some(p)) if self.req.pull => {
                let _ = rec;
                p.pull(name, platform.unwrap_or(&self.platform), &mut |t| {
                    out.text(t)
                })
                .map_err(StepError::Msg)?
            }
            (Ok(rec), _) => rec,
            (Err(_), Some(p)) => p
                .pull(name, platform.unwrap_or(&self.platform), &mut |t| {
                    out.text(t)
                })
                .map_err(StepError::Msg)?,
            (Err(e), None) => {
                let shown = Reference::parse_normalized(name)
                    .map(|r| r.with_default_tag().familiar_string())
                    .unwrap_or_else(|_| name.to_string());
                return Err(match e {
                    wharf_image::ImageError::NotFound(_) => StepError::ImageNotFound(format!(
                        "pull access denied for {shown}, repository does not exist or may require 'docker login': the image is not in the local store and this engine has no registry configured"
                    )),
                    e => e.into(),
                });
            }
        };
        let img = ImageState::from_record(store, rec)?;
        if let Some(want) = platform {
            let os = if img.config.os.is_empty() {
                "linux"
            } else {
                img.config.os.as_str()
            };
            if os != want.os || img.config.architecture != want.arch {
                return Err(StepError::msg(format!(
                    "image with reference {name} was found but does not match the specified platform: wanted {}, actual: {os}/{}",
                    want.to_string_full(),
                    img.config.architecture
                )));
            }
        }
        Ok(img)
    }
}

/// Docker's parse messages, each naming the line it is about.
fn parse_error(file: &str, e: ParseError) -> BuildError {
    match e {
        ParseError::Syntax(s) => BuildError::InvalidArgument(format!(
            "failed to parse {file}: dockerfile parse error on line {}: {}",
            s.start_line, s.error
        )),
        ParseError::NoBuildStage { line, .. } => BuildError::InvalidArgument(format!(
            "dockerfile parse error on line {line}: no build stage in current context"
        )),
        e => BuildError::Parse(e),
    }
}

/// Stages the target needs (itself and what it builds on or copies from), in file order.
fn needed_stages(df: &Dockerfile, target: usize, globals: &GlobalArgs) -> Vec<usize> {
    let lexer = Lexer::new(df.escape_token);
    let scope = globals.meta_scope();
    let deps = |i: usize| -> Vec<usize> {
        let mut v = Vec::new();
        let s = &df.stages[i];
        if let Ok(base) = lexer.process_word(&s.base, &scope)
            && let Some(j) = df.stages[..i]
                .iter()
                .rposition(|x| x.name.as_deref() == Some(base.as_str()))
        {
            v.push(j);
        }
        for c in &s.instructions {
            let froms: Vec<String> = match &c.instruction {
                Instruction::Copy(cp) if !cp.from.is_empty() => vec![cp.from.clone()],
                Instruction::Run(r) => r
                    .mounts
                    .iter()
                    .filter_map(|m| {
                        m.split(',')
                            .find_map(|kv| kv.trim().strip_prefix("from=").map(str::to_string))
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for f in froms {
                if let Ok(FromRef::Stage(j)) = df.resolve_from(&f)
                    && j < i
                {
                    v.push(j);
                }
            }
        }
        v
    };
    let mut need = BTreeSet::new();
    let mut todo = vec![target];
    while let Some(i) = todo.pop() {
        if need.insert(i) {
            todo.extend(deps(i));
        }
    }
    need.into_iter().collect()
}

impl Builder {
    /// `--cache-from` as dockerd's classic builder takes it: the named images and their local
    /// ancestors are the only cache; names that resolve to nothing add nothing.
    fn cache_sources(&self, names: &[String]) -> Result<Option<BTreeSet<String>>, BuildError> {
        if names.is_empty() {
            return Ok(None);
        }
        let mut ids = BTreeSet::new();
        for name in names {
            let Ok(img) = self.store.resolve(name) else {
                continue;
            };
            let mut next = Some(img);
            while let Some(rec) = next {
                if !ids.insert(rec.id.to_string()) {
                    break;
                }
                next = match &rec.parent {
                    Some(p) => self
                        .store
                        .get(p)
                        .map_err(|e| BuildError::Internal(e.to_string()))?,
                    None => None,
                };
            }
        }
        Ok(Some(ids))
    }

    /// Reads the Dockerfile and `.dockerignore` from the context and checks the request, so
    /// that every error found here is answered before any output.
    pub fn prepare(&self, req: BuildRequest, mut ctx: Context) -> Result<Prepared, BuildError> {
        let mut file = if req.dockerfile.is_empty() {
            "Dockerfile".to_string()
        } else {
            crate::context::rel_path(&req.dockerfile)
        };
        let text = match ctx.read(&file) {
            Some(t) => t,
            None if file == "Dockerfile" && ctx.read("dockerfile").is_some() => {
                file = "dockerfile".into();
                ctx.read(&file).unwrap_or_default()
            }
            None => {
                return Err(BuildError::InvalidArgument(format!(
                    "Cannot locate specified Dockerfile: {file}"
                )));
            }
        };
        if text.is_empty() {
            return Err(BuildError::InvalidArgument(format!(
                "the Dockerfile ({file}) cannot be empty"
            )));
        }
        let text = String::from_utf8_lossy(&text).into_owned();
        let df = wharf_dockerfile::parse(&text).map_err(|e| parse_error(&file, e))?;
        let ignore_names = wharf_dockerfile::ignore::ignore_file_for(&file);
        if let Some(ign) = ignore_names.iter().find_map(|n| ctx.read(n))
            && let Ok(lines) = read_all(&String::from_utf8_lossy(&ign))
            && let Ok(patterns) = Patterns::new(&lines)
        {
            ctx.apply_ignore(&patterns);
        }
        let mut tags = Vec::new();
        for t in &req.tags {
            if t.is_empty() {
                continue;
            }
            let r = Reference::parse_normalized(t)
                .map_err(|e| BuildError::InvalidArgument(format!("invalid tag {t:?}: {e}")))?;
            if r.digest().is_some() {
                return Err(BuildError::InvalidArgument(
                    "build tag cannot contain a digest".into(),
                ));
            }
            let r = r.with_default_tag();
            if !tags.contains(&r) {
                tags.push(r);
            }
        }
        let target = if req.target.is_empty() {
            df.stages.len() - 1
        } else {
            df.stage_by_name(&req.target).ok_or_else(|| {
                BuildError::InvalidArgument(format!(
                    "target stage \"{}\" could not be found",
                    req.target
                ))
            })?
        };
        let platform = if req.platform.is_empty() {
            Platform::host()
        } else {
            Platform::parse(&req.platform).map_err(BuildError::InvalidArgument)?
        };
        let network = Network::from_mode(&req.network);
        match &network {
            Network::Bridge(name) if name.starts_with("container:") => {
                return Err(BuildError::InvalidArgument(format!(
                    "network mode \"{name}\" not supported by the builder (use default, host, none or a bridge network)"
                )));
            }
            Network::Bridge(name) if name != "bridge" => match &self.networks {
                Some(n) => n.check(name)?,
                None => return Err(NetworkError::NotFound(name.clone()).into()),
            },
            _ => {}
        }
        Ok(Prepared {
            req,
            ctx,
            df,
            file,
            tags,
            target,
            stages: Vec::new(),
            platform,
            network,
            puller: None,
        })
    }

    /// Runs a prepared build, writing the legacy progress stream to `out`. The error, if any,
    /// is also written to the stream.
    pub fn run(&self, mut p: Prepared, out: Arc<Output>) -> Result<Outcome, BuildError> {
        let r = self.run_inner(&mut p, &out);
        if let Err(e) = &r
            && (!matches!(e, BuildError::Cancelled) || !out.is_broken())
        {
            out.fail(&e.to_string(), e.code());
        }
        r
    }

    fn run_inner(&self, p: &mut Prepared, out: &Arc<Output>) -> Result<Outcome, BuildError> {
        let build_platform = Platform::host();
        let mut globals = GlobalArgs::new(p.req.build_args.clone(), &build_platform, &p.platform);
        let lexer = Lexer::new(p.df.escape_token);
        let epoch = match p.req.build_args.get("SOURCE_DATE_EPOCH") {
            Some(Some(v)) if !v.is_empty() => Some(v.trim().parse::<i64>().map_err(|_| {
                BuildError::InvalidArgument(format!("invalid SOURCE_DATE_EPOCH: {v}"))
            })?),
            _ => None,
        };
        let mut consumed_extra = BTreeSet::new();
        consumed_extra.insert("SOURCE_DATE_EPOCH".to_string());

        // Global ARGs: each default expanded with the ones before it.
        let mut step = 1usize;
        let stages = needed_stages(&p.df, p.target, &globals);
        p.stages = stages.clone();
        let label_steps = p.req.labels.len();
        let total = p.df.meta_args.len()
            + stages
                .iter()
                .map(|&i| 1 + p.df.stages[i].instructions.len())
                .sum::<usize>()
            + label_steps;
        for cmd in &p.df.meta_args {
            out.global(&format!("Step {step}/{total} : {}\n", cmd.source));
            step += 1;
            if let Instruction::Arg(defs) = &cmd.instruction {
                for d in defs {
                    let scope = globals.meta_scope();
                    let v =
                        match &d.value {
                            Some(v) => Some(lexer.process_word(v, &scope).map_err(|e| {
                                BuildError::Step {
                                    file: p.file.clone(),
                                    line: cmd.location.start_line,
                                    message: e.to_string(),
                                    code: 0,
                                }
                            })?),
                            None => None,
                        };
                    globals.declare_meta(&d.key, v);
                }
            }
        }
        let work = self
            .work_root
            .join(format!("build-{}", wharf_image::store::random_hex()));
        std::fs::create_dir_all(&work)
            .map_err(|e| BuildError::Internal(format!("creating {}: {e}", work.display())))?;
        let shared = Shared {
            b: self,
            req: &p.req,
            ctx: &p.ctx,
            df: &p.df,
            file: &p.file,
            globals: &globals,
            platform: p.platform.clone(),
            target: p.target,
            epoch,
            work: work.clone(),
            network: p.network.clone(),
            cache_sources: self.cache_sources(&p.req.cache_from)?,
            out: out.clone(),
            puller: p.puller.clone().or_else(|| self.puller.clone()),
            slots: Mutex::new((0..p.df.stages.len()).map(|_| Slot::Pending).collect()),
            ready: Condvar::new(),
            cancel: AtomicBool::new(false),
            hits: Mutex::new(Vec::new()),
            consumed: Mutex::new(consumed_extra),
            made: AtomicBool::new(false),
        };
        let mut starts = Vec::new();
        for &i in &stages {
            starts.push(step);
            step += 1 + p.df.stages[i].instructions.len();
        }
        let errors: Mutex<Vec<(usize, BuildError)>> = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for (order, &i) in stages.iter().enumerate() {
                let shared = &shared;
                let errors = &errors;
                let start = starts[order];
                s.spawn(move || {
                    let so = shared.out.stage(order);
                    // Steps commit without syncing; the build syncs once at the end.
                    let r = wharf_store::db::deferred(|| {
                        StageRun::new(shared, i, so.clone(), start, total).run()
                    });
                    match r {
                        Ok(img) => shared.set_slot(i, Slot::Done(Box::new(img))),
                        Err(e) => {
                            shared.cancel.store(true, Ordering::Relaxed);
                            shared.set_slot(i, Slot::Failed);
                            errors
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push((order, e));
                        }
                    }
                    so.finish();
                });
            }
        });
        let _ = std::fs::remove_dir_all(&work);
        if shared.made.load(Ordering::Relaxed) {
            // Make the steps' files durable, then their records (which the deferred commits
            // kept in memory) with one durable commit.
            let t = std::time::Instant::now();
            wharf_store::fsutil::syncfs(&self.work_root)?;
            self.store.db().write(|_| Ok(()))?;
            tracing::debug!(ms = t.elapsed().as_secs_f64() * 1e3, "build synced");
        }
        let hits = std::mem::take(&mut *shared.hits.lock().unwrap_or_else(|e| e.into_inner()));
        let _ = wharf_store::db::deferred(|| self.cache.touch(&hits));
        let mut errors = errors.into_inner().unwrap_or_else(|e| e.into_inner());
        errors.sort_by_key(|(o, _)| *o);
        if let Some(pos) = errors
            .iter()
            .position(|(_, e)| !matches!(e, BuildError::Cancelled))
        {
            return Err(errors.swap_remove(pos).1);
        }
        if !errors.is_empty() {
            return Err(BuildError::Cancelled);
        }
        let final_image = shared.wait_stage(p.target).ok_or(BuildError::Cancelled)?;
        let Some(id) = final_image.id.clone() else {
            return Err(BuildError::InvalidArgument(
                "No image was generated. Is your Dockerfile empty?".into(),
            ));
        };
        let consumed = shared
            .consumed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        globals.mark_consumed(consumed);
        let unused = globals.unconsumed();
        if !unused.is_empty() {
            out.global(&format!(
                "[Warning] One or more build-args [{}] were not consumed\n",
                unused.join(" ")
            ));
        }
        out.global(&format!("Successfully built {}\n", short(id.as_str())));
        let mut tagged = Vec::new();
        for t in &p.tags {
            // A rebuild that made the same image leaves its tag as it is (no write).
            if self.store.lookup_ref(t)?.as_ref() != Some(&id) {
                self.store.add_ref(&id, t)?;
            }
            out.global(&format!("Successfully tagged {}\n", t.familiar_string()));
            tagged.push(t.familiar_string());
        }
        out.quiet_result(id.as_str());
        Ok(Outcome { id, tags: tagged })
    }
}
