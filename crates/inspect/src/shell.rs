//! The structure of a POSIX shell script, enough to say under which conditions a
//! command runs: `if`/`elif`/`else`/`fi`, `case`/`esac`, `&&`/`||` chains, loops,
//! brace groups, subshells and functions.
//!
//! A line matched by a pattern (`wget --no-check-certificate`) means something else
//! when it runs only after `[ "$INSECURE" = 1 ]`: the device's owner has to opt in.
//! This scanner finds the command holding a byte offset and the guards around it.
//! It never fails: text it does not understand (unbalanced quotes, a stray `fi`)
//! ends constructs early rather than inventing guards, and work is linear in the
//! input (one pass of the lexer, one of the parser).

/// What kind of construct guards a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardKind {
    /// The `then` branch of an `if` or `elif` (the text is its condition).
    If,
    /// An `elif` or `else` branch: the earlier conditions were false.
    Else,
    /// A `case` branch (the text is `case WORD in PATTERN)`).
    Case,
    /// A command after `&&` or `||` (the text is the command it depends on).
    AndOr,
    /// The body of a `while`/`until`/`for` loop.
    Loop,
    /// The body of a shell function (runs when called).
    Function,
}

/// One construct a command runs under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    pub kind: GuardKind,
    /// The condition as written, such as `[ "$x" = 1 ]` or `! [ -z "$OPT" ]`.
    pub text: String,
    /// Whether the condition tests a setting (a variable, `uci get`, `nvram get`,
    /// a configuration file), so the command runs only when the setting says so.
    /// Tests of the script's arguments (`case "$1" in start)`), of the previous exit
    /// status (`$?`) and fallbacks (`a || b`) are not configuration tests: the
    /// command is on the default path (or an attacker can force it).
    pub config: bool,
}

/// One simple command: its byte range and the guards around it, outermost first.
#[derive(Debug, Clone)]
pub struct Command {
    pub start: usize,
    pub end: usize,
    pub guards: Vec<Guard>,
}

/// A parsed script.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub commands: Vec<Command>,
}

impl Script {
    /// Parses `src` (lossy text of the script).
    pub fn parse(src: &str) -> Script {
        let toks = lex(src);
        Parser::new(src).run(&toks)
    }

    /// The guards of the command holding byte `offset` (empty on the default path).
    pub fn guards_at(&self, offset: usize) -> &[Guard] {
        // Commands are recorded in source order and do not overlap.
        let i = self.commands.partition_point(|c| c.end <= offset);
        match self.commands.get(i) {
            Some(c) if c.start <= offset => &c.guards,
            _ => &[],
        }
    }

