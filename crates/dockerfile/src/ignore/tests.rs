//! Compile-table check (needs crate internals) and Docker behaviour checks.

use super::*;

#[test]
fn compile_table_from_patternmatcher() {
    let v: serde_json::Value = serde_json::from_str(include_str!(
        "../../tests/vectors/ignore/patternmatcher.json"
    ))
    .unwrap();
    let cases = v["compile"]["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 21);
    for c in cases {
        let (pat, typ, want) = (
            c[0].as_str().unwrap(),
            c[1].as_str().unwrap(),
            c[2].as_str().unwrap(),
        );
        let (m, regex) = pattern::compile(&path::clean(pat));
        let got = match m {
            Matcher::Exact => "exactMatch",
            Matcher::Prefix => "prefixMatch",
            Matcher::Suffix => "suffixMatch",
            Matcher::Regex(_) => "regexpMatch",
            Matcher::Bad => "bad",
        };
        assert_eq!(got, typ, "{pat}");
        if typ == "regexpMatch" {
            assert_eq!(regex, want, "{pat}");
            assert!(Patterns::new(&[pat]).is_ok(), "{pat}");
        }
    }
}

#[test]
fn bad_regex_fails_at_match_time_every_time() {
    // Passes filepath.Match validation, but `l-O` is an invalid regexp range.
    let pm = Patterns::new(&["[Local-Only]/"]).unwrap();
    for _ in 0..2 {
        assert_eq!(
            pm.matches("x").unwrap_err().to_string(),
            "syntax error in pattern"
        );
    }
    // An exception that is never reached is never evaluated.
    let pm = Patterns::new(&["!a[z-b]"]).unwrap();
    assert_eq!(pm.matches("x"), Ok(false));
}

#[test]
fn new_rejects_like_docker() {
    assert_eq!(
        Patterns::new(&["!"]).unwrap_err().to_string(),
        "illegal exclusion pattern: \"!\""
    );
    assert_eq!(
        Patterns::new(&["["]).unwrap_err().to_string(),
        "syntax error in pattern"
    );
    let pm = Patterns::new(&["docs", "  !docs/README.md  ", ""]).unwrap();
    assert!(pm.exclusions());
    assert_eq!(pm.patterns().count(), 2);
}

#[test]
fn skipping_directories() {
    let pm = Patterns::parse("node_modules\nbuild/\n!build/keep.txt\n").unwrap();
    assert_eq!(pm.can_skip_dir("node_modules"), Ok(true));
    assert_eq!(pm.can_skip_dir("build"), Ok(false));
    assert_eq!(pm.can_skip_dir("src"), Ok(false));
    assert_eq!(pm.matches("build/other"), Ok(true));
    assert_eq!(pm.matches("build/keep.txt"), Ok(false));
    // A wildcard exception disables skipping altogether (buildkit walks).
    let pm = Patterns::parse("vendor\n!*/keep\n").unwrap();
    assert_eq!(pm.can_skip_dir("vendor"), Ok(false));
    // A trailing /* or /** on an exception still counts as a prefix.
    let pm = Patterns::parse("out\nlogs\n!out/**\n").unwrap();
    assert_eq!(pm.can_skip_dir("out"), Ok(false));
    assert_eq!(pm.can_skip_dir("logs"), Ok(true));
}

#[test]
fn unescaped_regex_metacharacters_behave_as_in_docker() {
    // `|`, `{`, `}` and `^` are not escaped by patternmatcher.
    let pm = Patterns::new(&["^a*"]).unwrap();
    assert_eq!(pm.matches("abc"), Ok(true));
    let pm = Patterns::new(&["x{2}*"]).unwrap();
    assert_eq!(pm.matches("xx.txt"), Ok(true));
    assert_eq!(pm.matches("x{2}.txt"), Ok(false));
    // Without any wildcard the pattern is compared literally.
    let pm = Patterns::new(&["a|b"]).unwrap();
    assert_eq!((pm.matches("a|b"), pm.matches("a")), (Ok(true), Ok(false)));
    // `\b` is a regexp word boundary, so a Windows-style path never matches.
    let pm = Patterns::new(&["foo\\bar"]).unwrap();
    assert_eq!(pm.matches("foo/bar"), Ok(false));
}

#[test]
fn per_dockerfile_ignore_files() {
    assert_eq!(
        ignore_file_for("sub/Foo.Dockerfile"),
        ["sub/Foo.Dockerfile.dockerignore", ".dockerignore"]
    );
    assert_eq!(
        ignore_file_for("Dockerfile"),
        ["Dockerfile.dockerignore", ".dockerignore"]
    );
}

#[test]
fn trim_build_files() {
    let ex = vec!["*".to_string()];
    assert_eq!(
        trim_build_files_from_excludes(&ex, "Dockerfile", false),
        ["*", "!.dockerignore", "!Dockerfile"]
    );
    assert_eq!(
        trim_build_files_from_excludes(&ex, "Dockerfile", true),
        ["*", "!.dockerignore"]
    );
    let ex = vec!["docs".to_string()];
    assert_eq!(
        trim_build_files_from_excludes(&ex, "Dockerfile", false),
        ["docs"]
    );
}
