//! OCI `linux.seccomp` → classic BPF.
//!
//! Program shape:
//! ```text
//!   ld arch; jeq AUDIT_ARCH_a → section a; ...; ret KILL_PROCESS   (arch not in filter)
//! section: ld nr; (x86_64: jset X32_BIT → x32 dispatch or KILL)
//!   dispatch: binary search over syscall-number intervals; each leaf is a `ret` or,
//!   for syscalls with argument rules, the rules in order (first match wins) followed
//!   by the syscall's unconditional action (or the default action).
//! ```
//! Semantics follow runc + libseccomp: unknown syscall names are skipped; a rule whose
//! action equals the default action is dropped; syscall numbers above the largest one
//! the filter names for an arch get `ENOSYS` (runc's patchbpf) unless the default
//! action is ALLOW, LOG or TRACE, so libc falls back from syscalls the profile predates.
//! Argument comparisons are unsigned 64-bit, done as two 32-bit halves.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::arch::X32_SYSCALL_BIT;
use crate::bpf::{Asm, BPF_MAXINSNS, Cond, Label};
use crate::{Action, Arch, Arg, BpfProgram, CmpOp, SeccompError};

const RET_KILL_THREAD: u32 = 0x0000_0000;
const RET_KILL_PROCESS: u32 = 0x8000_0000;
const RET_TRAP: u32 = 0x0003_0000;
const RET_ERRNO: u32 = 0x0005_0000;
const RET_TRACE: u32 = 0x7ff0_0000;
const RET_LOG: u32 = 0x7ffc_0000;
const RET_ALLOW: u32 = 0x7fff_0000;
const EPERM: u32 = 1;
const ENOSYS: u32 = 38;
const MAX_ERRNO: u32 = 4095;
/// What a syscall from an architecture the filter does not cover gets.
const RET_BAD_ARCH: u32 = RET_KILL_PROCESS;

/// Offsets in `struct seccomp_data`.
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
const OFF_ARGS: u32 = 16;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OciSeccomp {
    default_action: Action,
    default_errno_ret: Option<u32>,
    #[serde(default)]
    architectures: Vec<String>,
    #[serde(default)]
    flags: Vec<String>,
    listener_path: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OciSyscall {
    names: Vec<String>,
    action: Action,
    errno_ret: Option<u32>,
    #[serde(default)]
    args: Vec<Arg>,
}

/// One rule for one syscall number: all `args` must match for `ret` to apply.
#[derive(Debug, Clone)]
struct NrRule {
    args: Vec<Arg>,
    ret: u32,
}

/// Rules per syscall number, for one arch.
type ArchRules = BTreeMap<u32, Vec<NrRule>>;

/// Compile an OCI runtime-spec `linux.seccomp` object.
pub fn compile_oci(oci: &Value) -> Result<BpfProgram, SeccompError> {
    let cfg =
        OciSeccomp::deserialize(oci).map_err(|e| SeccompError::InvalidConfig(e.to_string()))?;
    if cfg.listener_path.as_deref().is_some_and(|p| !p.is_empty()) {
        return Err(SeccompError::InvalidConfig(
            "listenerPath (SCMP_ACT_NOTIFY) is not supported".into(),
        ));
    }
    let default_ret = action_ret(cfg.default_action, cfg.default_errno_ret)
        .map_err(|reason| SeccompError::InvalidConfig(format!("defaultAction: {reason}")))?;
    let flags = parse_flags(&cfg.flags)?;
    // Rules are read one by one (borrowed, not cloned) so errors can name the rule.
    let syscalls: &[Value] = match oci.get("syscalls") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(SeccompError::InvalidConfig(
                "syscalls: expected an array".into(),
            ));
        }
    };
    let arches = parse_arches(&cfg.architectures)?;

    let mut per_arch: BTreeMap<Arch, ArchRules> =
        arches.iter().map(|a| (*a, ArchRules::new())).collect();
    for (index, raw) in syscalls.iter().enumerate() {
        let rule_err = |reason: String| SeccompError::Rule {
            index,
            names: rule_names(raw),
            reason,
        };
        let call = OciSyscall::deserialize(raw).map_err(|e| rule_err(e.to_string()))?;
        if call.names.is_empty() {
            return Err(rule_err("no syscall names".into()));
        }
        if let Some(bad) = call.args.iter().find(|a| a.index > 5) {
            return Err(rule_err(format!(
                "argument index {} is not 0..=5",
                bad.index
            )));
        }
        let ret = action_ret(call.action, call.errno_ret).map_err(rule_err)?;
        if ret == default_ret {
            continue;
        }
        for (arch, rules) in per_arch.iter_mut() {
            for name in &call.names {
                if let Some(nr) = arch.syscall_nr(name) {
                    rules.entry(nr).or_default().push(NrRule {
                        args: call.args.clone(),
                        ret,
                    });
                }
            }
        }
    }

    let enosys_above = !matches!(
        cfg.default_action,
        Action::Allow | Action::Log | Action::Trace
    );
    let generator = Gen {
        default_ret,
        enosys_above,
    };
    let insns = generator.program(&per_arch);
    if insns.len() > BPF_MAXINSNS {
        return Err(SeccompError::TooLong {
            len: insns.len(),
            max: BPF_MAXINSNS,
        });
    }
    Ok(BpfProgram { insns, flags })
}

