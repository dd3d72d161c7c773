//! Go's text/template execution tests (`exec_test.go`), with the Go test data rewritten as the
//! JSON docker would hand over. Where Go's answer depends on a Go type JSON cannot express, the
//! expectation follows this crate's documented mapping and says so.

use serde_json::{Value, json};
use wharf_gotemplate::{MissingKey, Template};

fn t_val() -> Value {
    json!({
        "True": true,
        "I": 17,
        "U16": 16,
        "X": "x",
        "S": "xyz",
        "FloatZero": 0.0,
        "U": {"V": "v"},
        "SI": [3, 4, 5],
        "SIEmpty": [],
        "SB": [true, false],
        "AI": [3, 4, 5],
        "MSI": {"one": 1, "two": 2, "three": 3},
        "MSIone": {"one": 1},
        "MSIEmpty": {},
        "SMSI": [{"one": 1, "two": 2}, {"eleven": 11, "twelve": 12}],
        "Empty0": null,
        "Empty1": 3,
        "Empty2": "empty2",
        "Empty3": [7, 8],
        "Empty4": {"V": "UinEmpty"},
        "PI": 23,
        "PS": "a string",
        "PSI": [21, 22, 23],
        "NIL": null,
    })
}

fn run(src: &str, data: &Value) -> Result<String, String> {
    let t = Template::parse(src).map_err(|e| e.to_string())?;
    t.execute(data).map_err(|e| e.to_string())
}

/// Asserts the output for `t_val()`; `None` means Go reports an execution error.
fn check(cases: &[(&str, &str, Option<&str>)]) {
    let data = t_val();
    check_with(&data, cases);
}

fn check_with(data: &Value, cases: &[(&str, &str, Option<&str>)]) {
    for (name, src, want) in cases {
        let got = run(src, data);
        match want {
            Some(w) => assert_eq!(got.as_deref(), Ok(*w), "{name}: {src}"),
            None => assert!(got.is_err(), "{name}: {src} should fail, got {got:?}"),
        }
    }
}

#[test]
fn trivial_cases() {
    check(&[
        ("empty", "", Some("")),
        ("text", "some text", Some("some text")),
        ("nil action", "{{nil}}", None),
    ]);
}

#[test]
fn ideal_constants() {
    check(&[
        ("ideal int", "{{printf `%T` 3}}", Some("int")),
        ("ideal float", "{{printf `%T` 1.0}}", Some("float64")),
        ("ideal exp float", "{{printf `%T` 1e1}}", Some("float64")),
        ("ideal complex", "{{printf `%T` 1i}}", Some("complex128")),
        (
            "ideal int",
            "{{printf `%T` 0x7fffffffffffffff}}",
            Some("int"),
        ),
        ("ideal too big", "{{printf `%T` 0x8000000000000000}}", None),
        ("hex int", "{{printf `%T` 0xef}}", Some("int")),
        ("hex int upper", "{{printf `%T` 0XEE}}", Some("int")),
        ("rune is int", "{{printf `%T` 'x'}}", Some("int")),
    ]);
}

#[test]
fn fields_maps_and_dot() {
    check(&[
        (".X", "-{{.X}}-", Some("-x-")),
        (".U.V", "-{{.U.V}}-", Some("-v-")),
        ("map .one", "{{.MSI.one}}", Some("1")),
        ("map .two", "{{.MSI.two}}", Some("2")),
        ("map .NO", "{{.MSI.NO}}", Some("<no value>")),
        ("map .WRONG args", "{{.MSI.one 1}}", None),
        ("field of int", "{{.I.X}}", None),
        ("$ int", "{{$.I}}", Some("17")),
        ("$.U.V", "{{$.U.V}}", Some("v")),
        ("*int", "{{.PI}}", Some("23")),
        ("*string", "{{.PS}}", Some("a string")),
        ("*[]int", "{{.PSI}}", Some("[21 22 23]")),
        ("*[]int[1]", "{{index .PSI 1}}", Some("22")),
        // JSON null stands for a nil pointer, which Go prints as <nil>.
        ("NIL", "{{.NIL}}", Some("<nil>")),
        ("empty nil", "{{.Empty0}}", Some("<nil>")),
        ("empty with int", "{{.Empty1}}", Some("3")),
        ("empty with string", "{{.Empty2}}", Some("empty2")),
        ("empty with slice", "{{.Empty3}}", Some("[7 8]")),
        // A JSON object is a Go map, not a struct: map[V:UinEmpty] rather than {UinEmpty}.
        ("empty with object", "{{.Empty4}}", Some("map[V:UinEmpty]")),
        (
            "empty with object, field",
            "{{.Empty4.V}}",
            Some("UinEmpty"),
        ),
        ("field through null", "{{.NIL.X}}", None),
    ]);
    let cases: &[(Value, &str)] = &[
        (json!(13), "<13>"),
        (json!(15.1), "<15.1>"),
        (json!(true), "<true>"),
        (json!("hello"), "<hello>"),
        (json!([-1, -2, -3]), "<[-1 -2 -3]>"),
        (json!({"two": 22}), "<map[two:22]>"),
        (json!(18446744073709551615u64), "<18446744073709551615>"),
    ];
    for (data, want) in cases {
        assert_eq!(run("<{{.}}>", data).as_deref(), Ok(*want), "dot of {data}");
    }
    assert_eq!(
        run("{{.cause}}", &json!({"cause": "neglect"})).as_deref(),
        Ok("neglect")
    );
    assert_eq!(run("{{$}}", &json!(123)).as_deref(), Ok("123"));
    // Executing on nil data (Go's Execute(w, nil)).
    assert_eq!(run("{{.foo}}", &Value::Null).as_deref(), Ok("<no value>"));
    assert_eq!(
        run("{{(.).foo}}", &Value::Null).as_deref(),
        Ok("<no value>")
    );
}

