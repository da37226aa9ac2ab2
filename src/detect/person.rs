//! Checks for the header-driven kinds of personal information: Chinese personal names and
//! mainland postal addresses.
//!
//! Neither has a format a pattern can pin down (any two Hanzi could be a name), so their
//! detectors only count a value under a column whose header names them (`姓名`, `地址` …), and
//! these checks then decide whether the value looks like one: a name starts with a known
//! surname and has a name's length; an address names an administrative level. The surname
//! list is data, kept in `cn-surnames.txt` beside this file.

use std::collections::HashSet;
use std::sync::OnceLock;

const SURNAMES_TXT: &str = include_str!("cn-surnames.txt");

fn surnames() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        SURNAMES_TXT
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .flat_map(str::split_whitespace)
            .collect()
    })
}

/// CJK Unified Ideographs (the basic block and extension A), where personal names are written.
fn is_hanzi(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// A Chinese personal name: a known surname (single or compound) followed by one to three
/// given-name Hanzi, with no other characters. Names of ethnic minorities written with a middle
/// dot (`买买提·艾力`) are accepted when each part is 1–6 Hanzi and the whole is at most 12.
pub fn is_cn_name(raw: &str) -> bool {
    let s = squashed(raw);
    if s.contains(['·', '•', '・']) {
        let parts: Vec<&str> = s.split(['·', '•', '・']).collect();
        return parts.len() >= 2
            && s.chars().count() <= 12
            && parts
                .iter()
                .all(|p| (1..=6).contains(&p.chars().count()) && p.chars().all(is_hanzi));
    }
    let n = s.chars().count();
    if !(2..=4).contains(&n) || !s.chars().all(is_hanzi) {
        return false;
    }
    // Hanzi of the basic block and extension A are 3 bytes in UTF-8.
    let set = surnames();
    (n >= 3 && set.contains(&s[..6])) || set.contains(&s[..3])
}

/// `raw` without whitespace, borrowed when it has none (the common case).
pub(crate) fn squashed(raw: &str) -> std::borrow::Cow<'_, str> {
    // Every whitespace character starts with one of these bytes (ASCII controls and space,
    // and the leads of U+0085, U+00A0, U+1680, U+2000–U+205F and U+3000): a value without
    // any, most Hanzi text, is passed over bytewise (one table lookup a byte) without decoding
    // its characters.
    const MAY_BE_SPACE: [bool; 256] = {
        let mut t = [false; 256];
        let mut b = 0;
        while b < 256 {
            t[b] = matches!(b as u8, b'\t'..=b'\r' | b' ' | 0xC2 | 0xE1 | 0xE2 | 0xE3);
            b += 1;
        }
        t
    };
    if raw.bytes().any(|b| MAY_BE_SPACE[usize::from(b)]) && raw.chars().any(char::is_whitespace) {
        raw.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .into()
    } else {
        raw.into()
    }
}

/// Administrative and street-level words; an address names at least two of them.
const ADDRESS_WORDS: &[&str] = &[
    "省",
    "市",
    "区",
    "县",
    "自治州",
    "盟",
    "旗",
    "镇",
    "乡",
    "街道",
    "路",
    "街",
    "大道",
    "巷",
    "弄",
    "胡同",
    "村",
    "号",
    "栋",
    "幢",
    "楼",
    "单元",
    "室",
    "小区",
    "社区",
    "组",
];

/// How many distinct [`ADDRESS_WORDS`] occur in `s`, counting no further than `enough` (one
/// automaton pass, not one search each, stopped as soon as the answer is known).
fn count_address_words(s: &str, enough: usize) -> usize {
    static AC: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    let ac = AC.get_or_init(|| {
        // A full DFA: the list is tiny, and overlapping search runs on every address value.
        aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(ADDRESS_WORDS)
            .expect("fixed word list compiles")
    });
    let mut seen = 0u32;
    for m in ac.find_overlapping_iter(s) {
        seen |= 1 << m.pattern().as_usize();
        if seen.count_ones() as usize >= enough {
            break;
        }
    }
    seen.count_ones() as usize
}

/// The provinces and direct-controlled municipalities, which may open an address without `省`.
const PROVINCES: &[&str] = &[
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
];

/// A mainland postal address: 6 to 120 characters, mostly Hanzi, naming at least two
/// administrative or street levels (`省` `市` `区` `路` `号` …), or opening with a province and
/// naming one more.
pub fn is_address(raw: &str) -> bool {
    is_squashed_address(&squashed(raw))
}

/// [`is_address`] of a value already [`squashed`].
pub(crate) fn is_squashed_address(s: &str) -> bool {
    let (mut n, mut hanzi) = (0, 0);
    for c in s.chars() {
        n += 1;
        hanzi += usize::from(is_hanzi(c));
    }
    if !(6..=120).contains(&n) || hanzi * 2 < n {
        return false;
    }
    let levels = count_address_words(s, 2);
    levels >= 2 || (levels >= 1 && PROVINCES.iter().any(|p| s.starts_with(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `squashed` looks for whitespace only in values holding one of a few bytes: every
    /// whitespace character in Unicode starts with one of them.
    #[test]
    fn squashing_finds_every_whitespace_character() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let text = format!("张{c}伟");
            let want: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            assert_eq!(squashed(&text), want, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn the_surname_list_loads_single_and_compound_surnames() {
        let set = surnames();
        assert!(set.len() > 300, "{}", set.len());
        assert!(set.contains("王") && set.contains("欧阳") && !set.contains("#"));
    }

    #[test]
    fn names() {
        for ok in [
            "张伟",
            "王秀英",
            "欧阳娜娜",
            "司马光",
            "李 娜",
            "买买提·艾力",
        ] {
            assert!(is_cn_name(ok), "{ok}");
        }
        for bad in [
            "伟",
            "张伟伟伟伟",
            "的确良",
            "Zhang Wei",
            "张3",
            "北京市",
            "",
            "·",
            "张·",
        ] {
            assert!(!is_cn_name(bad), "{bad}");
        }
    }

    #[test]
    fn addresses() {
        for ok in [
            "广东省深圳市南山区科技园路1号",
            "北京市朝阳区建国路88号",
            "上海浦东新区世纪大道100号",
            "浙江杭州西湖区文三路",
            "四川省成都市武侯区",
        ] {
            assert!(is_address(ok), "{ok}");
        }
        for bad in [
            "北京",
            "深圳市",
            "Room 5, 88 Jianguo Rd",
            "备注：无",
            "123456789号",
        ] {
            assert!(!is_address(bad), "{bad}");
        }
    }
}
