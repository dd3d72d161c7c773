//! Template text to parse trees: lexer, literals, nodes and parser.

pub(crate) mod ast;
mod lex;
mod literal;
mod parser;

pub(crate) use parser::parse;
