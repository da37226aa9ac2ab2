//! The matcher: every detector pattern, compiled for a single scan of each haystack.
//!
//! Patterns fall into three groups, each searched the way that is fast for it:
//!
//! * *numeric* free patterns (IDs, mobiles, cards: digits and separators only) run anchored at
//!   the starts of numeric tokens found by a hand-written scanner ([`super::numeric`]);
//! * *general* free patterns (emails, user patterns with letters) share one multi-pattern
//!   `meta::Regex` — except that a pattern with a lead literal (the e-mail address, see
//!   [`Lead`]) keeps a group of its own, so the others (MAC and IP addresses, plates, MRZ
//!   lines…) do not take its fast search away; they share an *other* group, and those that
//!   every numeric and general detector outranks a *low* group, searched only between the
//!   findings that would win over them anyway;
//!   `meta::Regex`, which reports the position and pattern id of every candidate in one pass;
//! * *context* patterns (passports, permits, the 15-digit ID: formats without a check character)
//!   count only near a keyword, so they run only over the few characters around a keyword hit
//!   (keywords are found by one Aho-Corasick automaton) or over a whole value whose column header
//!   names their detector. An 8-digit permit pattern would otherwise make every 8-digit number a
//!   candidate.
//!
//! Candidates are then checked (boundaries, validator, context), normalised, and where two
//! overlap the higher-priority detector's finding is kept.

use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::util::prefilter::Prefilter;
use regex_automata::{Anchored, Input, MatchKind, PatternID, Span, meta, util::syntax};

use super::validators::{self, Validator};
use super::{
    Detector, Finding, LoadError, Standard, decode, is_word_byte, numeric, window_after,
    window_before,
};

/// Longest match, in characters, a context pattern is expected to have; widens keyword windows.
const CTX_MATCH_MARGIN: usize = 24;

/// One group of patterns compiled together, with the detector and pattern each id belongs to.
#[derive(Debug, Clone)]
struct Group {
    regex: meta::Regex,
    /// The same patterns as a fully built DFA for anchored searches (numeric patterns at token
    /// starts; every group's fallback patterns at a candidate's start), which matches a short
    /// token with none of the per-search set-up of `meta` (cache pool, strategy, lazy state
    /// lookups). `None` if it would be too large. Built when first needed (see
    /// [`Group::anchored_dfa`]).
    anchored: std::sync::OnceLock<Option<dense::DFA<Vec<u32>>>>,
    /// The patterns, to build `anchored` from.
    patterns: Vec<String>,
    /// For each pattern id: (detector index, pattern index within the detector).
    owners: Vec<(usize, usize)>,
    /// When every pattern is numeric (digits and separators): the shortest match. Such a group
    /// (the numeric one, and e.g. the 15-digit legacy ID among the context patterns) is scanned
    /// anchored at numeric-token starts, not by an unanchored search (which blows up the lazy
    /// DFA on bounded digit repetitions, and finds a 15-digit match inside every 18-digit ID).
    numeric_min: Option<usize>,
    /// When the group is one pattern of the shape `X+ b …` (see [`Lead`]): how to find its
    /// matches without `meta`.
    lead: Option<Lead>,
}

/// A pattern that opens with one or more bytes of a class `X` followed by a literal byte `b`
/// outside `X` — an e-mail address, `[A-Za-z0-9._%+-]+@…`. Every match holds a `b` right after
/// a run of `X`, so the leftmost match is found by looking for each `b` (memchr), walking back
/// over the run of `X` before it (the leftmost start that can reach this `b`), and matching
/// forward from there with the anchored DFA. If that fails, no start in the run succeeds (each
/// reaches the same `b` in the same state), and the next `b` is tried.
///
/// This is what `meta`'s reverse-inner strategy does for such a pattern, without its set-up per
/// search (start states, input spans, a reverse DFA), which cost about 900 instructions per
/// e-mail address in a column of them: written here because regex-automata does not let a
/// caller keep that set-up from one short search to the next.
#[derive(Debug, Clone)]
struct Lead {
    byte: u8,
    class: [bool; 256],
}

impl Lead {
    /// The lead of `pattern` (parsed as the group compiles it), if it has that shape.
    fn of(pattern: &str) -> Option<Lead> {
        use regex_syntax::hir::{Class, HirKind};
        let hir = numeric::byte_hir(pattern)?;
        let HirKind::Concat(parts) = hir.kind() else {
            return None;
        };
        let (HirKind::Repetition(rep), Some(HirKind::Literal(lit))) =
            (parts.first()?.kind(), parts.get(1).map(|h| h.kind()))
        else {
            return None;
        };
        if rep.min < 1 || rep.max.is_some() {
            return None;
        }
        let mut class = [false; 256];
        match rep.sub.kind() {
            HirKind::Class(Class::Bytes(c)) => {
                for r in c.ranges() {
                    for b in r.start()..=r.end() {
                        class[usize::from(b)] = true;
                    }
                }
            }
            _ => return None,
        }
        let byte = *lit.0.first()?;
        (!class[usize::from(byte)]).then_some(Lead { byte, class })
    }

    /// The start of the leftmost match in `hay[at..hi]`, and its pattern's end there.
    fn search(
        &self,
        g: &Group,
        cache: &mut meta::Cache,
        hay: &[u8],
        mut at: usize,
        hi: usize,
    ) -> Option<(usize, usize)> {
        while at < hi {
            let b = at + memchr::memchr(self.byte, &hay[at..hi])?;
            let mut s = b;
            while s > at && self.class[usize::from(hay[s - 1])] {
                s -= 1;
            }
            if s < b
                && let Some((_, end)) = g.anchored_end(cache, hay, s, hi, Anchored::Yes)
            {
                return Some((s, end));
            }
            at = b + 1;
        }
        None
    }
}

/// Shortest haystack on which [`DetectorSet::list_free_starts`] lists match starts: one
/// extra regex search set-up does not pay on a table value.
const FREE_STARTS_MIN: usize = 4 << 10;

/// Largest anchored DFA built for a group; beyond it the lazy DFA of `meta` is used.
const ANCHORED_DFA_LIMIT: usize = 4 << 20;

/// When a [`Group`]'s anchored DFA is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dense {
    /// With the group: it serves every search (numeric tokens, the e-mail lead).
    Now,
    /// When first needed: most groups of context patterns (one per detector, for values under
    /// a header that names it) are never searched in a text, and their DFAs were a sixth of
    /// the instructions of a process's start (callgrind).
    WhenNeeded,
    /// Never; anchored searches go through `meta` (see [`DetectorSet::context`]).
    Never,
}

impl Group {
    /// A group of `patterns`; its anchored DFA is built as `dense` says.
    fn build(
        patterns: Vec<(String, (usize, usize))>,
        dense: Dense,
    ) -> Result<Option<Group>, String> {
        if patterns.is_empty() {
            return Ok(None);
        }
        let (res, owners): (Vec<String>, Vec<(usize, usize)>) = patterns.into_iter().unzip();
        let numeric_min = res
            .iter()
            .map(|r| numeric::numeric_min_len(r).map(|m| m.max(1)))
            .try_fold(usize::MAX, |acc, m| m.map(|m| acc.min(m)));
        // A pattern with a lead literal needs its DFA now (see `lead` below).
        let has_lead = matches!(res.as_slice(), [one] if Lead::of(one).is_some());
        let anchored = std::sync::OnceLock::new();
        if dense == Dense::Now || has_lead {
            let _ = anchored.set(Self::build_anchored(&res));
        } else if dense == Dense::Never {
            let _ = anchored.set(None);
        }
        let regex = meta::Regex::builder()
            // Byte-oriented: files are not always valid UTF-8, and `[0-9]` means ASCII digits.
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .configure(
                meta::Config::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .utf8_empty(false),
            )
            .build_many(&res)
            .map_err(|e| e.to_string())?;
        let lead = match res.as_slice() {
            [one] if matches!(anchored.get(), Some(Some(_))) => Lead::of(one),
            _ => None,
        };
        Ok(Some(Group {
            regex,
            anchored,
            patterns: res,
            owners,
            numeric_min,
            lead,
        }))
    }

    /// The anchored DFA of the patterns, if it fits [`ANCHORED_DFA_LIMIT`].
    fn build_anchored(res: &[String]) -> Option<dense::DFA<Vec<u32>>> {
        dense::Builder::new()
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .configure(
                dense::Config::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .start_kind(StartKind::Anchored)
                    .starts_for_each_pattern(true)
                    .dfa_size_limit(Some(ANCHORED_DFA_LIMIT))
                    .determinize_size_limit(Some(ANCHORED_DFA_LIMIT)),
            )
            .build_many(res)
            .ok()
    }

    /// The anchored DFA, built by the first caller that needs it.
    fn anchored_dfa(&self) -> Option<&dense::DFA<Vec<u32>>> {
        self.anchored
            .get_or_init(|| Self::build_anchored(&self.patterns))
            .as_ref()
    }

