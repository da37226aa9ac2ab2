//! Character encodings of text and CSV files: detection, and streaming decoding to UTF-8.
//!
//! Most files are UTF-8 and are scanned as they are, without a copy. The rest are decoded in
//! bounded pieces: UTF-16 (by its BOM, or by the NUL bytes of ASCII text in UTF-16), and
//! whatever chardetng guesses for non-UTF-8 bytes, with the `.cn` hint that makes GBK/GB18030 —
//! what Excel writes CSV in on Chinese Windows — the likely answer for Chinese text. Decoding
//! goes through encoding_rs; invalid byte sequences become U+FFFD and are counted, with the
//! offset of the first, so the source can say precisely what it could not read.

use encoding_rs::{DecoderResult, Encoding, GBK, UTF_8, UTF_16BE, UTF_16LE};

/// A detected encoding and the length of the byte-order mark to skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    pub encoding: &'static Encoding,
    pub bom: usize,
}

impl Detected {
    /// UTF-8 needs no decoding (invalid bytes are scanned as they are).
    pub fn is_utf8(&self) -> bool {
        self.encoding == UTF_8
    }

    /// The name recorded as `sources[].encoding`: `utf-8`, `utf-8-bom`, `utf-16le`, `gbk` …
    pub fn name(&self) -> String {
        let base = self.encoding.name().to_ascii_lowercase();
        if self.encoding == UTF_8 && self.bom > 0 {
            format!("{base}-bom")
        } else {
            base
        }
    }
}

/// Detects the encoding of a file from its first bytes (`head`); `complete` says that `head`
/// is the whole file (so a multi-byte character cut at its end is an error, not a cut).
pub fn detect(head: &[u8], complete: bool) -> Detected {
    if let Some((enc, bom)) = Encoding::for_bom(head) {
        return Detected { encoding: enc, bom };
    }
    if let Some(enc) = utf16_without_bom(head) {
        return Detected {
            encoding: enc,
            bom: 0,
        };
    }
    let first_bad = match std::str::from_utf8(head) {
        Ok(_) => return utf8(),
        Err(e) if e.error_len().is_none() && !complete => return utf8(),
        Err(e) if e.valid_up_to() == 0 && head.len() < 4 => return utf8(),
        Err(e) => e.valid_up_to(),
    };
    // chardetng costs over a thousand instructions a byte, and runs before a file's scan can
    // be split among threads: it reads a window from the line holding the first byte that is
    // not UTF-8, long enough for hundreds of characters, rather than the whole head.
    let from = memchr::memrchr(b'\n', &head[..first_bad]).map_or(0, |nl| nl + 1);
    let to = head.len().min(from + DETECTOR_WINDOW);
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(&head[from..to], complete && to == head.len());
    // The `.cn` hint makes GBK win whenever the bytes are valid GBK, which Big5, Shift_JIS and
    // EUC-KR text mostly is: it is asked only when chardetng, judging on the text alone, does
    // not see an East Asian encoding (it can take two GBK characters for Cyrillic).
    let enc = match det.guess(None, chardetng::Utf8Detection::Allow) {
        e if EAST_ASIAN.contains(&e) => e,
        _ => det.guess(Some(b"cn"), chardetng::Utf8Detection::Allow),
    };
    // GBK and GB18030 share a decoder in encoding_rs; call it GB18030 only when 4-byte
    // sequences say so is not worth the cost: record `gbk`, the name users know.
    Detected {
        encoding: if enc == encoding_rs::GB18030 {
            GBK
        } else {
            enc
        },
        bom: 0,
    }
}

/// The legacy encodings of Chinese, Japanese and Korean text that chardetng tells apart.
const EAST_ASIAN: [&Encoding; 6] = [
    GBK,
    encoding_rs::GB18030,
    encoding_rs::BIG5,
    encoding_rs::SHIFT_JIS,
    encoding_rs::EUC_JP,
    encoding_rs::EUC_KR,
];

/// Bytes of a non-UTF-8 head that chardetng reads (see [`detect`]).
const DETECTOR_WINDOW: usize = 16 << 10;

fn utf8() -> Detected {
    Detected {
        encoding: UTF_8,
        bom: 0,
    }
}