fn rule_names(raw: &Value) -> String {
    match raw.get("names").and_then(Value::as_array) {
        Some(names) => names
            .iter()
            .map(|n| n.as_str().unwrap_or("?"))
            .collect::<Vec<_>>()
            .join(","),
        None => "no names".into(),
    }
}

/// The `SECCOMP_RET_*` value of an action.
fn action_ret(action: Action, errno: Option<u32>) -> Result<u32, String> {
    let data = errno.unwrap_or(EPERM);
    if data > MAX_ERRNO {
        return Err(format!("errnoRet {data} is larger than {MAX_ERRNO}"));
    }
    Ok(match action {
        Action::Kill | Action::KillThread => RET_KILL_THREAD,
        Action::KillProcess => RET_KILL_PROCESS,
        Action::Trap => RET_TRAP,
        Action::Errno => RET_ERRNO | data,
        Action::Trace => RET_TRACE | data,
        Action::Log => RET_LOG,
        Action::Allow => RET_ALLOW,
        Action::Notify => return Err("SCMP_ACT_NOTIFY is not supported".into()),
    })
}

fn parse_flags(flags: &[String]) -> Result<u32, SeccompError> {
    flags.iter().try_fold(0, |acc, f| {
        let bit = match f.as_str() {
            "SECCOMP_FILTER_FLAG_TSYNC" => 1,
            "SECCOMP_FILTER_FLAG_LOG" => 2,
            "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => 4,
            "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" => 32,
            other => {
                return Err(SeccompError::InvalidConfig(format!(
                    "unsupported flag {other}"
                )));
            }
        };
        Ok(acc | bit)
    })
}

/// OCI arch names → arches; empty means the native one.
fn parse_arches(names: &[String]) -> Result<Vec<Arch>, SeccompError> {
    let mut arches = Vec::new();
    for n in names {
        let a = Arch::from_scmp(n).ok_or_else(|| SeccompError::UnsupportedArch(n.clone()))?;
        if !arches.contains(&a) {
            arches.push(a);
        }
    }
    if arches.is_empty() {
        arches.push(Arch::native());
    }
    Ok(arches)
}

/// What a syscall-number interval leads to.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Ret(u32),
    Rules(Vec<NrRule>, u32),
}

impl PartialEq for NrRule {
    fn eq(&self, other: &Self) -> bool {
        self.ret == other.ret && self.args == other.args
    }
}

struct Gen {
    default_ret: u32,
    enosys_above: bool,
}