    /// The end and pattern of the leftmost-first match anchored at `hay[s..hi]`'s start, of
    /// any pattern or of one.
    fn anchored_end(
        &self,
        cache: &mut meta::Cache,
        hay: &[u8],
        s: usize,
        hi: usize,
        anchor: Anchored,
    ) -> Option<(usize, usize)> {
        let input = Input::new(hay).range(s..hi).anchored(anchor);
        if let Some(dfa) = self.anchored_dfa()
            && let Ok(m) = dfa.try_search_fwd(&input)
        {
            return m.map(|m| (m.pattern().as_usize(), m.offset()));
        }
        // Anchored, the start is known: the forward half of a search gives the rest.
        self.regex
            .search_half_with(cache, &input)
            .map(|m| (m.pattern().as_usize(), m.offset()))
    }

    /// Patterns anchored at `s`, in priority order from `from`: their match ends.
    fn anchored_ends<'c>(
        &'c self,
        cache: &'c mut meta::Cache,
        hay: &'c [u8],
        s: usize,
        hi: usize,
        from: usize,
    ) -> impl Iterator<Item = (usize, usize)> + 'c {
        (from..self.owners.len()).filter_map(move |pid| {
            let anchor = Anchored::Pattern(PatternID::new_unchecked(pid));
            self.anchored_end(cache, hay, s, hi, anchor)
                .map(|(_, end)| (pid, end))
        })
    }
}

/// The mutable search state of a [`DetectorSet`]'s regexes, one per thread.
///
/// A `meta::Regex` keeps its caches in a pool whose fast path belongs to the first thread that
/// used it; every other thread takes a lock per search. A scanner thread that searches millions
/// of short values keeps its own (see [`DetectorSet::caches`] and the `*_in` methods).
#[derive(Debug, Clone)]
pub struct Caches {
    numeric: Option<meta::Cache>,
    general: Option<meta::Cache>,
    other: Option<meta::Cache>,
    low: Option<meta::Cache>,
    context: Option<meta::Cache>,
    context_own: Vec<Option<meta::Cache>>,
    keywords: Option<meta::Cache>,
    header_only: Vec<meta::Cache>,
    /// A decoded copy of the haystack and its parts, reused from one search to the next.
    decoded: decode::Decoded,
    decoded_parts: Vec<(usize, usize, usize)>,
    /// A block of a long haystack in ASCII lower case, searched for keywords (see
    /// [`KeywordBlocks`]).
    lowered: Vec<u8>,
    /// Cache of [`DetectorSet::free_starts`], and the starts it found in the haystack.
    free_starts: Option<meta::Cache>,
    starts: Vec<usize>,
}

/// A [`Caches`] lent by a [`DetectorSet`]'s pool.
pub type CachesGuard<'a> = regex_automata::util::pool::PoolGuard<'a, Caches, MakeCaches>;

/// The regexes a [`Caches`] is made for (cheap clones: a `meta::Regex` is shared).
#[derive(Debug, Clone)]
struct CacheRegexes {
    numeric: Option<meta::Regex>,
    general: Option<meta::Regex>,
    other: Option<meta::Regex>,
    low: Option<meta::Regex>,
    context: Option<meta::Regex>,
    context_own: Vec<Option<meta::Regex>>,
    keywords: Option<meta::Regex>,
    header_only: Vec<meta::Regex>,
    free_starts: Option<meta::Regex>,
}

impl CacheRegexes {
    fn caches(&self) -> Caches {
        let cache = |r: &Option<meta::Regex>| r.as_ref().map(|r| r.create_cache());
        Caches {
            numeric: cache(&self.numeric),
            general: cache(&self.general),
            other: cache(&self.other),
            low: cache(&self.low),
            context: cache(&self.context),
            context_own: self.context_own.iter().map(cache).collect(),
            keywords: cache(&self.keywords),
            header_only: self.header_only.iter().map(|r| r.create_cache()).collect(),
            decoded: decode::Decoded::default(),
            decoded_parts: Vec::new(),
            lowered: Vec::new(),
            free_starts: cache(&self.free_starts),
            starts: Vec::new(),
        }
    }
}

/// How a [`DetectorSet`]'s pool makes a [`Caches`] for a thread that has none.
pub type MakeCaches =
    Box<dyn Fn() -> Caches + Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>;

/// All detectors, ordered by descending priority, with their patterns compiled for scanning.
#[derive(Debug)]
pub struct DetectorSet {
    pub(super) detectors: Vec<Detector>,
    numeric: Option<Group>,
    general: Option<Group>,
    /// Free patterns with letters that have no lead literal, searched apart from `general`
    /// so that the e-mail pattern keeps its own fast search.
    other: Option<Group>,
    /// Free patterns outranked by every numeric and general detector (USCC, IBAN, plates, IP
    /// and MAC addresses): a finding of theirs that overlaps an identifier or an e-mail
    /// address is dropped, so they are searched only in the gaps between the findings that
    /// outrank them. Without it an unanchored search stops at every 18-digit ID (the shape of
    /// a USCC) and starts again: measured with callgrind on a 20,000-row PI-dense table, the
    /// eight free patterns without a literal (these and MRZ lines, HKIDs) cost 4,300
    /// instructions a row before, 1,600 after.
    low: Option<Group>,
    /// The patterns of `other` and `low` in one regex, whose successive searches list every
    /// position where one of them matches, in one pass over a long haystack (see
    /// [`FREE_STARTS_MIN`]).
    free_starts: Option<meta::Regex>,
    /// The first detector (highest priority) of the `low` group: findings of detectors before
    /// it bound the gaps it is searched in.
    low_best: usize,
    /// Every context pattern, searched unanchored (by `meta`) around keyword hits. It has no
    /// anchored DFA: that would serve only the patterns tried after a candidate fails its
    /// checks, and with the diagnosis names among the patterns it is 2 MB built in 33 ms on
    /// the first keyword of each process (callgrind, 10 MB log, one thread: 260M of 824M
    /// instructions).
    context: Option<Group>,
    /// Each detector's own context patterns (indexed by detector), run over a whole value when
    /// its field's header names the detector.
    context_own: Vec<Option<Group>>,
    /// Every context keyword, ASCII case-insensitive, in one literal matcher (Teddy).
    keywords: Option<meta::Regex>,
    /// The prefilter `keywords` uses (the same literals), to skip text without a candidate
    /// before setting up a search.
    keyword_prefilter: Option<Prefilter>,
    /// The keywords again, for long haystacks (see [`KeywordBlocks`]).
    keyword_blocks: Option<KeywordBlocks>,
    /// The literals of `keyword_prefilter`, looked for by hand in a short haystack (a table
    /// record) instead of by the prefilter (see [`KeywordPairs`]); `None` when the
    /// prefilter's literals are not known here.
    keyword_pairs: Option<KeywordPairs>,
    /// Characters around a keyword hit searched for context patterns.
    ctx_reach: usize,
    /// Header-driven patterns: (detector index, pattern index, whole-value matcher).
    header_only: Vec<(usize, usize, meta::Regex)>,
    /// Search state for callers that bring none (a text chunk, a header row): made once per
    /// thread, not per call.
    pool: regex_automata::util::pool::Pool<Caches, MakeCaches>,
    /// Categories of the detectors sensitive under some standard (`medical-health`,
    /// `financial-account` …), sorted, at most 64: a record's sensitive categories are a bit
    /// mask over them (see [`crate::subject::Subject::categories`]).
    sensitive_categories: Vec<String>,
    /// For each detector: its category's index in `sensitive_categories`, if it is sensitive.
    category_bit: Vec<Option<u8>>,
    /// The day the data is judged on, as `YYYYMMDD`: a resident ID born after it is no ID.
    reference: u32,
    /// The same as 8 ASCII digits read as a big-endian word, to compare an ID's digits with.
    reference_word: u64,
    /// [`header_flags`](Self::header_flags) of the headers met so far: a share's files name
    /// their fields alike (`id`, `mobile`, `email` in every JSON file), and comparing a header
    /// with every detector's hints was a twentieth of the instructions of a small file.
    header_memo: std::sync::Mutex<HeaderMemo>,
}

/// Header → (hints, vetoes), each one flag per detector.
type HeaderMemo =
    std::collections::HashMap<String, (Vec<bool>, Vec<bool>), foldhash::fast::RandomState>;

/// Headers [`DetectorSet::header_flags`] remembers; past them (a file of a million distinct
/// keys) headers are compared afresh, so the memo stays a few MB.
const HEADER_MEMO_LEN: usize = 16 << 10;

impl DetectorSet {
    /// The embedded catalogue plus (adding or overriding by id) the files of `dir`.
    pub fn load(dir: Option<&std::path::Path>) -> Result<DetectorSet, LoadError> {
        DetectorSet::new(super::load::load_detectors(dir)?)
    }

