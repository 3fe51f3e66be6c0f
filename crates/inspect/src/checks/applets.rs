//! BusyBox applet list, read from the binary's name table.
//!
//! BusyBox keeps its applet names sorted (it finds them by binary search), as NUL-
//! terminated strings in one place: packed (`[\0[[\0acpid\0...` in later releases)
//! or padded to the word size (1.0x keeps a struct array whose name strings sit
//! together, `cat\0chmod\0\0\0date\0...`). The list is evidence that an applet is
//! *not* built in, so it is only reported when it is clearly complete: a strictly
//! sorted run of applet-like names that includes short common ones (`sh`, `ls`), which
//! strings-only extracts drop.

/// Consecutive NULs allowed between two names (padding to an 8-byte boundary).
const MAX_GAP: usize = 8;
/// Longest applet name accepted.
const MAX_NAME: usize = 32;
/// A run longer than this is not an applet table (BusyBox has about 400 applets).
const MAX_APPLETS: usize = 1024;
/// A table has at least this many names.
const MIN_APPLETS: usize = 8;
/// Names nearly every BusyBox build has; a table holds at least three of them.
const COMMON: &[&str] = &[
    "cat", "cp", "echo", "kill", "ls", "mkdir", "mount", "mv", "ps", "rm", "sh",
];
/// Two-letter names; at least one must be present, proof that short names were kept.
const SHORT: &[&str] = &["cp", "df", "ln", "ls", "mv", "ps", "rm", "sh"];

/// Whether `s` looks like an applet name: lowercase letters, digits, `_.-`,
/// starting with a letter or digit, or exactly `[` / `[[`.
fn is_name(s: &[u8]) -> bool {
    if s == b"[" || s == b"[[" {
        return true;
    }
    s.len() <= MAX_NAME
        && s.first()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"_.-".contains(c))
}

/// Whether a run of names is a complete applet table.
fn is_table(run: &[&[u8]]) -> bool {
    let has = |n: &str| run.contains(&n.as_bytes());
    run.len() >= MIN_APPLETS
        && run.len() <= MAX_APPLETS
        && COMMON.iter().filter(|n| has(n)).count() >= 3
        && SHORT.iter().any(|n| has(n))
}

/// Ends the current run, keeping it if it is the longest complete table so far.
fn close<'a>(cur: &mut Vec<&'a [u8]>, best: &mut Option<Vec<&'a [u8]>>) {
    if is_table(cur) && best.as_ref().is_none_or(|b| cur.len() > b.len()) {
        *best = Some(std::mem::take(cur));
    }
    cur.clear();
}

/// The applet names of a BusyBox binary, sorted, or `None` when no complete table is
/// found. One pass over `data`; memory bounded by [`MAX_APPLETS`].
pub fn busybox_applets(data: &[u8]) -> Option<Vec<String>> {
    let mut best: Option<Vec<&[u8]>> = None;
    let mut cur: Vec<&[u8]> = Vec::new();
    let mut gap = 0usize;
    let mut rest = data;
    // Only NUL-terminated pieces count: the last piece (no terminator) is dropped.
    while let Some(end) = rest.iter().position(|&b| b == 0) {
        let (piece, tail) = rest.split_at(end);
        rest = tail.get(1..).unwrap_or(&[]);
        if piece.is_empty() {
            gap += 1;
            if gap >= MAX_GAP {
                close(&mut cur, &mut best);
            }
            continue;
        }
        gap = 0;
        if !is_name(piece) {
            close(&mut cur, &mut best);
            // The table is not always NUL-preceded (`\xff\xff[\0[[\0arp` in 1.14):
            // its first name, `[`, can end a piece of binary data.
            if let [.., before, b'['] = piece
                && !before.is_ascii_graphic()
            {
                cur.push(b"[");
            }
            continue;
        }
        let sorted = cur.last().is_none_or(|prev| piece > *prev);
        if !sorted || cur.len() > MAX_APPLETS {
            close(&mut cur, &mut best);
        }
        cur.push(piece);
    }
    close(&mut cur, &mut best);
    best.map(|b| {
        b.iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_and_padded_tables() {
        let packed =
            b"usage\0--help\0[\0[[\0ash\0cat\0echo\0ls\0mount\0sh\0udhcpc\0zcat\0Usage: x\0";
        assert_eq!(
            busybox_applets(packed).unwrap(),
            [
                "[", "[[", "ash", "cat", "echo", "ls", "mount", "sh", "udhcpc", "zcat"
            ]
        );
        let padded = b"x!\0\0[\0\0\0cat\0chmod\0\0\0df\0\0echo\0\0\0\0ls\0\0mount\0\0\0sh\0\0test\0\0\0\0\0\0\0\0\0\0x";
        let got = busybox_applets(padded).unwrap();
        assert_eq!(got.first().map(String::as_str), Some("["));
        assert_eq!(got.last().map(String::as_str), Some("test"));
    }

    #[test]
    fn unsorted_incomplete_or_random_strings_are_not_tables() {
        // Out of order: two short runs, neither complete.
        assert!(busybox_applets(b"ls\0cat\0echo\0mount\0sh\0rm\0ps\0cp\0mv\0kill\0").is_none());
        // Strings-only extracts lose names under four characters.
        assert!(
            busybox_applets(b"chmod\0chown\0date\0echo\0kill\0mkdir\0mount\0sleep\0").is_none()
        );
        // Gaps longer than padding end a run.
        let mut v = b"cat\0cp\0echo\0".to_vec();
        v.extend([0u8; 16]);
        v.extend(b"kill\0ls\0mount\0rm\0sh\0");
        assert!(busybox_applets(&v).is_none());
        assert!(busybox_applets(&[0xffu8; 4096]).is_none());
        assert!(busybox_applets(b"").is_none());
    }

    #[test]
    fn first_name_glued_to_binary_data() {
        let t = b"\x7f\xff\xff[\0[[\0arp\0cat\0echo\0ls\0mount\0sh\0test\0\0";
        assert_eq!(busybox_applets(t).unwrap()[..3], ["[", "[[", "arp"]);
        // Only `[` after a non-printable byte, not the tail of text.
        let t = b"a[\0[[\0arp\0cat\0echo\0ls\0mount\0sh\0test\0\0";
        assert_eq!(busybox_applets(t).unwrap()[..2], ["[[", "arp"]);
    }
}