#[test]
fn variables() {
    check(&[
        ("declare in action", "{{$x := $.U.V}}{{$x}}", Some("v")),
        (
            "simple assignment",
            "{{$x := 2}}{{$x = 3}}{{$x}}",
            Some("3"),
        ),
        (
            "nested assignment",
            "{{$x := 2}}{{if true}}{{$x = 3}}{{end}}{{$x}}",
            Some("3"),
        ),
        (
            "nested assignment changes the last declaration",
            "{{$x := 1}}{{if true}}{{$x := 2}}{{if true}}{{$x = 3}}{{end}}{{end}}{{$x}}",
            Some("1"),
        ),
        ("assignment to undeclared", "{{$x = 3}}", None),
        ("bug7b", "{{$x := 1}}{{$x 2}}", None),
        ("bug7c", "{{$x := 1}}{{3 | $x}}", None),
        ("bug14b", "{{$x := nil}}{{$x.anything}}", None),
        (
            "bug14c",
            "{{$x := (1.0)}}{{$y := (\"hello\")}}{{$x.anything}}{{$y.true}}",
            None,
        ),
    ]);
}

#[test]
fn commands_and_parentheses() {
    check(&[
        ("unparenthesized non-function", "{{1 2}}", None),
        ("parenthesized non-function", "{{(1) 2}}", None),
        (
            "parenthesized non-function with no args",
            "{{(1)}}",
            Some("1"),
        ),
        (
            "parens in pipeline",
            "{{printf `%d %s %d` (1) (2 | printf `%d`) (len .SI)}}",
            Some("1 2 3"),
        ),
        ("parens: $ in paren", "{{($).X}}", Some("x")),
        (
            "parens: function then field",
            "{{(index .SMSI 1).eleven}}",
            Some("11"),
        ),
        ("bug14a", "{{(nil).True}}", None),
        ("bug7a", "{{3 2}}", None),
        ("issue 31810", "{{ (.X)  }}", Some("x")),
        (
            "pipeline into function",
            "{{.X | printf `<%s>`}}",
            Some("<x>"),
        ),
        (
            "pipeline into chain of functions",
            "{{.S | printf `%s!` | printf `%q`}}",
            Some("\"xyz!\""),
        ),
    ]);
}

