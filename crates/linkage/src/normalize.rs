//! Normalisation for names, dates and identifiers of the migrant population:
//! Unicode folding, Spanish-aware phonetic keys, nickname tables, surname
//! layouts and date parsing.

use std::collections::HashMap;
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// NFKD, strip accents/marks, lowercase, collapse non-alphanumerics to single
/// spaces, trim. Idempotent.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    let mut push = |c: char, out: &mut String| {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            for l in c.to_lowercase() {
                out.push(l);
            }
        } else {
            pending_space = true;
        }
    };
    if s.is_ascii() {
        for c in s.chars() {
            push(c, &mut out);
        }
    } else {
        for c in s.nfkd() {
            if is_combining_mark(c) {
                continue;
            }
            // Lowercasing may produce characters that decompose again (rare); keep
            // only the base characters so that fold(fold(x)) == fold(x).
            if c.is_alphanumeric() {
                for l in c.to_lowercase() {
                    for d in l.to_string().nfkd() {
                        if !is_combining_mark(d) {
                            if d.is_alphanumeric() {
                                if pending_space && !out.is_empty() {
                                    out.push(' ');
                                }
                                pending_space = false;
                                out.push(d);
                            } else {
                                pending_space = true;
                            }
                        }
                    }
                }
            } else {
                pending_space = true;
            }
        }
    }
    out
}

/// Split CamelCase joined words ("HernandezLopez" -> "Hernandez Lopez") before folding.
pub fn split_camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_uppercase() && prev_lower {
            out.push(' ');
        }
        prev_lower = c.is_lowercase();
        out.push(c);
    }
    out
}

/// Particles dropped from surnames and given names ("de la Cruz" -> "cruz").
pub const PARTICLES: &[&str] = &[
    "de", "del", "la", "las", "los", "y", "e", "da", "das", "do", "dos", "di", "van", "von", "der",
    "st", "san",
];

/// Is this folded token a particle?
pub fn is_particle(t: &str) -> bool {
    PARTICLES.contains(&t)
}