impl Gen {
    fn program(&self, per_arch: &BTreeMap<Arch, ArchRules>) -> Vec<crate::SockFilter> {
        let mut asm = Asm::default();
        let bad_arch = asm.label();
        // Group by audit arch: x86_64 and x32 share one.
        let mut sections: Vec<(u32, Vec<Arch>)> = Vec::new();
        for arch in per_arch.keys() {
            match sections.iter_mut().find(|(a, _)| *a == arch.audit_arch()) {
                Some((_, v)) => v.push(*arch),
                None => sections.push((arch.audit_arch(), vec![*arch])),
            }
        }
        let labels: Vec<Label> = sections.iter().map(|_| asm.label()).collect();
        asm.load(OFF_ARCH);
        for ((audit, _), l) in sections.iter().zip(&labels) {
            let next = asm.label();
            asm.jump(Cond::Eq, *audit, *l, next);
            asm.place(next);
        }
        asm.place(bad_arch);
        asm.ret(RET_BAD_ARCH);

        for ((_, arches), l) in sections.iter().zip(&labels) {
            asm.place(*l);
            asm.load(OFF_NR);
            let native = arches.iter().find(|a| **a != Arch::X32);
            let x32 = arches.contains(&Arch::X32);
            let is_x86_64 = arches.iter().any(|a| matches!(a, Arch::X86_64 | Arch::X32));
            if is_x86_64 {
                // Jumps only go forward: a missing half gets its own `ret`.
                let (x32_l, native_l) = (asm.label(), asm.label());
                asm.jump(Cond::Set, X32_SYSCALL_BIT, x32_l, native_l);
                if native.is_none() {
                    asm.place(native_l);
                    asm.ret(RET_BAD_ARCH);
                }
                if !x32 {
                    asm.place(x32_l);
                    asm.ret(RET_BAD_ARCH);
                }
                if let Some(a) = native {
                    asm.place(native_l);
                    self.dispatch(&mut asm, &per_arch[a], 0, X32_SYSCALL_BIT - 1);
                }
                if x32 {
                    asm.place(x32_l);
                    self.dispatch(&mut asm, &per_arch[&Arch::X32], X32_SYSCALL_BIT, u32::MAX);
                }
            } else if let Some(a) = native {
                self.dispatch(&mut asm, &per_arch[a], 0, u32::MAX);
            }
        }
        asm.finish()
    }

    /// Decide on `A` = syscall number, known to be in `lo..=hi`.
    fn dispatch(&self, asm: &mut Asm, rules: &ArchRules, lo: u32, hi: u32) {
        let mut intervals: Vec<(u32, Outcome)> = Vec::new();
        let mut push = |start: u32, o: Outcome| {
            if intervals.last().is_none_or(|(_, last)| *last != o) {
                intervals.push((start, o));
            }
        };
        let mut next = lo;
        for (&nr, nr_rules) in rules.range(lo..=hi) {
            if nr > next {
                push(next, Outcome::Ret(self.default_ret));
            }
            push(nr, self.outcome(nr_rules));
            next = nr.saturating_add(1);
        }
        let max_known = rules.range(lo..=hi).next_back().map(|(nr, _)| *nr);
        if max_known.is_none_or(|m| m < hi) {
            let tail = if self.enosys_above && max_known.is_some() {
                RET_ERRNO | ENOSYS
            } else {
                self.default_ret
            };
            push(next, Outcome::Ret(tail));
        }
        self.tree(asm, &intervals);
    }

    fn outcome(&self, rules: &[NrRule]) -> Outcome {
        let fallback = rules
            .iter()
            .find(|r| r.args.is_empty())
            .map_or(self.default_ret, |r| r.ret);
        let conditional: Vec<NrRule> = rules
            .iter()
            .filter(|r| !r.args.is_empty())
            .cloned()
            .collect();
        if conditional.is_empty() {
            Outcome::Ret(fallback)
        } else {
            Outcome::Rules(conditional, fallback)
        }
    }

    /// Binary search over interval starts.
    fn tree(&self, asm: &mut Asm, intervals: &[(u32, Outcome)]) {
        if let [(_, outcome)] = intervals {
            match outcome {
                Outcome::Ret(k) => asm.ret(*k),
                Outcome::Rules(rules, fallback) => Self::rules(asm, rules, *fallback),
            }
            return;
        }
        let mid = intervals.len() / 2;
        let (left, right) = (asm.label(), asm.label());
        asm.jump(Cond::Ge, intervals[mid].0, right, left);
        asm.place(left);
        self.tree(asm, &intervals[..mid]);
        asm.place(right);
        self.tree(asm, &intervals[mid..]);
    }

    /// First rule whose comparisons all hold wins; else `fallback`.
    fn rules(asm: &mut Asm, rules: &[NrRule], fallback: u32) {
        for rule in rules {
            let next_rule = asm.label();
            for arg in &rule.args {
                compare(asm, arg, next_rule);
            }
            asm.ret(rule.ret);
            asm.place(next_rule);
        }
        asm.ret(fallback);
    }
}