#[test]
fn if_and_with() {
    check(&[
        ("if true", "{{if true}}TRUE{{end}}", Some("TRUE")),
        (
            "if false",
            "{{if false}}TRUE{{else}}FALSE{{end}}",
            Some("FALSE"),
        ),
        ("if nil", "{{if nil}}TRUE{{end}}", None),
        (
            "if 1",
            "{{if 1}}NON-ZERO{{else}}ZERO{{end}}",
            Some("NON-ZERO"),
        ),
        ("if 0", "{{if 0}}NON-ZERO{{else}}ZERO{{end}}", Some("ZERO")),
        (
            "if 1.5",
            "{{if 1.5}}NON-ZERO{{else}}ZERO{{end}}",
            Some("NON-ZERO"),
        ),
        (
            "if 0.0",
            "{{if .FloatZero}}NON-ZERO{{else}}ZERO{{end}}",
            Some("ZERO"),
        ),
        (
            "if 1.5i",
            "{{if 1.5i}}NON-ZERO{{else}}ZERO{{end}}",
            Some("NON-ZERO"),
        ),
        (
            "if 0.0i",
            "{{if 0i}}NON-ZERO{{else}}ZERO{{end}}",
            Some("ZERO"),
        ),
        (
            "if nonNil",
            "{{if .PI}}NON-ZERO{{else}}ZERO{{end}}",
            Some("NON-ZERO"),
        ),
        (
            "if null",
            "{{if .NIL}}NON-ZERO{{else}}ZERO{{end}}",
            Some("ZERO"),
        ),
        (
            "if emptystring",
            "{{if ``}}NON-EMPTY{{else}}EMPTY{{end}}",
            Some("EMPTY"),
        ),
        (
            "if string",
            "{{if `notempty`}}NON-EMPTY{{else}}EMPTY{{end}}",
            Some("NON-EMPTY"),
        ),
        (
            "if emptyslice",
            "{{if .SIEmpty}}NON-EMPTY{{else}}EMPTY{{end}}",
            Some("EMPTY"),
        ),
        (
            "if slice",
            "{{if .SI}}NON-EMPTY{{else}}EMPTY{{end}}",
            Some("NON-EMPTY"),
        ),
        (
            "if emptymap",
            "{{if .MSIEmpty}}NON-EMPTY{{else}}EMPTY{{end}}",
            Some("EMPTY"),
        ),
        (
            "if map",
            "{{if .MSI}}NON-EMPTY{{else}}EMPTY{{end}}",
            Some("NON-EMPTY"),
        ),
        (
            "if map unset",
            "{{if .MSI.none}}NON-ZERO{{else}}ZERO{{end}}",
            Some("ZERO"),
        ),
        (
            "if map not unset",
            "{{if not .MSI.none}}ZERO{{else}}NON-ZERO{{end}}",
            Some("ZERO"),
        ),
        (
            "if $x with $y int",
            "{{if $x := true}}{{with $y := .I}}{{$x}},{{$y}}{{end}}{{end}}",
            Some("true,17"),
        ),
        (
            "if $x with $x int",
            "{{if $x := true}}{{with $x := .I}}{{$x}},{{end}}{{$x}}{{end}}",
            Some("17,true"),
        ),
        (
            "if else if",
            "{{if false}}FALSE{{else if true}}TRUE{{end}}",
            Some("TRUE"),
        ),
        (
            "if else chain",
            "{{if eq 1 3}}1{{else if eq 2 3}}2{{else if eq 3 3}}3{{end}}",
            Some("3"),
        ),
        ("with true", "{{with true}}{{.}}{{end}}", Some("true")),
        (
            "with false",
            "{{with false}}{{.}}{{else}}FALSE{{end}}",
            Some("FALSE"),
        ),
        ("with 1", "{{with 1}}{{.}}{{else}}ZERO{{end}}", Some("1")),
        ("with 0", "{{with 0}}{{.}}{{else}}ZERO{{end}}", Some("ZERO")),
        (
            "with 1.5",
            "{{with 1.5}}{{.}}{{else}}ZERO{{end}}",
            Some("1.5"),
        ),
        (
            "with 0.0",
            "{{with .FloatZero}}{{.}}{{else}}ZERO{{end}}",
            Some("ZERO"),
        ),
        (
            "with 1.5i",
            "{{with 1.5i}}{{.}}{{else}}ZERO{{end}}",
            Some("(0+1.5i)"),
        ),
        (
            "with emptystring",
            "{{with ``}}{{.}}{{else}}EMPTY{{end}}",
            Some("EMPTY"),
        ),
        (
            "with string",
            "{{with `notempty`}}{{.}}{{else}}EMPTY{{end}}",
            Some("notempty"),
        ),
        (
            "with emptyslice",
            "{{with .SIEmpty}}{{.}}{{else}}EMPTY{{end}}",
            Some("EMPTY"),
        ),
        (
            "with slice",
            "{{with .SI}}{{.}}{{else}}EMPTY{{end}}",
            Some("[3 4 5]"),
        ),
        (
            "with emptymap",
            "{{with .MSIEmpty}}{{.}}{{else}}EMPTY{{end}}",
            Some("EMPTY"),
        ),
        (
            "with map",
            "{{with .MSIone}}{{.}}{{else}}EMPTY{{end}}",
            Some("map[one:1]"),
        ),
        (
            "with object, field",
            "{{with .Empty4}}{{.V}}{{end}}",
            Some("UinEmpty"),
        ),
        ("with $x int", "{{with $x := .I}}{{$x}}{{end}}", Some("17")),
        (
            "with $x struct.U.V",
            "{{with $x := $}}{{$x.U.V}}{{end}}",
            Some("v"),
        ),
        (
            "with variable and action",
            "{{with $x := $}}{{$y := $.U.V}}{{$y}}{{end}}",
            Some("v"),
        ),
        (
            "with else with",
            "{{with 0}}{{.}}{{else with true}}{{.}}{{end}}",
            Some("true"),
        ),
        (
            "with else with chain",
            "{{with 0}}{{.}}{{else with false}}{{.}}{{else with `notempty`}}{{.}}{{end}}",
            Some("notempty"),
        ),
        (
            "variable scope ends with if",
            "{{if true}}{{$z := 1}}{{end}}{{$z}}",
            None,
        ),
    ]);
}