/// Fold a name field into tokens (camel-case split, particles removed). If every
/// token is a particle (e.g. a surname "De"), the tokens are kept.
pub fn name_tokens(s: &str) -> Vec<String> {
    let f = fold(&split_camel(s));
    let all: Vec<&str> = f.split(' ').filter(|t| !t.is_empty()).collect();
    let kept: Vec<String> = all
        .iter()
        .filter(|t| !is_particle(t))
        .map(|t| (*t).to_string())
        .collect();
    if kept.is_empty() {
        all.into_iter().map(str::to_string).collect()
    } else {
        kept
    }
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Spanish-aware phonetic key of one folded token (ASCII letters).
fn phonetic_token(t: &str, out: &mut String) {
    let b: Vec<u8> = t.bytes().filter(|c| c.is_ascii_alphabetic()).collect();
    let n = b.len();
    let at = |i: usize| -> u8 { if i < n { b[i] } else { 0 } };
    let mut codes: Vec<u8> = Vec::with_capacity(n);
    let mut i = 0;
    while i < n {
        let c = b[i];
        let nx = at(i + 1);
        let (code, adv): (u8, usize) = match c {
            b'a' | b'e' | b'i' | b'o' | b'u' => (c.to_ascii_uppercase(), 1),
            b'b' | b'v' | b'w' => (b'B', 1),
            b'c' => {
                if nx == b'h' {
                    (b'C', 2)
                } else if nx == b'e' || nx == b'i' || nx == b'y' {
                    (b'S', 1)
                } else if nx == b'k' || nx == b'c' && !matches!(at(i + 2), b'e' | b'i') {
                    (b'K', 2)
                } else {
                    (b'K', 1)
                }
            }
            b'k' => (b'K', 1),
            b'q' => {
                if nx == b'u' {
                    (b'K', 2)
                } else {
                    (b'K', 1)
                }
            }
            b's' => {
                if nx == b'h' {
                    (b'C', 2)
                } else {
                    (b'S', 1)
                }
            }
            b'z' => (b'S', 1),
            b'x' => (b'J', 1),
            b'j' => (b'J', 1),
            b'g' => {
                if nx == b'e' || nx == b'i' {
                    (b'J', 1)
                } else if nx == b'u' && matches!(at(i + 2), b'e' | b'i') {
                    (b'G', 2)
                } else {
                    (b'G', 1)
                }
            }
            b'h' => (0, 1),
            b'l' => {
                if nx == b'l' {
                    (b'Y', 2)
                } else {
                    (b'L', 1)
                }
            }
            b'y' => {
                if is_vowel(nx) {
                    (b'Y', 1)
                } else {
                    (b'I', 1)
                }
            }
            b'p' => {
                if nx == b'h' {
                    (b'F', 2)
                } else {
                    (b'P', 1)
                }
            }
            b't' => {
                if nx == b'h' {
                    (b'T', 2)
                } else if nx == b'z' {
                    (b'S', 2)
                } else {
                    (b'T', 1)
                }
            }
            b'n' => {
                if matches!(nx, b'b' | b'v' | b'p') {
                    (b'M', 1)
                } else {
                    (b'N', 1)
                }
            }
            other => (other.to_ascii_uppercase(), 1),
        };
        if code != 0 && codes.last() != Some(&code) {
            codes.push(code);
        }
        i += adv;
    }
    for c in codes {
        out.push(c as char);
    }
}

/// Spanish-aware phonetic key: b/v, s/z/c(e,i), ll/y, silent h, j/g(e,i)/x,
/// ñ->n, qu/k/c(a,o,u), double letters collapsed. Tokens are kept separated by spaces.
pub fn phonetic_es(s: &str) -> String {
    let f = fold(s);
    let mut out = String::with_capacity(f.len());
    for t in f.split(' ').filter(|t| !t.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        phonetic_token(t, &mut out);
    }
    out
}

/// Phonetic key of a single already-folded token.
pub fn phonetic_folded_token(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    phonetic_token(t, &mut out);
    out
}

/// (nickname or variant, formal name). Folded forms. Spanish and English.
pub const NICKNAMES: &[(&str, &str)] = &[
    ("pepe", "jose"),
    ("pepito", "jose"),
    ("chepe", "jose"),
    ("joe", "jose"),
    ("joseph", "jose"),
    ("chuy", "jesus"),
    ("chucho", "jesus"),
    ("jesse", "jesus"),
    ("lupe", "guadalupe"),
    ("lupita", "guadalupe"),
    ("paco", "francisco"),
    ("pancho", "francisco"),
    ("kiko", "francisco"),
    ("frank", "francisco"),
    ("memo", "guillermo"),
    ("william", "guillermo"),
    ("lalo", "eduardo"),
    ("edward", "eduardo"),
    ("nacho", "ignacio"),
    ("beto", "alberto"),
    ("beto", "roberto"),
    ("tono", "antonio"),
    ("tony", "antonio"),
    ("anthony", "antonio"),
    ("quique", "enrique"),
    ("henry", "enrique"),
    ("rafa", "rafael"),
    ("lola", "dolores"),
    ("lolita", "dolores"),
    ("concha", "concepcion"),
    ("conchita", "concepcion"),
    ("chela", "graciela"),
    ("lencho", "lorenzo"),
    ("chava", "salvador"),
    ("meche", "mercedes"),
    ("bill", "william"),
    ("billy", "william"),
    ("will", "william"),
    ("bob", "robert"),
    ("bobby", "robert"),
    ("rob", "robert"),
    ("mike", "michael"),
    ("mikey", "michael"),
    ("michael", "miguel"),
    ("mike", "miguel"),
    ("tony", "anthony"),
    ("tomas", "thomas"),
    ("tom", "thomas"),
    ("tommy", "thomas"),
    ("jim", "james"),
    ("jimmy", "james"),
    ("santi", "santiago"),
    ("toni", "antonia"),
    ("tona", "antonia"),
    ("juanito", "juan"),
    ("john", "juan"),
    ("johnny", "juan"),
    ("charly", "carlos"),
    ("charlie", "carlos"),
    ("carlitos", "carlos"),
    ("charles", "carlos"),
    ("chuck", "charles"),
    ("manolo", "manuel"),
    ("manny", "manuel"),
    ("meme", "manuel"),
    ("lucho", "luis"),
    ("louis", "luis"),
    ("nando", "fernando"),
    ("fer", "fernando"),
    ("chente", "vicente"),
    ("goyo", "gregorio"),
    ("neto", "ernesto"),
    ("ernie", "ernesto"),
    ("pili", "pilar"),
    ("pancha", "francisca"),
    ("paquita", "francisca"),
    ("chayo", "rosario"),
    ("charo", "rosario"),
    ("rosy", "rosa"),
    ("rosita", "rosa"),
    ("lety", "leticia"),
    ("paty", "patricia"),
    ("patty", "patricia"),
    ("pati", "patricia"),
    ("lulu", "luz"),
    ("mari", "maria"),
    ("mary", "maria"),
    ("maru", "maria"),
    ("isa", "isabel"),
    ("chabela", "isabel"),
    ("elizabeth", "isabel"),
    ("liz", "elizabeth"),
    ("beth", "elizabeth"),
    ("betty", "elizabeth"),
    ("vero", "veronica"),
    ("ale", "alejandro"),
    ("alex", "alejandro"),
    ("jando", "alejandro"),
    ("ale", "alejandra"),
    ("alex", "alejandra"),
    ("dani", "daniel"),
    ("danny", "daniel"),
    ("dany", "daniel"),
    ("gabi", "gabriel"),
    ("gabe", "gabriel"),
    ("gaby", "gabriela"),
    ("gabi", "gabriela"),
    ("ceci", "cecilia"),
    ("moni", "monica"),
    ("adri", "adriana"),
    ("andy", "andres"),
    ("andrew", "andres"),
    ("ricky", "ricardo"),
    ("richard", "ricardo"),
    ("rick", "richard"),
    ("dick", "richard"),
    ("javi", "javier"),
    ("xavier", "javier"),
    ("jorgito", "jorge"),
    ("george", "jorge"),
    ("peter", "pedro"),
    ("pete", "peter"),
    ("pedrito", "pedro"),
    ("steve", "steven"),
    ("steve", "stephen"),
    ("esteban", "stephen"),
    ("sam", "samuel"),
    ("sammy", "samuel"),
    ("dave", "david"),
    ("davy", "david"),
    ("chris", "christopher"),
    ("cristobal", "christopher"),
    ("chris", "cristian"),
    ("matt", "matthew"),
    ("mateo", "matthew"),
    ("nick", "nicholas"),
    ("nico", "nicolas"),
    ("nicholas", "nicolas"),
    ("ben", "benjamin"),
    ("benji", "benjamin"),
    ("kate", "katherine"),
    ("katie", "katherine"),
    ("cathy", "catherine"),
    ("catalina", "catherine"),
    ("sue", "susan"),
    ("susana", "susan"),
    ("jenny", "jennifer"),
    ("jen", "jennifer"),
    ("maggie", "margaret"),
    ("margarita", "margaret"),
    ("peggy", "margaret"),
    ("ann", "anna"),
    ("anita", "ana"),
    ("anna", "ana"),
    ("annie", "ana"),
    ("josefina", "josephine"),
    ("fina", "josefina"),
    ("pepa", "josefa"),
    ("chepa", "josefa"),
    ("juana", "jane"),
    ("juanita", "juana"),
    ("eddie", "eduardo"),
    ("ed", "eduardo"),
    ("al", "alberto"),
    ("bert", "alberto"),
    ("robbie", "roberto"),
    ("robert", "roberto"),
    ("albert", "alberto"),
    ("chalo", "gonzalo"),
    ("rigo", "rigoberto"),
    ("chano", "luciano"),
    ("tacho", "anastasio"),
    ("licha", "alicia"),
    ("lencha", "lorenza"),
    ("cuca", "refugio"),
    ("cuco", "refugio"),
    ("cuquita", "refugio"),
    ("chencho", "crescencio"),
    ("fito", "adolfo"),
    ("poncho", "alfonso"),
    ("chelo", "consuelo"),
    ("tere", "teresa"),
    ("teresita", "teresa"),
    ("terry", "teresa"),
    ("ximena", "jimena"),
    ("yoli", "yolanda"),
    ("fede", "federico"),
    ("fred", "federico"),
    ("pablito", "pablo"),
    ("paul", "pablo"),
    ("ray", "raymundo"),
    ("mundo", "raymundo"),
    ("jaime", "james"),
    ("vicky", "victoria"),
    ("toya", "victoria"),
    ("cristy", "cristina"),
    ("tina", "cristina"),
    ("christina", "cristina"),
    ("jacky", "jacqueline"),
    ("jackie", "jacqueline"),
];

fn nick_map() -> &'static HashMap<&'static str, Vec<&'static str>> {
    static MAP: OnceLock<HashMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut m: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
        for (nick, formal) in NICKNAMES {
            m.entry(nick).or_default().push(formal);
        }
        m
    })
}

