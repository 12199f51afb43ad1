//! Prepared (normalised) records, pairwise comparison levels, conflicts and
//! blocking keys.

use crate::LinkRecord;
use crate::model::{NF, WeightTable, field, level::*};
use crate::normalize::{
    Ymd, combine, fold, hash_bytes, hash_concat, hash_str, jaro_winkler, jaro_winkler_bytes,
    name_tokens, nickname_canon, norm_id, parse_date, parse_sex, phonetic_folded_token,
    within_one_edit,
};

/// The keys of a name token, shared by every record with that token (names repeat
/// heavily: one copy per distinct token and role instead of one per record).
#[derive(Debug)]
pub(crate) struct TokData {
    pub s: Box<str>,
    /// Hashes of canonical forms (nickname table), 0 = none. canon[0] = h.
    pub canon: [u64; 4],
    /// Phonetic hashes of canonical forms (0 = none).
    pub canon_ph: [u64; 4],
    /// Phonetic hash of the first five letters.
    pub ph5: u64,
}

/// A name token of a record: its shared keys and the term frequency. The keys read for
/// every compared pair (hash, phonetic hash, initial, length) are copied here, so that
/// comparing two records rarely follows the pointer to the shared data.
#[derive(Debug, Clone)]
pub(crate) struct Tok {
    d: std::sync::Arc<TokData>,
    pub h: u64,
    pub ph: u64,
    /// Term frequency (set on the query side / batch), 0 = unknown.
    pub f: f32,
    /// First byte of the text.
    pub init: u8,
    /// Second byte of the text (0 if none): with `init`, rules out most one-edit
    /// spellings of tokens with different initials without reading the text.
    pub b1: u8,
    /// Length of the text in bytes (saturated at 255).
    pub len: u8,
    /// Has canonical forms beyond itself (nickname table).
    pub nick: bool,
}

impl std::ops::Deref for Tok {
    type Target = TokData;
    fn deref(&self) -> &TokData {
        &self.d
    }
}

impl Tok {
    fn new(s: &str, with_canon: bool) -> Tok {
        let h = hash_str(s);
        let ph = hash_bytes(phonetic_folded_token(s).as_bytes(), 7);
        let mut canon = [0u64; 4];
        let mut canon_ph = [0u64; 4];
        canon[0] = h;
        canon_ph[0] = ph;
        if with_canon {
            for (i, c) in nickname_canon(s).into_iter().enumerate().skip(1).take(3) {
                canon[i] = hash_str(c);
                canon_ph[i] = hash_bytes(phonetic_folded_token(c).as_bytes(), 7);
            }
        }
        let pre: String = s.chars().take(5).collect();
        let ph5 = hash_bytes(phonetic_folded_token(&pre).as_bytes(), 11);
        Tok {
            d: std::sync::Arc::new(TokData {
                s: s.into(),
                ph5,
                canon,
                canon_ph,
            }),
            h,
            ph,
            f: 0.0,
            init: s.as_bytes().first().copied().unwrap_or(0),
            b1: s.as_bytes().get(1).copied().unwrap_or(0),
            len: s.len().min(255) as u8,
            nick: canon[1] != 0,
        }
    }
}

/// A normalised record.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prep {
    /// Every name token of the record in one block (one allocation, read in sequence by
    /// a comparison): the given names, the surnames, then each parent's first names and
    /// surnames.
    toks: Box<[Tok]>,
    n_given: u8,
    n_sur: u8,
    /// Number of parents (with a first name) and each one's first-name and surname
    /// token counts.
    n_par: u8,
    par: [(u8, u8); 2],
    pub sur_concat: u64,
    pub sur_concat_rev: u64,
    pub sex: u8,
    pub dob: Option<Ymd>,
    pub city: u64,
    pub bstate: u64,
    pub country: u64,
    pub multi: Option<bool>,
    pub state: u64,
    pub ssid: u64,
    pub alt: Box<[u64]>,
    /// Address: house number (first token when numeric; empty if none).
    pub addr_num: Box<str>,
    /// Address without the house number, spaces removed: sorted byte bigrams (robust to
    /// split and joined words, typos and a missing component).
    pub addr_bigrams: Box<[u16]>,
    /// Hash of the first four letters of the address after the house number (0 = none).
    pub addr_street: u64,
    pub postal: Box<str>,
    /// Sort key for windowing (first bytes of surname+given).
    pub sort_key: u64,
}

impl Prep {
    /// Given-name tokens (first name, then middle name; at most four).
    pub fn given(&self) -> &[Tok] {
        &self.toks[..usize::from(self.n_given)]
    }

    /// Surname tokens (first surname, then second; at most four).
    pub fn sur(&self) -> &[Tok] {
        let g = usize::from(self.n_given);
        &self.toks[g..g + usize::from(self.n_sur)]
    }

    /// Given-name and surname tokens, to set their frequencies.
    pub fn names_mut(&mut self) -> (&mut [Tok], &mut [Tok]) {
        let (g, s) = (usize::from(self.n_given), usize::from(self.n_sur));
        let (given, rest) = self.toks.split_at_mut(g);
        (given, &mut rest[..s])
    }

    /// Has at least one parent with a first name.
    pub fn has_parents(&self) -> bool {
        self.n_par > 0
    }

    /// Each parent's first-name and surname tokens.
    pub fn parents(&self) -> impl Iterator<Item = (&[Tok], &[Tok])> {
        let mut at = usize::from(self.n_given) + usize::from(self.n_sur);
        self.par[..usize::from(self.n_par)]
            .iter()
            .map(move |(f, l)| {
                let (f, l) = (usize::from(*f), usize::from(*l));
                let out = (&self.toks[at..at + f], &self.toks[at + f..at + f + l]);
                at += f + l;
                out
            })
    }
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

/// FNV-1a over the bytes (then mixed): the token cache's hasher (names are short; the
/// cache is private to a thread).
#[derive(Default)]
struct FnvHasher(u64);

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        crate::normalize::mix(self.0)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0 ^ 0xcbf2_9ce4_8422_2325;
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Tokenised name fields by text: with nickname forms (given names), without (surnames).
type TokCache =
    [std::collections::HashMap<Box<str>, Box<[Tok]>, std::hash::BuildHasherDefault<FnvHasher>>; 2];

thread_local! {
    /// Per-thread cache of tokenised name fields (names repeat heavily).
    static TOK_CACHE: std::cell::RefCell<TokCache> = Default::default();
}

/// Appends the tokens of a name field (at most `max`) to `out`; returns how many.
fn toks_into(s: &str, canon: bool, out: &mut Vec<Tok>, max: usize) -> usize {
    if s.is_empty() {
        return 0;
    }
    TOK_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        let c = &mut c[usize::from(canon)];
        if let Some(v) = c.get(s) {
            let n = v.len().min(max);
            out.extend_from_slice(&v[..n]);
            return n;
        }
        let v: Box<[Tok]> = name_tokens(s).iter().map(|t| Tok::new(t, canon)).collect();
        let n = v.len().min(max);
        out.extend_from_slice(&v[..n]);
        if c.len() > 250_000 {
            c.clear();
        }
        c.insert(Box::from(s), v);
        n
    })
}

thread_local! {
    /// Per-thread cache of [`place_hash_uncached`] (places repeat heavily).
    static PLACE_CACHE: std::cell::RefCell<
        std::collections::HashMap<Box<str>, u64, std::hash::BuildHasherDefault<FnvHasher>>,
    > = Default::default();
}

fn place_hash(s: &str) -> u64 {
    if s.is_empty() {
        return 0;
    }
    PLACE_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(h) = c.get(s) {
            return *h;
        }
        let h = place_hash_uncached(s);
        if c.len() > 100_000 {
            c.clear();
        }
        c.insert(Box::from(s), h);
        h
    })
}

