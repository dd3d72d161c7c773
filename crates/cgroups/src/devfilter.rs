//! Device rules as a `BPF_PROG_TYPE_CGROUP_DEVICE` program: cgroup v2 has no `devices.allow`,
//! the kernel asks an eBPF program attached to the cgroup instead.
//!
//! The program sees `struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }`,
//! where `access_type` is `(access << 16) | type`, and returns 1 to allow, 0 to deny. Rules
//! keep their OCI (and v1 `devices.allow`/`deny`) meaning: applied in order, the last rule
//! that matches decides, and nothing matching means deny. So the program checks the rules
//! from the last to the first and returns at the first match:
//! - an allow rule matches when the requested access is a subset of the rule's;
//! - a deny rule matches when the requested access shares anything with the rule's.

use crate::devices::DeviceRule;

/// One eBPF instruction, in the kernel's `struct bpf_insn` layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Insn {
    pub code: u8,
    /// `dst_reg` in the low nibble, `src_reg` in the high one.
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}

// Opcodes (linux/bpf_common.h, linux/bpf.h).
const LDX_MEM_W: u8 = 0x61;
const ALU64_AND_K: u8 = 0x57;
const ALU64_RSH_K: u8 = 0x77;
const ALU64_MOV_K: u8 = 0xb7;
const ALU64_MOV_X: u8 = 0xbf;
const JMP_JNE_K: u8 = 0x55;
const JMP_JEQ_K: u8 = 0x15;
const JMP_EXIT: u8 = 0x95;

// Registers: r1 is the context; r2 type, r3 access, r4 major, r5 minor, r6 scratch.
const CTX: u8 = 1;
const TYPE: u8 = 2;
const ACCESS: u8 = 3;
const MAJOR: u8 = 4;
const MINOR: u8 = 5;
const SCRATCH: u8 = 6;

/// `BPF_DEVCG_DEV_BLOCK`, `BPF_DEVCG_DEV_CHAR`.
const DEV_BLOCK: i32 = 1;
const DEV_CHAR: i32 = 2;

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        regs: dst | (src << 4),
        off,
        imm,
    }
}

/// The rule's access as the kernel's bits: mknod 1, read 2, write 4.
fn access_bits(access: &str) -> i32 {
    access.chars().fold(0, |acc, c| {
        acc | match c {
            'm' => 1,
            'r' => 2,
            'w' => 4,
            _ => 0,
        }
    })
}

/// The tests of one rule, each a jump past its verdict when it fails.
fn rule_checks(r: &DeviceRule) -> Vec<Insn> {
    let mut checks = Vec::new();
    match r.kind {
        'c' => checks.push(insn(JMP_JNE_K, TYPE, 0, 0, DEV_CHAR)),
        'b' => checks.push(insn(JMP_JNE_K, TYPE, 0, 0, DEV_BLOCK)),
        _ => {}
    }
    let bits = access_bits(&r.access);
    if r.allow && bits != 7 {
        // Allowed only if nothing outside the rule's access is asked for.
        checks.push(insn(ALU64_MOV_X, SCRATCH, ACCESS, 0, 0));
        checks.push(insn(ALU64_AND_K, SCRATCH, 0, 0, !bits & 7));
        checks.push(insn(JMP_JNE_K, SCRATCH, 0, 0, 0));
    } else if !r.allow && bits != 7 {
        // Denied if any of the rule's access is asked for.
        checks.push(insn(ALU64_MOV_X, SCRATCH, ACCESS, 0, 0));
        checks.push(insn(ALU64_AND_K, SCRATCH, 0, 0, bits));
        checks.push(insn(JMP_JEQ_K, SCRATCH, 0, 0, 0));
    }
    // Type `a` means every device, whatever the numbers (as for v1).
    if r.kind != 'a' {
        if let Some(m) = r.major {
            checks.push(insn(JMP_JNE_K, MAJOR, 0, 0, m as i32));
        }
        if let Some(m) = r.minor {
            checks.push(insn(JMP_JNE_K, MINOR, 0, 0, m as i32));
        }
    }
    checks
}

