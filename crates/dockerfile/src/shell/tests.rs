//! Cases ported from buildkit's `shell/lex_test.go` (Apache-2.0).

use super::*;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn mandatory_env_vars() {
    let lex = Lexer::new('\\');
    let set_env = EnvList::from_entries(&["VAR=plain", "ARG=x"]);
    let empty_env = EnvList::from_entries(&["VAR=", "ARG=x"]);
    let unset_env = EnvList::from_entries(&["ARG=x"]);
    let no_empty = "${VAR:?message here$ARG}";
    let no_unset = "${VAR?message here$ARG}";

    assert_eq!(lex.process_word(no_empty, &set_env).unwrap(), "plain");
    let e = lex.process_word(no_empty, &empty_env).unwrap_err();
    assert!(e.to_string().contains("message herex"), "{e}");
    let e = lex.process_word(no_empty, &unset_env).unwrap_err();
    assert_eq!(
        e.to_string(),
        "failed to process \"${VAR:?message here$ARG}\": VAR: message herex"
    );
    assert_eq!(lex.process_word(no_unset, &set_env).unwrap(), "plain");
    assert_eq!(lex.process_word(no_unset, &empty_env).unwrap(), "");
    assert!(lex.process_word(no_unset, &unset_env).is_err());
    let e = lex.process_word("${VAR:?}", &empty_env).unwrap_err();
    assert_eq!(e.kind.to_string(), "VAR: is not allowed to be empty");
}

/// `(input, env, expected or None for an error, matched, unmatched)`.
type MatchCase = (
    &'static str,
    &'static [(&'static str, &'static str)],
    Option<&'static str>,
    &'static [&'static str],
    &'static [&'static str],
);