/// [`hash_str`] of [`norm_id`] (0 when empty), without allocating for a short ASCII id:
/// its letters and digits in lower case, leading zeros dropped (unless it is all zeros).
fn id_hash(s: &str) -> u64 {
    let mut buf = [0u8; 64];
    let mut n = 0;
    if s.is_ascii() {
        for b in s.bytes().filter(u8::is_ascii_alphanumeric) {
            if n == buf.len() {
                n = usize::MAX;
                break;
            }
            buf[n] = b.to_ascii_lowercase();
            n += 1;
        }
    } else {
        n = usize::MAX;
    }
    if n == usize::MAX {
        let id = norm_id(s);
        return if id.is_empty() { 0 } else { hash_str(&id) };
    }
    let all = &buf[..n];
    if all.is_empty() {
        return 0;
    }
    let trimmed = match all.iter().position(|b| *b != b'0') {
        Some(i) => &all[i..],
        None => all,
    };
    hash_bytes(trimmed, 0)
}

fn place_hash_uncached(s: &str) -> u64 {
    let f = fold(s);
    if f.is_empty() {
        0
    } else {
        let f = match f.as_str() {
            "mexico" | "mex" | "mx" => "mx",
            "united states" | "usa" | "us" | "estados unidos" | "eeuu" => "us",
            "guatemala" | "gt" | "gtm" => "gt",
            other => other,
        };
        hash_str(f)
    }
}

/// House number (the first token when it is all digits) and the sorted byte bigrams of
/// the rest of the folded address with its spaces removed.
fn address_parts(raw: &str) -> (Box<str>, Vec<u16>, u64) {
    let f = fold(raw);
    let mut toks = f.split(' ').filter(|t| !t.is_empty()).peekable();
    let num = match toks.peek() {
        Some(t) if t.bytes().all(|b| b.is_ascii_digit()) => toks.next().unwrap_or(""),
        _ => "",
    };
    let rest: Vec<u8> = toks.flat_map(str::bytes).collect();
    let mut bigrams: Vec<u16> = rest
        .windows(2)
        .map(|w| (u16::from(w[0]) << 8) | u16::from(w[1]))
        .collect();
    bigrams.sort_unstable();
    let street = if rest.len() >= 4 {
        hash_bytes(&rest[..4], 13)
    } else {
        0
    };
    (num.into(), bigrams, street)
}

pub(crate) fn prepare(r: &LinkRecord) -> Prep {
    // given names (at most four), surnames (at most four), then each parent's names
    let mut all: Vec<Tok> = Vec::with_capacity(12);
    let mut n_given = toks_into(opt(&r.first_name), true, &mut all, 4);
    n_given += toks_into(opt(&r.middle_name), true, &mut all, 4 - n_given);
    let mut n_sur = toks_into(opt(&r.last_name_1), false, &mut all, 4);
    n_sur += toks_into(opt(&r.last_name_2), false, &mut all, 4 - n_sur);
    let (given, sur) = all.split_at(n_given);
    // hashes of the surnames' texts joined, in order and reversed
    let concat = |rev: bool| {
        if sur.is_empty() {
            0
        } else if rev {
            hash_concat(sur.iter().rev().map(|t| t.s.as_bytes()))
        } else {
            hash_concat(sur.iter().map(|t| t.s.as_bytes()))
        }
    };
    let (sur_concat, sur_concat_rev) = (concat(false), concat(true));
    let mut sk = [0u8; 8];
    let mut i = 0;
    for t in sur.iter().take(1).chain(given.iter().take(1)) {
        for b in t.s.bytes() {
            if i < 8 {
                sk[i] = b;
                i += 1;
            }
        }
    }
    let (n_given, n_sur) = (n_given as u8, n_sur as u8);
    let (mut n_par, mut par) = (0u8, [(0u8, 0u8); 2]);
    for (f, l) in [
        (&r.parent1_first_name, &r.parent1_last_name),
        (&r.parent2_first_name, &r.parent2_last_name),
    ] {
        let first = toks_into(opt(f), true, &mut all, 255);
        if first == 0 {
            continue;
        }
        let last = toks_into(opt(l), false, &mut all, 255);
        par[usize::from(n_par)] = (first as u8, last as u8);
        n_par += 1;
    }
    let state = place_hash(opt(&r.reporting_state));
    let ssid = id_hash(opt(&r.state_student_id));
    let mut alt: Vec<u64> = r
        .alternate_ids
        .iter()
        .map(|s| id_hash(s))
        .filter(|h| *h != 0)
        .collect();
    alt.sort_unstable();
    alt.dedup();
    let (addr_num, addr_bigrams, addr_street) = address_parts(opt(&r.address));
    let postal: String = opt(&r.postal_code)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    Prep {
        toks: all.into_boxed_slice(),
        n_given,
        n_sur,
        n_par,
        par,
        sur_concat,
        sur_concat_rev,
        sex: parse_sex(opt(&r.sex)),
        dob: parse_date(opt(&r.birth_date)),
        city: place_hash(opt(&r.birth_city)),
        bstate: place_hash(opt(&r.birth_state)),
        country: place_hash(opt(&r.birth_country)),
        multi: r.multiple_birth,
        state,
        ssid,
        alt: alt.into_boxed_slice(),
        addr_num,
        addr_bigrams: addr_bigrams.into_boxed_slice(),
        addr_street,
        postal: postal.into(),
        sort_key: u64::from_be_bytes(sk),
    }
}

/// Spelling similarity of two tokens beyond their keys, from their text only: bit 0 =
/// typo-like (one edit, or the same initial with Jaro-Winkler >= 0.88 and lengths within
/// three), bit 1 = weak (the same initial, both at least three letters, Jaro-Winkler >= 0.8).
fn spelling_uncached(a: &str, b: &str) -> u8 {
    let (la, lb) = (a.len(), b.len());
    if la == 0 || lb == 0 {
        return 0;
    }
    let same_initial = a.as_bytes()[0] == b.as_bytes()[0];
    let jw = if same_initial && (la.abs_diff(lb) <= 3 || (la >= 3 && lb >= 3)) {
        jaro_winkler(a, b)
    } else {
        0.0
    };
    let mut out = 0u8;
    // a letter dropped from a short name ("kyl" / "kyle", "ne" / "ned") is a typo as well
    if (la.min(lb) >= 4 || (la.min(lb) >= 2 && la != lb))
        && (within_one_edit(a, b) || (same_initial && la.abs_diff(lb) <= 3 && jw >= 0.88))
    {
        out |= 1;
    }
    if la >= 3 && lb >= 3 && same_initial && jw >= 0.8 {
        out |= 2;
    }
    out
}

const SPELL_SLOTS: usize = 1 << 16;

thread_local! {
    /// Per-thread direct-mapped cache of [`spelling_uncached`] by token hash pair (a pure
    /// function of the two texts, so the cache never changes a result).
    static SPELL_CACHE: std::cell::RefCell<Vec<(u64, u64, u8)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

fn spelling(a: &Tok, b: &Tok) -> u8 {
    if a.len == 0 || b.len == 0 {
        return 0;
    }
    if a.init != b.init {
        // different initials: only the one-edit test of [`spelling_uncached`] can hold,
        // and it is cheap (no cache); lengths apart by more than one never pass it
        if a.len.abs_diff(b.len) > 1 && a.len.max(b.len) < 255 {
            return 0;
        }
        // one edit with different first bytes: a substitution of the first byte (same
        // second byte), the first two bytes transposed, or the first byte inserted (the
        // shorter token's first byte is the longer one's second)
        if a.len.max(b.len) < 255 {
            let possible = if a.len == b.len {
                a.b1 == b.b1 || (a.b1 == b.init && b.b1 == a.init)
            } else if a.len < b.len {
                a.init == b.b1
            } else {
                b.init == a.b1
            };
            if !possible {
                return 0;
            }
        }
        let (la, lb) = (a.s.len(), b.s.len());
        let long_enough = la.min(lb) >= 4 || (la.min(lb) >= 2 && la != lb);
        return u8::from(long_enough && within_one_edit(&a.s, &b.s));
    }
    SPELL_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_empty() {
            c.resize(SPELL_SLOTS, (0, 0, 0));
        }
        let slot = (crate::normalize::combine(a.h, b.h) as usize) & (SPELL_SLOTS - 1);
        let e = c[slot];
        // value 0x80 marks a filled slot
        if e.2 & 0x80 != 0 && e.0 == a.h && e.1 == b.h {
            return e.2 & 0x7f;
        }
        let v = spelling_uncached(&a.s, &b.s);
        c[slot] = (a.h, b.h, v | 0x80);
        v
    })
}

