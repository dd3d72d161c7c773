//! Go's `text/tabwriter` elastic tabstops, as docker's fork
//! (`cli/command/formatter/tabwriter`) runs it: cell widths are display widths
//! (see [`string_width`]), so wide CJK runes count two columns and combining marks none.
//!
//! Text is split into cells terminated by `\t` (or the soft `\v`); `\n` and `\f` end lines.
//! Tab-terminated cells in adjacent lines form a column block that is padded to its widest cell
//! plus `padding` (and at least `minwidth`). The last cell of a line is not part of a column.
//!
//! Docker's tables use `TabWriter::new(10, 1, 3, ' ', Flags::NONE)`; [`crate::docker`] does that
//! for `table` formats.
//!
//! Go's `Escape` byte (0xff) cannot occur in UTF-8 text, so escaped segments and `StripEscape`
//! are not supported.

mod width;

pub use width::{rune_width, string_width};

/// Formatting flags, combinable with `|`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags(u8);

impl Flags {
    /// No flags: left-aligned cells, padding with the pad character.
    pub const NONE: Flags = Flags(0);
    /// Pass HTML tags (zero width) and entities (width one) through.
    pub const FILTER_HTML: Flags = Flags(1);
    /// Right-align cell content.
    pub const ALIGN_RIGHT: Flags = Flags(1 << 2);
    /// Drop columns made only of empty `\v`-terminated cells.
    pub const DISCARD_EMPTY_COLUMNS: Flags = Flags(1 << 3);
    /// Pad leading empty cells with tabs whatever the pad character.
    pub const TAB_INDENT: Flags = Flags(1 << 4);
    /// Print `|` between columns and `---` at form feeds.
    pub const DEBUG: Flags = Flags(1 << 5);

    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

/// A segment of text terminated by a tab or line break.
#[derive(Clone, Copy, Debug, Default)]
struct Cell {
    /// Bytes of text in the cell.
    size: usize,
    /// Display width of the text.
    width: usize,
    /// Terminated by a hard tab (`\t`) rather than a soft one (`\v`) or a line end.
    htab: bool,
}

/// Buffers tab-separated text and aligns it into columns on [`TabWriter::flush`].
#[derive(Debug)]
pub struct TabWriter {
    minwidth: usize,
    tabwidth: usize,
    padding: usize,
    padchar: char,
    flags: Flags,

    /// Text of all cells, without tabs and line breaks.
    text: String,
    /// Position in `text` up to which the current cell's width has been counted.
    counted: usize,
    cell: Cell,
    /// Inside an HTML tag or entity: the byte that ends it.
    end_char: Option<u8>,
    lines: Vec<Vec<Cell>>,
    widths: Vec<usize>,
    /// Formatted output not yet returned by `flush`.
    out: String,
    /// Read position in `text` while formatting.
    read: usize,
}

impl TabWriter {
    /// Mirrors Go's `tabwriter.NewWriter(out, minwidth, tabwidth, padding, padchar, flags)`.
    ///
    /// `tabwidth` is only used when padding with tabs (`padchar == '\t'` or
    /// [`Flags::TAB_INDENT`]); tab padding forces left alignment.
    pub fn new(
        minwidth: usize,
        tabwidth: usize,
        padding: usize,
        padchar: char,
        flags: Flags,
    ) -> Self {
        let flags = if padchar == '\t' {
            Flags(flags.0 & !Flags::ALIGN_RIGHT.0)
        } else {
            flags
        };
        TabWriter {
            minwidth,
            tabwidth,
            padding,
            padchar,
            flags,
            text: String::new(),
            counted: 0,
            cell: Cell::default(),
            end_char: None,
            lines: vec![Vec::new()],
            widths: Vec::new(),
            out: String::new(),
            read: 0,
        }
    }

    /// Appends text. Lines are formatted as soon as no later line can change their layout.
    pub fn write_str(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            match self.end_char {
                None => match b {
                    b'\t' | b'\x0b' | b'\n' | b'\x0c' => {
                        self.append(&s[start..i]);
                        self.update_width();
                        start = i + 1;
                        let ncells = self.terminate_cell(b == b'\t');
                        if b == b'\n' || b == b'\x0c' {
                            self.lines.push(Vec::new());
                            if b == b'\x0c' || ncells == 1 {
                                // A line with a single cell cannot affect later columns.
                                self.flush_buffered();
                                if b == b'\x0c' && self.flags.contains(Flags::DEBUG) {
                                    self.out.push_str("---\n");
                                }
                            }
                        }
                    }
                    b'<' | b'&' if self.flags.contains(Flags::FILTER_HTML) => {
                        self.append(&s[start..i]);
                        self.update_width();
                        start = i;
                        self.end_char = Some(if b == b'<' { b'>' } else { b';' });
                    }
                    _ => {}
                },
                Some(end) if b == end => {
                    self.append(&s[start..=i]);
                    start = i + 1;
                    self.end_html();
                }
                Some(_) => {}
            }
        }
        self.append(&s[start..]);
    }