    pub fn new(mut detectors: Vec<Detector>) -> Result<DetectorSet, LoadError> {
        // Highest priority first: pattern ids follow detector order, and both leftmost-first
        // matching and the anchored fallbacks prefer lower ids.
        detectors.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.id.cmp(&b.id)));
        let (mut numeric, mut general, mut context) = (Vec::new(), Vec::new(), Vec::new());
        let mut keywords: Vec<String> = Vec::new();
        let mut widest = 0;
        let mut header_only = Vec::new();
        let mut context_own = Vec::new();
        for (di, d) in detectors.iter().enumerate() {
            let mut own = Vec::new();
            for (pi, p) in d.patterns.iter().enumerate() {
                let entry = (p.regex.clone(), (di, pi));
                if p.requires_header {
                    let whole =
                        meta::Regex::new(&format!(r"\A(?:{})\z", p.regex)).map_err(|e| {
                            LoadError::Build {
                                id: d.id.clone(),
                                message: e.to_string(),
                            }
                        })?;
                    header_only.push((di, pi, whole));
                } else if p.requires_context {
                    own.push(entry.clone());
                    context.push(entry);
                    widest = widest.max(d.window);
                    for k in &d.keywords {
                        if !keywords.contains(k) {
                            keywords.push(k.clone());
                        }
                    }
                } else if numeric::numeric_min_len(&p.regex).is_some() {
                    numeric.push(entry);
                } else {
                    general.push(entry);
                }
            }
            context_own.push(own);
        }
        let build_err = |message: String| LoadError::Build {
            id: detectors
                .iter()
                .map(|d| d.id.as_str())
                .collect::<Vec<_>>()
                .join(","),
            message,
        };
        let mut keyword_patterns: Vec<String> = Vec::new();
        let keyword_list = keywords.clone();
        let keywords = if keywords.is_empty() {
            None
        } else {
            // A `meta` regex of the literals rather than an Aho-Corasick DFA: its Teddy
            // prefilter skips text without candidates at memory speed (an automaton walks every
            // byte: measured 30% slower on the plain-text rows of `cargo bench --bench tabular`).
            keyword_patterns = keywords
                .iter()
                .map(|k| format!("(?i:{})", regex_syntax::escape(k)))
                .collect();
            Some(
                meta::Regex::builder()
                    .syntax(syntax::Config::new().unicode(false).utf8(false))
                    .configure(meta::Config::new().utf8_empty(false))
                    .build_many(&keyword_patterns)
                    .map_err(|e| build_err(e.to_string()))?,
            )
        };
        let mut keyword_pairs = None;
        let keyword_prefilter = keywords.as_ref().and_then(|_| {
            let mut parser = regex_syntax::ParserBuilder::new()
                .unicode(false)
                .utf8(false)
                .build();
            // They compiled above, so they parse.
            let hirs: Vec<_> = keyword_patterns
                .iter()
                .map(|p| parser.parse(p).ok())
                .collect::<Option<_>>()?;
            Prefilter::from_hirs_prefix(MatchKind::LeftmostFirst, &hirs).or_else(|| {
                let lits = cased_prefix_literals(&keyword_list);
                keyword_pairs = KeywordPairs::new(&lits);
                Prefilter::new(MatchKind::LeftmostFirst, &lits)
            })
        });
        let keyword_blocks = KeywordBlocks::new(&keyword_list);
        let numeric = Group::build(numeric, Dense::Now).map_err(build_err)?;
        // A single pattern with a lead literal keeps its group; the rest go to `other`.
        let (lead, rest): (Vec<_>, Vec<_>) = general
            .into_iter()
            .partition(|(re, _)| Lead::of(re).is_some());
        let (general, other) = if lead.len() == 1 {
            (lead, rest)
        } else {
            (lead.into_iter().chain(rest).collect(), Vec::new())
        };
        // Detectors are in priority order: a pattern of a detector after every numeric and
        // general one loses to each of their findings it overlaps.
        let last_free = (numeric.iter().flat_map(|g| g.owners.iter().map(|o| o.0)))
            .chain(general.iter().map(|(_, (di, _))| *di))
            .max();
        let (low, other): (Vec<_>, Vec<_>) = other
            .into_iter()
            .partition(|(_, (di, _))| last_free.is_some_and(|l| *di > l));
        let low_best = low
            .iter()
            .map(|(_, (di, _))| *di)
            .min()
            .unwrap_or(usize::MAX);
        let free_starts = if other.is_empty() || low.is_empty() {
            None
        } else {
            let res: Vec<&str> = other.iter().chain(&low).map(|(r, _)| r.as_str()).collect();
            Some(
                meta::Regex::builder()
                    .syntax(syntax::Config::new().unicode(false).utf8(false))
                    .configure(
                        meta::Config::new()
                            .match_kind(MatchKind::LeftmostFirst)
                            .utf8_empty(false),
                    )
                    .build_many(&res)
                    .map_err(|e| build_err(e.to_string()))?,
            )
        };
        let general = Group::build(general, Dense::Now).map_err(build_err)?;
        let other = Group::build(other, Dense::WhenNeeded).map_err(build_err)?;
        let low = Group::build(low, Dense::WhenNeeded).map_err(build_err)?;
        let context = Group::build(context, Dense::Never).map_err(build_err)?;
        let context_own: Vec<Option<Group>> = context_own
            .into_iter()
            .map(|own| Group::build(own, Dense::WhenNeeded))
            .collect::<Result<_, _>>()
            .map_err(build_err)?;
        let regex = |g: &Option<Group>| g.as_ref().map(|g| g.regex.clone());
        let regexes = CacheRegexes {
            numeric: regex(&numeric),
            general: regex(&general),
            other: regex(&other),
            low: regex(&low),
            context: regex(&context),
            context_own: context_own.iter().map(regex).collect(),
            keywords: keywords.clone(),
            header_only: header_only.iter().map(|(_, _, r)| r.clone()).collect(),
            free_starts: free_starts.clone(),
        };
        let make: MakeCaches = Box::new(move || regexes.caches());
        let sensitive = |d: &Detector| Standard::ALL.iter().any(|&st| d.sensitive.under(st));
        let mut sensitive_categories: Vec<String> = detectors
            .iter()
            .filter(|d| sensitive(d))
            .map(|d| d.category.clone())
            .collect();
        sensitive_categories.sort();
        sensitive_categories.dedup();
        sensitive_categories.truncate(64);
        let category_bit = detectors
            .iter()
            .map(|d| {
                sensitive(d)
                    .then(|| sensitive_categories.iter().position(|c| *c == d.category))
                    .flatten()
                    .and_then(|i| u8::try_from(i).ok())
            })
            .collect();
        Ok(DetectorSet {
            sensitive_categories,
            category_bit,
            numeric,
            general,
            other,
            low,
            free_starts,
            low_best,
            context,
            context_own,
            keywords,
            keyword_prefilter,
            keyword_blocks,
            keyword_pairs,
            ctx_reach: widest + CTX_MATCH_MARGIN,
            header_only,
            detectors,
            pool: regex_automata::util::pool::Pool::new(make),
            reference: 0,
            reference_word: 0,
            header_memo: Default::default(),
        }
        .with_reference_date(chrono::Utc::now().date_naive()))
    }

    /// This set, judging birth dates against `date` instead of today (see
    /// [`set_reference_date`](Self::set_reference_date)).
    pub fn with_reference_date(mut self, date: chrono::NaiveDate) -> DetectorSet {
        self.set_reference_date(date);
        self
    }

    /// The day the data is judged on (default: today, UTC, when the set was built). A resident
    /// ID whose birth date is after it is not counted: nobody is registered before birth, so
    /// such a number is a look-alike. A scan with an explicit reference date (reproducible
    /// reports, `--reference-date`) must set it here too.
    pub fn set_reference_date(&mut self, date: chrono::NaiveDate) {
        self.reference = ymd(date);
        let digits = format!("{:08}", self.reference.min(99_999_999));
        self.reference_word = u64::from_be_bytes(digits.as_bytes().try_into().unwrap_or([b'9'; 8]));
    }

    /// The reference date, as `YYYYMMDD`.
    pub fn reference_ymd(&self) -> u32 {
        self.reference
    }

    pub fn detectors(&self) -> &[Detector] {
        &self.detectors
    }

    /// A fingerprint of what the detectors find (16 hex characters of a SHA-256 over each
    /// detector's id, patterns, checks, context and sensitivity, in order; not names, texts or
    /// examples): inventories with equal fingerprints were made by the same detector set, the
    /// condition for merging them (`pipl-scan merge`).
    pub fn fingerprint(&self) -> String {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        for d in &self.detectors {
            let what = format!(
                "{:?}",
                (
                    (&d.id, &d.category, &d.sensitive, d.identifier, d.personal),
                    (d.needs_person, d.priority, &d.patterns, &d.validator),
                    (&d.normaliser, &d.masker, &d.keywords, &d.negative, d.window),
                    (
                        &d.header_hints,
                        &d.not_header_hints,
                        &d.guards,
                        &d.not_values
                    ),
                )
            );
            h.update((what.len() as u64).to_le_bytes());
            h.update(what.as_bytes());
        }
        hex::encode(&h.finalize()[..8])
    }

    /// The bit of detector `di`'s category in a record's mask of sensitive categories, if the
    /// detector is sensitive under some standard.
    pub fn sensitive_category_bit(&self, di: usize) -> Option<u8> {
        self.category_bit.get(di).copied().flatten()
    }

    /// The sensitive category a bit of [`sensitive_category_bit`](Self::sensitive_category_bit)
    /// stands for.
    pub fn sensitive_category(&self, bit: u8) -> Option<&str> {
        self.sensitive_categories
            .get(usize::from(bit))
            .map(String::as_str)
    }

    /// Search state for this set's regexes, for one thread (see [`Caches`]), taken from the
    /// set's pool (made the first time, reused after: a scanner per small file costs no
    /// allocation) and returned to it when dropped.
    pub fn caches(&self) -> CachesGuard<'_> {
        self.pool.get()
    }

    pub fn len(&self) -> usize {
        self.detectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.detectors.is_empty()
    }

    pub fn get(&self, i: usize) -> &Detector {
        &self.detectors[i]
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.detectors.iter().position(|d| d.id == id)
    }

    /// [`header_hints`](Self::header_hints) and [`header_vetoes`](Self::header_vetoes) of
    /// `header`, remembered for the next file with a field of that name.
    pub fn header_flags(&self, header: &str) -> (Vec<bool>, Vec<bool>) {
        if let Ok(memo) = self.header_memo.lock()
            && let Some(flags) = memo.get(header)
        {
            return flags.clone();
        }
        let flags = (self.header_hints(header), self.header_vetoes(header));
        if let Ok(mut memo) = self.header_memo.lock()
            && memo.len() < HEADER_MEMO_LEN
        {
            memo.insert(header.to_string(), flags.clone());
        }
        flags
    }

    /// Which detectors a column header names (one flag per detector). A detector the header
    /// vetoes (see [`header_vetoes`](Self::header_vetoes)) is never hinted.
    pub fn header_hints(&self, header: &str) -> Vec<bool> {
        let h = super::squash(header);
        self.detectors
            .iter()
            .map(|d| d.header_matches_squashed(&h))
            .collect()
    }

    /// Which detectors a column header vetoes (one flag per detector): the column holds
    /// something else (`学号`, `order_id`, `IMEI`), so those detectors' findings in its values
    /// do not count. Readers compute this once per column, like [`header_hints`](Self::header_hints),
    /// and drop the vetoed findings with [`drop_vetoed`](Self::drop_vetoed) (or search with
    /// [`find_into_vetoed_in`](Self::find_into_vetoed_in)).
    pub fn header_vetoes(&self, header: &str) -> Vec<bool> {
        let h = super::squash(header);
        self.detectors
            .iter()
            .map(|d| d.header_vetoes_squashed(&h))
            .collect()
    }

    /// Removes from `findings` those of detectors that `vetoed` flags (a column's
    /// [`header_vetoes`](Self::header_vetoes)). Costs nothing when no flag is set.
    pub fn drop_vetoed(vetoed: &[bool], findings: &mut Vec<Finding>, from: usize) {
        if from >= findings.len() || !vetoed.iter().any(|&v| v) {
            return;
        }
        let mut w = from;
        for r in from..findings.len() {
            if !vetoed.get(findings[r].detector).copied().unwrap_or(false) {
                findings.swap(w, r);
                w += 1;
            }
        }
        findings.truncate(w);
    }

    /// [`find_into_in`](Self::find_into_in) for one value of a column whose header `vetoed`
    /// some detectors (see [`header_vetoes`](Self::header_vetoes)).
    pub fn find_into_vetoed_in(
        &self,
        caches: &mut Caches,
        hay: &[u8],
        hinted: &[bool],
        vetoed: &[bool],
        out: &mut Vec<Finding>,
    ) {
        let from = out.len();
        self.find_into_in(caches, hay, hinted, out);
        Self::drop_vetoed(vetoed, out, from);
    }

    /// Calls `on` for every finding in `hay`, in order of position. `hinted[i]` says that the
    /// field's header names detector `i`, which stands in for a context keyword; pass `&[]` for
    /// plain text. Overlapping candidates resolve to the higher-priority detector.
    pub fn find(&self, hay: &[u8], hinted: &[bool], mut on: impl FnMut(Finding)) {
        let mut out = Vec::new();
        self.find_into(hay, hinted, &mut out);
        out.into_iter().for_each(&mut on);
    }

    /// [`find`](Self::find), appending to `out`: callers that search many short values (table
    /// cells) keep one vector instead of allocating one per value.
    pub fn find_into(&self, hay: &[u8], hinted: &[bool], out: &mut Vec<Finding>) {
        self.find_into_in(&mut self.pool.get(), hay, hinted, out);
    }

    /// [`find_into`](Self::find_into) with the calling thread's own [`Caches`].
    pub fn find_into_in(
        &self,
        caches: &mut Caches,
        hay: &[u8],
        hinted: &[bool],
        out: &mut Vec<Finding>,
    ) {
        self.find_with_parts_in(caches, hay, hinted, &[], |_| &[], out);
    }

    /// [`find_into`](Self::find_into) over values joined by newlines (a table record), where
    /// `parts` are the `(start, end, field)` spans of values whose header names context
    /// detectors (`hints_of(field)` says which): those detectors' own patterns run over the
    /// whole span, as they would over the value searched alone. No pattern matches a newline
    /// and context windows stop at one, so this finds what one search per value would, in one.
    pub fn find_with_parts<'h>(
        &self,
        hay: &[u8],
        hinted: &[bool],
        parts: &[(usize, usize, usize)],
        hints_of: impl Fn(usize) -> &'h [bool],
        out: &mut Vec<Finding>,
    ) {
        self.find_with_parts_in(&mut self.pool.get(), hay, hinted, parts, hints_of, out);
    }

    /// [`find_with_parts`](Self::find_with_parts) with the calling thread's own [`Caches`].
    pub fn find_with_parts_in<'h>(
        &self,
        caches: &mut Caches,
        hay: &[u8],
        hinted: &[bool],
        parts: &[(usize, usize, usize)],
        hints_of: impl Fn(usize) -> &'h [bool],
        out: &mut Vec<Finding>,
    ) {
        let c = caches;
        // Header-driven findings span the whole value and stand beside what is inside it (an
        // address may hold a phone number): they take no part in overlap resolution.
        if hinted.iter().any(|&h| h) {
            self.find_header_only_in(c, hay, hinted, &mut |f| out.push(f));
        }
        // Full-width digits, Unicode spaces and escapes (JSON, URL, HTML) are searched in a
        // decoded copy, the findings mapped back; a haystack without any takes the plain path.
        let Some(from) = decode::first_change(hay) else {
            self.find_plain_in(c, hay, hinted, parts, hints_of, out);
            return;
        };
        let mut dec = std::mem::take(&mut c.decoded);
        let mut dparts = std::mem::take(&mut c.decoded_parts);
        decode::decode(hay, from, &mut dec);
        dparts.clear();
        dparts.extend(
            parts
                .iter()
                .map(|&(lo, hi, f)| (dec.decoded(lo), dec.decoded(hi), f)),
        );
        let base = out.len();
        self.find_plain_in(c, &dec.text, hinted, &dparts, hints_of, out);
        for f in &mut out[base..] {
            f.start = dec.original(f.start);
            f.end = dec.original(f.end);
        }
        c.decoded = dec;
        c.decoded_parts = dparts;
    }

    /// [`find_with_parts_in`](Self::find_with_parts_in) on a haystack as it is (decoded
    /// already, or needing no decoding), without the header-driven detectors.
    fn find_plain_in<'h>(
        &self,
        c: &mut Caches,
        hay: &[u8],
        hinted: &[bool],
        parts: &[(usize, usize, usize)],
        hints_of: impl Fn(usize) -> &'h [bool],
        out: &mut Vec<Finding>,
    ) {
        let base = out.len();
        if let (Some(g), Some(gc)) = (&self.numeric, &mut c.numeric) {
            // Numeric-only, so scanned at numeric-token starts (see `scan_group`).
            self.scan_group(g, gc, hay, 0, hay.len(), hinted, out);
        }
        if let (Some(g), Some(gc)) = (&self.general, &mut c.general) {
            self.scan_group(g, gc, hay, 0, hay.len(), hinted, out);
        }
        // On a long haystack the starts of `other` and `low` matches are listed in one pass,
        // and both groups look only there (see `free_starts`).
        let mut starts = std::mem::take(&mut c.starts);
        let listed = self.list_free_starts(&mut c.free_starts, hay, &mut starts);
        let starts_of = |listed: bool| listed.then_some(&starts[..]);
        if let (Some(g), Some(gc)) = (&self.other, &mut c.other) {
            self.scan_group_at(g, gc, hay, 0, hay.len(), hinted, out, starts_of(listed));
        }
        if let (Some(g), Some(gc)) = (&self.context, &mut c.context) {
            // A hinted context detector: its own patterns run over the whole value — the
            // haystack, or each part — (the others still need a keyword, below).
            let spans = std::iter::once((0, hay.len(), hinted))
                .chain(parts.iter().map(|&(lo, hi, f)| (lo, hi, hints_of(f))));
            for (lo, hi, h) in spans {
                if h.is_empty() {
                    // No header hints (plain text, a record's joint values).
                    continue;
                }
                for (di, (own, oc)) in self.context_own.iter().zip(&mut c.context_own).enumerate() {
                    if let (Some(own), Some(oc)) = (own, oc)
                        && h.get(di).copied().unwrap_or(false)
                    {
                        self.scan_group(own, oc, hay, lo, hi, h, out);
                    }
                }
            }
            // Around each keyword hit; overlapping windows are merged and searched once.
            let mut pending: Option<(usize, usize)> = None;
            let mut hit = |ms: usize, me: usize| {
                let lo = window_before(hay, ms, self.ctx_reach);
                let hi = window_after(hay, me, self.ctx_reach);
                pending = match pending {
                    Some((plo, phi)) if lo <= phi => Some((plo, phi.max(hi))),
                    Some((plo, phi)) => {
                        self.scan_group(g, gc, hay, plo, phi, hinted, out);
                        Some((lo, hi))
                    }
                    None => Some((lo, hi)),
                };
            };
            self.keyword_hits(&mut c.keywords, &mut c.lowered, hay, &mut hit);
            if let Some((lo, hi)) = pending {
                self.scan_group(g, gc, hay, lo, hi, hinted, out);
            }
        }
        resolve_overlaps(out, base);
        if let (Some(g), Some(gc)) = (&self.low, &mut c.low) {
            // Only between the findings that outrank every low pattern (see `low`).
            let kept = out.len();
            let mut from = 0;
            for i in base..kept {
                let f = &out[i];
                if f.detector >= self.low_best {
                    continue;
                }
                let (start, end) = (f.start, f.end);
                if start > from {
                    self.scan_group_at(g, gc, hay, from, start, hinted, out, starts_of(listed));
                }
                from = from.max(end);
            }
            if from < hay.len() {
                self.scan_group_at(g, gc, hay, from, hay.len(), hinted, out, starts_of(listed));
            }
            if out.len() > kept {
                resolve_overlaps(out, base);
            }
        }
        c.starts = starts;
    }

    /// Lists in `starts` every position of `hay` where a pattern of `other` or `low` matches,
    /// if `hay` is long enough for one pass to pay and the positions are few; `false` if not
    /// listed (the groups then search as they are).
    ///
    /// Each of the two groups is an unanchored lazy-DFA search over nearly all of a text
    /// (`low` between the findings that outrank it, which are few in text): two passes over
    /// every byte. Their leftmost match from any position starts at the first listed position
    /// where one of the group's patterns matches anchored (the list holds every start of every
    /// pattern of either group), so one pass of this regex plus an anchored match at each
    /// listed position gives the same matches.
    fn list_free_starts(
        &self,
        cache: &mut Option<meta::Cache>,
        hay: &[u8],
        starts: &mut Vec<usize>,
    ) -> bool {
        starts.clear();
        let (Some(re), Some(cache)) = (&self.free_starts, cache) else {
            return false;
        };
        if hay.len() < FREE_STARTS_MIN {
            return false;
        }
        // Dense matches (a table of addresses) are left to the groups' own searches, which
        // skip past each match instead of stopping at every start inside it.
        // The density is judged on the part listed so far as well: a column of resident IDs
        // (each the shape of a USCC) is given up after about a hundred starts, not after a
        // quarter of the column's bytes searched from one start to the next (callgrind, a
        // Parquet table's columns).
        let mut at = 0;
        while let Some(m) = re.search_with(cache, &Input::new(hay).range(at..)) {
            if starts.len() >= m.start() / 64 + 64 {
                starts.clear();
                return false;
            }
            starts.push(m.start());
            at = m.start() + 1;
        }
        true
    }
}

