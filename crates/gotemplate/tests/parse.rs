//! Go's text/template parse tests (`parse/parse_test.go`, `parse/lex_test.go`): templates that
//! must parse, templates that must not, and the exact error texts.

use serde_json::json;
use wharf_gotemplate::Template;

fn parse_err(name: &str, src: &str) -> String {
    match Template::parse_named(name, src) {
        Ok(_) => panic!("{name}: {src:?} parsed but should not"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn valid_templates_parse() {
    let ok = [
        "",
        "{{/*\n\n\n*/}}",
        " \t\n",
        "some text",
        "{{.X}}",
        "{{printf}}",
        "{{$}}",
        "{{with $x := 3}}{{$x 23}}{{end}}",
        "{{$.I}}",
        "{{printf `%d` 23}}",
        "{{.X|.Y}}",
        "{{$x := .X|.Y}}",
        "{{.X (.Y .Z) (.A | .B .C) (.E)}}",
        "{{(.Y .Z).Field}}",
        "{{if .X}}hello{{end}}",
        "{{if .X}}true{{else}}false{{end}}",
        "{{if .X}}true{{else if .Y}}false{{end}}",
        "+{{if .X}}X{{else if .Y}}Y{{else if .Z}}Z{{end}}+",
        "{{range .X}}hello{{end}}",
        "{{range .X.Y.Z}}hello{{end}}",
        "{{range .X}}hello{{range .Y}}goodbye{{end}}{{end}}",
        "{{range .X}}true{{else}}false{{end}}",
        "{{range .X|.M}}true{{else}}false{{end}}",
        "{{range $x := .SI}}{{.}}{{end}}",
        "{{range $x, $y := .SI}}{{.}}{{end}}",
        "{{range .SI}}{{.}}{{break}}{{end}}",
        "{{range .SI}}{{.}}{{continue}}{{end}}",
        "{{range .SI 1 -3.2i true false 'a' nil}}{{end}}",
        "{{template `x`}}",
        "{{template `x` .Y}}",
        "{{with .X}}hello{{end}}",
        "{{with .X}}hello{{else}}goodbye{{end}}",
        "{{with .X}}hello{{else with .Y}}goodbye{{end}}",
        "{{with .X}}X{{else with .Y}}Y{{else with .Z}}Z{{end}}",
        "x \r\n\t{{- 3}}",
        "{{3 -}}\n\n\ty",
        "x\n{{-  3   -}}\ny",
        "x \r\n\t{{- /* hi */}}",
        "{{/* hi */ -}}\n\n\ty",
        "{{block \"foo\" .}}hello{{end}}",
        "{{ $x \n := \n 1 \n }}",
        "{{\n\"x\"\n|\nprintf\n}}",
        "{{-\n/*\nhello\n*/\n-}}",
        "{{range .SI}}{{.}}{{ continue }}{{end}}",
        "{{$x := 0}}{{$x}}",
        "{{$x:=.}}{{$x +2}}",
        "{{range $x := 0}}{{$x}}{{end}}",
        "{{range $x = 0}}{{$x}}{{end}}",
        "{{ (( 1 )) }}",
        "{{ if ((( true ))) }}YES{{ end }}",
        "{{define `a`}}a{{end}}{{define `b`}}b{{end}}",
        "{{.X |}}",
    ];
    for src in ok {
        if let Err(e) = Template::parse(src) {
            panic!("{src:?} should parse: {e}");
        }
    }
}

#[test]
fn invalid_templates_fail() {
    let bad = [
        "{{}}",
        "hello{{range",
        "{{end}}",
        "{{else}}",
        "{{if .X}}hello{{end}}{{else}}",
        "{{if .X}}1{{else}}2{{else}}3{{end}}",
        "hello{{range .x}}",
        "hello{{range .x}}{{else}}",
        "hello{{undefined}}",
        "{{$x}}",
        "{{with $x := 4}}{{end}}{{$x}}",
        "{{template $v}}",
        "{{with $x.Y := 4}}{{end}}",
        "{{template .X}}",
        "{{printf 3, 4}}",
        "{{with $v, $u := 3}}{{end}}",
        "{{range $u, $v, $w := 3}}{{end}}",
        "{{printf (printf .).}}",
        "{{printf 3`x`}}",
        "{{printf `x`.}}",
        "{{if .X}}a{{else if .Y}}b{{end}}{{end}}",
        "{{range .}}{{end}} {{break}}",
        "{{range .}}{{end}} {{continue}}",
        "{{range .}}{{else}}{{break}}{{end}}",
        "{{range .}}{{else}}{{continue}}{{end}}",
        "{{$x += 1}}{{$x}}",
        "{{$x ! 2}}{{$x}}",
        "{{$x % 3}}{{$x}}",
        "{{range $x := $y := 3}}{{end}}",
        "{{$x:=.}}{{$x!2}}",
        "{{$x:=.}}{{$x+2}}",
        "{{1.E}}",
        "{{0.1.E}}",
        "{{true.E}}",
        "{{'a'.any}}",
        "{{\"hello\".guys}}",
        "{{..E}}",
        "{{nil.E}}",
        "{{12|.}}",
        "{{.|12|printf}}",
        "{{.|printf|\"error\"}}",
        "{{12|printf|'e'}}",
        "{{.|true}}",
        "{{'c'|nil}}",
        "{{printf \"%d\" ( ) }}",
        "{{block \"foo\"}}hello{{end}}",
        "{{\n}}",
        "{{define \"x\"}}{{$y := 1}}{{end}}{{$y}}",
        "{{range .}}{{define \"x\"}}{{break}}{{end}}{{end}}",
        "{{range .}}{{block \"x\" .}}{{break}}{{end}}{{end}}",
    ];
    for src in bad {
        assert!(Template::parse(src).is_err(), "{src:?} should not parse");
    }
}

/// Go's parse_test.go errorTests, with the full messages.
#[test]
fn error_messages_match_go() {
    let cases = [
        (
            "unclosed1",
            "line1\n{{",
            "template: unclosed1:2: unclosed action",
        ),
        (
            "unclosed2",
            "line1\n{{define `x`}}line2\n{{",
            "template: unclosed2:3: unclosed action",
        ),
        (
            "unclosed3",
            "line1\n{{\"x\"\n\"y\"\n",
            "template: unclosed3:4: unclosed action started at unclosed3:2",
        ),
        (
            "unclosed4",
            "{{\n\n\n\n\n",
            "template: unclosed4:6: unclosed action started at unclosed4:1",
        ),
        (
            "var1",
            "line1\n{{\nx\n}}",
            "template: var1:3: function \"x\" not defined",
        ),
        (
            "function",
            "{{foo}}",
            "template: function:1: function \"foo\" not defined",
        ),
        (
            "comment1",
            "{{/*}}",
            "template: comment1:1: unclosed comment",
        ),
        (
            "comment2",
            "{{/*\nhello\n}}",
            "template: comment2:1: unclosed comment",
        ),
        (
            "lparen",
            "{{.X (1 2 3}}",
            "template: lparen:1: unclosed left paren",
        ),
        (
            "rparen",
            "{{.X 1 2 3 ) }}",
            "template: rparen:1: unexpected right paren",
        ),
        (
            "rparen2",
            "{{(.X 1 2 3",
            "template: rparen2:1: unclosed action",
        ),
        (
            "space",
            "{{`x`3}}",
            "template: space:1: unexpected \"3\" in operand",
        ),
        (
            "idchar",
            "{{a#}}",
            "template: idchar:1: bad character U+0023 '#'",
        ),
        (
            "charconst",
            "{{'a}}",
            "template: charconst:1: unterminated character constant",
        ),
        (
            "stringconst",
            "{{\"a}}",
            "template: stringconst:1: unterminated quoted string",
        ),
        (
            "rawstringconst",
            "{{`a}}",
            "template: rawstringconst:1: unterminated raw quoted string",
        ),
        (
            "number",
            "{{0xi}}",
            "template: number:1: illegal number syntax: \"0xi\"",
        ),
        (
            "bad number",
            "{{3k}}",
            "template: bad number:1: bad number syntax: \"3k\"",
        ),
        (
            "multidefine",
            "{{define `a`}}a{{end}}{{define `a`}}b{{end}}",
            "template: multidefine:1: template: multiple definition of template \"a\"",
        ),
        ("eof", "{{range .X}}", "template: eof:1: unexpected EOF"),
        (
            "variable",
            "{{$x := 23}}{{with $x.y := 3}}{{$x 23}}{{end}}",
            "template: variable:1: unexpected \":=\" in operand",
        ),
        (
            "multidecl",
            "{{$a,$b,$c := 23}}",
            "template: multidecl:1: too many declarations in command",
        ),
        (
            "undefvar",
            "{{$a}}",
            "template: undefvar:1: undefined variable \"$a\"",
        ),
        (
            "wrongdot",
            "{{true.any}}",
            "template: wrongdot:1: unexpected . after term \"true\"",
        ),
        (
            "wrongpipeline",
            "{{12|false}}",
            "template: wrongpipeline:1: non executable command in pipeline stage 2",
        ),
        (
            "emptypipeline",
            "{{ ( ) }}",
            "template: emptypipeline:1: missing value for parenthesized pipeline",
        ),
        (
            "multilinerawstring",
            "{{ $v := `\n` }} {{",
            "template: multilinerawstring:2: unclosed action",
        ),
        (
            "rangeundefvar",
            "{{range $k}}{{end}}",
            "template: rangeundefvar:1: undefined variable \"$k\"",
        ),
        (
            "rangeundefvars",
            "{{range $k, $v}}{{end}}",
            "template: rangeundefvars:1: undefined variable \"$v\"",
        ),
        (
            "rangemissingvalue1",
            "{{range $k,}}{{end}}",
            "template: rangemissingvalue1:1: missing value for range",
        ),
        (
            "rangemissingvalue2",
            "{{range $k, $v := }}{{end}}",
            "template: rangemissingvalue2:1: missing value for range",
        ),
        (
            "rangenotvariable1",
            "{{range $k, .}}{{end}}",
            "template: rangenotvariable1:1: range can only initialize variables",
        ),
        (
            "rangenotvariable2",
            "{{range $k, 123 := .}}{{end}}",
            "template: rangenotvariable2:1: range can only initialize variables",
        ),
        (
            "X",
            "hello\n\n{{`unterminated\n\n\n\n}}\n some more\n\n",
            "template: X:3: unterminated raw quoted string",
        ),
        (
            "badchar",
            "#{{\x01}}",
            "template: badchar:1: unrecognized character in action: U+0001",
        ),
        ("end", "{{end}}", "template: end:1: unexpected {{end}}"),
        ("else", "x{{else}}", "template: else:1: unexpected {{else}}"),
        (
            "multiple else",
            "{{if 1}}1{{else}}2{{else}}3{{end}}",
            "template: multiple else:1: expected end; found {{else}}",
        ),
        (
            "break",
            "{{range .}}{{end}} {{break}}",
            "template: break:1: {{break}} outside {{range}}",
        ),
        (
            "break args",
            "{{range .}}{{break 1}}{{end}}",
            "template: break args:1: unexpected \"1\" in {{break}}",
        ),
        (
            "else range if",
            "{{range .}}{{else if 1}}{{end}}",
            "template: else range if:1: unexpected <if> in input",
        ),
        (
            "empty",
            "{{}}",
            "template: empty:1: missing value for command",
        ),
        (
            "newline empty",
            "{{\n}}",
            "template: newline empty:2: missing value for command",
        ),
        (
            "colon",
            "{{$x := 1}}{{$x : 1}}",
            "template: colon:1: expected :=",
        ),
        (
            "colon undefined",
            "{{$x : 1}}",
            "template: colon undefined:1: undefined variable \"$x\"",
        ),
        (
            "unclosed field",
            "{{.ID}",
            "template: unclosed field:1: bad character U+007D '}'",
        ),
        (
            "dot paren",
            "{{printf (printf .).}}",
            "template: dot paren:1: unexpected <.> in operand",
        ),
        (
            "template name",
            "{{template .X}}",
            "template: template name:1: unexpected \".X\" in template clause",
        ),
        (
            "comma",
            "{{\"abcdefghijklmnop\" 1 ,}}",
            "template: comma:1: unexpected \",\" in operand",
        ),
        (
            "long token",
            "{{range .}}{{break \"abcdefghijklmnop\"}}{{end}}",
            r#"template: long token:1: unexpected "\"abcdefghi"... in {{break}}"#,
        ),
        (
            "block end",
            "{{block \"b\" .}}\n{{else}}",
            "template: block end:1: unexpected {{else}} in block clause",
        ),
        (
            "bad escape",
            "{{\"\\q\"}}",
            "template: bad escape:1: invalid syntax",
        ),
        (
            "overflow",
            "{{99999999999999999999}}",
            "template: overflow:1: integer overflow: \"99999999999999999999\"",
        ),
    ];
    for (name, src, want) in cases {
        assert_eq!(parse_err(name, src), want, "{name}: {src:?}");
    }
}

#[test]
fn docker_names_its_template_empty() {
    assert_eq!(
        Template::parse("{{.Names}} {{foo .ID}}")
            .unwrap_err()
            .to_string(),
        "template: :1: function \"foo\" not defined"
    );
}

#[test]
fn nesting_is_limited_without_overflowing_the_stack() {
    let parens = |n: usize| format!("{{{{{}1{}}}}}", "(".repeat(n), ")".repeat(n));
    let t = Template::parse(&parens(99)).unwrap();
    assert_eq!(t.execute(&json!(null)).unwrap(), "1");
    assert_eq!(
        Template::parse(&parens(101)).unwrap_err().to_string(),
        "template: :1: max expression depth exceeded"
    );
    let ifs = |n: usize| format!("{}x{}", "{{if 1}}".repeat(n), "{{end}}".repeat(n));
    assert_eq!(
        Template::parse(&ifs(99))
            .unwrap()
            .execute(&json!(null))
            .unwrap(),
        "x"
    );
    assert!(Template::parse(&ifs(10_000)).is_err());
    // Deep expressions in every level of a runaway recursion.
    let src = format!(
        "{{{{define \"r\"}}}}{}{{{{template \"r\"}}}}{}{{{{end}}}}{{{{template \"r\"}}}}",
        "{{if 1}}".repeat(98),
        "{{end}}".repeat(98)
    );
    let err = Template::parse(&src)
        .unwrap()
        .execute(&json!(null))
        .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("exceeded maximum template depth (500)"),
        "{err}"
    );
}