/// The program for `rules` (in OCI order).
pub(crate) fn program(rules: &[DeviceRule]) -> Vec<Insn> {
    let mut p = vec![
        insn(LDX_MEM_W, TYPE, CTX, 0, 0),
        insn(ALU64_AND_K, TYPE, 0, 0, 0xffff),
        insn(LDX_MEM_W, ACCESS, CTX, 0, 0),
        insn(ALU64_RSH_K, ACCESS, 0, 0, 16),
        insn(LDX_MEM_W, MAJOR, CTX, 4, 0),
        insn(LDX_MEM_W, MINOR, CTX, 8, 0),
    ];
    for r in rules.iter().rev() {
        let mut block = rule_checks(r);
        let verdict = [
            insn(ALU64_MOV_K, 0, 0, 0, i32::from(r.allow)),
            insn(JMP_EXIT, 0, 0, 0, 0),
        ];
        // Every check jumps over the rest of the block and the verdict when it fails.
        let n = block.len();
        for (i, c) in block.iter_mut().enumerate() {
            if c.code == JMP_JNE_K || c.code == JMP_JEQ_K {
                c.off = (n - i - 1 + verdict.len()) as i16;
            }
        }
        let unconditional = block.is_empty();
        p.extend(block);
        p.extend(verdict);
        if unconditional {
            // Earlier rules can never decide (and the verifier refuses unreachable code).
            return p;
        }
    }
    p.push(insn(ALU64_MOV_K, 0, 0, 0, 0));
    p.push(insn(JMP_EXIT, 0, 0, 0, 0));
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LinuxDeviceCgroup;

    /// Runs `prog` on one access the way the kernel would (only the opcodes we emit).
    fn run(prog: &[Insn], kind: i32, access: i32, major: u32, minor: u32) -> u64 {
        let ctx = [((access as u32) << 16) | kind as u32, major, minor];
        let mut r = [0u64; 11];
        let mut pc = 0usize;
        loop {
            let i = prog[pc];
            let (dst, src) = ((i.regs & 0xf) as usize, (i.regs >> 4) as usize);
            let imm = i.imm as i64 as u64;
            pc += 1;
            match i.code {
                LDX_MEM_W => {
                    assert_eq!(src, CTX as usize);
                    r[dst] = u64::from(ctx[i.off as usize / 4]);
                }
                ALU64_AND_K => r[dst] &= imm,
                ALU64_RSH_K => r[dst] >>= imm,
                ALU64_MOV_K => r[dst] = imm,
                ALU64_MOV_X => r[dst] = r[src],
                JMP_JNE_K if r[dst] != imm => pc += i.off as usize,
                JMP_JEQ_K if r[dst] == imm => pc += i.off as usize,
                JMP_JNE_K | JMP_JEQ_K => {}
                JMP_EXIT => return r[0],
                c => panic!("unexpected opcode {c:#x}"),
            }
        }
    }

    fn rule(allow: bool, kind: &str, major: i64, minor: i64, access: &str) -> DeviceRule {
        DeviceRule::parse(&LinuxDeviceCgroup {
            allow,
            kind: Some(kind.into()),
            major: Some(major),
            minor: Some(minor),
            access: Some(access.into()),
        })
        .unwrap()
    }

    const R: i32 = 2;
    const W: i32 = 4;
    const M: i32 = 1;

    #[test]
    fn docker_defaults_allow_listed_devices_only() {
        let rules = vec![
            rule(false, "a", -1, -1, "rwm"),
            rule(true, "c", 1, 3, "rwm"),     // null
            rule(true, "c", 136, -1, "rwm"),  // pts
            rule(true, "c", -1, -1, "m"),     // mknod of any char device
            rule(false, "c", 10, 229, "rwm"), // fuse
        ];
        let p = program(&rules);
        assert_eq!(run(&p, DEV_CHAR, R | W, 1, 3), 1, "/dev/null");
        assert_eq!(run(&p, DEV_CHAR, R, 136, 7), 1, "/dev/pts/7");
        assert_eq!(run(&p, DEV_CHAR, R, 1, 1), 0, "/dev/mem");
        assert_eq!(run(&p, DEV_BLOCK, R, 8, 0), 0, "/dev/sda");
        assert_eq!(run(&p, DEV_BLOCK, M, 8, 0), 0, "mknod of a block device");
        assert_eq!(run(&p, DEV_CHAR, M, 4, 0), 1, "mknod of a char device");
        assert_eq!(
            run(&p, DEV_CHAR, R | M, 4, 0),
            0,
            "read of an unlisted char device"
        );
        assert_eq!(run(&p, DEV_CHAR, R, 10, 229), 0, "fuse denied last");
    }

    #[test]
    fn the_last_matching_rule_decides() {
        let allow_then_deny_write = vec![rule(true, "c", 5, 1, "rwm"), rule(false, "c", 5, 1, "w")];
        let p = program(&allow_then_deny_write);
        assert_eq!(run(&p, DEV_CHAR, R, 5, 1), 1);
        assert_eq!(run(&p, DEV_CHAR, W, 5, 1), 0);
        assert_eq!(run(&p, DEV_CHAR, R | W, 5, 1), 0);
        let deny_then_allow = vec![rule(false, "a", -1, -1, "rwm"), rule(true, "b", 8, -1, "r")];
        let p = program(&deny_then_allow);
        assert_eq!(run(&p, DEV_BLOCK, R, 8, 16), 1);
        assert_eq!(run(&p, DEV_BLOCK, R | W, 8, 16), 0);
        assert_eq!(run(&p, DEV_CHAR, R, 8, 16), 0);
    }

    #[test]
    fn no_rule_denies_and_allow_all_allows() {
        assert_eq!(run(&program(&[]), DEV_CHAR, R, 1, 3), 0);
        let p = program(&[rule(true, "a", -1, -1, "rwm")]);
        assert_eq!(run(&p, DEV_BLOCK, R | W | M, 8, 0), 1);
    }

    /// The kernel's verifier refuses a program with instructions no path reaches.
    #[test]
    fn nothing_follows_an_unconditional_rule() {
        let rules = vec![
            rule(false, "a", -1, -1, "rwm"),
            rule(true, "c", 1, 3, "rwm"),
        ];
        let p = program(&rules);
        let last_two = &p[p.len() - 2..];
        assert_eq!(
            last_two,
            [insn(ALU64_MOV_K, 0, 0, 0, 0), insn(JMP_EXIT, 0, 0, 0, 0)]
        );
        // Exactly one deny-everything tail: the rule's own verdict.
        assert_eq!(p.iter().filter(|i| i.code == JMP_EXIT).count(), 2);
    }
}