/// Concatenation of the tokens' texts (reversed order if `rev`) in `buf`, without
/// allocating; `None` when it does not fit.
fn concat_into<'a>(toks: &[Tok], rev: bool, buf: &'a mut [u8; 96]) -> Option<&'a [u8]> {
    let mut n = 0;
    let mut put = |t: &Tok| -> bool {
        let b = t.s.as_bytes();
        if n + b.len() > buf.len() {
            return false;
        }
        buf[n..n + b.len()].copy_from_slice(b);
        n += b.len();
        true
    };
    let ok = if rev {
        toks.iter().rev().all(&mut put)
    } else {
        toks.iter().all(&mut put)
    };
    if ok { Some(&buf[..n]) } else { None }
}

/// Jaro-Winkler of the concatenated texts of two token lists, and whether they are equal.
fn concat_jw(a: &[Tok], b: &[Tok]) -> (bool, f64) {
    let (mut ba, mut bb) = ([0u8; 96], [0u8; 96]);
    if let (Some(ca), Some(cb)) = (
        concat_into(a, false, &mut ba),
        concat_into(b, false, &mut bb),
    ) {
        return (ca == cb, jaro_winkler_bytes(ca, cb));
    }
    let ca: String = a.iter().map(|t| &*t.s).collect();
    let cb: String = b.iter().map(|t| &*t.s).collect();
    (ca == cb, jaro_winkler(&ca, &cb))
}

/// Whether the concatenated texts of two token lists are equal, and whether their
/// Jaro-Winkler is at least 0.92 ([`concat_jw`]); lengths far apart answer both without
/// reading the texts: Jaro-Winkler >= 0.92 needs Jaro >= 0.8667 (the prefix bonus is at
/// most 0.4 (1 - Jaro)), which needs the shorter text to be at least 0.6 of the longer
/// (Jaro <= (2 + shorter / longer) / 3); the shortcut takes 0.55 for a margin.
fn concat_close(a: &[Tok], b: &[Tok]) -> (bool, bool) {
    if a.iter().chain(b).all(|t| t.len < 255) {
        let len = |ts: &[Tok]| ts.iter().map(|t| usize::from(t.len)).sum::<usize>();
        let (la, lb) = (len(a), len(b));
        if la.min(lb) * 20 < la.max(lb) * 11 {
            return (false, false);
        }
    }
    let (same, jw) = concat_jw(a, b);
    (same, jw >= 0.92)
}

/// Token-pair match strength: 4 exact, 3 nickname, 2 phonetic, 1 fuzzy, 0 none.
fn tok_match(a: &Tok, b: &Tok, nick: bool) -> u8 {
    if a.h == b.h {
        return 4;
    }
    // without nickname forms on either side, the canonical forms are the tokens
    // themselves (compared just above / below)
    let nick = nick && (a.nick || b.nick);
    if nick {
        for x in a.canon.iter().filter(|x| **x != 0) {
            if b.canon.contains(x) {
                return 3;
            }
        }
    }
    if a.ph == b.ph {
        return 2;
    }
    if nick {
        for x in a.canon_ph.iter().filter(|x| **x != 0) {
            if b.canon_ph.contains(x) {
                return 2;
            }
        }
    }
    spelling(a, b) & 1
}

/// Similar spelling beyond a typo: some token pair with the same initial and
/// Jaro-Winkler >= 0.8.
fn weak_match(a: &[Tok], b: &[Tok]) -> bool {
    a.iter().any(|t| b.iter().any(|u| spelling(t, u) & 2 != 0))
}

