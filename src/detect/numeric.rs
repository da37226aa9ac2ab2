//! Numeric tokens: the candidates for identifier patterns made only of digits and separators.
//!
//! Resident IDs, mobiles and card numbers are digit runs, and logs and exports are full of
//! digits (timestamps, order numbers, hashes). Compiled together into one DFA, the catalogue's
//! bounded digit repetitions (`[0-9]{13,19}`, 3-4-4 and 4-4-4-4 groupings, dates inside IDs)
//! blow up the lazy DFA's state cache: measured 48 MB/s for the combined free patterns on the
//! benchmark corpus, against ~280 MB/s for any one of them alone. No crate offers "find digit
//! runs joined by single separators", so this module scans for them by hand: a *numeric token*
//! is a maximal run of digits in which single spaces or dashes may join digit groups, with an
//! optional leading `+` and a trailing check character `X`. The numeric patterns then run
//! anchored only at token starts and after separators, and only where enough bytes remain.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Bytes a numeric pattern may match: digits, the separators, `+` and the check character.
fn numeric_byte(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'+' | b'X' | b'x')
}

/// `pattern` parsed as the matcher compiles it (bytes, not Unicode), for the analyses that
/// choose how a pattern is searched (here; and a lead literal in `engine`).
pub fn byte_hir(pattern: &str) -> Option<Hir> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()
}

/// If `pattern` can only match bytes of the numeric alphabet, its minimum match length.
pub fn numeric_min_len(pattern: &str) -> Option<usize> {
    let hir = byte_hir(pattern)?;
    if only_numeric(&hir) {
        hir.properties().minimum_len()
    } else {
        None
    }
}

fn only_numeric(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Empty => true,
        HirKind::Literal(lit) => lit.0.iter().all(|&b| numeric_byte(b)),
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .all(|r| (r.start()..=r.end()).all(numeric_byte)),
        HirKind::Class(Class::Unicode(c)) => c.ranges().iter().all(|r| {
            (r.start()..=r.end()).all(|ch| u8::try_from(u32::from(ch)).is_ok_and(numeric_byte))
        }),
        HirKind::Look(_) => false,
        HirKind::Repetition(r) => only_numeric(&r.sub),
        HirKind::Capture(c) => only_numeric(&c.sub),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().all(only_numeric),
    }
}

/// Calls `on(token_start, token_end)` for every numeric token of `hay` at least `min_len` long.
pub fn tokens(hay: &[u8], min_len: usize, mut on: impl FnMut(usize, usize)) {
    let n = hay.len();
    let l = min_len.max(1);
    let mut i = 0;
    while i + l <= n {
        // Skip loop: every token of `l` or more bytes that starts in `i..=p` covers `p`. If the
        // byte at `p` cannot be inside a token, none starts there and we jump `l` bytes at once.
        let p = i + l - 1;
        let b = hay[p];
        let maybe = b.is_ascii_digit()
            || b == b'+'
            || (b | 0x20) == b'x'
            || ((b == b' ' || b == b'-') && p + 1 < n && hay[p + 1].is_ascii_digit());
        if !maybe {
            i = p + 1;
            continue;
        }
        // Back from `p`: a byte that no token holds (a letter, most punctuation) ends every token
        // before it, so a long token covering `p` starts after it — the skip goes on from there
        // instead of parsing the short tokens of `i..p` (dates, parts of hashes) one by one.
        let mut q = p;
        while q > i && numeric_byte(hay[q - 1]) {
            q -= 1;
        }
        if q > i {
            i = q;
            continue;
        }
        match hay[i..].iter().position(u8::is_ascii_digit) {
            Some(k) => i += k,
            None => return,
        }
        let ts = i;
        let mut j = i;
        loop {
            j = digits_end(hay, j);
            if j + 1 < n && (hay[j] == b' ' || hay[j] == b'-') && hay[j + 1].is_ascii_digit() {
                j += 1;
                continue;
            }
            break;
        }
        if j < n && (hay[j] | 0x20) == b'x' {
            j += 1;
        }
        let start = if ts > 0 && hay[ts - 1] == b'+' {
            ts - 1
        } else {
            ts
        };
        if j - start >= min_len {
            on(start, j);
        }
        i = j.max(i + 1);
    }
}