impl DetectorSet {
    /// Calls `hit(start, end)` for every keyword hit in `hay`, in order: each search resumes
    /// where the last hit ended.
    fn keyword_hits(
        &self,
        kc: &mut Option<meta::Cache>,
        lowered: &mut Vec<u8>,
        hay: &[u8],
        hit: &mut impl FnMut(usize, usize),
    ) {
        if let Some(kb) = &self.keyword_blocks
            && hay.len() >= KeywordBlocks::MIN_HAY
        {
            kb.find(hay, lowered, hit);
            return;
        }
        let (Some(re), Some(kc)) = (&self.keywords, kc) else {
            return;
        };
        // Keywords are non-empty literals: each search resumes where a hit ended. The
        // prefilter runs alone first: most values hold no keyword, and a search's set-up
        // (start state, lazy DFA) costs a third of the scan of a short record.
        let mut at = 0;
        loop {
            if let Some(pairs) = &self.keyword_pairs {
                match pairs.next(hay, at) {
                    Some(p) => at = p,
                    None => break,
                }
            } else if let Some(pre) = &self.keyword_prefilter {
                match pre.find(hay, Span::from(at..hay.len())) {
                    Some(candidate) => at = candidate.start,
                    None => break,
                }
            }
            let Some(m) = re.search_with(kc, &Input::new(hay).range(at..)) else {
                break;
            };
            hit(m.start(), m.end());
            at = m.end().max(m.start() + 1);
        }
    }
}