/// Canonical forms of a folded given-name token: the token itself plus the
/// formal names it is a nickname/variant of (one level of transitivity, up to
/// four entries).
pub fn nickname_canon(token: &str) -> Vec<&str> {
    let mut out: Vec<&str> = vec![token];
    if let Some(formals) = nick_map().get(token) {
        for f in formals {
            if !out.contains(f) {
                out.push(f);
            }
            if let Some(ff) = nick_map().get(f) {
                for g in ff {
                    if !out.contains(g) {
                        out.push(g);
                    }
                }
            }
        }
    }
    out.truncate(4);
    out
}

/// Compact date: (year, month, day). Month/day are kept as given even if out of range
/// (they may be swapped).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Ymd {
    pub y: u16,
    pub m: u8,
    pub d: u8,
}

impl Ymd {
    /// Eight-digit representation.
    pub fn digits(self) -> [u8; 8] {
        let y = self.y;
        [
            (y / 1000 % 10) as u8,
            (y / 100 % 10) as u8,
            (y / 10 % 10) as u8,
            (y % 10) as u8,
            self.m / 10,
            self.m % 10,
            self.d / 10,
            self.d % 10,
        ]
    }
}

/// Parse "YYYY-MM-DD", "YYYYMMDD", "YYYY/MM/DD", "MM/DD/YYYY". Returns None on garbage.
pub fn parse_date(s: &str) -> Option<Ymd> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let parts: Vec<&str> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .collect();
    let (y, m, d) = if parts.len() == 3 {
        let a: u32 = parts[0].parse().ok()?;
        let b: u32 = parts[1].parse().ok()?;
        let c: u32 = parts[2].parse().ok()?;
        if parts[0].len() == 4 {
            (a, b, c)
        } else if parts[2].len() == 4 {
            (c, a, b)
        } else {
            return None;
        }
    } else if digits.len() == 8 {
        let y: u32 = digits[0..4].parse().ok()?;
        let m: u32 = digits[4..6].parse().ok()?;
        let d: u32 = digits[6..8].parse().ok()?;
        (y, m, d)
    } else {
        return None;
    };
    if !(1000..=9999).contains(&y) || m > 99 || d > 99 || (m == 0 && d == 0) {
        return None;
    }
    Some(Ymd {
        y: y as u16,
        m: m as u8,
        d: d as u8,
    })
}