/// Given-name level and TF (frequency of the rarest exactly shared token).
fn cmp_given(a: &[Tok], b: &[Tok]) -> (u8, f32) {
    if a.is_empty() || b.is_empty() {
        return (MISSING, 0.0);
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut worst = 4u8;
    let mut matched = 0usize;
    let mut tf = f32::MAX;
    // frequency of the rarest token matched at any strength
    let mut tf_any = f32::MAX;
    for t in short {
        let mut best = 0u8;
        let mut best_f = 0.0f32;
        for u in long {
            let m = tok_match(t, u, true);
            if m > best {
                best = m;
                best_f = if t.f > 0.0 { t.f } else { u.f };
                if best == 4 {
                    break;
                }
            }
        }
        if best > 0 {
            matched += 1;
        }
        if best == 4 && best_f > 0.0 {
            tf = tf.min(best_f);
        }
        if best > 0 && best_f > 0.0 {
            tf_any = tf_any.min(best_f);
        }
        worst = worst.min(best);
    }
    let tf = if tf == f32::MAX { 0.0 } else { tf };
    let tf_any = if tf_any == f32::MAX { 0.0 } else { tf_any };
    if matched == 0 {
        let fallback = if weak_match(a, b) { G_WEAK } else { G_DIFF };
        if a.len() == 1 && b.len() == 1 {
            return (fallback, 0.0);
        }
        // Joined/space variants of the whole given name.
        let (same, close) = concat_close(a, b);
        if same {
            return (G_EXACT, 0.0);
        }
        if close {
            return (G_FUZZY, 0.0);
        }
        return (fallback, 0.0);
    }
    if matched < short.len() {
        return (G_PARTIAL, 0.0);
    }
    let lvl = match worst {
        4 => {
            if short.len() == long.len() {
                G_EXACT
            } else {
                G_SUBSET
            }
        }
        3 => G_NICK,
        2 => G_PHON,
        _ => G_FUZZY,
    };
    (lvl, if lvl <= G_SUBSET { tf } else { tf_any })
}

/// Surname comparison with slot awareness (joined, swapped, missing maternal).
fn cmp_sur(a: &Prep, b: &Prep) -> (u8, f32) {
    let (sa, sb) = (a.sur(), b.sur());
    if sa.is_empty() || sb.is_empty() {
        return (MISSING, 0.0);
    }
    let tf_of = |toks: &[Tok]| -> f32 {
        let mut p = 1.0f32;
        let mut any = false;
        for t in toks {
            if t.f > 0.0 {
                p *= t.f;
                any = true;
            }
        }
        if any { p.max(1e-9) } else { 0.0 }
    };
    let tfa = if a.sur().iter().any(|t| t.f > 0.0) {
        tf_of(sa)
    } else {
        tf_of(sb)
    };
    if a.sur_concat == b.sur_concat {
        return (S_EXACT, tfa);
    }
    if a.sur_concat == b.sur_concat_rev {
        return (S_SWAP, tfa);
    }
    let (short, long) = if sa.len() <= sb.len() {
        (sa, sb)
    } else {
        (sb, sa)
    };
    // Exact subset (missing maternal or only maternal).
    let mut strengths = [0u8; 4];
    for (i, t) in short.iter().enumerate() {
        let mut best = 0;
        for u in long {
            best = best.max(tok_match(t, u, false));
            if best == 4 {
                break;
            }
        }
        strengths[i] = best;
    }
    let n = short.len();
    let all = |min: u8| strengths[..n].iter().all(|s| *s >= min);
    let matched = strengths[..n].iter().filter(|s| **s > 0).count();
    if all(4) {
        // Same token multiset but different order when lengths equal.
        if short.len() == long.len() {
            return (S_SWAP, tfa);
        }
        // frequency of the shared tokens, from whichever side carries frequencies (online,
        // only the query does: the shorter side may be the indexed record)
        let mut p = 1.0f32;
        let mut any = false;
        for t in short {
            let f = if t.f > 0.0 {
                t.f
            } else {
                long.iter().find(|u| u.h == t.h).map_or(0.0, |u| u.f)
            };
            if f > 0.0 {
                p *= f;
                any = true;
            }
        }
        return (S_SUBSET, if any { p.max(1e-9) } else { 0.0 });
    }
    // Joined without camel case: "hernandezlopez" vs "hernandez lopez".
    if short.len() == 1 && long.len() >= 2 {
        let s = &*short[0].s;
        let (mut b1, mut b2) = ([0u8; 96], [0u8; 96]);
        let joined = match (
            concat_into(long, false, &mut b1),
            concat_into(long, true, &mut b2),
        ) {
            (Some(c), Some(c2)) => s.as_bytes() == c || s.as_bytes() == c2,
            _ => {
                let c: String = long.iter().map(|t| &*t.s).collect();
                let c2: String = long.iter().rev().map(|t| &*t.s).collect();
                s == c || s == c2
            }
        };
        if joined {
            return (S_EXACT, tfa);
        }
        if s.starts_with(&*long[0].s) && long[0].s.len() >= 3 {
            // the joined token starts with the other's first surname: its frequency
            return (S_SUBSET, long[0].f.max(0.0));
        }
    }
    if all(2) {
        return (S_PHON, 0.0);
    }
    if all(1) {
        return (S_FUZZY, 0.0);
    }
    if matched > 0 {
        return (S_ONE, 0.0);
    }
    let fallback = if weak_match(sa, sb) { S_WEAK } else { S_DIFF };
    if sa.len() == 1 && sb.len() == 1 {
        return (fallback, 0.0);
    }
    if concat_close(sa, sb).1 {
        return (S_FUZZY, 0.0);
    }
    (fallback, 0.0)
}

fn cmp_dob(a: Option<Ymd>, b: Option<Ymd>) -> u8 {
    let (a, b) = match (a, b) {
        (Some(a), Some(b)) => (a, b),
        _ => return MISSING,
    };
    if a == b {
        return D_EXACT;
    }
    if a.y == b.y && a.m == b.d && a.d == b.m {
        return D_SWAP;
    }
    if a.m == b.m && a.d == b.d && a.y.abs_diff(b.y) == 1 {
        return D_YEAR1;
    }
    let (da, db) = (a.digits(), b.digits());
    let mut diffs = [0usize; 8];
    let mut nd = 0;
    for i in 0..8 {
        if da[i] != db[i] {
            diffs[nd] = i;
            nd += 1;
        }
    }
    if nd == 1 {
        return D_ONE_DIGIT;
    }
    // a day or a month off by one across a ten ("09"/"10", "19"/"20"): as near as a
    // wrong digit
    if a.y == b.y
        && ((a.m == b.m && a.d.abs_diff(b.d) == 1) || (a.d == b.d && a.m.abs_diff(b.m) == 1))
    {
        return D_ONE_DIGIT;
    }
    if nd == 2
        && diffs[1] == diffs[0] + 1
        && da[diffs[0]] == db[diffs[1]]
        && da[diffs[1]] == db[diffs[0]]
    {
        return D_ONE_DIGIT;
    }
    D_DIFF
}

fn cmp_birth_place(a: &Prep, b: &Prep) -> u8 {
    let pairs = [
        (a.city, b.city),
        (a.bstate, b.bstate),
        (a.country, b.country),
    ];
    let mut agree = [false; 3];
    let mut differ = [false; 3];
    for (i, (x, y)) in pairs.iter().enumerate() {
        if *x != 0 && *y != 0 {
            if x == y {
                agree[i] = true;
            } else {
                differ[i] = true;
            }
        }
    }
    if !agree.iter().any(|x| *x) && !differ.iter().any(|x| *x) {
        return MISSING;
    }
    if differ[1] || differ[2] {
        return BP_DIFF;
    }
    if differ[0] {
        return if agree[1] || agree[2] {
            BP_CITY_DIFF
        } else {
            BP_DIFF
        };
    }
    if agree[0] { BP_FULL } else { BP_PARTIAL }
}

fn cmp_parents(a: &Prep, b: &Prep) -> u8 {
    if !a.has_parents() || !b.has_parents() {
        return MISSING;
    }
    let mut best = P_DIFF;
    for (pa_first, pa_last) in a.parents() {
        for (pb_first, pb_last) in b.parents() {
            let (gl, _) = cmp_given(pa_first, pb_first);
            let first_ok = matches!(gl, G_EXACT | G_SUBSET | G_NICK | G_PHON | G_FUZZY);
            let last_ok = if pa_last.is_empty() || pb_last.is_empty() {
                None
            } else {
                Some(
                    pa_last
                        .iter()
                        .any(|t| pb_last.iter().any(|u| tok_match(t, u, false) >= 1)),
                )
            };
            // a parent's surname is mostly the child's: agreeing on it alone (the first
            // names differing) says nothing beyond the surname field
            match (first_ok, last_ok) {
                (true, Some(true)) | (true, None) => return P_AGREE,
                (true, Some(false)) => best = P_PARTIAL,
                _ => {}
            }
        }
    }
    best
}

fn cmp_postal(a: &str, b: &str) -> u8 {
    if a.is_empty() || b.is_empty() {
        return MISSING;
    }
    if a == b {
        return Z_EXACT;
    }
    if a.len() == b.len() && cmp_postal_digits(a.as_bytes(), b.as_bytes()) {
        return Z_ONE;
    }
    Z_DIFF
}

fn cmp_postal_digits(a: &[u8], b: &[u8]) -> bool {
    // one substitution or one adjacent transposition
    let d: Vec<usize> = (0..a.len()).filter(|i| a[*i] != b[*i]).collect();
    d.len() == 1 || (d.len() == 2 && d[1] == d[0] + 1 && a[d[0]] == b[d[1]] && a[d[1]] == b[d[0]])
}

/// Multiset intersection size of two sorted bigram lists.
fn common_sorted(a: &[u16], b: &[u16]) -> usize {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
    common
}

/// Address level: bigram Dice of the addresses without house number (and the overlap
/// with the shorter one, for a component left out), capped when house numbers differ.
fn cmp_addr(a: &Prep, b: &Prep) -> u8 {
    let (x, y) = (&a.addr_bigrams, &b.addr_bigrams);
    if x.is_empty() || y.is_empty() {
        return MISSING;
    }
    let common = common_sorted(x, y) as f64;
    let dice = 2.0 * common / (x.len() + y.len()) as f64;
    let short = x.len().min(y.len());
    let overlap = if short >= 6 {
        common / short as f64
    } else {
        0.0
    };
    let num_differs = !a.addr_num.is_empty() && !b.addr_num.is_empty() && a.addr_num != b.addr_num;
    let level = if x == y {
        A_EXACT
    } else if dice >= 0.8 || overlap >= 0.95 {
        A_HIGH
    } else if dice >= 0.6 || overlap >= 0.8 {
        A_MED
    } else if dice >= 0.4 {
        A_LOW
    } else {
        A_DIFF
    };
    let num_agrees = !a.addr_num.is_empty() && a.addr_num == b.addr_num;
    if num_differs && level < A_MED {
        A_MED
    } else if num_agrees && level == A_LOW {
        // same house number and a good part of the rest: one component replaced
        A_MED
    } else {
        level
    }
}

/// Conflict bits.
pub mod conflict {
    /// Same DOB and same family (surname/parents) but different given names.
    pub const TWIN: u8 = 1;
    /// Multiple-birth flag set and given names differ.
    pub const MULTIPLE_BIRTH: u8 = 2;
    /// Different student ids from the same state.
    pub const STATE_ID: u8 = 4;
    /// Reviewer decided not-same.
    pub const REVIEWER: u8 = 8;
    pub const NAMES: [(u8, &str); 4] = [
        (TWIN, "same_birth_date_and_family_different_given_names"),
        (MULTIPLE_BIRTH, "multiple_birth_different_given_names"),
        (STATE_ID, "different_student_ids_same_state"),
        (REVIEWER, "reviewer_not_same"),
    ];
}

/// Result of comparing two records.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cmp {
    pub levels: [u8; NF],
    pub tf_given: f32,
    pub tf_sur: f32,
    pub conflicts: u8,
}