const MATCH_CASES: &[MatchCase] = &[
    ("x", &[("DUMMY", "dummy")], Some("x"), &[], &[]),
    (
        "x ${UNUSED}",
        &[("DUMMY", "dummy")],
        Some("x "),
        &[],
        &["UNUSED"],
    ),
    ("x ${FOO}", &[("FOO", "y")], Some("x y"), &["FOO"], &[]),
    (
        "${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}",
        &[("FOO", "xxx"), ("BAR", "")],
        Some("xxx  ccc"),
        &["FOO", "BAR"],
        &["BAZ"],
    ),
    (
        "${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}",
        &[("FOO", "xxx"), ("BAR", "")],
        Some("xxx bbb ccc"),
        &["FOO", "BAR"],
        &["BAZ"],
    ),
    (
        "${FOO:-}",
        &[("FOO", "xxx"), ("BAR", "")],
        Some("xxx"),
        &["FOO"],
        &[],
    ),
    ("${FOO:-}", &[], Some(""), &[], &["FOO"]),
    (
        "${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}",
        &[("FOO", "xxx"), ("BAR", "")],
        Some("aaa bbb "),
        &["FOO", "BAR"],
        &["BAZ"],
    ),
    (
        "${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}",
        &[("FOO", "xxx"), ("BAR", "")],
        Some("aaa  "),
        &["FOO", "BAR"],
        &["BAZ"],
    ),
    (
        "${FOO?aaa}",
        &[("FOO", "xxx"), ("BAR", "")],
        Some("xxx"),
        &["FOO"],
        &[],
    ),
    (
        "${BAR?bbb}",
        &[("FOO", "xxx"), ("BAR", "")],
        Some(""),
        &["BAR"],
        &[],
    ),
    ("${BAZ?ccc}", &[("FOO", "xxx"), ("BAR", "")], None, &[], &[]),
    (
        "${FOO:?aaa}",
        &[("FOO", "xxx"), ("BAR", "")],
        Some("xxx"),
        &["FOO"],
        &[],
    ),
    (
        "${BAR:?bbb}",
        &[("FOO", "xxx"), ("BAR", "")],
        None,
        &[],
        &[],
    ),
    (
        "${BAZ:?ccc}",
        &[("FOO", "xxx"), ("BAR", "")],
        None,
        &[],
        &[],
    ),
    ("${BAZ:?}", &[("FOO", "xxx"), ("BAR", "")], None, &[], &[]),
    ("${FOO=aaa}", &[("FOO", "xxx"), ("BAR", "")], None, &[], &[]),
    (
        "${FOO=:aaa}",
        &[("FOO", "xxx"), ("BAR", "")],
        None,
        &[],
        &[],
    ),
    ("${FOO=}", &[], None, &[], &[]),
    (
        "${FOO#()[]{\\}^$.\\*\\?|\\\\}",
        &[("FOO", "()[]{}^$.*?|\\x")],
        Some("x"),
        &["FOO"],
        &[],
    ),
    (
        "${FOO%%\\**}",
        &[("FOO", "xx**")],
        Some("xx"),
        &["FOO"],
        &[],
    ),
    ("${FOO#*x*y}", &[("FOO", "xxyy")], Some("y"), &["FOO"], &[]),
    ("${FOO#*}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
    (
        "${FOO#$BAR}",
        &[("FOO", "xxyy"), ("BAR", "x")],
        Some("xyy"),
        &["FOO", "BAR"],
        &[],
    ),
    (
        "${FOO#$BAR}",
        &[("FOO", "xxyy"), ("BAR", "")],
        Some("xxyy"),
        &["FOO", "BAR"],
        &[],
    ),
    ("${FOO#}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
    ("${FOO##*x}", &[("FOO", "xxyy")], Some("yy"), &["FOO"], &[]),
    ("${FOO##}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
    ("${FOO#?\\?}", &[("FOO", "???y")], Some("?y"), &["FOO"], &[]),
    (
        "${ABC:-.}${FOO%x}${ABC:-.}",
        &[("FOO", "xxyy")],
        Some(".xxyy."),
        &["FOO"],
        &["ABC"],
    ),
    (
        "${FOO%%\\**\\*}",
        &[("FOO", "a***yy*")],
        Some("a"),
        &["FOO"],
        &[],
    ),
    ("${FOO%}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
    (
        "${FOO%%$BAR}",
        &[("FOO", "xxyy"), ("BAR", "")],
        Some("xxyy"),
        &["FOO", "BAR"],
        &[],
    ),
    ("${FOO:#}", &[], None, &[], &[]),
    ("${FOO:##}", &[], None, &[], &[]),
    ("${FOO:%}", &[], None, &[], &[]),
    ("${FOO:%%}", &[], None, &[], &[]),
    (
        "${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}",
        &[("FOO", "/foo*/*/*.txt"), ("NEEDLE", "\\*/")],
        Some("/foo.*/*.txt - /foo..*.txt"),
        &["FOO", "NEEDLE"],
        &[],
    ),
    (
        "${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}",
        &[("FOO", "/tmp/tmp/bar.txt"), ("NEEDLE", "/tmp")],
        Some("/tmp/bar.txt - /bar.txt"),
        &["FOO", "NEEDLE"],
        &[],
    ),
    (
        "${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}",
        &[
            ("FOO", "/a/foo/b/c.txt"),
            ("NEEDLE", "/?/"),
            ("REPLACEMENT", "/"),
        ],
        Some("/foo/b/c.txt - /foo/c.txt"),
        &["FOO", "NEEDLE", "REPLACEMENT"],
        &[],
    ),
    (
        "${FOO/$NEEDLE/$REPLACEMENT}",
        &[
            ("FOO", "http://google.de"),
            ("NEEDLE", "http://"),
            ("REPLACEMENT", "https://"),
        ],
        Some("https://google.de"),
        &["FOO", "NEEDLE", "REPLACEMENT"],
        &[],
    ),
    (
        "${FOO//\\//\\/}",
        &[("FOO", "/tmp/foo.txt")],
        Some("\\/tmp\\/foo.txt"),
        &["FOO"],
        &[],
    ),
    (
        "${FOO/$BAR/ww}",
        &[("FOO", "xxyy"), ("BAR", "")],
        Some("wwxxyy"),
        &["FOO", "BAR"],
        &[],
    ),
    ("${FOO//ww}", &[("FOO", "xxyy")], None, &[], &[]),
    ("${FOO//}", &[("FOO", "xxyy")], None, &[], &[]),
    ("${FOO///}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
    ("${FOO///}", &[], Some(""), &[], &["FOO"]),
];

#[test]
fn process_with_matches_table() {
    let lex = Lexer::new('\\');
    for (input, vars, expected, matched, unmatched) in MATCH_CASES {
        let r = lex.process_word_with_matches(input, &env(vars));
        match expected {
            None => assert!(r.is_err(), "{input}: expected error, got {r:?}"),
            Some(exp) => {
                let r = r.unwrap_or_else(|e| panic!("{input}: {e}"));
                assert_eq!(&r.result, exp, "{input}");
                assert_eq!(r.matched, set(matched), "{input}");
                assert_eq!(r.unmatched, set(unmatched), "{input}");
            }
        }
    }
}

#[test]
fn platform_style_release_name() {
    let lex = Lexer::new('\\');
    let tpl =
        "something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz";
    let e = env(&[
        ("VERSION", "v1.2.3"),
        ("TARGETOS", "linux"),
        ("TARGETARCH", "arm"),
        ("TARGETVARIANT", "v7"),
    ]);
    assert_eq!(
        lex.process_word(tpl, &e).unwrap(),
        "something-v1.2.3.linux-arm-v7.tar.gz"
    );
    let e = env(&[
        ("VERSION", "v1.2.3"),
        ("TARGETOS", "linux"),
        ("TARGETARCH", "arm64"),
    ]);
    assert_eq!(
        lex.process_word(tpl, &e).unwrap(),
        "something-v1.2.3.linux-arm64.tar.gz"
    );
}

#[test]
fn error_messages_match_buildkit() {
    let lex = Lexer::new('\\');
    let none = EnvList::default();
    let msg = |w: &str| lex.process_word(w, &none).unwrap_err().to_string();
    assert_eq!(
        msg("${aaa"),
        "failed to process \"${aaa\": unsupported modifier (\u{FFFD}) in substitution"
    );
    assert_eq!(
        msg("${aaa:-bbb"),
        "failed to process \"${aaa:-bbb\": syntax error: missing '}'"
    );
    assert_eq!(
        msg("${}"),
        "failed to process \"${}\": syntax error: bad substitution"
    );
    assert_eq!(
        msg("he\"llo"),
        "failed to process \"he\\\"llo\": unexpected end of statement while looking for matching double-quote"
    );
    assert_eq!(
        msg("${a:=b}"),
        "failed to process \"${a:=b}\": unsupported modifier (:=) in substitution"
    );
    assert_eq!(
        msg("${a//x}"),
        "failed to process \"${a//x}\": syntax error: missing '/' in ${}"
    );
    assert_eq!(
        msg("${a#\\x}"),
        "failed to process \"${a#\\\\x}\": invalid pattern (\\x) in substitution: invalid escape '\\x'"
    );
}

#[test]
fn backtick_escape() {
    let lex = Lexer::new('`');
    let e = env(&[("A", "1")]);
    assert_eq!(lex.process_word("c:\\dir`$A$A", &e).unwrap(), "c:\\dir$A1");
    assert_eq!(lex.process_words("a` b c", &e).unwrap(), vec!["a b", "c"]);
}

#[test]
fn skip_unset_env_keeps_references() {
    let mut lex = Lexer::new('\\');
    lex.skip_unset_env = true;
    let e = env(&[("SET", "v")]);
    assert_eq!(
        lex.process_word("$SET $UNSET ${U:-x} ${U/a/b}", &e)
            .unwrap(),
        "v $UNSET ${U:-x} ${U/a/b}"
    );
}

#[test]
fn replace_all_expands_dollar_zero_like_go() {
    let lex = Lexer::new('\\');
    let e = env(&[("V", "abc"), ("R", "[$0]")]);
    assert_eq!(lex.process_word("${V//b/$R}", &e).unwrap(), "a[b]c");
    assert_eq!(lex.process_word("${V/b/$R}", &e).unwrap(), "a[$0]c");
}

/// buildkit shares one field buffer between a word and a nested
/// `${v:-…}`, so the characters pending before the `${` are lost when
/// splitting into words. Docker behaves this way; so do we.
#[test]
fn nested_modifier_resets_pending_field() {
    let lex = Lexer::new('\\');
    let none = EnvList::default();
    assert_eq!(
        lex.process_words("foo${x:-bar}baz qux", &none).unwrap(),
        vec!["barbaz", "qux"]
    );
    assert_eq!(
        lex.process_word("foo${x:-bar}baz", &none).unwrap(),
        "foobarbaz"
    );
}

#[test]
fn patterns_do_not_cross_newlines() {
    let lex = Lexer::new('\\');
    let e = env(&[("V", "a\nb")]);
    assert_eq!(lex.process_word("${V#*b}", &e).unwrap(), "a\nb");
    assert_eq!(lex.process_word("${V#?}", &e).unwrap(), "\nb");
}
