//! The detector engine (`DetectorSet::find` with header hints) and every validator and
//! normaliser on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pipl_scan::detect::validators::{Normaliser, Validator};

fuzz_target!(|data: &[u8]| {
    let Some((&hint, hay)) = data.split_first() else {
        return;
    };
    let set = pipl_scan_fuzz::set();
    // The first byte says which detectors the field's header names: none, one, or every
    // detector whose index shares its low bits.
    let hinted: Vec<bool> = match hint {
        0 => Vec::new(),
        h => (0..set.len())
            .map(|i| (h & 8 != 0 && i % 8 == h as usize % 8) || i == h as usize)
            .collect(),
    };
    let mut last = 0;
    set.find(hay, &hinted, |f| {
        assert!(
            f.start <= f.end && f.end <= hay.len(),
            "finding {}..{} of {}",
            f.start,
            f.end,
            hay.len()
        );
        assert!(f.start >= last, "findings come in order of position");
        last = f.start;
        assert!(f.detector < set.len());
    });
    if let Ok(s) = std::str::from_utf8(hay) {
        for v in Validator::ALL {
            let _ = v.check(s);
        }
        for n in Normaliser::ALL {
            let _ = n.apply(s);
            for v in Validator::ALL {
                let _ = n.validated(Some(*v), s);
            }
        }
    }
});