pub(crate) struct Rules {
    pub twin: bool,
    pub state_id: bool,
}

/// One side's given name is only a very common first element of compound names
/// ("Maria", "Jose"), so disjoint given names are weak evidence of a different child.
fn weak_single_given(a: &Prep, b: &Prep) -> bool {
    const WEAK: [&str; 4] = ["maria", "jose", "ma", "juan"];
    let weak = |p: &Prep| p.given().len() == 1 && WEAK.contains(&&*p.given()[0].s);
    weak(a) || weak(b)
}

/// [`compare`] when the pair can score at least `bar` with `wt`; `None` when an upper
/// bound of its score, from every field but the parents (the costliest) and the best
/// parents level, is below `bar`. The comparisons returned are exactly [`compare`]'s.
pub(crate) fn compare_above(
    a: &Prep,
    b: &Prep,
    rules: &Rules,
    wt: &WeightTable,
    bar: f64,
) -> Option<Cmp> {
    let mut levels = other_levels(a, b);
    let (gl, tfg) = cmp_given(a.given(), b.given());
    let (sl, tfs) = cmp_sur(a, b);
    levels[field::GIVEN] = gl;
    levels[field::SURNAME] = sl;
    let c = Cmp {
        levels,
        tf_given: tfg,
        tf_sur: tfs,
        conflicts: 0,
    };
    // raw weights, the name levels raised to the best the exchanged-fields check could
    // give them (without frequencies), and the best parents level: each bounds its field
    let mut w = raw_field_weights(&c, wt);
    if cross_eligible(gl, sl) {
        let best = |f: usize, now: f64, ls: &[u8]| {
            ls.iter().map(|l| wt.w[f][*l as usize]).fold(now, f64::max)
        };
        w[field::GIVEN] = best(field::GIVEN, w[field::GIVEN], &[G_PHON, G_FUZZY, G_PARTIAL]);
        w[field::SURNAME] = best(field::SURNAME, w[field::SURNAME], &[S_PHON, S_CROSS]);
    }
    if a.has_parents() && b.has_parents() {
        w[field::PARENTS] = wt.w[field::PARENTS][1..=P_DIFF as usize]
            .iter()
            .copied()
            .fold(f64::MIN, f64::max);
    }
    // as in [`field_weights`], the family fields' positive weights count up to the cap
    // together (the capped sum never decreases when one weight grows: still a bound)
    let fam = [field::SURNAME, field::PARENTS, field::BIRTH_PLACE];
    let pos: f64 = fam.iter().map(|f| w[*f].max(0.0)).sum();
    let mut bound: f64 = w.iter().sum();
    if pos > wt.family_cap {
        bound -= pos - wt.family_cap;
    }
    if bound < bar - 1e-6 {
        return None;
    }
    Some(compare_names_done(
        a,
        b,
        rules,
        (gl, tfg),
        (sl, tfs),
        levels,
    ))
}

/// The levels of every field but the names and the parents (the names are compared first,
/// the parents last): the rest of a comparison does not change them.
fn other_levels(a: &Prep, b: &Prep) -> [u8; NF] {
    let mut levels = [MISSING; NF];
    levels[field::DOB] = cmp_dob(a.dob, b.dob);
    levels[field::SEX] = sex_level(a, b);
    levels[field::BIRTH_PLACE] = cmp_birth_place(a, b);
    levels[field::STATE_ID] = state_id_level(a, b);
    levels[field::ALT_IDS] = alt_level(a, b);
    levels[field::ADDRESS] = cmp_addr(a, b);
    levels[field::POSTAL] = cmp_postal(&a.postal, &b.postal);
    levels
}

fn cross_eligible(gl: u8, sl: u8) -> bool {
    matches!(gl, MISSING | G_PARTIAL | G_WEAK | G_DIFF)
        && matches!(sl, MISSING | S_ONE | S_WEAK | S_DIFF)
        && !(gl == MISSING && sl == MISSING)
}

fn sex_level(a: &Prep, b: &Prep) -> u8 {
    if a.sex == 0 || b.sex == 0 {
        MISSING
    } else if a.sex == b.sex {
        AGREE
    } else {
        DIFF2
    }
}

fn state_id_level(a: &Prep, b: &Prep) -> u8 {
    if a.ssid != 0 && b.ssid != 0 && a.state == b.state {
        if a.ssid == b.ssid { AGREE } else { DIFF2 }
    } else if a.ssid != 0 && a.ssid == b.ssid && a.state == 0 {
        AGREE
    } else {
        MISSING
    }
}

fn alt_level(a: &Prep, b: &Prep) -> u8 {
    if a.alt.iter().any(|x| b.alt.contains(x)) {
        AGREE
    } else {
        MISSING
    }
}

pub(crate) fn compare(a: &Prep, b: &Prep, rules: &Rules) -> Cmp {
    let (gl, tfg) = cmp_given(a.given(), b.given());
    let (sl, tfs) = cmp_sur(a, b);
    compare_names_done(a, b, rules, (gl, tfg), (sl, tfs), other_levels(a, b))
}

/// [`compare`] with the given-name and surname comparisons and the [`other_levels`] already
/// made.
fn compare_names_done(
    a: &Prep,
    b: &Prep,
    rules: &Rules,
    given: (u8, f32),
    sur: (u8, f32),
    mut levels: [u8; NF],
) -> Cmp {
    let ((mut gl, mut tfg), (mut sl, mut tfs)) = (given, sur);
    // Given name and surname exchanged between the fields ("caitlin mason" /
    // "mason caitlin"): both cross comparisons must agree.
    // (A missing field on one side counts as failed: "" + "garcia" / "garcia" + "ana".)
    if cross_eligible(gl, sl) {
        let ok = |l: u8| matches!(l, G_EXACT | G_SUBSET | G_NICK | G_PHON | G_FUZZY);
        let (x, _) = cmp_given(a.given(), b.sur());
        let (y, _) = cmp_given(a.sur(), b.given());
        if ok(x) && ok(y) {
            gl = if x == G_EXACT && y == G_EXACT {
                G_PHON
            } else {
                G_FUZZY
            };
            sl = S_PHON;
            tfg = 0.0;
            tfs = 0.0;
        } else if ok(x) || ok(y) {
            // one name moved to the other field and the other one lost or replaced:
            // the given name level says "partly different" (twin and multiple-birth
            // rules still see a differing given name), the surname level "crossed"
            gl = if gl == MISSING {
                G_PARTIAL
            } else {
                gl.min(G_PARTIAL)
            };
            sl = S_CROSS;
            tfg = 0.0;
            tfs = 0.0;
        }
    }
    levels[field::GIVEN] = gl;
    levels[field::SURNAME] = sl;
    levels[field::PARENTS] = cmp_parents(a, b);

    let mut conflicts = 0u8;
    let given_differs = matches!(gl, G_PARTIAL | G_WEAK | G_DIFF) && !weak_single_given(a, b);
    let twin_like = given_differs || (gl == G_FUZZY && levels[field::SEX] == DIFF2);
    if rules.twin && twin_like {
        let dob_same = matches!(levels[field::DOB], D_EXACT | D_SWAP);
        // Family evidence beyond a shared surname: agreeing parents, or a shared
        // surname with the same birth place or a multiple-birth flag. Without it (no
        // parents, no birth place: e.g. FEBRL-like data) a different given name is a
        // scoring matter, not a hard conflict.
        let sur_family = matches!(sl, S_EXACT | S_SWAP | S_SUBSET | S_PHON | S_FUZZY);
        let family = levels[field::PARENTS] == P_AGREE
            || (sur_family
                && (matches!(levels[field::BIRTH_PLACE], BP_FULL | BP_PARTIAL)
                    || levels[field::PARENTS] == P_PARTIAL
                    || a.multi == Some(true)
                    || b.multi == Some(true)));
        if dob_same && family {
            conflicts |= conflict::TWIN;
        }
    }
    let given_differs_any = matches!(gl, G_PARTIAL | G_WEAK | G_DIFF);
    if (twin_like || given_differs_any) && (a.multi == Some(true) || b.multi == Some(true)) {
        conflicts |= conflict::MULTIPLE_BIRTH;
    }
    if rules.state_id && levels[field::STATE_ID] == DIFF2 {
        conflicts |= conflict::STATE_ID;
    }
    Cmp {
        levels,
        tf_given: tfg,
        tf_sur: tfs,
        conflicts,
    }
}

