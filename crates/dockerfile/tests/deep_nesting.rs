//! Pathological nesting must not overflow the stack (wharf runs the parser
//! and expansion on 2 MiB worker threads).

use wharf_dockerfile::shell::{EnvList, Lexer};

fn on_small_stack<F: FnOnce() + Send + 'static>(f: F) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn deeply_nested_substitutions() {
    on_small_stack(|| {
        let word = format!("{}x{}", "${a:-".repeat(100_000), "}".repeat(100_000));
        let r = Lexer::new('\\').process_word(&word, &EnvList::default());
        assert!(
            r.unwrap_err()
                .to_string()
                .ends_with("syntax error: substitutions nested too deeply")
        );
        let ok = format!("{}x{}", "${a:-".repeat(100), "}".repeat(100));
        assert_eq!(
            Lexer::new('\\')
                .process_word(&ok, &EnvList::default())
                .unwrap(),
            "x"
        );
    });
}

#[test]
fn deeply_nested_onbuild() {
    on_small_stack(|| {
        let src = format!("FROM a\n{}RUN x\n", "ONBUILD \\\n".repeat(100_000));
        let _ = wharf_dockerfile::parser::parse(&src).map(|a| a.dump());
        let _ = wharf_dockerfile::parse(&src);
    });
}

#[test]
fn deeply_nested_heredoc_line() {
    on_small_stack(|| {
        let src = format!("FROM a\nRUN <<EOF {}\nEOF\n", "${a:-\\\n".repeat(100_000));
        let _ = wharf_dockerfile::parse(&src);
    });
}