/// Orders the findings in `out[base..]` (of groups searched apart) by position, and where two
/// overlap keeps the higher-priority detector's (a lower index). Compacted in place: `w` is the
/// finding kept so far, each later one either replaces it (overlap, higher priority), is
/// dropped (overlap, lower priority) or becomes the next kept one.
fn resolve_overlaps(out: &mut Vec<Finding>, base: usize) {
    {
        let found = &mut out[base..];
        if found.len() < 2 {
            return;
        }
        found.sort_by_key(|f| (f.start, f.detector));
        let mut w = 0;
        for r in 1..found.len() {
            if found[r].start < found[w].end {
                if found[r].detector < found[w].detector {
                    found.swap(w, r);
                }
            } else {
                w += 1;
                found.swap(w, r);
            }
        }
        out.truncate(base + w + 1);
    }
}

impl DetectorSet {
    /// Header-driven detectors named by the field's header: the whole (trimmed) value is matched
    /// and validated, at most one finding per detector.
    pub fn find_header_only(&self, hay: &[u8], hinted: &[bool], on: &mut impl FnMut(Finding)) {
        self.find_header_only_in(&mut self.pool.get(), hay, hinted, on);
    }

    /// [`find_header_only`](Self::find_header_only) with the calling thread's own [`Caches`].
    pub fn find_header_only_in(
        &self,
        caches: &mut Caches,
        hay: &[u8],
        hinted: &[bool],
        on: &mut impl FnMut(Finding),
    ) {
        let Ok(text) = std::str::from_utf8(hay) else {
            return;
        };
        let value = text.trim();
        let start = text.len() - text.trim_start().len();
        let mut last = usize::MAX;
        for ((di, _, re), cache) in self.header_only.iter().zip(&mut caches.header_only) {
            if *di == last || !hinted.get(*di).copied().unwrap_or(false) {
                continue;
            }
            let input = Input::new(value).earliest(true);
            if re.search_half_with(cache, &input).is_none() {
                continue;
            }
            let d = &self.detectors[*di];
            let Some(normalised) = d.normaliser.validated(d.validator, value) else {
                continue;
            };
            last = *di;
            on(Finding {
                detector: *di,
                start,
                end: start + value.len(),
                normalised,
            });
        }
    }

    /// `text` with every finding replaced by its masked form. Paths are searched a second
    /// time with their separators as spaces: detectors do not match right after a `/` (a URL's
    /// path), but a file named after a phone number must not print it.
    pub fn mask_text(&self, text: &str) -> String {
        let mut found = self.find_all(text);
        found.extend(self.find_all(&text.replace(['/', '\\'], " ")));
        found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for f in found {
            if f.start < at || !text.is_char_boundary(f.start) || !text.is_char_boundary(f.end) {
                continue;
            }
            out.push_str(&text[at..f.start]);
            out.push_str(&self.get(f.detector).masker.mask(&f.normalised));
            at = f.end;
        }
        out.push_str(&text[at..]);
        out
    }

    /// Does this detector count only under a header that names it?
    pub fn is_header_driven(&self, di: usize) -> bool {
        self.detectors[di]
            .patterns
            .iter()
            .all(|p| p.requires_header)
    }

    /// Every valid finding of a group's patterns within `hay[lo..hi]`.
    #[allow(clippy::too_many_arguments)]
    fn scan_group(
        &self,
        g: &Group,
        cache: &mut meta::Cache,
        hay: &[u8],
        lo: usize,
        hi: usize,
        hinted: &[bool],
        out: &mut Vec<Finding>,
    ) {
        self.scan_group_at(g, cache, hay, lo, hi, hinted, out, None);
    }