/// Levels of birth date, address and postal code only (the rest missing): what
/// random-pair u estimation needs, much cheaper than [`compare`].
pub(crate) fn spread_levels(a: &Prep, b: &Prep) -> [u8; NF] {
    let mut levels = [MISSING; NF];
    levels[field::DOB] = cmp_dob(a.dob, b.dob);
    levels[field::BIRTH_PLACE] = cmp_birth_place(a, b);
    levels[field::ADDRESS] = cmp_addr(a, b);
    levels[field::POSTAL] = cmp_postal(&a.postal, &b.postal);
    levels
}

/// Per-field weights of a comparison (with term-frequency adjustment).
pub(crate) fn field_weights(c: &Cmp, wt: &WeightTable) -> [f64; NF] {
    let mut out = raw_field_weights(c, wt);
    // Surname, parents and birth place are shared by siblings: cap their joint
    // positive contribution (scaled down proportionally).
    let fam = [field::SURNAME, field::PARENTS, field::BIRTH_PLACE];
    let pos: f64 = fam.iter().map(|f| out[*f].max(0.0)).sum();
    if pos > wt.family_cap && pos > 0.0 {
        let k = wt.family_cap / pos;
        for f in fam {
            if out[f] > 0.0 {
                out[f] *= k;
            }
        }
    }
    out
}

fn raw_field_weights(c: &Cmp, wt: &WeightTable) -> [f64; NF] {
    let mut out = [0.0; NF];
    for f in 0..NF {
        let l = c.levels[f] as usize;
        if l == 0 {
            continue;
        }
        let mut w = wt.w[f][l];
        if f == field::GIVEN && matches!(c.levels[f], G_EXACT | G_SUBSET) && c.tf_given > 0.0 {
            w += (wt.u_exact_given / f64::from(c.tf_given))
                .log2()
                .clamp(-6.0, 4.0);
        }
        // a nickname, phonetic or typo match of a common name is no stronger than an
        // exact match of it: the same frequency lowers it (never raises it)
        if f == field::GIVEN && matches!(c.levels[f], G_NICK | G_PHON | G_FUZZY) && c.tf_given > 0.0
        {
            w += (wt.u_exact_given / f64::from(c.tf_given))
                .log2()
                .clamp(-6.0, 0.0);
        }
        if f == field::SURNAME
            && matches!(c.levels[f], S_EXACT | S_SWAP | S_SUBSET)
            && c.tf_sur > 0.0
        {
            w += (wt.u_exact_sur / f64::from(c.tf_sur))
                .log2()
                .clamp(-6.0, 6.0);
        }
        out[f] = w;
    }
    out
}

pub(crate) fn score(c: &Cmp, wt: &WeightTable) -> f64 {
    field_weights(c, wt).iter().sum()
}

/// Does the comparison have corroboration beyond name + DOB + sex?
pub(crate) fn corroborated(c: &Cmp) -> bool {
    c.levels[field::PARENTS] == P_AGREE
        || c.levels[field::BIRTH_PLACE] == BP_FULL
        || c.levels[field::STATE_ID] == AGREE
        || c.levels[field::ALT_IDS] == AGREE
        || matches!(c.levels[field::ADDRESS], A_EXACT | A_HIGH)
        || c.levels[field::POSTAL] == Z_EXACT
}

// ---------------------------------------------------------------- blocking keys

const FAM_DOB_SUR: u64 = 1;
const FAM_DOB_GIVEN: u64 = 2;
const FAM_SUR_YEAR_GIVEN: u64 = 3;
const FAM_GIVEN_SUR_MD: u64 = 4;
const FAM_STATE_ID: u64 = 5;
const FAM_ALT: u64 = 6;
const FAM_SUR_GIVEN: u64 = 7;
const FAM_POSTAL_SUR: u64 = 8;
const FAM_POSTAL_GIVEN: u64 = 9;
const FAM_DOB_INITIALS: u64 = 10;
const FAM_SURS_SORTED: u64 = 11;
const FAM_DOB_POSTAL: u64 = 12;
const FAM_NAME_PAIR: u64 = 13;
const FAM_ADDR_NUM_STREET: u64 = 14;
const FAM_POSTAL_NUM: u64 = 15;
const FAM_POSTAL_STREET: u64 = 16;
const FAM_NUM_NAMES: u64 = 17;
const FAM_STREET_NAMES: u64 = 18;
const FAM_DOB_STREET_INITIAL: u64 = 19;
/// Exact birth date and given-name initial (surname missing or replaced). Broad:
/// batch only (sorted neighbourhood bounds it there); the online index leaves it out.
const FAM_DOB_INITIAL: u64 = 20;

/// Online only: a parent's first name with the parent's surname and the child's first
/// given name, or with the child's first surname (one side without a birth date, or with
/// a corrupted one: the family's names still meet).
const FAM_PARENT_NAMES: u64 = 21;
/// Online only: two of the three birth date parts (year, month, day) with the given
/// name or with the first surname: one wrong digit, a year or a day off still shares one
/// of them.
const FAM_DATE_PARTS_GIVEN: u64 = 22;

/// Number of key families (keys are generated family by family in batch).
pub(crate) const FAMILIES: u64 = 20;
/// Families of the online index only (FAMILIES + 1 ..= this).
const ONLINE_EXTRA_FAMILIES: u64 = 22;
/// Families in the online index (1..=ONLINE_FAMILIES, except FAM_NAME_PAIR).
const ONLINE_FAMILIES: u64 = 19;

/// Up to four blocking variants of the given name (no allocation).
#[derive(Clone, Copy)]
struct Vars {
    v: [u64; 4],
    n: usize,
}

impl Vars {
    fn as_slice(&self) -> &[u64] {
        &self.v[..self.n]
    }
    fn push_new(&mut self, x: u64) {
        if self.n < 4 && !self.as_slice().contains(&x) {
            self.v[self.n] = x;
            self.n += 1;
        }
    }
}

impl IntoIterator for Vars {
    type Item = u64;
    type IntoIter = std::iter::Take<std::array::IntoIter<u64, 4>>;
    fn into_iter(self) -> Self::IntoIter {
        self.v.into_iter().take(self.n)
    }
}

fn given_variants(p: &Prep) -> Vars {
    let mut v = Vars { v: [0; 4], n: 0 };
    if let Some(t) = p.given().first() {
        for x in t.canon_ph.iter().filter(|x| **x != 0) {
            v.push_new(*x);
        }
    }
    if let Some(t) = p.given().get(1) {
        v.push_new(t.ph);
    }
    v
}

/// What the blocking keys read from the shared data of a record's name tokens (scattered
/// in memory: batch blocking reads it once per record, not once per key family).
#[derive(Clone, Copy)]
pub(crate) struct NameKeys {
    /// Phonetic key of the first five letters of the first given name.
    g_ph5: Option<u64>,
    /// The same of the first two surname tokens.
    surs: [u64; 2],
    n_surs: usize,
    vars: Vars,
}

impl NameKeys {
    pub(crate) fn of(p: &Prep) -> NameKeys {
        let mut surs = [0u64; 2];
        let mut n_surs = 0;
        for t in p.sur().iter().take(2) {
            surs[n_surs] = t.ph5;
            n_surs += 1;
        }
        NameKeys {
            g_ph5: p.given().first().map(|g| g.ph5),
            surs,
            n_surs,
            vars: given_variants(p),
        }
    }
}