    /// Formats everything buffered and returns all output produced since the last flush.
    pub fn flush(&mut self) -> String {
        self.flush_buffered();
        std::mem::take(&mut self.out)
    }

    fn append(&mut self, s: &str) {
        self.text.push_str(s);
        self.cell.size += s.len();
    }

    fn update_width(&mut self) {
        self.cell.width += string_width(&self.text[self.counted..]);
        self.counted = self.text.len();
    }

    /// Ends an HTML tag (width 0) or entity (width 1).
    fn end_html(&mut self) {
        if self.end_char == Some(b';') {
            self.cell.width += 1;
        }
        self.counted = self.text.len();
        self.end_char = None;
    }

    /// Adds the current cell to the current line; returns the line's cell count.
    fn terminate_cell(&mut self, htab: bool) -> usize {
        self.cell.htab = htab;
        let cell = std::mem::take(&mut self.cell);
        let line = self
            .lines
            .last_mut()
            .expect("there is always a current line");
        line.push(cell);
        line.len()
    }

    fn flush_buffered(&mut self) {
        if self.cell.size > 0 {
            if self.end_char.is_some() {
                self.end_html();
            }
            self.terminate_cell(false);
        }
        self.format();
        self.text.clear();
        self.counted = 0;
        self.cell = Cell::default();
        self.end_char = None;
        self.lines.clear();
        self.lines.push(Vec::new());
        self.widths.clear();
        self.read = 0;
    }

    /// Go's recursive `format`, run with an explicit stack so that lines with very many
    /// columns cannot exhaust the call stack. Each frame is a column block: a run of lines
    /// `[line0, line1)` that all have a cell in column `widths.len()` (the root frame spans all
    /// lines); `this` is the next line to examine.
    fn format(&mut self) {
        struct Frame {
            line0: usize,
            line1: usize,
            this: usize,
        }
        let mut stack = vec![Frame {
            line0: 0,
            line1: self.lines.len(),
            this: 0,
        }];
        while let Some(frame) = stack.last_mut() {
            let column = self.widths.len();
            while frame.this < frame.line1 && column + 1 >= self.lines[frame.this].len() {
                frame.this += 1;
            }
            if frame.this >= frame.line1 {
                let (line0, line1) = (frame.line0, frame.line1);
                self.write_lines(line0, line1);
                stack.pop();
                if !stack.is_empty() {
                    self.widths.pop();
                }
                continue;
            }
            // A column block starts at `this`: print the lines before it, then size the block.
            let start = frame.this;
            let line0 = frame.line0;
            let mut width = self.minwidth;
            let mut discardable = true;
            let mut end = start;
            while end < frame.line1 && column + 1 < self.lines[end].len() {
                let c = self.lines[end][column];
                width = width.max(c.width + self.padding);
                if c.width > 0 || c.htab {
                    discardable = false;
                }
                end += 1;
            }
            if discardable && self.flags.contains(Flags::DISCARD_EMPTY_COLUMNS) {
                width = 0;
            }
            frame.line0 = end;
            frame.this = end;
            self.write_lines(line0, start);
            self.widths.push(width);
            stack.push(Frame {
                line0: start,
                line1: end,
                this: start,
            });
        }
    }

    fn write_lines(&mut self, line0: usize, line1: usize) {
        for i in line0..line1 {
            let mut use_tabs = self.flags.contains(Flags::TAB_INDENT);
            for j in 0..self.lines[i].len() {
                let c = self.lines[i][j];
                if j > 0 && self.flags.contains(Flags::DEBUG) {
                    self.out.push('|');
                }
                let cell_width = self.widths.get(j).copied();
                if c.size == 0 {
                    if let Some(w) = cell_width {
                        self.write_padding(c.width, w, use_tabs);
                    }
                } else {
                    use_tabs = false;
                    let text = &self.text[self.read..self.read + c.size];
                    if self.flags.contains(Flags::ALIGN_RIGHT) {
                        if let Some(w) = cell_width {
                            self.write_padding(c.width, w, false);
                        }
                        self.out.push_str(&self.text[self.read..self.read + c.size]);
                    } else {
                        self.out.push_str(text);
                        if let Some(w) = cell_width {
                            self.write_padding(c.width, w, false);
                        }
                    }
                    self.read += c.size;
                }
            }
            if i + 1 == self.lines.len() {
                // The last buffered line has no newline yet: write its pending cell text.
                let end = self.read + self.cell.size;
                self.out.push_str(&self.text[self.read..end]);
                self.read = end;
            } else {
                self.out.push('\n');
            }
        }
    }

    fn write_padding(&mut self, text_width: usize, cell_width: usize, use_tabs: bool) {
        if self.padchar == '\t' || use_tabs {
            if self.tabwidth == 0 {
                return;
            }
            let cell_width = cell_width.div_ceil(self.tabwidth) * self.tabwidth;
            let n = cell_width.saturating_sub(text_width);
            for _ in 0..n.div_ceil(self.tabwidth) {
                self.out.push('\t');
            }
            return;
        }
        for _ in 0..cell_width.saturating_sub(text_width) {
            self.out.push(self.padchar);
        }
    }
}