/// Fall through if `arg` holds, else jump to `fail`. Clobbers `A`.
fn compare(asm: &mut Asm, arg: &Arg, fail: Label) {
    let lo_off = OFF_ARGS + 8 * arg.index;
    let hi_off = lo_off + 4; // little-endian arches only
    let (v, v2) = (arg.value, arg.value_two);
    let (hi, lo) = ((v >> 32) as u32, v as u32);
    let ok = asm.label();
    let cont = asm.label();
    match arg.op {
        CmpOp::Eq | CmpOp::Ne => {
            let (m, f) = if arg.op == CmpOp::Eq {
                (ok, fail)
            } else {
                (fail, ok)
            };
            asm.load(hi_off);
            asm.jump(Cond::Eq, hi, cont, f);
            asm.place(cont);
            asm.load(lo_off);
            asm.jump(Cond::Eq, lo, m, f);
        }
        CmpOp::MaskedEq => {
            let (dhi, dlo) = ((v2 >> 32) as u32, v2 as u32);
            asm.load(hi_off);
            asm.and(hi);
            asm.jump(Cond::Eq, dhi, cont, fail);
            asm.place(cont);
            asm.load(lo_off);
            asm.and(lo);
            asm.jump(Cond::Eq, dlo, ok, fail);
        }
        CmpOp::Gt | CmpOp::Ge | CmpOp::Lt | CmpOp::Le => {
            // GT/GE hold when the high word is greater, or equal with the low word
            // greater (or equal); LT/LE are their negations.
            let positive = matches!(arg.op, CmpOp::Gt | CmpOp::Ge);
            let (yes, no) = if positive { (ok, fail) } else { (fail, ok) };
            let low_cond = if matches!(arg.op, CmpOp::Gt | CmpOp::Le) {
                Cond::Gt
            } else {
                Cond::Ge
            };
            let eq_hi = asm.label();
            asm.load(hi_off);
            asm.jump(Cond::Gt, hi, yes, eq_hi);
            asm.place(eq_hi);
            asm.jump(Cond::Eq, hi, cont, no);
            asm.place(cont);
            asm.load(lo_off);
            asm.jump(low_cond, lo, yes, no);
        }
    }
    asm.place(ok);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::bpf::interpret;
    use crate::{KernelVersion, default_profile, to_oci_for_kernel};

    const CLONE_NEWUSER: u64 = 0x1000_0000;

    fn docker_x86_64(caps: &[&str]) -> BpfProgram {
        let caps: Vec<String> = caps.iter().map(|c| c.to_string()).collect();
        let oci = to_oci_for_kernel(
            &default_profile(),
            &caps,
            Arch::X86_64,
            KernelVersion::parse("6.1"),
        );
        compile_oci(&oci).unwrap()
    }

    fn run(p: &BpfProgram, arch: Arch, name: &str, args: [u64; 6]) -> u32 {
        let nr = arch.syscall_nr(name).unwrap();
        interpret(p.instructions(), nr, arch.audit_arch(), args)
    }

    #[test]
    fn default_profile_decisions() {
        let p = docker_x86_64(&["CAP_CHOWN", "CAP_SETUID"]);
        let eperm = RET_ERRNO | EPERM;
        let x64 = Arch::X86_64;
        assert_eq!(run(&p, x64, "read", [0; 6]), RET_ALLOW);
        assert_eq!(run(&p, x64, "mount", [0; 6]), eperm);
        assert_eq!(run(&p, x64, "kexec_load", [0; 6]), eperm);
        assert_eq!(
            run(&p, x64, "unshare", [CLONE_NEWUSER, 0, 0, 0, 0, 0]),
            eperm
        );
        assert_eq!(run(&p, x64, "clone3", [0; 6]), RET_ERRNO | ENOSYS);
        assert_eq!(run(&p, x64, "clone", [0x11, 0, 0, 0, 0, 0]), RET_ALLOW);
        assert_eq!(
            run(&p, x64, "clone", [CLONE_NEWUSER | 0x11, 0, 0, 0, 0, 0]),
            eperm
        );
        assert_eq!(
            run(&p, x64, "personality", [0xffff_ffff, 0, 0, 0, 0, 0]),
            RET_ALLOW
        );
        assert_eq!(run(&p, x64, "personality", [8, 0, 0, 0, 0, 0]), RET_ALLOW);
        assert_eq!(run(&p, x64, "personality", [1, 0, 0, 0, 0, 0]), eperm);
        // High bits must count: 0x1_ffff_ffff is not 0xffff_ffff.
        assert_eq!(
            run(&p, x64, "personality", [0x1_ffff_ffff, 0, 0, 0, 0, 0]),
            eperm
        );
        for (domain, want) in [
            (1, RET_ALLOW),
            (39, RET_ALLOW),
            (40, eperm),
            (41, RET_ALLOW),
        ] {
            assert_eq!(
                run(&p, x64, "socket", [domain, 0, 0, 0, 0, 0]),
                want,
                "AF {domain}"
            );
        }
        // Compat arches of the x86_64 profile.
        assert_eq!(run(&p, Arch::X86, "read", [0; 6]), RET_ALLOW);
        assert_eq!(run(&p, Arch::X86, "socketcall", [0; 6]), RET_ALLOW);
        assert_eq!(run(&p, Arch::X86, "mount", [0; 6]), eperm);
        assert_eq!(run(&p, Arch::X32, "read", [0; 6]), RET_ALLOW);
        assert_eq!(run(&p, Arch::X32, "mount", [0; 6]), eperm);
        // Syscalls newer than the profile: ENOSYS so libc falls back.
        let x64_arch = x64.audit_arch();
        assert_eq!(
            interpret(p.instructions(), 1000, x64_arch, [0; 6]),
            RET_ERRNO | ENOSYS
        );
        assert_eq!(
            interpret(p.instructions(), X32_SYSCALL_BIT | 1000, x64_arch, [0; 6]),
            RET_ERRNO | ENOSYS
        );
        // Holes below the largest known number keep the default action.
        let hole = (0..400).find(|nr| !crate::tables::X86_64.iter().any(|(_, n)| n == nr));
        if let Some(nr) = hole {
            assert_eq!(interpret(p.instructions(), nr, x64_arch, [0; 6]), eperm);
        }
        // An architecture outside the filter is killed.
        let arm = Arch::Aarch64.audit_arch();
        assert_eq!(
            interpret(p.instructions(), 63, arm, [0; 6]),
            RET_KILL_PROCESS
        );
    }

    #[test]
    fn sys_admin_gets_namespaces() {
        let p = docker_x86_64(&["CAP_SYS_ADMIN"]);
        let x64 = Arch::X86_64;
        assert_eq!(run(&p, x64, "mount", [0; 6]), RET_ALLOW);
        assert_eq!(run(&p, x64, "clone3", [0; 6]), RET_ALLOW);
        assert_eq!(
            run(&p, x64, "clone", [CLONE_NEWUSER, 0, 0, 0, 0, 0]),
            RET_ALLOW
        );
    }

    #[test]
    fn aarch64_profile() {
        let oci = to_oci_for_kernel(&default_profile(), &[], Arch::Aarch64, None);
        let p = compile_oci(&oci).unwrap();
        assert_eq!(run(&p, Arch::Aarch64, "read", [0; 6]), RET_ALLOW);
        assert_eq!(run(&p, Arch::Aarch64, "mount", [0; 6]), RET_ERRNO | EPERM);
        assert_eq!(run(&p, Arch::Arm, "cacheflush", [0; 6]), RET_ALLOW);
        assert_eq!(run(&p, Arch::Arm, "read", [0; 6]), RET_ALLOW);
    }

    #[test]
    fn all_comparison_ops_64_bit() {
        let big = 0x1_0000_0005_u64;
        let cases = [
            (
                "SCMP_CMP_EQ",
                big,
                [(big, true), (5, false), (big + 1, false)],
            ),
            ("SCMP_CMP_NE", big, [(big, false), (5, true), (0, true)]),
            (
                "SCMP_CMP_GT",
                big,
                [(big + 1, true), (big, false), (0x2_0000_0000, true)],
            ),
            (
                "SCMP_CMP_GE",
                big,
                [(big, true), (big - 1, false), (6, false)],
            ),
            (
                "SCMP_CMP_LT",
                big,
                [(big - 1, true), (big, false), (0x2_0000_0000, false)],
            ),
            (
                "SCMP_CMP_LE",
                big,
                [(big, true), (big + 1, false), (u64::MAX, false)],
            ),
        ];
        for (op, value, probes) in cases {
            let oci = json!({
                "defaultAction": "SCMP_ACT_ALLOW",
                "architectures": ["SCMP_ARCH_X86_64"],
                "syscalls": [{"names": ["lseek"], "action": "SCMP_ACT_ERRNO", "errnoRet": 75,
                              "args": [{"index": 1, "value": value, "op": op}]}]
            });
            let p = compile_oci(&oci).unwrap();
            for (arg, matches) in probes {
                let want = if matches { RET_ERRNO | 75 } else { RET_ALLOW };
                let got = run(&p, Arch::X86_64, "lseek", [3, arg, 0, 0, 0, 0]);
                assert_eq!(got, want, "{op} {value:#x} vs {arg:#x}");
            }
        }
        let oci = json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": ["lseek"], "action": "SCMP_ACT_KILL_PROCESS",
                          "args": [{"index": 2, "value": 0xf0000000f_u64, "valueTwo": 0x100000001_u64,
                                    "op": "SCMP_CMP_MASKED_EQ"}]}]
        });
        let p = compile_oci(&oci).unwrap();
        assert_eq!(
            run(&p, Arch::X86_64, "lseek", [0, 0, 0x1_0000_00f1, 0, 0, 0]),
            RET_KILL_PROCESS
        );
        assert_eq!(
            run(&p, Arch::X86_64, "lseek", [0, 0, 0x1_0000_00f2, 0, 0, 0]),
            RET_ALLOW
        );
    }

    #[test]
    fn actions_and_flags() {
        let oci = json!({
            "defaultAction": "SCMP_ACT_ERRNO",
            "defaultErrnoRet": 38,
            "flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG"],
            "syscalls": [
                {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["write"], "action": "SCMP_ACT_LOG"},
                {"names": ["open"], "action": "SCMP_ACT_TRAP"},
                {"names": ["close"], "action": "SCMP_ACT_KILL"},
                {"names": ["dup"], "action": "SCMP_ACT_TRACE", "errnoRet": 7},
                {"names": ["dup2"], "action": "SCMP_ACT_ERRNO"},
                {"names": ["no_such_syscall", "getpid"], "action": "SCMP_ACT_ALLOW"}
            ]
        });
        let p = compile_oci(&oci).unwrap();
        assert_eq!(p.flags(), 3);
        let a = Arch::native();
        assert_eq!(run(&p, a, "read", [0; 6]), RET_ALLOW);
        assert_eq!(run(&p, a, "getpid", [0; 6]), RET_ALLOW);
        assert_eq!(run(&p, a, "write", [0; 6]), RET_LOG);
        assert_eq!(run(&p, a, "close", [0; 6]), RET_KILL_THREAD);
        assert_eq!(run(&p, a, "dup", [0; 6]), RET_TRACE | 7);
        assert_eq!(run(&p, a, "dup2", [0; 6]), RET_ERRNO | EPERM);
        assert_eq!(run(&p, a, "mount", [0; 6]), RET_ERRNO | 38);
        if a == Arch::X86_64 {
            assert_eq!(run(&p, a, "open", [0; 6]), RET_TRAP);
        }
    }

    #[test]
    fn errors_name_the_rule() {
        let bad = |rule: Value| {
            let oci = json!({"defaultAction": "SCMP_ACT_ERRNO",
                             "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, rule]});
            compile_oci(&oci).unwrap_err().to_string()
        };
        let e = bad(json!({"names": ["write"], "action": "SCMP_ACT_ALLOW",
                           "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ALMOST"}]}));
        assert!(
            e.starts_with("seccomp rule 1 (write):") && e.contains("SCMP_CMP_ALMOST"),
            "{e}"
        );
        let e = bad(json!({"names": ["write"], "action": "SCMP_ACT_ALLOW",
                           "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}));
        assert!(e.contains("rule 1 (write)") && e.contains("index 6"), "{e}");
        let e = bad(json!({"names": ["dup"], "action": "SCMP_ACT_NOTIFY"}));
        assert!(e.contains("rule 1 (dup)") && e.contains("NOTIFY"), "{e}");
        let e = bad(json!({"names": ["dup"], "action": "SCMP_ACT_ERRNO", "errnoRet": 70000}));
        assert!(e.contains("rule 1 (dup)") && e.contains("70000"), "{e}");
        let e = bad(json!({"names": ["dup"], "action": "SCMP_ACT_DANCE"}));
        assert!(e.contains("rule 1 (dup)"), "{e}");
        let e = compile_oci(&json!({"defaultAction": "SCMP_ACT_ALLOW",
                                    "architectures": ["SCMP_ARCH_PPC64LE"]}))
        .unwrap_err()
        .to_string();
        assert!(e.contains("SCMP_ARCH_PPC64LE"), "{e}");
    }

    #[test]
    fn docker_profile_size_fits() {
        for caps in [&[][..], &["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"][..]] {
            let p = docker_x86_64(caps);
            assert!(p.len() < 1000, "{} instructions", p.len());
        }
    }
}