    /// The configuration tests guarding `offset`, joined for a person to read, or
    /// `None` when the command runs whatever the settings say.
    pub fn config_condition(&self, offset: usize) -> Option<String> {
        let g: Vec<String> = self
            .guards_at(offset)
            .iter()
            .filter(|g| g.config)
            .map(|g| match g.kind {
                GuardKind::If => format!("if {}", g.text),
                _ => g.text.clone(),
            })
            .collect();
        (!g.is_empty()).then(|| g.join(" and "))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word {
        text: String,
        start: usize,
        end: usize,
    },
    /// `;`, `;;`, `&`, `&&`, `||`, `|`, `(`, `)`, newline (`\n`).
    Op { op: &'static str, at: usize },
}

/// Longest token kept whole; longer words are cut (the rest still advances the lexer).
const MAX_WORD: usize = 4096;

fn lex(src: &str) -> Vec<Tok> {
    let b = src.as_bytes();
    let n = b.len();
    let mut out = Vec::new();
    let mut i = 0;
    // Heredoc delimiters waiting for the end of the current line.
    let mut heredocs: Vec<(String, bool)> = Vec::new();
    while i < n {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\\' if b.get(i + 1) == Some(&b'\n') => i += 2,
            b'#' => {
                while i < n && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'\n' => {
                out.push(Tok::Op { op: "\n", at: i });
                i += 1;
                for (delim, strip_tabs) in heredocs.drain(..) {
                    // Skip body lines until the delimiter line.
                    loop {
                        if i >= n {
                            break;
                        }
                        let end = memchr::memchr(b'\n', &b[i..]).map_or(n, |p| i + p);
                        let line = &src[i..end];
                        let line = if strip_tabs {
                            line.trim_start_matches('\t')
                        } else {
                            line
                        };
                        i = (end + 1).min(n);
                        if line.trim_end_matches('\r') == delim {
                            break;
                        }
                    }
                }
            }
            b';' => {
                if b.get(i + 1) == Some(&b';') {
                    out.push(Tok::Op { op: ";;", at: i });
                    i += 2;
                    if b.get(i) == Some(&b'&') {
                        i += 1;
                    }
                } else {
                    out.push(Tok::Op { op: ";", at: i });
                    i += 1;
                    if b.get(i) == Some(&b'&') {
                        i += 1; // `;&` (bash fall-through) ends a branch like `;;`
                    }
                }
            }
            b'&' => {
                if b.get(i + 1) == Some(&b'&') {
                    out.push(Tok::Op { op: "&&", at: i });
                    i += 2;
                } else {
                    out.push(Tok::Op { op: "&", at: i });
                    i += 1;
                }
            }
            b'|' => {
                if b.get(i + 1) == Some(&b'|') {
                    out.push(Tok::Op { op: "||", at: i });
                    i += 2;
                } else {
                    out.push(Tok::Op { op: "|", at: i });
                    i += 1 + usize::from(b.get(i + 1) == Some(&b'&'));
                }
            }
            b'(' => {
                out.push(Tok::Op { op: "(", at: i });
                i += 1;
            }
            b')' => {
                out.push(Tok::Op { op: ")", at: i });
                i += 1;
            }
            _ => {
                let start = i;
                i = word_end(b, i);
                let text = &src[start..i];
                // A heredoc: `<<EOF`, `<<-EOF`, `<< 'EOF'`, `cat<<"EOF"`.
                if let Some(p) = text.find("<<")
                    && !text[p..].starts_with("<<<")
                {
                    let mut rest = &text[p + 2..];
                    let strip = rest.starts_with('-');
                    rest = rest.trim_start_matches('-');
                    let mut delim = rest.to_string();
                    let mut j = i;
                    if delim.is_empty() {
                        // The delimiter is the next word.
                        while j < n && (b[j] == b' ' || b[j] == b'\t') {
                            j += 1;
                        }
                        let e = word_end(b, j);
                        delim = src[j..e].to_string();
                        j = e;
                    }
                    let delim: String = delim
                        .chars()
                        .filter(|c| !matches!(c, '\'' | '"' | '\\'))
                        .collect();
                    if !delim.is_empty() {
                        heredocs.push((delim, strip));
                    }
                    i = j;
                }
                let end = i;
                let mut text = src[start..end].to_string();
                if text.len() > MAX_WORD {
                    let mut cut = MAX_WORD;
                    while !text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    text.truncate(cut);
                }
                out.push(Tok::Word { text, start, end });
            }
        }
    }
    out
}

/// The end of the word starting at `i`: quotes, `$(...)`, `${...}` and backquotes
/// are skipped whole; `>&` and `<&` stay inside the word.
fn word_end(b: &[u8], mut i: usize) -> usize {
    let n = b.len();
    while i < n {
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'|' | b'(' | b')' => break,
            b'&' => {
                if i > 0 && matches!(b[i - 1], b'>' | b'<') {
                    i += 1;
                } else {
                    break;
                }
            }
            b'\\' => i += 2,
            b'\'' => i = skip_single(b, i + 1),
            b'"' => i = skip_double(b, i + 1),
            b'`' => i = skip_backquote(b, i + 1),
            b'$' if b.get(i + 1) == Some(&b'(') => i = skip_balanced(b, i + 2, b'(', b')'),
            b'$' if b.get(i + 1) == Some(&b'{') => i = skip_balanced(b, i + 2, b'{', b'}'),
            _ => i += 1,
        }
    }
    i.min(n)
}

fn skip_single(b: &[u8], i: usize) -> usize {
    memchr::memchr(b'\'', b.get(i..).unwrap_or(&[])).map_or(b.len(), |p| i + p + 1)
}

fn skip_double(b: &[u8], mut i: usize) -> usize {
    let n = b.len();
    while i < n {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'`' => i = skip_backquote(b, i + 1),
            b'$' if b.get(i + 1) == Some(&b'(') => i = skip_balanced(b, i + 2, b'(', b')'),
            _ => i += 1,
        }
    }
    n
}

