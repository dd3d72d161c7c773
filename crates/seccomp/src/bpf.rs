//! Classic BPF instructions, programs, and a small assembler with labels.
//!
//! Conditional jumps in classic BPF have 8-bit offsets. The assembler lets code jump to
//! labels anywhere; jumps whose target ends up more than 255 instructions away are
//! rewritten as a short conditional jump over unconditional `ja` trampolines.

/// One `struct sock_filter` (same layout, so a program is handed to the kernel as is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct SockFilter {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// A compiled seccomp filter plus the `SECCOMP_FILTER_FLAG_*` bits to load it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BpfProgram {
    pub(crate) insns: Vec<SockFilter>,
    pub(crate) flags: u32,
}

impl BpfProgram {
    pub fn instructions(&self) -> &[SockFilter] {
        &self.insns
    }

    pub fn len(&self) -> usize {
        self.insns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }

    /// `SECCOMP_FILTER_FLAG_*` bits from the OCI `flags` list.
    pub fn flags(&self) -> u32 {
        self.flags
    }
}

/// The kernel's limit on classic BPF program length.
pub const BPF_MAXINSNS: usize = 4096;

// Opcodes (linux/bpf_common.h).
/// BPF_LD | BPF_W | BPF_ABS (LD and W are 0).
const LD_W_ABS: u16 = 0x20;
const ALU_AND_K: u16 = 0x04 | 0x50;
const JMP_JA: u16 = 0x05;
const RET_K: u16 = 0x06;

/// Conditional jump kinds (all compare the accumulator with a constant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cond {
    Eq,
    Gt,
    Ge,
    Set,
}

