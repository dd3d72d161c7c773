//! Go text/template engine as Docker's CLI uses it for --format, over JSON values