    /// [`scan_group`](Self::scan_group); with `starts`, a sorted list that holds every position
    /// where one of the group's patterns matches (and maybe others), matches are looked for
    /// only there, anchored, instead of by an unanchored search.
    #[allow(clippy::too_many_arguments)]
    fn scan_group_at(
        &self,
        g: &Group,
        cache: &mut meta::Cache,
        hay: &[u8],
        lo: usize,
        hi: usize,
        hinted: &[bool],
        out: &mut Vec<Finding>,
        starts: Option<&[usize]>,
    ) {
        if let Some(min) = g.numeric_min {
            // Numeric-only patterns run anchored at the candidate starts of numeric tokens (see
            // `numeric`). Tokens of `hay[lo..hi]`; their candidates are checked against the whole
            // haystack (a token cut at `hi` inside a longer digit run fails its right boundary).
            numeric::tokens(&hay[lo..hi], min, |ts, te| {
                let (ts, te) = (lo + ts, lo + te);
                numeric::starts(hay, ts, te, min, |c| {
                    match self.first_valid(g, cache, hay, c, te, None, hinted) {
                        Some(f) => {
                            let end = f.end;
                            out.push(f);
                            end
                        }
                        None => c,
                    }
                });
            });
            return;
        }
        let mut at = lo;
        while at < hi {
            if at > 0 && is_word_byte(hay[at - 1]) {
                // A match starting here would fail its left boundary (`first_valid`), so the
                // search starts one byte on. This matters for speed, not only for the byte: after
                // a finding `at` is the separator that follows it, and a search starting on a
                // separator defeats `meta`'s reverse-inner strategy (its reverse scan for the
                // start reaches the span's start still matching, gives up, and searches again
                // forwards and backwards) — twice the cost of each e-mail in a column.
                at += 1;
                continue;
            }
            let found = match (&g.lead, starts) {
                (Some(lead), _) => lead
                    .search(g, cache, hay, at, hi)
                    .map(|(s, end)| (s, 0, end)),
                // The leftmost match from `at` starts at the first listed start where a pattern
                // matches; anchored there it ends where the unanchored search would end it.
                (None, Some(starts)) => starts[starts.partition_point(|&c| c < at)..]
                    .iter()
                    .take_while(|&&c| c < hi)
                    .find_map(|&c| {
                        g.anchored_end(cache, hay, c, hi, Anchored::Yes)
                            .map(|(pid, end)| (c, pid, end))
                    }),
                (None, None) => g
                    .regex
                    .search_with(cache, &Input::new(hay).range(at..hi))
                    .map(|m| (m.start(), m.pattern().as_usize(), m.end())),
            };
            let Some((s, pid, end)) = found else {
                break;
            };
            let first = (pid, end);
            match self.first_valid(g, cache, hay, s, hi, Some(first), hinted) {
                Some(f) => {
                    at = f.end.max(s + 1);
                    out.push(f);
                }
                None => {
                    // A match starting inside a run of letters/digits fails its left boundary,
                    // so the next candidate can only start after this run.
                    let mut next = s + 1;
                    if is_word_byte(hay[s]) {
                        while next < hi && is_word_byte(hay[next]) {
                            next += 1;
                        }
                    }
                    at = next;
                }
            }
        }
    }

    /// The first of a group's patterns, in priority order, that yields a valid finding at `s`.
    /// `first` is a match the caller already has (the leftmost-first winner at `s`).
    #[allow(clippy::too_many_arguments)]
    fn first_valid(
        &self,
        g: &Group,
        cache: &mut meta::Cache,
        hay: &[u8],
        s: usize,
        hi: usize,
        first: Option<(usize, usize)>,
        hinted: &[bool],
    ) -> Option<Finding> {
        if s > 0 && is_word_byte(hay[s - 1]) {
            return None;
        }
        // Without a match in hand, one anchored search over all patterns finds the first that
        // matches here; most numeric tokens match none and cost just that.
        let first = first.or_else(|| g.anchored_end(cache, hay, s, hi, Anchored::Yes))?;
        let (pid, end) = first;
        if let Some(f) = self.check(hay, s, end, g.owners[pid], hinted) {
            return Some(f);
        }
        // Other patterns may match at the same start (an 18-digit run that is not a valid ID may
        // be a valid 19-digit card's prefix; an `H` number may be a permit, not a passport).
        g.anchored_ends(cache, hay, s, hi, pid + 1)
            .find_map(|(pid, end)| self.check(hay, s, end, g.owners[pid], hinted))
    }

    fn check(
        &self,
        hay: &[u8],
        s: usize,
        e: usize,
        (di, pi): (usize, usize),
        hinted: &[bool],
    ) -> Option<Finding> {
        if e < hay.len() && is_word_byte(hay[e]) {
            return None;
        }
        let d = &self.detectors[di];
        let mut raw = super::text_of(&hay[s..e])?;
        let (mut s, mut e) = (s, e);
        if d.validator == Some(Validator::Email) && !raw.is_ascii() {
            // A Unicode address is cut from the text around it (see `email_span`).
            let (a, b) = validators::email_span(raw)?;
            (s, e) = (s + a, s + b);
            raw = &raw[a..b];
        }
        let normalised = d.normaliser.validated(d.validator, raw)?;
        let hinted_here = hinted.get(di).copied().unwrap_or(false);
        if d.patterns[pi].requires_context && !hinted_here && !d.has_context(hay, s, e) {
            return None;
        }
        if d.refined && !self.refine(d, hay, s, e, &normalised, hinted_here) {
            return None;
        }
        Some(Finding {
            detector: di,
            start: s,
            end: e,
            normalised,
        })
    }
}

/// The context keywords as a Teddy searcher (`aho_corasick::packed`) over the haystack in ASCII
/// lower case, for long haystacks (text chunks). The keyword regex's prefilter, built from the
/// case variants of every ASCII keyword, is an Aho-Corasick automaton that walks every byte
/// (measured with callgrind: 18 instructions a byte of a log, a fifth of a text scan); lower
/// case leaves one literal per keyword, and 88 literals still fit Teddy's fat buckets, which
/// skip text without a candidate at a fraction of an instruction a byte.
///
/// The haystack is lowered a block at a time into a buffer of the thread's [`Caches`]. It finds
/// exactly the hits of the keyword regex (`(?i:…)` with Unicode off folds ASCII letters only,
/// as `to_ascii_lowercase` does; leftmost-first over the keywords in the same order): a match
/// starting more than the longest keyword before a block's end is whole in the block, and the
/// search resumes at the first start that is not.
#[derive(Debug, Clone)]
struct KeywordBlocks {
    /// The keywords that start with an ASCII byte, and the others (Hanzi), apart: 88 keywords
    /// in Teddy's 16 buckets left nearly every byte of a log a candidate of some bucket (7
    /// instructions a byte, mostly verifying); ASCII and UTF-8 lead bytes never share a
    /// fingerprint, so each searcher skips the other script's text. A keyword of one starts
    /// where none of the other can, so the earlier of their next hits is the hit.
    searchers: Vec<aho_corasick::packed::Searcher>,
    /// The longest keyword, in bytes.
    max_len: usize,
}

impl KeywordBlocks {
    /// Haystacks shorter than this (table values, records) keep the keyword regex: lowering
    /// a copy and Teddy's set-up do not pay on a few dozen bytes.
    const MIN_HAY: usize = 4 << 10;
    /// Bytes lowered at a time.
    const BLOCK: usize = 64 << 10;

    /// `None` without keywords, or where Teddy is not available (no SSSE3).
    fn new(keywords: &[String]) -> Option<KeywordBlocks> {
        if keywords.is_empty() {
            return None;
        }
        let max_len = keywords.iter().map(String::len).max()?;
        if max_len == 0 || max_len >= Self::BLOCK / 2 {
            return None;
        }
        let lowered: Vec<String> = keywords.iter().map(|k| k.to_ascii_lowercase()).collect();
        let (ascii, other): (Vec<&String>, Vec<&String>) =
            lowered.iter().partition(|k| k.as_bytes()[0].is_ascii());
        let searchers = [ascii, other]
            .into_iter()
            .filter(|part| !part.is_empty())
            .map(|part| {
                aho_corasick::packed::Config::new()
                    .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                    .heuristic_pattern_limits(false)
                    .only_teddy(true)
                    .builder()
                    .extend(part)
                    .build()
            })
            .collect::<Option<Vec<_>>>()?;
        Some(KeywordBlocks { searchers, max_len })
    }

    /// Calls `hit(start, end)` for each keyword hit of `hay`, in order, non-overlapping (each
    /// search resumes where a hit ended), as the keyword regex finds them.
    fn find(&self, hay: &[u8], buf: &mut Vec<u8>, hit: &mut impl FnMut(usize, usize)) {
        let mut at = 0;
        while at < hay.len() {
            let end = (at + Self::BLOCK).min(hay.len());
            buf.clear();
            buf.extend(hay[at..end].iter().map(u8::to_ascii_lowercase));
            // Hits starting before `safe` are decided here: every keyword from there fits.
            let safe = if end == hay.len() {
                end
            } else {
                end - (self.max_len - 1)
            };
            let mut pos = 0;
            // Each searcher's next hit at or after `pos`: `Some(None)` when it has none left.
            let mut next: [Option<Option<(usize, usize)>>; 2] = [None, None];
            loop {
                for (n, searcher) in next.iter_mut().zip(&self.searchers) {
                    let stale = match n {
                        None => true,
                        Some(Some((s, _))) => *s < pos,
                        Some(None) => false,
                    };
                    if stale {
                        *n = Some(
                            searcher
                                .find_in(&buf[..], aho_corasick::Span::from(pos..buf.len()))
                                .map(|m| (m.start(), m.end())),
                        );
                    }
                }
                let Some((s, e)) = next.iter().filter_map(|n| n.flatten()).min() else {
                    break;
                };
                if at + s >= safe {
                    break;
                }
                hit(at + s, at + e);
                pos = e;
            }
            if end == hay.len() {
                break;
            }
            at = (at + pos).max(safe);
        }
    }
}