/// The end of the run of ASCII digits starting at `j` (`j` itself if there is none).
///
/// Digit runs are most of what a numeric token is made of (18 of an ID's 18 bytes), so they are
/// measured eight bytes at a time: XOR with `0x30` maps the digits, and only them, to bytes
/// 0–9; a byte is then a non-digit when its high bit is set or adding 0x76 to its low seven
/// bits sets it (no carry crosses bytes: 0x7F + 0x76 < 0x100). About a quarter of the
/// instructions of a byte-at-a-time loop (measured with cachegrind on 18-digit IDs).
fn digits_end(hay: &[u8], mut j: usize) -> usize {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(word) = hay.get(j..j + 8) {
        let t = u64::from_le_bytes(word.try_into().expect("eight bytes")) ^ 0x3030_3030_3030_3030;
        let not_digit = (((t & LOW7) + 0x7676_7676_7676_7676) | t) & HIGH;
        if not_digit != 0 {
            return j + (not_digit.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    while j < hay.len() && hay[j].is_ascii_digit() {
        j += 1;
    }
    j
}

/// Candidate starts inside a token: its start, the digit after a leading `+` (`+86…` is a
/// mobile with its country code, but `+11010519…` an ID after a plus sign), and every position
/// just after a separator.
pub fn starts(
    hay: &[u8],
    ts: usize,
    te: usize,
    min_len: usize,
    mut on: impl FnMut(usize) -> usize,
) {
    let mut c = ts;
    while c < te && te - c >= min_len {
        let resume = on(c);
        if hay[c] == b'+' && resume <= c {
            c += 1;
            continue;
        }
        // Next start: after the next separator at or beyond `resume` (and beyond `c`).
        let from = resume.max(c + 1);
        match hay[from.min(te)..te]
            .iter()
            .position(|&b| b == b' ' || b == b'-')
        {
            Some(k) => c = from + k + 1,
            None => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_runs_end_where_a_byte_at_a_time_says() {
        let mut draws = crate::TestRng(0x9e37_79b9_7f4a_7c15u64);
        for _ in 0..20_000 {
            let rng = draws.next();
            let len = (rng % 40) as usize;
            // Mostly digits, with every byte value (0x2F and 0x3A, either side of the digits,
            // and bytes ≥ 0x80) now and then.
            let hay: Vec<u8> = (0..len)
                .map(|i| {
                    let r = rng.rotate_left(i as u32 * 7);
                    if r.is_multiple_of(5) {
                        (r >> 8) as u8
                    } else {
                        b'0' + (r >> 16) as u8 % 10
                    }
                })
                .collect();
            for j in 0..=len {
                let want = j + hay[j..].iter().take_while(|b| b.is_ascii_digit()).count();
                assert_eq!(digits_end(&hay, j), want, "{hay:?} from {j}");
            }
        }
        for b in 0..=255u8 {
            let hay = [b'1', b'2', b'3', b'4', b'5', b'6', b'7', b, b'9'];
            let want = if b.is_ascii_digit() { 9 } else { 7 };
            assert_eq!(digits_end(&hay, 0), want, "byte {b:#04x}");
        }
    }

    #[test]
    fn numeric_patterns_are_recognised() {
        assert_eq!(numeric_min_len("[0-9]{13,19}"), Some(13));
        assert_eq!(
            numeric_min_len(r"(?:(?:\+|00)86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}"),
            Some(11)
        );
        assert_eq!(numeric_min_len("[0-9]{17}[0-9Xx]"), Some(18));
        assert_eq!(numeric_min_len("E[0-9]{8}"), None);
        assert_eq!(numeric_min_len(r"[a-z]+@[a-z]+\.com"), None);
        assert_eq!(
            numeric_min_len(r"\b[0-9]{8}"),
            None,
            "look-arounds are not numeric"
        );
    }

    #[test]
    fn tokens_join_single_separators_and_keep_plus_and_x() {
        let hay = b"t=2026-11-02 +86 138-1234-5678, id 11010519491231002X; 12  34";
        let mut got = Vec::new();
        tokens(hay, 1, |s, e| {
            got.push(std::str::from_utf8(&hay[s..e]).unwrap().to_string())
        });
        assert_eq!(
            got,
            [
                "2026-11-02",
                "+86 138-1234-5678",
                "11010519491231002X",
                "12",
                "34"
            ]
        );
        let mut long = Vec::new();
        tokens(hay, 11, |s, e| long.push((s, e)));
        assert_eq!(long.len(), 2);
        // The skip loop must not lose tokens at any alignment or length.
        for pad in 0..13 {
            for len in 10..14 {
                let text = format!("{}{} a", "z".repeat(pad), "7".repeat(len));
                let mut got = Vec::new();
                tokens(text.as_bytes(), 11, |s, e| got.push((s, e)));
                let want = if len >= 11 {
                    vec![(pad, pad + len)]
                } else {
                    vec![]
                };
                assert_eq!(got, want, "pad {pad} len {len}");
            }
        }
    }

    /// The skip loop finds, for any minimum length, the tokens of at least that length that a
    /// scan of every token finds.
    #[test]
    fn long_tokens_are_the_long_ones_of_all_tokens() {
        let pieces: [&[u8]; 12] = [
            b"1", b"23", b"4567", b" ", b"-", b"+", b"x", b"X", b"a", b"f", b"\xE5", b"  ",
        ];
        let mut rng = crate::TestRng(0x0123_4567_89AB_CDEFu64);
        for _ in 0..5000 {
            let hay: Vec<u8> = (0..rng.below(30))
                .flat_map(|_| pieces[rng.below(pieces.len())].iter().copied())
                .collect();
            let mut all = Vec::new();
            tokens(&hay, 1, |s, e| all.push((s, e)));
            for min in [1, 2, 3, 5, 8, 11, 15] {
                let mut long = Vec::new();
                tokens(&hay, min, |s, e| long.push((s, e)));
                let want: Vec<_> = all.iter().copied().filter(|(s, e)| e - s >= min).collect();
                assert_eq!(long, want, "{:?} min {min}", String::from_utf8_lossy(&hay));
            }
        }
    }

    #[test]
    fn starts_follow_separators() {
        let hay = b"123 13812345678";
        let mut seen = Vec::new();
        starts(hay, 0, hay.len(), 11, |c| {
            seen.push(c);
            c
        });
        assert_eq!(seen, [0, 4]);
    }
}