/// ASCII text in UTF-16 without a BOM has a NUL in every other byte: most of the odd (LE) or
/// even (BE) bytes are 0 and almost none of the others are.
fn utf16_without_bom(head: &[u8]) -> Option<&'static Encoding> {
    let n = head.len() / 2;
    // Without a NUL byte there is nothing to count (the common case, found with memchr).
    if n < 8 || memchr::memchr(0, head).is_none() {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    if odd * 10 >= n * 4 && even * 20 <= n {
        Some(UTF_16LE)
    } else if even * 10 >= n * 4 && odd * 20 <= n {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// What decoding met: how many invalid sequences, and where the first began.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeStats {
    pub malformed: u64,
    pub first_malformed_at: Option<u64>,
}

impl DecodeStats {
    /// A precise message for the source, or `None` when every byte decoded.
    pub fn message(&self, det: &Detected) -> Option<String> {
        let at = self.first_malformed_at?;
        Some(format!(
            "{} invalid {} byte sequence{} (first at byte offset {at}) replaced with U+FFFD; \
             values containing them may be missed",
            self.malformed,
            det.encoding.name(),
            if self.malformed == 1 { "" } else { "s" },
        ))
    }
}

/// Input bytes decoded per step.
const IN_STEP: usize = 1 << 20;

/// Decodes `bytes` (BOM included; it is skipped) and hands the UTF-8 text to `sink` in pieces
/// of about `piece` bytes, each ending just after a newline except the last; memory stays at a
/// few pieces whatever the size of the input.
pub fn decode_pieces(
    bytes: &[u8],
    det: &Detected,
    piece: usize,
    mut sink: impl FnMut(&[u8]),
) -> DecodeStats {
    let input = &bytes[det.bom.min(bytes.len())..];
    let mut dec = det.encoding.new_decoder_without_bom_handling();
    let mut stats = DecodeStats::default();
    // Decoded text sits in `out[..filled]`; the rest of `out` is room to decode into, zeroed
    // once when it grows rather than on every step (the decoder writes into initialised bytes).
    let mut out: Vec<u8> = Vec::new();
    let mut filled = 0usize;
    let mut pos = 0usize;
    let step = IN_STEP.min(piece.max(1));
    loop {
        let end = (pos + step).min(input.len());
        let last = end == input.len();
        let mut src = &input[pos..end];
        let mut src_base = pos;
        loop {
            let need = dec
                .max_utf8_buffer_length_without_replacement(src.len())
                .unwrap_or(src.len() * 3 + 16)
                .max(16);
            if out.len() < filled + need {
                out.resize(filled + need, 0);
            }
            let (res, read, written) =
                dec.decode_to_utf8_without_replacement(src, &mut out[filled..], last);
            filled += written;
            match res {
                DecoderResult::InputEmpty => break,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(bad, extra) => {
                    let at = (src_base + read) as u64 - u64::from(extra) - u64::from(bad);
                    stats.malformed += 1;
                    stats.first_malformed_at.get_or_insert(at + det.bom as u64);
                    let replacement = "\u{FFFD}".as_bytes();
                    if out.len() < filled + replacement.len() {
                        out.resize(filled + replacement.len(), 0);
                    }
                    out[filled..filled + replacement.len()].copy_from_slice(replacement);
                    filled += replacement.len();
                }
            }
            src = &src[read..];
            src_base += read;
        }
        pos = end;
        if filled >= piece || last {
            let text = &out[..filled];
            let cut = if last {
                filled
            } else {
                memchr::memrchr(b'\n', text).map_or(0, |i| i + 1)
            };
            // A piece without any newline is handed over whole once it is far too long.
            let cut = if cut == 0 && filled >= piece * 4 {
                filled
            } else {
                cut
            };
            if cut > 0 {
                sink(&out[..cut]);
                out.copy_within(cut..filled, 0);
                filled -= cut;
            }
        }
        if last {
            break;
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], piece: usize) -> (String, DecodeStats, Detected) {
        let det = detect(bytes, true);
        let mut out = Vec::new();
        let mut pieces = Vec::new();
        let stats = decode_pieces(bytes, &det, piece, |p| {
            pieces.push(p.len());
            out.extend_from_slice(p)
        });
        (String::from_utf8(out).unwrap(), stats, det)
    }

    #[test]
    fn detects_boms_utf16_utf8_and_gbk() {
        let text = "身份证号,手机号\n张伟,13812345678\n";
        assert_eq!(detect(text.as_bytes(), true).name(), "utf-8");
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        assert_eq!(detect(&bom, true).name(), "utf-8-bom");
        let (gbk, _, _) = GBK.encode(text);
        assert_eq!(detect(&gbk, true).name(), "gbk");
        let le: Vec<u8> = "name,phone\nli,13812345678\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(detect(&le, true).name(), "utf-16le");
        let be: Vec<u8> = "name,phone\nli,13812345678\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(detect(&be, true).name(), "utf-16be");
        // A cut multi-byte character at the end of a sniffed head is still UTF-8.
        assert_eq!(detect(&text.as_bytes()[..5], false).name(), "utf-8");
    }

    /// chardetng reads a window from the first line that is not UTF-8 (see `detect`): a file
    /// whose first 40 KiB are ASCII is still found to be GBK; and Big5, Shift_JIS and EUC-KR
    /// are told apart from it (the `.cn` hint alone made them all GBK).
    #[test]
    fn the_detector_window_starts_where_the_text_stops_being_ascii() {
        let ascii = "id,amount,status\n1001,3439.12,ok\n".repeat(1300);
        assert!(ascii.len() > 40 << 10);
        let zh = "客户张伟，住址北京市朝阳区建国路88号，电话13812345678，已核验。\n".repeat(400);
        let gbk = [ascii.as_bytes(), &GBK.encode(&zh).0].concat();
        assert_eq!(detect(&gbk[..64 << 10], false).name(), "gbk");
        assert_eq!(detect(&gbk, true).name(), "gbk");
        // Two characters that chardetng alone would read as Cyrillic: the `.cn` hint decides.
        assert_eq!(detect(&GBK.encode("深圳\n").0, true).name(), "gbk");
        for (enc, text) in [
            (
                encoding_rs::BIG5,
                "客戶張偉，住址臺北市中正區重慶南路一段一二二號，電話已經核對過了。\n",
            ),
            (
                encoding_rs::SHIFT_JIS,
                "お客様の住所は東京都千代田区丸の内一丁目です。電話番号を確認しました。\n",
            ),
            (
                encoding_rs::EUC_KR,
                "고객의 주소는 서울특별시 중구 세종대로입니다. 전화번호를 확인했습니다.\n",
            ),
        ] {
            let bytes = [ascii.as_bytes(), &enc.encode(&text.repeat(400)).0].concat();
            assert_eq!(
                detect(&bytes[..64 << 10], false).encoding,
                enc,
                "{}",
                enc.name()
            );
        }
    }

    #[test]
    fn decodes_in_pieces_ending_at_newlines() {
        let line = "客户张伟，电话13812345678\n";
        let text = line.repeat(20_000);
        let (gbk, _, _) = GBK.encode(&text);
        let det = detect(&gbk, true);
        let mut n = 0;
        let mut all = Vec::new();
        let stats = decode_pieces(&gbk, &det, 64 << 10, |p| {
            assert!(p.ends_with(b"\n"));
            n += 1;
            all.extend_from_slice(p);
        });
        assert!(n > 3, "{n} pieces");
        assert_eq!(all, text.as_bytes());
        assert_eq!(stats, DecodeStats::default());
    }

    #[test]
    fn invalid_gbk_bytes_are_counted_with_their_offset() {
        let mut gbk = GBK
            .encode(&"姓名：张伟，地址：北京市朝阳区\n".repeat(30))
            .0
            .into_owned();
        let bad_at = 20;
        gbk.insert(bad_at, 0xFF); // never valid in GBK, put between two characters
        gbk.push(0x81); // a lead byte cut by the end of the file
        let (text, stats, det) = decode_all(&gbk, 1 << 16);
        assert_eq!(det.name(), "gbk");
        assert_eq!(stats.malformed, 2);
        assert_eq!(stats.first_malformed_at, Some(bad_at as u64));
        assert!(text.contains('\u{FFFD}'));
        let msg = stats.message(&det).unwrap();
        assert!(
            msg.contains("2 invalid GBK byte sequences (first at byte offset 20)"),
            "{msg}"
        );
    }

    #[test]
    fn utf16_bom_is_skipped() {
        let mut le = vec![0xFF, 0xFE];
        le.extend("a,b\n1,2\n".encode_utf16().flat_map(u16::to_le_bytes));
        let (text, stats, det) = decode_all(&le, 1024);
        assert_eq!(det.name(), "utf-16le");
        assert_eq!(text, "a,b\n1,2\n");
        assert_eq!(stats.malformed, 0);
    }
}
