//! Word expansion must never panic, with either escape token and every
//! lexer option.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_dockerfile::shell::{EnvList, Lexer};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let Ok(word) = std::str::from_utf8(rest) else { return };
    let mut lex = Lexer::new(if flags & 1 == 0 { '\\' } else { '`' });
    lex.raw_quotes = flags & 2 != 0;
    lex.raw_escapes = flags & 4 != 0;
    lex.skip_process_quotes = flags & 8 != 0;
    lex.skip_unset_env = flags & 16 != 0;
    let env = EnvList::from_entries(&["A=a*b?c", "EMPTY=", "SP= x  y ", "P=/a/b/c.txt", "R=$0$$"]);
    let _ = lex.process_word(word, &env);
    let _ = lex.process_words(word, &env);
});