/// The literals of a prefilter for keywords too many for the exact one: every ASCII-insensitive keyword
/// brings all the case variants of its prefix to the literal set (16 for `card`), and past
/// about 64 literals no fast prefilter is built and every haystack runs the keyword regex
/// (measured: +680 instructions per CSV row). Here an ASCII keyword contributes its first four
/// bytes in lower case, Capitalised and UPPER case only (`card`, `Card`, `CARD`: how people
/// write it); a keyword in another case (`cArd`) is then missed by the prefilter and so as
/// context. Four bytes, not three: `DEB` of `debit` would stop the prefilter at every `DEBUG`
/// of a log and run the keyword regex from there. Other keywords (Hanzi) are literals as they
/// are.
fn cased_prefix_literals(keywords: &[String]) -> Vec<Vec<u8>> {
    let mut lits: Vec<Vec<u8>> = Vec::new();
    let mut add = |l: Vec<u8>| {
        if !lits.contains(&l) {
            lits.push(l);
        }
    };
    for k in keywords {
        if k.is_ascii() {
            let p = &k.as_bytes()[..k.len().min(4)];
            let mut cap = p.to_ascii_lowercase();
            cap[0] = cap[0].to_ascii_uppercase();
            add(p.to_ascii_lowercase());
            add(cap);
            add(p.to_ascii_uppercase());
        } else {
            add(k.as_bytes().to_vec());
        }
    }
    lits
}

/// The literals of the keyword prefilter, found by hand on a short haystack (a table record).
/// The prefilter is an Aho-Corasick automaton over the literals' case variants, which walks
/// every byte of a record (about 1,400 instructions per row of a 3-PI-column CSV, callgrind).
/// Here a byte that opens no literal costs a table look-up; where one does, the pair of it and
/// the next byte (ASCII lower case) is looked up in a bit set, and only where that pair opens a
/// literal are the literals compared. The first position where a literal starts is the
/// prefilter's next candidate (a literal prefilter reports literal occurrences, leftmost first).
#[derive(Debug, Clone)]
struct KeywordPairs {
    /// Bytes that open a literal.
    first: [bool; 256],
    /// One bit per pair of bytes, lowered, that opens a literal.
    bits: Box<[u64; 1024]>,
    /// The literals, by their pair's index (see [`KeywordPairs::index`]).
    lits: Vec<(usize, Vec<u8>)>,
}

impl KeywordPairs {
    /// `None` if a literal is shorter than two bytes.
    fn new(lits: &[Vec<u8>]) -> Option<KeywordPairs> {
        let mut bits = Box::new([0u64; 1024]);
        let mut first = [false; 256];
        let mut by_pair = Vec::new();
        for l in lits {
            let [a, b, ..] = l.as_slice() else {
                return None;
            };
            let i = Self::index(*a, *b);
            bits[i >> 6] |= 1 << (i & 63);
            first[usize::from(*a)] = true;
            by_pair.push((i, l.clone()));
        }
        by_pair.sort();
        Some(KeywordPairs {
            first,
            bits,
            lits: by_pair,
        })
    }

    fn index(a: u8, b: u8) -> usize {
        usize::from(a.to_ascii_lowercase()) << 8 | usize::from(b.to_ascii_lowercase())
    }

    /// The first position from `at` where a literal starts, if any.
    fn next(&self, hay: &[u8], at: usize) -> Option<usize> {
        let last = hay.len().checked_sub(1)?;
        let mut k = at;
        while k < last {
            if self.first[usize::from(hay[k])] {
                let i = Self::index(hay[k], hay[k + 1]);
                if self.bits[i >> 6] >> (i & 63) & 1 != 0 {
                    let from = self.lits.partition_point(|(j, _)| *j < i);
                    let opens = self.lits[from..]
                        .iter()
                        .take_while(|(j, _)| *j == i)
                        .any(|(_, l)| hay[k..].starts_with(l));
                    if opens {
                        return Some(k);
                    }
                }
            }
            k += 1;
        }
        None
    }
}

impl DetectorSet {
    /// The checks a detector file asks for beyond pattern and validator: values that are never
    /// PI, a birth date after the reference date, the guards, and negative keywords (which a
    /// header naming the detector overrides: the column says what the value is).
    fn refine(
        &self,
        d: &Detector,
        hay: &[u8],
        s: usize,
        e: usize,
        normalised: &str,
        hinted: bool,
    ) -> bool {
        if d.not_values.iter().any(|v| v == normalised) {
            return false;
        }
        if d.validator == Some(Validator::Gb11643) && self.born_after_reference(normalised) {
            return false;
        }
        // A value alone on its line (a table cell of a joint record) has no surroundings: only
        // the guards on the value itself can reject it, and no keyword is near.
        let alone = (s == 0 || hay[s - 1] == b'\n') && (e == hay.len() || hay[e] == b'\n');
        if d.guards
            .iter()
            .any(|g| (!alone || g.on_value()) && g.rejects(d, hay, s, e, normalised))
        {
            return false;
        }
        hinted || alone || !d.negative_nearest(hay, s, e)
    }

    /// Is the birth date of an 18-character resident ID after the reference date? Its 8 ASCII
    /// digits compare as the date does, and as one big-endian word (no parsing per ID).
    fn born_after_reference(&self, normalised: &str) -> bool {
        let b = normalised.as_bytes();
        match b.get(6..14) {
            Some(date) if b.len() == 18 => {
                let word = u64::from_be_bytes(date.try_into().unwrap_or([b'0'; 8]));
                word > self.reference_word
            }
            _ => false,
        }
    }
}