/// Blocking keys of one family for a record (`nk` = [`NameKeys::of`] the record).
pub(crate) fn block_keys(p: &Prep, nk: &NameKeys, fam: u64, out: &mut Vec<u64>) {
    let k = |parts: &[u64]| -> u64 {
        let mut h = mix_tag(fam);
        for x in parts {
            h = combine(h, *x);
        }
        h
    };
    let dob_sorted = p.dob.map(|d| {
        let (lo, hi) = if d.m <= d.d { (d.m, d.d) } else { (d.d, d.m) };
        (u64::from(d.y) << 16) | (u64::from(lo) << 8) | u64::from(hi)
    });
    let md_sorted = dob_sorted.map(|x| x & 0xffff);
    let year = p.dob.map(|d| u64::from(d.y));
    // phonetic key of the first five letters of each surname token: robust to
    // joined double surnames ("gonzalezjimenez") and late typos
    let surs = &nk.surs[..nk.n_surs];
    // the first given name's and the first surname's
    let first_ph5 = || nk.g_ph5.into_iter().chain(surs.iter().take(1).copied());
    let postal = || (!p.postal.is_empty()).then(|| hash_str(&p.postal));
    match fam {
        FAM_DOB_SUR => {
            if let Some(d) = dob_sorted {
                for s in surs {
                    out.push(k(&[d, *s]));
                }
                // also the first given name under the same key: given name and
                // surname exchanged between fields
                if let Some(g) = nk.g_ph5 {
                    out.push(k(&[d, g]));
                }
            }
        }
        FAM_DOB_POSTAL => {
            if let (Some(d), Some(z)) = (p.dob, postal()) {
                let d = (u64::from(d.y) << 16) | (u64::from(d.m) << 8) | u64::from(d.d);
                out.push(k(&[d, z]));
            }
        }
        FAM_DOB_GIVEN => {
            if let Some(d) = dob_sorted {
                for g in nk.vars {
                    out.push(k(&[d, g]));
                }
            }
        }
        FAM_SUR_YEAR_GIVEN => {
            if let Some(y) = year {
                for s in surs {
                    for g in nk.vars.into_iter().take(2) {
                        out.push(k(&[y, *s, g]));
                    }
                }
            }
        }
        FAM_GIVEN_SUR_MD => {
            if let Some(md) = md_sorted {
                for s in surs {
                    for g in nk.vars.into_iter().take(2) {
                        out.push(k(&[md, *s, g]));
                    }
                }
            }
        }
        FAM_STATE_ID if p.ssid != 0 => {
            out.push(k(&[p.state, p.ssid]));
        }
        FAM_ALT => {
            for a in &p.alt {
                out.push(k(&[*a]));
            }
        }
        FAM_SUR_GIVEN => {
            for s in surs {
                for g in nk.vars.into_iter().take(2) {
                    out.push(k(&[*s, g]));
                }
            }
        }
        FAM_POSTAL_SUR if !p.postal.is_empty() => {
            let z = hash_str(&p.postal);
            for s in surs.iter().take(1) {
                out.push(k(&[z, *s]));
            }
        }
        FAM_POSTAL_GIVEN if !p.postal.is_empty() => {
            let z = hash_str(&p.postal);
            if let Some(t) = p.given().first() {
                out.push(k(&[z, t.ph]));
            }
        }
        FAM_DOB_INITIALS => {
            if let (Some(d), Some(g), Some(s)) = (p.dob, p.given().first(), p.sur().first()) {
                let d = (u64::from(d.y) << 16) | (u64::from(d.m) << 8) | u64::from(d.d);
                let gi = u64::from(g.init);
                let si = u64::from(s.init);
                out.push(k(&[d, gi, si]));
            }
        }
        FAM_NAME_PAIR => {
            // given name and surname as an unordered pair: robust to the two being
            // exchanged between fields
            if let (Some(g), Some(s)) = (p.given().first(), p.sur().first()) {
                out.push(k(&[g.ph.min(s.ph), g.ph.max(s.ph)]));
            }
        }
        FAM_ADDR_NUM_STREET if !p.addr_num.is_empty() && p.addr_street != 0 => {
            out.push(k(&[hash_str(&p.addr_num), p.addr_street]));
        }
        FAM_POSTAL_NUM if !p.addr_num.is_empty() && !p.postal.is_empty() => {
            out.push(k(&[hash_str(&p.addr_num), hash_str(&p.postal)]));
        }
        FAM_POSTAL_STREET if p.addr_street != 0 && !p.postal.is_empty() => {
            out.push(k(&[p.addr_street, hash_str(&p.postal)]));
        }
        FAM_NUM_NAMES if !p.addr_num.is_empty() => {
            // house number with either name (as given or surname: fields exchanged)
            let n = hash_str(&p.addr_num);
            for t in first_ph5() {
                out.push(k(&[n, t]));
            }
        }
        FAM_STREET_NAMES if p.addr_street != 0 => {
            for t in first_ph5() {
                out.push(k(&[p.addr_street, t]));
            }
        }
        FAM_DOB_STREET_INITIAL => {
            // exact birth date with the street or the house number
            // (surname missing or replaced)
            if let Some(d) = p.dob {
                let d = (u64::from(d.y) << 16) | (u64::from(d.m) << 8) | u64::from(d.d);
                if p.addr_street != 0 {
                    out.push(k(&[d, p.addr_street]));
                }
                if !p.addr_num.is_empty() {
                    out.push(k(&[d, hash_str(&p.addr_num), 2]));
                }
            }
        }
        FAM_DOB_INITIAL => {
            if let (Some(d), Some(g)) = (p.dob, p.given().first()) {
                let d = (u64::from(d.y) << 16) | (u64::from(d.m) << 8) | u64::from(d.d);
                let gi = u64::from(g.init);
                out.push(k(&[d, gi]));
            }
        }
        FAM_PARENT_NAMES => {
            let vars = nk.vars;
            let g = vars.as_slice();
            for (first, last) in p.parents().take(2) {
                let Some(pf) = first.first() else {
                    continue;
                };
                let pl = last.first().map_or(0, |t| t.ph5);
                let v = pf.ph;
                if let Some(x) = g.first() {
                    out.push(k(&[v, pl, *x, 1]));
                }
                if let Some(s) = surs.first() {
                    out.push(k(&[v, pl, *s, 2]));
                }
            }
        }
        FAM_DATE_PARTS_GIVEN => {
            if let Some(d) = p.dob {
                let (y, m, dd) = (u64::from(d.y), u64::from(d.m), u64::from(d.d));
                let (lo, hi) = (m.min(dd), m.max(dd));
                for g in nk.vars.into_iter().take(2) {
                    out.push(k(&[y, m, 0, g]));
                    out.push(k(&[y, 0, dd, g]));
                    out.push(k(&[0, lo, hi, g]));
                }
                // and with the first surname (a typo in the given name as well)
                if let Some(s) = surs.first() {
                    out.push(k(&[y, m, 0, *s, 3]));
                    out.push(k(&[y, 0, dd, *s, 3]));
                    out.push(k(&[0, lo, hi, *s, 3]));
                }
            }
        }
        FAM_SURS_SORTED if p.sur().len() >= 2 => {
            let mut parts: Vec<u64> = p.sur().iter().map(|t| t.ph).collect();
            parts.sort_unstable();
            if let Some(g) = p.given().first() {
                parts.push(u64::from(g.init));
            }
            out.push(k(&parts));
        }
        _ => {}
    }
}

