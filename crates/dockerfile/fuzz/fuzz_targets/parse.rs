//! Dockerfile parsing must never panic, and every successful parse must
//! dump and expand without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_dockerfile::shell::{EnvList, Lexer};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    if let Ok(ast) = wharf_dockerfile::parser::parse(src) {
        let _ = ast.dump();
    }
    if let Ok(df) = wharf_dockerfile::parse(src) {
        let lex = Lexer::new(df.escape_token);
        let env = EnvList::from_entries(&["A=1", "B=x y"]);
        for stage in &df.stages {
            let _ = df.resolve_from(&stage.base);
            for cmd in &stage.instructions {
                let _ = cmd.instruction.expand(&lex, &env);
                if let wharf_dockerfile::Instruction::Run(run) = &cmd.instruction {
                    let _ = run.mounts(&lex, &env);
                }
            }
        }
    }
});
