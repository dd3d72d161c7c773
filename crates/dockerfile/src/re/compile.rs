//! Compiling the AST into a Pike VM program.

use super::Error;
use super::syntax::{Ast, Class, Look};

const MAX_INSTS: usize = 200_000;

#[derive(Debug, Clone)]
pub(super) enum Inst {
    Lit(char),
    AnyNotNl,
    Class(usize),
    Split(usize, usize),
    Jmp(usize),
    Look(Look),
    Match,
}

pub(super) struct Compiler {
    prog: Vec<Inst>,
    classes: Vec<Class>,
}

/// Compile `ast` into a program ending in [`Inst::Match`] plus its classes.
pub(super) fn program(ast: &Ast) -> Result<(Vec<Inst>, Vec<Class>), Error> {
    let mut c = Compiler {
        prog: Vec::new(),
        classes: Vec::new(),
    };
    c.compile(ast)?;
    c.emit(Inst::Match)?;
    Ok((c.prog, c.classes))
}

impl Compiler {
    fn emit(&mut self, i: Inst) -> Result<usize, Error> {
        if self.prog.len() >= MAX_INSTS {
            return Err(Error("error parsing regexp: expression too large".into()));
        }
        self.prog.push(i);
        Ok(self.prog.len() - 1)
    }

    fn compile(&mut self, ast: &Ast) -> Result<(), Error> {
        match ast {
            Ast::Empty => {}
            Ast::Lit(c) => {
                self.emit(Inst::Lit(*c))?;
            }
            Ast::AnyNotNl => {
                self.emit(Inst::AnyNotNl)?;
            }
            Ast::Class(c) => {
                self.classes.push(c.clone());
                self.emit(Inst::Class(self.classes.len() - 1))?;
            }
            Ast::Look(l) => {
                self.emit(Inst::Look(*l))?;
            }
            Ast::Concat(items) => {
                for it in items {
                    self.compile(it)?;
                }
            }
            Ast::Alt(alts) => {
                let mut jumps = Vec::new();
                for (k, alt) in alts.iter().enumerate() {
                    if k + 1 < alts.len() {
                        let split = self.emit(Inst::Split(0, 0))?;
                        self.compile(alt)?;
                        jumps.push(self.emit(Inst::Jmp(0))?);
                        let next = self.prog.len();
                        self.prog[split] = Inst::Split(split + 1, next);
                    } else {
                        self.compile(alt)?;
                    }
                }
                let end = self.prog.len();
                for j in jumps {
                    self.prog[j] = Inst::Jmp(end);
                }
            }
            Ast::Repeat {
                sub,
                min,
                max,
                greedy,
            } => {
                for _ in 0..*min {
                    self.compile(sub)?;
                }
                match max {
                    None => {
                        let split = self.emit(Inst::Split(0, 0))?;
                        self.compile(sub)?;
                        self.emit(Inst::Jmp(split))?;
                        let end = self.prog.len();
                        self.prog[split] = self.split(split + 1, end, *greedy);
                    }
                    Some(max) => {
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.emit(Inst::Split(0, 0))?);
                            self.compile(sub)?;
                        }
                        let end = self.prog.len();
                        for s in splits {
                            self.prog[s] = self.split(s + 1, end, *greedy);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn split(&self, body: usize, out: usize, greedy: bool) -> Inst {
        if greedy {
            Inst::Split(body, out)
        } else {
            Inst::Split(out, body)
        }
    }
}