#[test]
fn printing_functions() {
    check(&[
        ("print", r#"{{print "hello, print"}}"#, Some("hello, print")),
        ("print 123", "{{print 1 2 3}}", Some("1 2 3")),
        ("print nil", "{{print nil}}", Some("<nil>")),
        ("print missing", "{{print .Missing}}", Some("<nil>")),
        ("println", "{{println 1 2 3}}", Some("1 2 3\n")),
        ("printf int", r#"{{printf "%04x" 127}}"#, Some("007f")),
        ("printf float", r#"{{printf "%g" 3.5}}"#, Some("3.5")),
        ("printf complex", r#"{{printf "%g" 1+7i}}"#, Some("(1+7i)")),
        ("printf string", r#"{{printf "%s" "hello"}}"#, Some("hello")),
        ("printf field", r#"{{printf "%s" .U.V}}"#, Some("v")),
        (
            "printf dot",
            r#"{{with .I}}{{printf "%d" .}}{{end}}"#,
            Some("17"),
        ),
        (
            "printf var",
            r#"{{with $x := .I}}{{printf "%d" $x}}{{end}}"#,
            Some("17"),
        ),
        (
            "printf lots",
            r#"{{printf "%d %s %g %s" 127 "hello" 7-3i .X}}"#,
            Some("127 hello (7-3i) x"),
        ),
        (
            "printf width",
            r#"{{printf "%-6s|%5.1f|%q" .X 2.25 .S}}"#,
            Some("x     |  2.2|\"xyz\""),
        ),
        (
            "html",
            r#"{{html "<script>alert(\"XSS\");</script>"}}"#,
            Some("&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;"),
        ),
        (
            "html pipeline",
            r#"{{printf "<script>alert(\"XSS\");</script>" | html}}"#,
            Some("&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;"),
        ),
        ("html", "{{html .PS}}", Some("a string")),
        ("html typed nil", "{{html .NIL}}", Some("&lt;nil&gt;")),
        (
            "html untyped nil",
            "{{html .Missing}}",
            Some("&lt;no value&gt;"),
        ),
        (
            "urlquery",
            r#"{{"http://www.example.org/"|urlquery}}"#,
            Some("http%3A%2F%2Fwww.example.org%2F"),
        ),
        ("bug16a", "{{true|printf}}", None),
        ("bug16b", "{{1|printf}}", None),
        ("bug16c", "{{1.1|printf}}", None),
        ("bug16d", "{{'x'|printf}}", None),
        ("bug16e", "{{0i|printf}}", None),
        ("bug16j", r#"{{1+2i|printf "%v"}}"#, Some("(1+2i)")),
        ("bug16k", r#"{{"aaa"|printf }}"#, Some("aaa")),
    ]);
    assert_eq!(
        run("{{js .}}", &json!("It'd be nice.")).as_deref(),
        Ok(r"It\'d be nice.")
    );
}

#[test]
fn boolean_functions() {
    check(&[
        ("not", "{{not true}} {{not false}}", Some("false true")),
        (
            "and",
            "{{and false 0}} {{and 1 0}} {{and 0 true}} {{and 1 1}}",
            Some("false 0 0 1"),
        ),
        (
            "or",
            "{{or 0 0}} {{or 1 0}} {{or 0 true}} {{or 1 1}}",
            Some("0 1 true 1"),
        ),
        ("or short-circuit", "{{or 0 1 (index .SI 99)}}", Some("1")),
        ("and short-circuit", "{{and 1 0 (index .SI 99)}}", Some("0")),
        ("or short-circuit2", "{{or 0 0 (index .SI 99)}}", None),
        ("and short-circuit2", "{{and 1 1 (index .SI 99)}}", None),
        ("and pipe-true", "{{1 | and 1}}", Some("1")),
        ("and pipe-false", "{{0 | and 1}}", Some("0")),
        ("or pipe-true", "{{1 | or 0}}", Some("1")),
        ("or pipe-false", "{{0 | or 0}}", Some("0")),
        ("and undef", "{{and 1 .Unknown}}", Some("<no value>")),
        ("or undef", "{{or 0 .Unknown}}", Some("<no value>")),
        (
            "boolean if",
            "{{if and true 1 `hi`}}TRUE{{else}}FALSE{{end}}",
            Some("TRUE"),
        ),
        (
            "boolean if not",
            "{{if and true 1 `hi` | not}}TRUE{{else}}FALSE{{end}}",
            Some("FALSE"),
        ),
        (
            "boolean if pipe",
            "{{if true | not | and 1}}TRUE{{else}}FALSE{{end}}",
            Some("FALSE"),
        ),
        (
            "or as if true",
            r#"{{or .SI "slice is empty"}}"#,
            Some("[3 4 5]"),
        ),
        (
            "or as if false",
            r#"{{or .SIEmpty "slice is empty"}}"#,
            Some("slice is empty"),
        ),
    ]);
}

#[test]
fn index_slice_len() {
    check(&[
        ("slice[0]", "{{index .SI 0}}", Some("3")),
        ("slice[1]", "{{index .SI 1}}", Some("4")),
        ("slice[HUGE]", "{{index .SI 10}}", None),
        ("slice[len]", "{{index .SI 3}}", None),
        ("slice[WRONG]", "{{index .SI `hello`}}", None),
        ("slice[nil]", "{{index .SI nil}}", None),
        ("map[one]", "{{index .MSI `one`}}", Some("1")),
        ("map[two]", "{{index .MSI `two`}}", Some("2")),
        // Docker's maps hold strings: a missing key is the zero value "".
        ("map[NO]", "{{index .MSI `XXX`}}", Some("")),
        ("map[nil]", "{{index .MSI nil}}", None),
        ("map[``]", "{{index .MSI ``}}", Some("")),
        ("map[WRONG]", "{{index .MSI 10}}", None),
        ("double index", "{{index .SMSI 1 `eleven`}}", Some("11")),
        ("nil[1]", "{{index nil 1}}", None),
        (
            "index of an interface field",
            "{{index .Empty3 0}}",
            Some("7"),
        ),
        ("index of a string is a byte", "{{index .S 1}}", Some("121")),
        ("index with no indexes", "{{index .SI}}", Some("[3 4 5]")),
        ("index of int", "{{index .I 0}}", None),
        ("slice[:]", "{{slice .SI}}", Some("[3 4 5]")),
        ("slice[1:]", "{{slice .SI 1}}", Some("[4 5]")),
        ("slice[1:2]", "{{slice .SI 1 2}}", Some("[4]")),
        ("slice[-1:]", "{{slice .SI -1}}", None),
        ("slice[1:-2]", "{{slice .SI 1 -2}}", None),
        ("slice[1:2:-1]", "{{slice .SI 1 2 -1}}", None),
        ("slice[2:1]", "{{slice .SI 2 1}}", None),
        ("slice[2:2:1]", "{{slice .SI 2 2 1}}", None),
        ("out of range", "{{slice .SI 4 5}}", None),
        ("out of range", "{{slice .SI 2 2 5}}", None),
        ("3-index slice", "{{slice .SI 1 2 3}}", Some("[4]")),
        ("array[:]", "{{slice .AI}}", Some("[3 4 5]")),
        ("string[:]", "{{slice .S}}", Some("xyz")),
        ("string[0:1]", "{{slice .S 0 1}}", Some("x")),
        ("string[1:]", "{{slice .S 1}}", Some("yz")),
        ("string[1:2]", "{{slice .S 1 2}}", Some("y")),
        ("out of range", "{{slice .S 1 5}}", None),
        ("3-index slice of string", "{{slice .S 1 2 2}}", None),
        (
            "slice of an interface field",
            "{{slice .Empty3 0 1}}",
            Some("[7]"),
        ),
        ("len slice", "{{len .SI}}", Some("3")),
        ("len map", "{{len .MSI }}", Some("3")),
        ("len string is bytes", "{{len `日本`}}", Some("6")),
        ("len of int", "{{len 3}}", None),
        ("len of nothing", "{{len .Missing}}", None),
        // A JSON null stands for a nil slice or map: its length is 0.
        ("len of null", "{{len .NIL}}", Some("0")),
        ("len of an interface field", "{{len .Empty3}}", Some("2")),
    ]);
}

#[test]
fn range() {
    check(&[
        (
            "range []int",
            "{{range .SI}}-{{.}}-{{end}}",
            Some("-3--4--5-"),
        ),
        (
            "range empty no else",
            "{{range .SIEmpty}}-{{.}}-{{end}}",
            Some(""),
        ),
        (
            "range []int else",
            "{{range .SI}}-{{.}}-{{else}}EMPTY{{end}}",
            Some("-3--4--5-"),
        ),
        (
            "range empty else",
            "{{range .SIEmpty}}-{{.}}-{{else}}EMPTY{{end}}",
            Some("EMPTY"),
        ),
        (
            "range []int break else",
            "{{range .SI}}-{{.}}-{{break}}NOTREACHED{{else}}EMPTY{{end}}",
            Some("-3-"),
        ),
        (
            "range []int continue else",
            "{{range .SI}}-{{.}}-{{continue}}NOTREACHED{{else}}EMPTY{{end}}",
            Some("-3--4--5-"),
        ),
        (
            "break inside if",
            "{{range .SI}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}",
            Some("3"),
        ),
        (
            "continue inside if",
            "{{range .SI}}{{if eq . 4}}{{continue}}{{end}}{{.}}{{end}}",
            Some("35"),
        ),
        (
            "break inner range only",
            "{{range .SI}}{{range $.SB}}{{break}}{{end}}{{.}}{{end}}",
            Some("345"),
        ),
        (
            "range []bool",
            "{{range .SB}}-{{.}}-{{end}}",
            Some("-true--false-"),
        ),
        (
            "range map",
            "{{range .MSI}}-{{.}}-{{end}}",
            Some("-1--3--2-"),
        ),
        (
            "range empty map no else",
            "{{range .MSIEmpty}}-{{.}}-{{end}}",
            Some(""),
        ),
        (
            "range map else",
            "{{range .MSI}}-{{.}}-{{else}}EMPTY{{end}}",
            Some("-1--3--2-"),
        ),
        (
            "range empty map else",
            "{{range .MSIEmpty}}-{{.}}-{{else}}EMPTY{{end}}",
            Some("EMPTY"),
        ),
        (
            "range empty interface",
            "{{range .Empty3}}-{{.}}-{{else}}EMPTY{{end}}",
            Some("-7--8-"),
        ),
        (
            "range empty nil",
            "{{range .Empty0}}-{{.}}-{{end}}",
            Some(""),
        ),
        (
            "range missing else",
            "{{range .Missing}}-{{.}}-{{else}}NONE{{end}}",
            Some("NONE"),
        ),
        (
            "range $x SI",
            "{{range $x := .SI}}<{{$x}}>{{end}}",
            Some("<3><4><5>"),
        ),
        (
            "range $x $y SI",
            "{{range $x, $y := .SI}}<{{$x}}={{$y}}>{{end}}",
            Some("<0=3><1=4><2=5>"),
        ),
        (
            "range $x MSIone",
            "{{range $x := .MSIone}}<{{$x}}>{{end}}",
            Some("<1>"),
        ),
        (
            "range $x $y MSIone",
            "{{range $x, $y := .MSIone}}<{{$x}}={{$y}}>{{end}}",
            Some("<one=1>"),
        ),
        (
            "range $x PSI",
            "{{range $x := .PSI}}<{{$x}}>{{end}}",
            Some("<21><22><23>"),
        ),
        (
            "declare in range",
            "{{range $x := .PSI}}<{{$foo:=$x}}{{$x}}>{{end}}",
            Some("<21><22><23>"),
        ),
        (
            "range 5",
            r#"{{range $v := 5}}{{printf "%T%d" $v $v}}{{end}}"#,
            Some("int0int1int2int3int4"),
        ),
        (
            "range 0 else",
            "{{range 0}}x{{else}}empty{{end}}",
            Some("empty"),
        ),
        (
            "range int over two variables",
            "{{range $i, $v := 5}}{{end}}",
            None,
        ),
        ("range over string", "{{range .S}}{{end}}", None),
        (
            "issue56490",
            "{{$i := 0}}{{$x := 0}}{{range $i = .AI}}{{end}}{{$i}}",
            Some("5"),
        ),
        (
            "issue60801",
            "{{$k := 0}}{{$v := 0}}{{range $k, $v = .AI}}{{$k}}={{$v}} {{end}}",
            Some("0=3 1=4 2=5 "),
        ),
        (
            "range vars scoped to range",
            "{{range $x := .SI}}{{end}}{{$x}}",
            None,
        ),
    ]);
}

#[test]
fn numbers() {
    check(&[
        ("decimal", "{{print 1234}}", Some("1234")),
        ("decimal _", "{{print 12_34}}", Some("1234")),
        ("binary", "{{print 0b101}}", Some("5")),
        ("binary _", "{{print 0b_1_0_1}}", Some("5")),
        ("BINARY", "{{print 0B101}}", Some("5")),
        ("octal0", "{{print 0377}}", Some("255")),
        ("octal", "{{print 0o377}}", Some("255")),
        ("octal _", "{{print 0o_3_7_7}}", Some("255")),
        ("OCTAL", "{{print 0O377}}", Some("255")),
        ("hex", "{{print 0x123}}", Some("291")),
        ("hex _", "{{print 0x1_23}}", Some("291")),
        ("HEX", "{{print 0X123ABC}}", Some("1194684")),
        ("float", "{{print 123.4}}", Some("123.4")),
        ("float _", "{{print 0_0_1_2_3.4}}", Some("123.4")),
        ("hex float", "{{print +0x1.ep+2}}", Some("7.5")),
        ("hex float _", "{{print +0x_1.e_0p+0_2}}", Some("7.5")),
        ("HEX float", "{{print +0X1.EP+2}}", Some("7.5")),
        (
            "print multi",
            "{{print 1_2_3_4 7.5_00_00_00}}",
            Some("1234 7.5"),
        ),
        (
            "print multi2",
            "{{print 1234 0x0_1.e_0p+02}}",
            Some("1234 7.5"),
        ),
        ("negative", "{{print -7 -2.5}}", Some("-7 -2.5")),
        (
            "exponent",
            "{{print 1e6 1e21 1e-5}}",
            Some("1e+06 1e+21 1e-05"),
        ),
    ]);
}

#[test]
fn comparisons() {
    let data = json!({
        "Uthree": 3, "Ufour": 4, "NegOne": -1, "Three": 3,
        "Big": 18446744073709551615u64, "Obj": {"a": 1}, "Arr": [1], "Null": null,
    });
    let cases: &[(&str, Option<bool>)] = &[
        ("eq true true", Some(true)),
        ("eq true false", Some(false)),
        ("eq 1+2i 1+2i", Some(true)),
        ("eq 1+2i 1+3i", Some(false)),
        ("eq 1.5 1.5", Some(true)),
        ("eq 1.5 2.5", Some(false)),
        ("eq 1 1", Some(true)),
        ("eq 1 2", Some(false)),
        ("eq `xy` `xy`", Some(true)),
        ("eq `xy` `xyz`", Some(false)),
        ("eq .Uthree .Uthree", Some(true)),
        ("eq .Uthree .Ufour", Some(false)),
        ("eq 3 4 5 6 3", Some(true)),
        ("eq 3 4 5 6 7", Some(false)),
        ("ne true true", Some(false)),
        ("ne 1.5 2.5", Some(true)),
        ("ne `xy` `xyz`", Some(true)),
        ("lt 1.5 1.5", Some(false)),
        ("lt 1.5 2.5", Some(true)),
        ("lt 1 2", Some(true)),
        ("lt `xy` `xyz`", Some(true)),
        ("le 1.5 1.5", Some(true)),
        ("le 2.5 1.5", Some(false)),
        ("le `xyz` `xy`", Some(false)),
        ("le .Ufour .Uthree", Some(false)),
        ("gt 2 1", Some(true)),
        ("gt `xy` `xyz`", Some(false)),
        ("gt .Ufour .Uthree", Some(true)),
        ("ge 2.5 1.5", Some(true)),
        ("ge 1 2", Some(false)),
        ("ge `xyz` `xy`", Some(true)),
        // Mixing signed and unsigned integers.
        ("eq .Big .NegOne", Some(false)),
        ("lt .NegOne .Big", Some(true)),
        ("gt .Big .Three", Some(true)),
        ("eq .Big 18446744073709551615", None),
        ("eq (index `x` 0) 'x'", Some(true)),
        ("eq (index `x` 0) 'y'", Some(false)),
        ("eq .Null nil", Some(true)),
        ("eq nil .Null", Some(true)),
        ("eq .Missing nil", Some(true)),
        ("eq .Obj nil", Some(false)),
        ("eq .Null 0", Some(false)),
        ("eq .Missing `x`", Some(false)),
        // Errors.
        ("eq `xy` 1", None),
        ("eq 2 2.0", None),
        ("lt true true", None),
        ("lt 1+0i 1+0i", None),
        ("eq .Obj .Obj", None),
        ("eq .Arr .Obj", None),
        ("eq .Obj 1", None),
        ("lt .Missing 1", None),
        ("eq 1", None),
    ];
    for (expr, want) in cases {
        let src = format!("{{{{if {expr}}}}}true{{{{else}}}}false{{{{end}}}}");
        let got = run(&src, &data);
        match want {
            Some(w) => assert_eq!(got, Ok(w.to_string()), "{expr}"),
            None => assert!(got.is_err(), "{expr} should fail, got {got:?}"),
        }
    }
    // Go's literal 18446744073709551615 overflows int; the error names the literal.
    assert_eq!(
        run("{{eq .Big 18446744073709551615}}", &data).unwrap_err(),
        r#"template: :1:10: executing "" at <18446744073709551615>: 18446744073709551615 overflows int"#
    );
}

#[test]
fn execution_error_messages() {
    let data = t_val();
    let cases = [
        (
            "{{nil}}",
            r#"template: :1:2: executing "" at <nil>: nil is not a command"#,
        ),
        (
            "{{1 2}}",
            r#"template: :1:2: executing "" at <1>: can't give argument to non-function 1"#,
        ),
        (
            "{{.MSI.one 1}}",
            r#"template: :1:6: executing "" at <.MSI.one>: one is not a method but has arguments"#,
        ),
        (
            "{{.I.X}}",
            r#"template: :1:4: executing "" at <.I.X>: can't evaluate field X in type int"#,
        ),
        (
            "{{.NIL.X}}",
            r#"template: :1:6: executing "" at <.NIL.X>: nil pointer evaluating interface {}.X"#,
        ),
        (
            "{{index .SI 10}}",
            r#"template: :1:2: executing "" at <index .SI 10>: error calling index: index out of range: 10"#,
        ),
        (
            "{{index}}",
            r#"template: :1:2: executing "" at <index>: wrong number of args for index: want at least 1 got 0"#,
        ),
        (
            "{{not 1 2}}",
            r#"template: :1:2: executing "" at <not>: wrong number of args for not: want 1 got 2"#,
        ),
        (
            "{{len 3}}",
            r#"template: :1:2: executing "" at <len 3>: error calling len: len of type int"#,
        ),
        (
            "{{lower .I}}",
            r#"template: :1:8: executing "" at <.I>: wrong type for value; expected string; got int"#,
        ),
        (
            "{{lower .Missing}}",
            r#"template: :1:8: executing "" at <.Missing>: invalid value; expected string"#,
        ),
        (
            "{{lower 3}}",
            r#"template: :1:8: executing "" at <3>: expected string; found 3"#,
        ),
        (
            "{{truncate .X 1.5}}",
            r#"template: :1:14: executing "" at <1.5>: expected integer; found 1.5"#,
        ),
        (
            "{{printf nil}}",
            r#"template: :1:9: executing "" at <nil>: cannot assign nil to string"#,
        ),
        (
            "{{range .S}}{{end}}",
            r#"template: :1:8: executing "" at <.S>: range can't iterate over xyz"#,
        ),
        (
            "{{template `nope`}}",
            r#"template: :1:11: executing "" at <{{template "nope"}}>: template "nope" not defined"#,
        ),
        (
            "{{eq `xy` 1}}",
            r#"template: :1:2: executing "" at <eq `xy` 1>: error calling eq: incompatible types for comparison: string and int"#,
        ),
        (
            "{{call .True}}",
            r#"template: :1:2: executing "" at <call .True>: error calling call: non-function .True of type bool"#,
        ),
        (
            "{{call}}",
            r#"template: :1:2: executing "" at <call>: wrong number of args for call: want at least 1 got 0"#,
        ),
        (
            "{{call (len `test`)}}",
            r#"template: :1:2: executing "" at <call (len `test`)>: error calling call: non-function len `test` of type int"#,
        ),
        (
            "{{(nil).True}}",
            r#"template: :1:3: executing "" at <nil>: nil is not a command"#,
        ),
        (
            "x\n{{$x := 1}}{{3 | $x}}",
            r#"template: :2:17: executing "" at <$x>: can't give argument to non-function $x"#,
        ),
    ];
    for (src, want) in cases {
        assert_eq!(run(src, &data).unwrap_err(), want, "{src}");
    }
}

#[test]
fn missing_key_modes() {
    let data = json!({"x": 99});
    let t = Template::parse("{{.x}} {{.y}}").unwrap();
    assert_eq!(t.execute(&data).unwrap(), "99 <no value>");
    let strict = t.clone().with_missing_key(MissingKey::Error);
    assert_eq!(
        strict.execute(&data).unwrap_err().to_string(),
        r#"template: :1:9: executing "" at <.y>: map has no entry for key "y""#
    );
    assert_eq!(
        strict.execute(&Value::Null).unwrap_err().to_string(),
        r#"template: :1:2: executing "" at <.x>: nil data; no entry for key "x""#
    );
    // Output before the failing action is kept by execute_into.
    let mut out = String::new();
    assert!(strict.execute_into(&data, &mut out).is_err());
    assert_eq!(out, "99 ");
}

/// Go's TestExecError: an error inside nested templates names the innermost one.
#[test]
fn error_in_nested_template() {
    let src = "line 1\nline 2\nline 3\n{{template \"one\" .}}\n{{define \"one\"}}{{template \"two\" .}}{{end}}\n{{define \"two\"}}{{template \"three\" .}}{{end}}\n{{define \"three\"}}{{index \"hi\" $}}{{end}}";
    let t = Template::parse_named("top", src).unwrap();
    assert_eq!(
        t.execute(&json!(5)).unwrap_err().to_string(),
        r#"template: top:7:20: executing "three" at <index "hi" $>: error calling index: index out of range: 5"#
    );
    assert_eq!(t.defined_templates(), vec!["one", "three", "two"]);
}

#[test]
fn define_template_and_block() {
    let tree = json!({"Val": 1,
        "Left": {"Val": 2, "Left": {"Val": 3, "Left": {"Val": 4}}, "Right": {"Val": 5, "Left": {"Val": 6}}},
        "Right": {"Val": 7, "Left": {"Val": 8, "Left": {"Val": 9}}, "Right": {"Val": 10, "Left": {"Val": 11}}}});
    let src = r#"
	{{- define "tree" -}}
	[
		{{- .Val -}}
		{{- with .Left -}}
			{{template "tree" . -}}
		{{- end -}}
		{{- with .Right -}}
			{{- template "tree" . -}}
		{{- end -}}
	]
	{{- end -}}
{{template "tree" .}}"#;
    assert_eq!(
        run(src, &tree).as_deref(),
        Ok("[1[2[3[4]][5[6]]][7[8[9]][10[11]]]]")
    );
    assert_eq!(
        run(
            r#"a({{block "inner" .}}bar({{.}})baz{{end}})b"#,
            &json!("hello")
        )
        .as_deref(),
        Ok("a(bar(hello)baz)b")
    );
    assert_eq!(
        run(
            r#"{{define "x"}}X{{.}}{{end}}{{template "x" 1}}-{{template "x"}}"#,
            &json!(null)
        )
        .as_deref(),
        Ok("X1-X<no value>")
    );
    // Templates start with only $ defined; variables declared by the call's pipeline persist.
    assert_eq!(
        run(
            r#"{{define "v"}}{{$}}{{end}}{{template "v" $x := 7}}{{$x}}"#,
            &json!(null)
        )
        .as_deref(),
        Ok("77")
    );
    // An empty definition does not replace a non-empty one.
    assert_eq!(
        run(
            r#"{{define "a"}}A{{end}}{{define "a"}}{{end}}{{template "a"}}"#,
            &json!(null)
        )
        .as_deref(),
        Ok("A")
    );
    // Recursion is stopped before the native stack overflows.
    let err = run(
        r#"{{define "r"}}{{template "r"}}{{end}}{{template "r"}}"#,
        &json!(null),
    )
    .unwrap_err();
    assert!(
        err.ends_with("exceeded maximum template depth (500)"),
        "{err}"
    );
}

#[test]
fn trim_markers_and_comments() {
    let data = t_val();
    check_with(
        &data,
        &[
            ("trim both", "x \r\n\t{{- .X -}}\n\n\ty", Some("xxy")),
            ("trim left only", "a  {{- .X}}  b", Some("ax  b")),
            ("comment", "a{{/* c */}}b", Some("ab")),
            ("comment trimmed", "a \n{{- /* c\n */ -}}\n b", Some("ab")),
            ("minus number is not a trim marker", "{{-3}}", Some("-3")),
            (
                "newlines inside actions",
                "{{ $x \n := \n .X \n }}{{\n$x\n|\nprintf\n}}",
                Some("x"),
            ),
        ],
    );
}

#[test]
fn step_limit_stops_runaway_templates() {
    let t = Template::parse("{{range 1000000000}}{{range 1000000000}}x{{end}}{{end}}")
        .unwrap()
        .with_step_limit(10_000);
    let err = t.execute(&Value::Null).unwrap_err().to_string();
    assert!(err.ends_with("execution step limit exceeded"), "{err}");
}

/// The CLI may share one parsed template between threads.
#[test]
fn templates_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Template>();
    assert_send_sync::<wharf_gotemplate::docker::Format>();
}