/// Normalise sex to 1 (M), 2 (F), 3 (X), 0 unknown.
pub fn parse_sex(s: &str) -> u8 {
    match fold(s).as_str() {
        "m" | "male" | "masculino" | "h" | "hombre" | "boy" | "1" => 1,
        "f" | "female" | "femenino" | "mujer" | "girl" | "2" => 2,
        "x" | "nonbinary" | "non binary" | "other" | "n" => 3,
        _ => 0,
    }
}

/// Identifier normalisation: fold and remove spaces; leading zeros stripped.
pub fn norm_id(s: &str) -> String {
    let f: String = fold(s).chars().filter(|c| *c != ' ').collect();
    let t = f.trim_start_matches('0');
    if t.is_empty() { f } else { t.to_string() }
}

/// Jaro-Winkler similarity on bytes (inputs are folded, mostly ASCII).
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    jaro_winkler_bytes(a.as_bytes(), b.as_bytes())
}

/// [`jaro_winkler`] on byte strings.
pub fn jaro_winkler_bytes(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    let (la, lb) = (a.len(), b.len());
    let window = (la.max(lb) / 2).saturating_sub(1);
    let mut a_m = [false; 64];
    let mut b_m = [false; 64];
    if la > 64 || lb > 64 {
        return if a == b { 1.0 } else { 0.0 };
    }
    let mut matches = 0usize;
    for i in 0..la {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(lb);
        for j in lo..hi {
            if !b_m[j] && a[i] == b[j] {
                a_m[i] = true;
                b_m[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut t = 0usize;
    let mut k = 0usize;
    for i in 0..la {
        if a_m[i] {
            while !b_m[k] {
                k += 1;
            }
            if a[i] != b[k] {
                t += 1;
            }
            k += 1;
        }
    }
    let m = matches as f64;
    let jaro = (m / la as f64 + m / lb as f64 + (m - (t / 2) as f64) / m) / 3.0;
    let mut prefix = 0;
    for i in 0..la.min(lb).min(4) {
        if a[i] == b[i] {
            prefix += 1;
        } else {
            break;
        }
    }
    jaro + prefix as f64 * 0.1 * (1.0 - jaro)
}

/// Deterministic 64-bit hash (FNV-1a followed by a mixer).
pub fn hash_str(s: &str) -> u64 {
    hash_bytes(s.as_bytes(), 0)
}

/// [`hash_str`] of the concatenation of `parts`, without building it.
pub fn hash_concat<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in parts {
        for &c in b {
            h ^= u64::from(c);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    mix(h)
}

/// Deterministic 64-bit hash of bytes with a seed (domain separation).
pub fn hash_bytes(b: &[u8], seed: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for &c in b {
        h ^= u64::from(c);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

/// SplitMix64 finaliser.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Combine hashes.
pub fn combine(a: u64, b: u64) -> u64 {
    mix(a ^ b.rotate_left(17).wrapping_add(0x9e37_79b9_7f4a_7c15))
}

/// True when `a` and `b` are within one edit (insert, delete, substitute or
/// adjacent transposition).
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b {
        return true;
    }
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let p = a.iter().zip(b.iter()).take_while(|(x, y)| x == y).count();
    if la == lb {
        // substitution or transposition
        if a[p + 1..] == b[p + 1..] {
            return true;
        }
        return p + 1 < la && a[p] == b[p + 1] && a[p + 1] == b[p] && a[p + 2..] == b[p + 2..];
    }
    let (s, l) = if la < lb { (a, b) } else { (b, a) };
    s[p..] == l[p + 1..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_concat_is_hash_str_of_the_concatenation() {
        assert_eq!(
            hash_concat(["garcia".as_bytes(), "lopez".as_bytes()]),
            hash_str("garcialopez")
        );
        assert_eq!(hash_concat(["".as_bytes()]), hash_str(""));
    }

    #[test]
    fn fold_basic() {
        assert_eq!(fold("  José  María-Núñez "), "jose maria nunez");
        assert_eq!(fold("JOSE"), fold("José"));
    }

    #[test]
    fn phonetic_variants() {
        assert_eq!(phonetic_es("Valdez"), phonetic_es("Baldes"));
        assert_eq!(phonetic_es("Hernandez"), phonetic_es("Ernandes"));
        assert_eq!(phonetic_es("Jimenez"), phonetic_es("Gimenez"));
        assert_eq!(phonetic_es("Ximena"), phonetic_es("Jimena"));
        assert_eq!(phonetic_es("Castillo"), phonetic_es("Castiyo"));
        assert_eq!(phonetic_es("Quintero"), phonetic_es("Kintero"));
        assert_eq!(phonetic_es("Cecilia"), phonetic_es("Sesilia"));
        assert_eq!(phonetic_es("Núñez"), phonetic_es("Nunez"));
        assert_ne!(phonetic_es("Maria"), phonetic_es("Mario"));
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("2012-03-04"),
            Some(Ymd {
                y: 2012,
                m: 3,
                d: 4
            })
        );
        assert_eq!(
            parse_date("20120304"),
            Some(Ymd {
                y: 2012,
                m: 3,
                d: 4
            })
        );
        assert_eq!(
            parse_date("03/04/2012"),
            Some(Ymd {
                y: 2012,
                m: 3,
                d: 4
            })
        );
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn nicknames_count_and_canon() {
        assert!(NICKNAMES.len() >= 60);
        assert!(nickname_canon("pepe").contains(&"jose"));
        assert!(nickname_canon("beto").contains(&"roberto"));
    }

    #[test]
    fn jw() {
        assert!((jaro_winkler("martha", "marhta") - 0.961).abs() < 0.01);
        assert_eq!(jaro_winkler("abc", "abc"), 1.0);
        assert!(within_one_edit("ricardo", "rirardo"));
        assert!(within_one_edit("angel", "agnel"));
        assert!(within_one_edit("angel", "angels"));
        assert!(!within_one_edit("angel", "mario"));
    }
}