/// `date` as the number `YYYYMMDD`, which orders as dates do.
fn ymd(date: chrono::NaiveDate) -> u32 {
    use chrono::Datelike;
    u32::try_from(date.year()).unwrap_or(0) * 10_000 + date.month() * 100 + date.day()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_numeric_patterns_fit_an_anchored_dfa() {
        let set = DetectorSet::load(None).unwrap();
        let g = set.numeric.as_ref().expect("numeric patterns");
        let dfa = g.anchored_dfa().expect("anchored DFA built");
        assert!(
            dfa.memory_usage() <= ANCHORED_DFA_LIMIT,
            "{}",
            dfa.memory_usage()
        );
        // Both engines agree on where each pattern's anchored match ends.
        for hay in [
            "11010519491231002X",
            "138 1234 5678",
            "6222021234567890123",
            "1234",
        ] {
            let hay = hay.as_bytes();
            for pid in 0..g.owners.len() {
                let anchor = Anchored::Pattern(PatternID::new_unchecked(pid));
                let input = Input::new(hay).anchored(anchor);
                let meta = g.regex.search_half(&input).map(|m| m.offset());
                let dense = dfa.try_search_fwd(&input).unwrap().map(|m| m.offset());
                assert_eq!(
                    meta,
                    dense,
                    "pattern {pid} on {:?}",
                    std::str::from_utf8(hay)
                );
            }
        }
        eprintln!("anchored DFA: {} bytes", dfa.memory_usage());
    }

    /// A numeric-only group scanned at token starts finds what the unanchored search finds,
    /// over whole haystacks and over ranges cut inside digit runs.
    #[test]
    fn numeric_groups_scanned_by_tokens_agree_with_the_unanchored_search() {
        let set = DetectorSet::load(None).unwrap();
        let id = set.index_of("cn-resident-id").unwrap();
        let tokens = set.context_own[id]
            .clone()
            .expect("the 15-digit legacy pattern");
        assert!(tokens.numeric_min.is_some());
        let regex = Group {
            numeric_min: None,
            ..tokens.clone()
        };
        let mut hinted = vec![false; set.len()];
        hinted[id] = true;
        let mut cache = tokens.regex.create_cache();
        let hays = [
            "440524800101001",
            "440524188001010014",
            "x440524800101001",
            "id 440524800101001, 110105491231002 and 4405248001010011",
            "+440524800101001 440524-800101-001",
            "12345678901234567890440524800101001",
        ];
        for hay in hays {
            let hay = hay.as_bytes();
            let mut ranges = vec![(0, hay.len())];
            ranges.extend((1..hay.len()).map(|cut| (0, cut)));
            ranges.extend((1..hay.len()).map(|cut| (cut, hay.len())));
            for (lo, hi) in ranges {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                set.scan_group(&tokens, &mut cache, hay, lo, hi, &hinted, &mut a);
                set.scan_group(&regex, &mut cache, hay, lo, hi, &hinted, &mut b);
                assert_eq!(a, b, "{:?} {lo}..{hi}", std::str::from_utf8(hay));
            }
        }
        // The point of it: the legacy pattern is tried at token starts, not inside an 18-digit ID.
        let mut found = Vec::new();
        set.scan_group(
            &tokens,
            &mut cache,
            b"440524800101001",
            0,
            15,
            &hinted,
            &mut found,
        );
        assert_eq!(found.len(), 1);
        // 19800101 inserted, then the MOD 11-2 check character (Σ = 196, 196 mod 11 = 9 → 3).
        assert_eq!(&*found[0].normalised, "440524198001010013");
    }

    /// The e-mail pattern is found through its lead (`[…]+@`), and that finds what `meta`'s
    /// unanchored search finds: over random haystacks of the bytes that matter (runs of local
    /// part characters, dots, `@`, separators, letters after a domain's dot, UTF-8 text) and
    /// every range of them, including ranges that start inside a local part.
    #[test]
    fn a_lead_literal_search_agrees_with_the_unanchored_search() {
        let set = DetectorSet::load(None).unwrap();
        let g = set.general.as_ref().expect("the e-mail pattern");
        assert!(g.lead.is_some(), "the e-mail pattern has a lead");
        let plain = Group {
            lead: None,
            ..g.clone()
        };
        let hinted = vec![false; set.len()];
        let mut cache = g.regex.create_cache();
        let pieces: [&[u8]; 14] = [
            b"a",
            b"Z9",
            b".",
            b"..",
            b"@",
            b"-",
            b"_",
            b"+",
            b"com",
            b"cn",
            b"\n",
            b" ",
            b"\xE5\xBC\xA0",
            b"x@y.org",
        ];
        let mut rng = crate::TestRng(0x9E37_79B9_7F4A_7C15u64);
        let mut next = |n: usize| rng.below(n);
        let mut found = 0;
        for _ in 0..3000 {
            let hay: Vec<u8> = (0..next(12) + 1)
                .flat_map(|_| pieces[next(pieces.len())].iter().copied())
                .collect();
            for lo in 0..hay.len().min(6) {
                for hi in [hay.len(), hay.len().saturating_sub(2).max(lo)] {
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    set.scan_group(g, &mut cache, &hay, lo, hi, &hinted, &mut a);
                    set.scan_group(&plain, &mut cache, &hay, lo, hi, &hinted, &mut b);
                    assert_eq!(a, b, "{:?} {lo}..{hi}", String::from_utf8_lossy(&hay));
                    found += a.len();
                }
            }
        }
        assert!(
            found > 1000,
            "{found} findings: the haystacks must hold e-mails"
        );
        // Patterns without such a lead are left to `meta`.
        for pattern in [
            r"[a-z]*@x",
            r"[a-z]+a@",
            r"@[a-z]+",
            r"[a-z]{2,5}@x",
            r"[a-z]+|x@y",
        ] {
            assert!(Lead::of(pattern).is_none(), "{pattern}");
        }
        assert!(Lead::of(r"\d+-\d+").is_some());
    }

    /// Keyword hits found by lowered blocks are those of the keyword regex, also where a
    /// keyword straddles a block's end.
    #[test]
    fn keyword_blocks_find_what_the_keyword_regex_finds() {
        let set = DetectorSet::load(None).unwrap();
        let kb = set.keyword_blocks.as_ref();
        let Some(kb) = kb else {
            eprintln!("skipped: no Teddy on this CPU");
            return;
        };
        let mut guard = set.caches();
        let caches: &mut Caches = &mut guard;
        let pieces: [&[u8]; 16] = [
            b"PassPort",
            b"passport",
            b"ID CARD",
            b"id no",
            b"ssn",
            b"Tel",
            "护照号".as_bytes(),
            "身份证".as_bytes(),
            "台湾居民来往大陆通行证".as_bytes(),
            "订单".as_bytes(),
            b" ",
            b"\n",
            b"lat",
            b"x",
            b"0123456789",
            b"EXIT-ENTRY PERMIT",
        ];
        let mut rng = crate::TestRng(0x2545_F491_4F6C_DD1Du64);
        for round in 0..6 {
            let mut hay = Vec::new();
            while hay.len() < KeywordBlocks::BLOCK * 3 + round * 7 {
                hay.extend_from_slice(pieces[rng.below(pieces.len())]);
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            kb.find(&hay, &mut caches.lowered, &mut |s, e| a.push((s, e)));
            let no_blocks = DetectorSet {
                keyword_blocks: None,
                ..DetectorSet::load(None).unwrap()
            };
            let mut guard = no_blocks.caches();
            let c2: &mut Caches = &mut guard;
            no_blocks.keyword_hits(&mut c2.keywords, &mut c2.lowered, &hay, &mut |s, e| {
                b.push((s, e))
            });
            assert!(a.len() > 1000, "{} hits", a.len());
            assert_eq!(a, b, "round {round}");
        }
    }

    /// The prefilter's literals found by hand on short haystacks (table records) leave the
    /// keyword hits as the prefilter finds them, on records of keywords, near misses (`ex…` of
    /// `exit-entry`, `te…` of `tel`, `pAssport` that only the regex matches) and other bytes.
    #[test]
    fn keyword_pairs_leave_the_short_keyword_hits_unchanged() {
        let set = DetectorSet::load(None).unwrap();
        assert!(
            set.keyword_pairs.is_some(),
            "the catalogue's prefilter is the cased one"
        );
        let no_pairs = DetectorSet {
            keyword_pairs: None,
            ..DetectorSet::load(None).unwrap()
        };
        let pieces: [&[u8]; 16] = [
            b"PassPort",
            b"passport",
            b"pAssport",
            b"ID CARD",
            b"user1@example.com",
            b"Tel",
            b"te",
            "护照号".as_bytes(),
            "身份".as_bytes(),
            b"ex",
            b" ",
            b"\n",
            b"sms",
            b"x",
            b"0123456789",
            b"EXIT-ENTRY PERMIT",
        ];
        let mut rng = crate::TestRng(0x9E37_79B9_7F4A_7C15u64);
        let (mut ga, mut gb) = (set.caches(), no_pairs.caches());
        let (ca, cb): (&mut Caches, &mut Caches) = (&mut ga, &mut gb);
        let mut total = 0;
        for round in 0..2000 {
            let mut hay = Vec::new();
            while hay.len() < round % 200 {
                hay.extend_from_slice(pieces[rng.below(pieces.len())]);
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            set.keyword_hits(&mut ca.keywords, &mut ca.lowered, &hay, &mut |s, e| {
                a.push((s, e))
            });
            no_pairs.keyword_hits(&mut cb.keywords, &mut cb.lowered, &hay, &mut |s, e| {
                b.push((s, e))
            });
            total += a.len();
            assert_eq!(a, b, "{:?}", String::from_utf8_lossy(&hay));
        }
        assert!(total > 1000, "{total} hits");
    }

    /// Listing the starts of `other` and `low` matches in one pass finds what the two groups'
    /// own searches find, on long haystacks full of near misses of their patterns.
    #[test]
    fn listed_free_starts_find_what_the_group_searches_find() {
        let set = DetectorSet::load(None).unwrap();
        assert!(set.free_starts.is_some());
        let plain = DetectorSet {
            free_starts: None,
            ..DetectorSet::load(None).unwrap()
        };
        let pieces: [&str; 18] = [
            "202.96.134.133",
            "1.2.3",
            "00:1A:2B:3C:4D:5E",
            "001A.2B3C.4D5E",
            "2001:db8::1",
            "91110000600037341L",
            "京A12345",
            "GB82WEST12345698765432",
            "A123456(7)",
            "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
            "11010519491231002X",
            "a@example.com",
            "0123456789ABCDEF",
            " ",
            ",",
            "\n",
            "订单",
            "x",
        ];
        let mut rng = crate::TestRng(0x9E37_79B9_7F4A_7C15u64);
        let mut total = 0;
        for round in 0..20 {
            let mut hay = String::new();
            while hay.len() < 4 * FREE_STARTS_MIN + round * 97 {
                // Mostly filler, so that the starts are few enough to be listed.
                hay.push_str(match rng.below(8) {
                    0 => pieces[rng.below(pieces.len())],
                    1 => " ",
                    _ => "订单 sha=9f8e7d ",
                });
            }
            let mut guard = set.caches();
            let c: &mut Caches = &mut guard;
            assert!(set.list_free_starts(&mut c.free_starts, hay.as_bytes(), &mut c.starts));
            let a = set.find_all(&hay);
            let b = plain.find_all(&hay);
            assert_eq!(a, b, "round {round}");
            total += a.len();
        }
        assert!(total > 500, "{total} findings");
    }

    #[test]
    fn an_identifier_after_a_plus_sign_is_found() {
        let set = DetectorSet::load(None).unwrap();
        let found = set.find_all("编号+11010519491231002X，电话+8613812345678");
        let ids: Vec<&str> = found.iter().map(|f| &*f.normalised).collect();
        assert_eq!(ids, ["11010519491231002X", "13812345678"]);
    }

    #[test]
    fn low_patterns_are_found_between_the_findings_that_outrank_them() {
        let set = DetectorSet::load(None).unwrap();
        let low = set.low.as_ref().expect("the built-in set has low patterns");
        let id = |name: &str| set.index_of(name).unwrap();
        assert!(low.owners.iter().any(|&(di, _)| di == id("cn-uscc")));
        assert!(set.low_best > id("email") && set.low_best > id("cn-mobile"));
        let hay = "身份证11010519491231002X,电话13812345678,邮箱a@example.com,\
                   信用代码91110000600037341L,MAC 00:1A:2B:3C:4D:5E,IP 202.96.134.133,车牌京A12345";
        let found: Vec<&str> = set
            .find_all(hay)
            .iter()
            .map(|f| set.get(f.detector).id.as_str())
            .collect();
        assert_eq!(
            found,
            [
                "cn-resident-id",
                "cn-mobile",
                "email",
                "cn-uscc",
                "mac-address",
                "ip-address",
                "cn-plate"
            ]
        );
        // Right after a higher-priority finding, and at the end of the haystack.
        let found = set.find_all("91110000600037341L");
        assert_eq!(found.len(), 1);
        assert_eq!(set.get(found[0].detector).id, "cn-uscc");
    }
}
