//! buildkit's line-based lexer tables (`frontend/dockerfile/shell/envVarTest`
//! and `wordsTest`), driven exactly as `lex_test.go` drives them.

use std::path::Path;

use wharf_dockerfile::shell::{EnvList, Lexer};

fn read(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/shell")
        .join(name);
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn env_var_test() {
    let lex = Lexer::new('\\');
    let env = EnvList::from_entries(&["PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="]);
    let mut checked = 0;
    for (n, line) in read("envVarTest").lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.trim().split('|').collect();
        assert_eq!(parts.len(), 3, "line {}", n + 1);
        let (platform, source, expected) = (parts[0].trim(), parts[1].trim(), parts[2].trim());
        // W = Windows only, U = Unix only, A = all.
        if platform == "W" {
            continue;
        }
        let got = lex.process_word(source, &env);
        if expected == "error" {
            assert!(got.is_err(), "line {}: {source:?} gave {got:?}", n + 1);
        } else {
            assert_eq!(got.as_deref(), Ok(expected), "line {}: {source:?}", n + 1);
        }
        checked += 1;
    }
    assert!(checked > 200, "{checked}");
}

#[test]
fn words_test() {
    let lex = Lexer::new('\\');
    let mut envs: Vec<String> = Vec::new();
    let mut checked = 0;
    for (n, line) in read("wordsTest").lines().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("ENV ") {
            envs.push(rest.trim_start_matches(' ').to_string());
            continue;
        }
        let parts: Vec<&str> = line.split('|').collect();
        assert_eq!(parts.len(), 2, "line {}", n + 1);
        let test = parts[0].trim();
        let expected: Vec<&str> = parts[1].trim_start_matches(' ').split(',').collect();
        let got = lex
            .process_words(test, &EnvList::from_entries(&envs))
            .unwrap_or_else(|_| vec!["error".to_string()]);
        assert_eq!(got, expected, "line {}: {test:?}", n + 1);
        checked += 1;
    }
    assert!(checked > 20, "{checked}");
}