fn skip_backquote(b: &[u8], mut i: usize) -> usize {
    let n = b.len();
    while i < n {
        match b[i] {
            b'\\' => i += 2,
            b'`' => return i + 1,
            _ => i += 1,
        }
    }
    n
}

/// Skips to after the `close` matching an already consumed `open`, minding quotes.
/// Nesting is bounded by the input length, and the loop always advances.
fn skip_balanced(b: &[u8], mut i: usize, open: u8, close: u8) -> usize {
    let n = b.len();
    let mut depth = 1usize;
    while i < n {
        let c = b[i];
        if c == b'\\' {
            i += 2;
        } else if c == b'\'' && open == b'(' {
            i = skip_single(b, i + 1);
        } else if c == b'"' {
            i = skip_double(b, i + 1);
        } else if c == b'`' {
            i = skip_backquote(b, i + 1);
        } else if c == open {
            depth += 1;
            i += 1;
        } else if c == close {
            depth -= 1;
            i += 1;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    n
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Between `if`/`elif`/`while` and `then`/`do`: the condition itself.
    Cond,
    Body,
}

#[derive(Debug)]
enum Frame {
    If {
        phase: Phase,
        /// The condition being collected or in force.
        cond: String,
        /// Earlier conditions of the chain (false in `elif`/`else`).
        earlier: Vec<String>,
        in_else: bool,
    },
    Case {
        word: String,
        /// The pattern of the branch in force, `None` while reading a pattern.
        pattern: Option<String>,
        reading: String,
    },
    Loop {
        phase: Phase,
        text: String,
    },
    Group {
        function: Option<String>,
    },
    Subshell,
}

/// Frames a script may nest at most; deeper text is read without new frames.
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    src: &'a str,
    stack: Vec<Frame>,
    out: Vec<Command>,
    /// Words of the command being read, with its start and end.
    words: Vec<(String, usize, usize)>,
    /// Earlier commands of the current `&&`/`||` chain: guards for the next one.
    chain: Vec<Guard>,
    /// A function name waiting for its `{`.
    pending_function: Option<String>,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Parser<'a> {
        Parser {
            src,
            stack: Vec::new(),
            out: Vec::new(),
            words: Vec::new(),
            chain: Vec::new(),
            pending_function: None,
        }
    }

    fn run(mut self, toks: &[Tok]) -> Script {
        let mut k = 0;
        while k < toks.len() {
            match &toks[k] {
                Tok::Word { text, start, end } => {
                    if self.words.is_empty() && self.reserved(text, toks, &mut k) {
                        k += 1;
                        continue;
                    }
                    // Reading a case pattern: words up to `)`.
                    if let Some(Frame::Case {
                        pattern: None,
                        reading,
                        ..
                    }) = self.stack.last_mut()
                    {
                        if text != "in" || !reading.is_empty() {
                            if !reading.is_empty() && !reading.ends_with('|') {
                                reading.push(' ');
                            }
                            reading.push_str(text);
                        }
                        k += 1;
                        continue;
                    }
                    self.words.push((text.clone(), *start, *end));
                }
                Tok::Op { op, at } => self.op(op, *at, toks, &mut k),
            }
            k += 1;
        }
        self.finish(None);
        Script { commands: self.out }
    }

    /// Handles a reserved word at command start; returns whether it was one.
    fn reserved(&mut self, w: &str, toks: &[Tok], k: &mut usize) -> bool {
        let deep = self.stack.len() >= MAX_DEPTH;
        match w {
            "if" if !deep => {
                self.chain.clear();
                self.stack.push(Frame::If {
                    phase: Phase::Cond,
                    cond: String::new(),
                    earlier: vec![],
                    in_else: false,
                });
            }
            "then" => {
                if let Some(Frame::If { phase, .. }) = self.stack.last_mut() {
                    *phase = Phase::Body;
                }
                self.chain.clear();
            }
            "elif" | "else" => {
                let is_else = w == "else";
                if let Some(Frame::If {
                    phase,
                    cond,
                    earlier,
                    in_else,
                }) = self.stack.last_mut()
                {
                    earlier.push(std::mem::take(cond));
                    *phase = if is_else { Phase::Body } else { Phase::Cond };
                    *in_else = is_else;
                }
                self.chain.clear();
            }
            "fi" => {
                self.pop_until(|f| matches!(f, Frame::If { .. }));
            }
            "case" if !deep => {
                // `case WORD in`: the word is the next token.
                let word = match toks.get(*k + 1) {
                    Some(Tok::Word { text, .. }) => text.clone(),
                    _ => String::new(),
                };
                *k += 1;
                self.chain.clear();
                self.stack.push(Frame::Case {
                    word,
                    pattern: None,
                    reading: String::new(),
                });
            }
            "esac" => {
                self.pop_until(|f| matches!(f, Frame::Case { .. }));
            }
            "while" | "until" | "for" | "select" if !deep => {
                // `for x in a b` is read as the loop's condition text.
                self.chain.clear();
                self.stack.push(Frame::Loop {
                    phase: Phase::Cond,
                    text: w.to_string(),
                });
            }
            "do" => {
                if let Some(Frame::Loop { phase, .. }) = self.stack.last_mut() {
                    *phase = Phase::Body;
                }
                self.chain.clear();
            }
            "done" => {
                self.pop_until(|f| matches!(f, Frame::Loop { .. }));
            }
            "{" if !deep => {
                let function = self.pending_function.take();
                self.stack.push(Frame::Group { function });
            }
            "}" => {
                self.pop_until(|f| matches!(f, Frame::Group { .. }));
            }
            "function" => {
                if let Some(Tok::Word { text, .. }) = toks.get(*k + 1) {
                    self.pending_function = Some(text.trim_end_matches("()").to_string());
                    *k += 1;
                }
            }
            _ => return false,
        }
        true
    }

    /// Pops frames down to and including the nearest one `is` accepts; a closer with
    /// no opener is ignored.
    fn pop_until(&mut self, is: impl Fn(&Frame) -> bool) {
        self.finish(None);
        if let Some(p) = self.stack.iter().rposition(is) {
            self.stack.truncate(p);
        }
        self.chain.clear();
    }

    fn op(&mut self, op: &str, at: usize, toks: &[Tok], k: &mut usize) {
        // A case pattern ends at `)`.
        if let Some(Frame::Case {
            pattern, reading, ..
        }) = self.stack.last_mut()
            && pattern.is_none()
        {
            match op {
                ")" => {
                    *pattern = Some(
                        std::mem::take(reading)
                            .trim_start_matches('(')
                            .trim()
                            .to_string(),
                    );
                    self.chain.clear();
                }
                "(" if reading.is_empty() => {}
                "\n" | ";" => {}
                _ => reading.push_str(op),
            }
            return;
        }
        match op {
            "(" => {
                // `name() {` / `name ()`: a function definition.
                if self.words.len() == 1
                    && matches!(toks.get(*k + 1), Some(Tok::Op { op: ")", .. }))
                {
                    let name = self.words.pop().map(|w| w.0).unwrap_or_default();
                    self.pending_function = Some(name);
                    *k += 1;
                    return;
                }
                // Parentheses inside a command (arrays, `=(`) are part of it.
                if self.words.is_empty() && self.stack.len() < MAX_DEPTH {
                    self.stack.push(Frame::Subshell);
                }
            }
            ")" => {
                self.finish(None);
                if matches!(self.stack.last(), Some(Frame::Subshell)) {
                    self.stack.pop();
                }
            }
            ";;" => {
                self.finish(None);
                // Back to reading the next pattern of the innermost case.
                if let Some(p) = self
                    .stack
                    .iter()
                    .rposition(|f| matches!(f, Frame::Case { .. }))
                {
                    self.stack.truncate(p + 1);
                    if let Some(Frame::Case {
                        pattern, reading, ..
                    }) = self.stack.last_mut()
                    {
                        *pattern = None;
                        reading.clear();
                    }
                }
                self.chain.clear();
            }
            "&&" | "||" => self.finish(Some(op)),
            "|" => {
                // A pipeline is one unit for guarding: keep reading the same command.
                if let Some(last) = self.words.last_mut() {
                    last.2 = at + 1;
                }
            }
            _ => {
                // `;`, `&`, newline end the command and the chain.
                self.finish(None);
                self.chain.clear();
            }
        }
    }

    /// Ends the command being read. `andor` is the operator that follows it.
    fn finish(&mut self, andor: Option<&str>) {
        if self.words.is_empty() {
            return;
        }
        let start = self.words.first().map_or(0, |w| w.1);
        let end = self.words.last().map_or(start, |w| w.2);
        let text = self.src.get(start..end).unwrap_or("").to_string();
        self.words.clear();
        // Condition text of the innermost if/loop in its condition phase.
        match self.stack.last_mut() {
            Some(Frame::If {
                phase: Phase::Cond,
                cond,
                ..
            }) => {
                if !cond.is_empty() {
                    cond.push_str(if andor.is_some() { " " } else { "; " });
                }
                cond.push_str(&text);
                if let Some(op) = andor {
                    cond.push(' ');
                    cond.push_str(op);
                }
            }
            Some(Frame::Loop {
                phase: Phase::Cond,
                text: t,
            }) => {
                t.push(' ');
                t.push_str(&text);
            }
            _ => {}
        }
        let mut guards = self.frame_guards();
        guards.extend(self.chain.iter().cloned());
        if self.out.last().is_none_or(|c| c.end <= start) {
            self.out.push(Command { start, end, guards });
        }
        if let Some(op) = andor {
            let test = is_test(&text);
            let (t, config) = if op == "&&" {
                (text.clone(), test && is_config_test(&text))
            } else {
                (format!("! {text}"), test && is_config_test(&text))
            };
            self.chain.push(Guard {
                kind: GuardKind::AndOr,
                text: format!("{t} {op}"),
                config,
            });
        }
    }

    /// Guards of the frames around the current position, outermost first.
    fn frame_guards(&self) -> Vec<Guard> {
        let mut g = Vec::new();
        for f in &self.stack {
            match f {
                Frame::If {
                    phase: Phase::Body,
                    cond,
                    earlier,
                    in_else,
                } => {
                    let cfg_earlier = earlier.iter().any(|c| is_config_test(c));
                    if !earlier.is_empty() {
                        g.push(Guard {
                            kind: GuardKind::Else,
                            text: format!(
                                "not ({})",
                                earlier
                                    .iter()
                                    .map(|c| format!("if {c}"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            config: cfg_earlier,
                        });
                    }
                    if !*in_else {
                        g.push(Guard {
                            kind: GuardKind::If,
                            text: cond.clone(),
                            config: is_config_test(cond),
                        });
                    }
                }
                Frame::Case {
                    word,
                    pattern: Some(p),
                    ..
                } => g.push(Guard {
                    kind: GuardKind::Case,
                    text: format!("case {word} in {p})"),
                    config: is_config_word(word),
                }),
                Frame::Loop {
                    phase: Phase::Body,
                    text,
                } => g.push(Guard {
                    kind: GuardKind::Loop,
                    text: text.clone(),
                    config: false,
                }),
                Frame::Group {
                    function: Some(name),
                } => g.push(Guard {
                    kind: GuardKind::Function,
                    text: format!("function {name}"),
                    config: false,
                }),
                _ => {}
            }
        }
        g
    }
}

/// A command that tests something (`[`, `[[`, `test`, `grep -q`, a config read) rather
/// than doing work: what precedes `&&` in a guard.
fn is_test(cmd: &str) -> bool {
    let c = cmd.trim_start_matches('!').trim_start();
    c.starts_with("[ ")
        || c.starts_with("[[ ")
        || c.starts_with("test ")
        || c.starts_with("grep -q")
        || CONFIG_READERS.iter().any(|r| c.starts_with(r))
}

/// Commands that read a device setting.
const CONFIG_READERS: &[&str] = &[
    "uci ",
    "nvram ",
    "config_get",
    "config_get_bool",
    "fw_printenv",
    "getcfg",
    "cfg_get",
    "cfg ",
    "jsonfilter",
    "mib ",
    "flash get",
];

/// Whether a condition tests a setting: a variable other than the script's arguments
/// and exit status, or a configuration reader.
fn is_config_test(cond: &str) -> bool {
    if CONFIG_READERS.iter().any(|r| cond.contains(r.trim_end())) {
        return true;
    }
    has_setting_variable(cond)
}

/// A case word that names a setting (not `$1`, `$@`, `$ACTION`-style dispatch on
/// the script's arguments).
fn is_config_word(word: &str) -> bool {
    is_config_test(word)
}

/// Variables the environment sets for a script (hotplug events, the shell itself):
/// a test of one dispatches on an event, it does not read a setting.
const EVENT_VARIABLES: &[&str] = &[
    "ACTION",
    "INTERFACE",
    "DEVICE",
    "DEVNAME",
    "DEVPATH",
    "DEVICENAME",
    "SUBSYSTEM",
    "PATH",
    "HOME",
    "USER",
    "PWD",
    "SHELL",
    "TERM",
    "HOSTNAME",
    "RANDOM",
    "LINENO",
    "BASH",
    "OPTARG",
    "OPTIND",
    "IFS",
];

fn has_setting_variable(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let mut j = i + 1;
            if b.get(j) == Some(&b'{') {
                j += 1;
            }
            match b.get(j) {
                Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                    let name: String = s[j..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !EVENT_VARIABLES.contains(&name.as_str()) {
                        return true;
                    }
                }
                Some(b'(') => {
                    // A command substitution: a setting when it reads one.
                    return CONFIG_READERS.iter().any(|r| s[j..].contains(r.trim_end()));
                }
                _ => {}
            }
            i = j;
        } else {
            i += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond_of(src: &str, needle: &str) -> Option<String> {
        let off = src.find(needle).expect(needle);
        Script::parse(src).config_condition(off)
    }

    #[test]
    fn if_branches() {
        let s = "#!/bin/sh\nif [ \"$INSECURE\" = 1 ]; then\n  wget --no-check-certificate \"$u\"\nelse\n  wget \"$u\"\nfi\nwget -q --no-check-certificate x\n";
        assert_eq!(
            cond_of(s, "wget --no").as_deref(),
            Some("if [ \"$INSECURE\" = 1 ]")
        );
        assert_eq!(cond_of(s, "wget -q --no"), None);
        let e = s.find("wget \"$u\"").unwrap();
        assert!(
            Script::parse(s)
                .config_condition(e)
                .unwrap()
                .starts_with("not (if")
        );
    }

    #[test]
    fn and_or_chains() {
        let s = "[ -n \"$OPT\" ] && wget --no-check-certificate x\nwget x || wget --no-check-certificate y\n[ $? -ne 0 ] && curl -k z\n";
        assert_eq!(
            cond_of(s, "wget --no-check-certificate x").as_deref(),
            Some("[ -n \"$OPT\" ] &&")
        );
        // A fallback after a failed verified download is the default path.
        assert_eq!(cond_of(s, "wget --no-check-certificate y"), None);
        assert_eq!(cond_of(s, "curl -k"), None);
    }

    #[test]
    fn case_branches_on_settings_and_on_arguments() {
        let s = "case \"$1\" in\n start) wget --no-check-certificate a ;;\nesac\ncase $(uci get x.y.verify) in\n 0|no) curl -k b ;;\n *) curl c ;;\nesac\n";
        assert_eq!(cond_of(s, "wget --no"), None);
        assert_eq!(
            cond_of(s, "curl -k").as_deref(),
            Some("case $(uci get x.y.verify) in 0|no)")
        );
    }

    #[test]
    fn functions_heredocs_and_nesting() {
        let s = "fetch() {\n  if [ \"$(uci -q get a.b.insecure)\" = 1 ]; then\n    opts=--no-check-certificate\n  fi\n  cat <<EOF\nif fi esac ) }\nEOF\n  wget $opts \"$1\"\n}\nfetch http://x\n";
        let sc = Script::parse(s);
        let g = sc.guards_at(s.find("opts=--no").unwrap());
        assert_eq!(g.len(), 2, "{g:?}");
        assert_eq!(g[0].kind, GuardKind::Function);
        assert!(g[1].config);
        assert!(
            sc.guards_at(s.find("wget $opts").unwrap())
                .iter()
                .all(|g| !g.config)
        );
        assert!(sc.guards_at(s.find("fetch http").unwrap()).is_empty());
    }

    #[test]
    fn hostile_text_never_panics() {
        for s in [
            "fi fi esac done } ) ;; && ||",
            "if if if then",
            "case",
            "\"unterminated $(",
            "cat <<",
            "x() (",
            "$(((((((",
            "'",
            "${",
            "`",
        ] {
            let sc = Script::parse(s);
            for o in 0..=s.len() {
                let _ = sc.config_condition(o);
            }
        }
        let deep = "if [ $a ]; then ".repeat(2_000);
        let _ = Script::parse(&deep);
    }
}