fn mix_tag(fam: u64) -> u64 {
    crate::normalize::mix(fam.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// All blocking keys of a record for the online index.
pub(crate) fn all_block_keys(p: &Prep, out: &mut Vec<u64>) {
    // the unordered name pair is batch-only as well: online, the exchanged fields are
    // found through the birth date keys (FAM_DOB_SUR carries the given name too)
    let nk = NameKeys::of(p);
    for fam in (1..=ONLINE_FAMILIES).filter(|f| *f != FAM_NAME_PAIR) {
        block_keys(p, &nk, fam, out);
    }
}

/// The online-only fallback keys of a record (parents, birth date parts): examined with
/// a smaller cap per key than [`all_block_keys`].
pub(crate) fn extra_block_keys(p: &Prep, out: &mut Vec<u64>) {
    let nk = NameKeys::of(p);
    for fam in FAMILIES + 1..=ONLINE_EXTRA_FAMILIES {
        block_keys(p, &nk, fam, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_spelling_equals_uncached() {
        let words = [
            "maria",
            "mario",
            "marina",
            "jose",
            "josue",
            "kyle",
            "kyl",
            "ne",
            "ned",
            "garcia",
            "garza",
            "gracia",
            "hernandez",
            "hernandes",
            "fernandez",
            "lopez",
            "lopes",
            "a",
            // different first letters: substituted, transposed, inserted
            "ojse",
            "sarcia",
            "ana",
            "hana",
            "nana",
            "aana",
            "ab",
            "ba",
        ];
        // twice: the second round is answered from the cache
        for _ in 0..2 {
            for a in words {
                for b in words {
                    let (ta, tb) = (Tok::new(a, true), Tok::new(b, false));
                    assert_eq!(spelling(&ta, &tb), spelling_uncached(a, b), "{a} {b}");
                }
            }
        }
        assert_eq!(spelling_uncached("kyle", "kyl") & 1, 1);
        assert_eq!(spelling_uncached("maria", "marina") & 2, 2);
        assert_eq!(spelling_uncached("garcia", "lopez"), 0);
        assert_eq!(
            spelling(&Tok::new("ojse", true), &Tok::new("jose", true)),
            1
        );
        assert_eq!(spelling(&Tok::new("ana", true), &Tok::new("hana", true)), 1);
        // the inline keys keep a token at 32 bytes
        assert!(std::mem::size_of::<Tok>() <= 32);
    }

    #[test]
    fn online_subset_surname_uses_the_query_frequencies() {
        // online, only the query's tokens carry frequencies: a shorter indexed surname
        // ("garcia" within "garcia rojas") must still get the frequency of "garcia"
        let q = LinkRecord {
            last_name_1: Some("Garcia Rojas".into()),
            ..Default::default()
        };
        let k = LinkRecord {
            last_name_1: Some("Garcia".into()),
            ..Default::default()
        };
        let mut a = prepare(&q);
        for t in a.names_mut().1.iter_mut() {
            t.f = if &*t.s == "garcia" { 0.1 } else { 0.01 };
        }
        let b = prepare(&k);
        let (l, f) = cmp_sur(&a, &b);
        assert_eq!(l, S_SUBSET);
        assert!((f - 0.1).abs() < 1e-6, "{f}");
        let (l, f) = cmp_sur(&b, &a);
        assert_eq!(l, S_SUBSET);
        assert!((f - 0.1).abs() < 1e-6, "{f}");
    }

    #[test]
    fn frequent_given_names_weigh_less_in_every_agreeing_level() {
        let wt = crate::model::WeightTable::with_cap(&crate::Weights::default(), 16.0);
        let rules = Rules {
            twin: true,
            state_id: true,
        };
        let rec = |g: &str| LinkRecord {
            first_name: Some(g.into()),
            ..Default::default()
        };
        let given_w = |a: &str, b: &str, f: f32| {
            let mut p = prepare(&rec(a));
            for t in p.names_mut().0.iter_mut() {
                t.f = f;
            }
            let c = compare(&p, &prepare(&rec(b)), &rules);
            (c.levels[field::GIVEN], field_weights(&c, &wt)[field::GIVEN])
        };
        // a common name: the nickname level is lowered like the exact one and stays below it
        let (l_exact, w_exact) = given_w("antonio", "antonio", 0.05);
        let (l_nick, w_nick) = given_w("tony", "antonio", 0.05);
        assert_eq!((l_exact, l_nick), (G_EXACT, G_NICK));
        assert!(w_nick <= w_exact, "{w_nick} > {w_exact}");
        // a rare name: the nickname level is not raised
        let (_, w_rare) = given_w("tony", "antonio", 1e-6);
        let (_, w_prior) = given_w("tony", "antonio", 0.0);
        assert_eq!(w_rare, w_prior);
    }

    #[test]
    fn joined_surname_prefix_takes_the_first_surname_frequency() {
        let q = LinkRecord {
            last_name_1: Some("Gonzalez Sanchez".into()),
            ..Default::default()
        };
        let k = LinkRecord {
            last_name_1: Some("gonzalezperez".into()),
            ..Default::default()
        };
        let mut a = prepare(&q);
        for t in a.names_mut().1.iter_mut() {
            t.f = 0.03;
        }
        let (l, f) = cmp_sur(&a, &prepare(&k));
        assert_eq!(l, S_SUBSET);
        assert!((f - 0.03).abs() < 1e-6, "{f}");
    }

    #[test]
    fn compare_above_skips_only_pairs_below_the_bar() {
        let data = crate::synth::generate(400, 3);
        let preps: Vec<Prep> = data.records.iter().map(prepare).collect();
        let wt = crate::model::WeightTable::with_cap(&crate::Weights::default(), 16.0);
        let rules = Rules {
            twin: true,
            state_id: false,
        };
        let (mut skipped, mut kept) = (0, 0);
        for (i, a) in preps.iter().enumerate() {
            for b in preps.iter().skip(i + 1).take(40) {
                let full = compare(a, b, &rules);
                for bar in [-5.0, 0.0, 12.0] {
                    match compare_above(a, b, &rules, &wt, bar) {
                        None => {
                            assert!(score(&full, &wt) < bar);
                            skipped += 1;
                        }
                        Some(c) => {
                            assert_eq!(c.levels, full.levels);
                            assert_eq!(c.conflicts, full.conflicts);
                            kept += 1;
                        }
                    }
                }
            }
        }
        assert!(skipped > 0 && kept > 0, "{skipped} {kept}");
    }

    #[test]
    fn concat_close_agrees_with_concat_jw() {
        let lists = [
            "ana",
            "ana maria",
            "anamaria",
            "maria",
            "jose luis",
            "joseluis",
            "luis",
            "a",
            "al",
            "garcia lopez",
            "garcialopez",
            "lopez garcia",
            "maria de la luz",
            "marialuz",
            "guadalupe",
            "lupe",
            "x y",
            "xy",
            "christopher",
            "chris topher",
            "kristofer",
        ];
        for a in lists {
            for b in lists {
                let (ta, tb) = (
                    name_tokens(a)
                        .iter()
                        .map(|t| Tok::new(t, true))
                        .collect::<Vec<_>>(),
                    name_tokens(b)
                        .iter()
                        .map(|t| Tok::new(t, false))
                        .collect::<Vec<_>>(),
                );
                let (same, jw) = concat_jw(&ta, &tb);
                assert_eq!(concat_close(&ta, &tb), (same, jw >= 0.92), "{a} / {b}");
            }
        }
    }

    #[test]
    fn id_hash_is_the_hash_of_norm_id() {
        for id in [
            "",
            " ",
            "0",
            "000",
            "00123",
            "A-0012b",
            "12 34",
            "ID\u{e9}7",
            "x",
            "0a0",
            "-",
            "1234567890123456789012345678901234567890123456789012345678901234567890",
        ] {
            let n = norm_id(id);
            let want = if n.is_empty() { 0 } else { hash_str(&n) };
            assert_eq!(id_hash(id), want, "{id:?}");
        }
    }

    #[test]
    fn records_share_token_data() {
        let r = LinkRecord {
            first_name: Some("Ana".into()),
            last_name_1: Some("Garcia".into()),
            ..Default::default()
        };
        let (a, b) = (prepare(&r), prepare(&r));
        assert!(std::sync::Arc::ptr_eq(&a.given()[0].d, &b.given()[0].d));
    }
}