impl Cond {
    fn code(self) -> u16 {
        0x05 | match self {
            Cond::Eq => 0x10,
            Cond::Gt => 0x20,
            Cond::Ge => 0x30,
            Cond::Set => 0x40,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Label(usize);

#[derive(Debug, Clone, Copy)]
enum Item {
    Insn(SockFilter),
    Place(Label),
    Jump {
        cond: Cond,
        k: u32,
        jt: Label,
        jf: Label,
    },
}

/// Builds a program from instructions and labels; [`Asm::finish`] resolves jumps.
#[derive(Debug, Default)]
pub(crate) struct Asm {
    items: Vec<Item>,
    labels: usize,
}

impl Asm {
    pub(crate) fn label(&mut self) -> Label {
        self.labels += 1;
        Label(self.labels - 1)
    }

    pub(crate) fn place(&mut self, l: Label) {
        self.items.push(Item::Place(l));
    }

    /// `A = seccomp_data[offset]` (32-bit load).
    pub(crate) fn load(&mut self, offset: u32) {
        self.insn(LD_W_ABS, offset);
    }

    pub(crate) fn and(&mut self, k: u32) {
        self.insn(ALU_AND_K, k);
    }

    pub(crate) fn ret(&mut self, k: u32) {
        self.insn(RET_K, k);
    }

    pub(crate) fn jump(&mut self, cond: Cond, k: u32, jt: Label, jf: Label) {
        self.items.push(Item::Jump { cond, k, jt, jf });
    }

    fn insn(&mut self, code: u16, k: u32) {
        self.items.push(Item::Insn(SockFilter {
            code,
            jt: 0,
            jf: 0,
            k,
        }));
    }

    /// Lay out the program. Every label used must have been placed, after the jumps
    /// to it (all jumps go forward, as classic BPF requires).
    pub(crate) fn finish(self) -> Vec<SockFilter> {
        // `long[i]`: the i-th item (a Jump) needs trampolines.
        let mut long = vec![false; self.items.len()];
        loop {
            let (pos, labels) = self.layout(&long);
            let mut changed = false;
            for (i, item) in self.items.iter().enumerate() {
                if let Item::Jump { jt, jf, .. } = item
                    && !long[i]
                {
                    let from = pos[i] + 1;
                    if labels[jt.0] - from > 255 || labels[jf.0] - from > 255 {
                        long[i] = true;
                        changed = true;
                    }
                }
            }
            if !changed {
                return self.emit(&long, &pos, &labels);
            }
        }
    }

    /// Position of each item and of each label, given which jumps are long.
    fn layout(&self, long: &[bool]) -> (Vec<usize>, Vec<usize>) {
        let mut pos = Vec::with_capacity(self.items.len());
        let mut labels = vec![usize::MAX; self.labels];
        let mut at = 0;
        for (i, item) in self.items.iter().enumerate() {
            pos.push(at);
            at += match item {
                Item::Place(l) => {
                    labels[l.0] = at;
                    0
                }
                Item::Jump { .. } if long[i] => 3,
                _ => 1,
            };
        }
        (pos, labels)
    }

    fn emit(&self, long: &[bool], pos: &[usize], labels: &[usize]) -> Vec<SockFilter> {
        let mut out = Vec::new();
        let goto = |from: usize, to: usize| SockFilter {
            code: JMP_JA,
            jt: 0,
            jf: 0,
            k: (to - from - 1) as u32,
        };
        for (i, item) in self.items.iter().enumerate() {
            match *item {
                Item::Insn(f) => out.push(f),
                Item::Place(_) => {}
                Item::Jump { cond, k, jt, jf } if long[i] => {
                    // jcond k, 0, 1; ja jt; ja jf
                    out.push(SockFilter {
                        code: cond.code(),
                        jt: 0,
                        jf: 1,
                        k,
                    });
                    out.push(goto(pos[i] + 1, labels[jt.0]));
                    out.push(goto(pos[i] + 2, labels[jf.0]));
                }
                Item::Jump { cond, k, jt, jf } => out.push(SockFilter {
                    code: cond.code(),
                    jt: (labels[jt.0] - pos[i] - 1) as u8,
                    jf: (labels[jf.0] - pos[i] - 1) as u8,
                    k,
                }),
            }
        }
        out
    }
}

/// Run a program on a `seccomp_data` (for tests): returns the `ret` value.
#[cfg(test)]
pub(crate) fn interpret(prog: &[SockFilter], nr: u32, arch: u32, args: [u64; 6]) -> u32 {
    let mut data = Vec::with_capacity(64);
    data.extend_from_slice(&nr.to_ne_bytes());
    data.extend_from_slice(&arch.to_ne_bytes());
    data.extend_from_slice(&0u64.to_ne_bytes());
    for a in args {
        data.extend_from_slice(&a.to_ne_bytes());
    }
    let mut a: u32 = 0;
    let mut pc = 0;
    loop {
        let f = prog[pc];
        pc += 1;
        match f.code {
            LD_W_ABS => {
                let o = f.k as usize;
                a = u32::from_ne_bytes(data[o..o + 4].try_into().unwrap());
            }
            ALU_AND_K => a &= f.k,
            JMP_JA => pc += f.k as usize,
            RET_K => return f.k,
            c => {
                let taken = match c & 0xf0 {
                    0x10 => a == f.k,
                    0x20 => a > f.k,
                    0x30 => a >= f.k,
                    0x40 => a & f.k != 0,
                    _ => panic!("bad opcode {c:#x}"),
                };
                pc += if taken { f.jt } else { f.jf } as usize;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_jumps_get_trampolines() {
        let mut asm = Asm::default();
        let (far, near) = (asm.label(), asm.label());
        asm.load(0);
        asm.jump(Cond::Eq, 7, far, near);
        asm.place(near);
        for _ in 0..300 {
            asm.ret(1);
        }
        asm.place(far);
        asm.ret(2);
        let prog = asm.finish();
        assert_eq!(prog.len(), 1 + 3 + 300 + 1);
        assert_eq!(interpret(&prog, 7, 0, [0; 6]), 2);
        assert_eq!(interpret(&prog, 8, 0, [0; 6]), 1);
    }

    #[test]
    fn near_jumps_stay_short() {
        let mut asm = Asm::default();
        let (t, f) = (asm.label(), asm.label());
        asm.load(0);
        asm.jump(Cond::Gt, 10, t, f);
        asm.place(f);
        asm.ret(0);
        asm.place(t);
        asm.ret(1);
        let prog = asm.finish();
        assert_eq!(prog.len(), 4);
        assert_eq!(interpret(&prog, 11, 0, [0; 6]), 1);
        assert_eq!(interpret(&prog, 10, 0, [0; 6]), 0);
    }
}
