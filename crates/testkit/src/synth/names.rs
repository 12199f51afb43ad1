//! Name tables (loaded from `crates/testkit/data/*.txt`), weighted choice, nicknames, accent
//! stripping and typing errors.

use rand::Rng;

/// A weighted table: cumulative weights, binary-searched.
#[derive(Debug, Clone)]
pub(crate) struct Weighted<T> {
    items: Vec<T>,
    cum: Vec<u32>,
}

impl<T: Copy> Weighted<T> {
    pub(crate) fn new(pairs: impl IntoIterator<Item = (T, u32)>) -> Self {
        let mut items = Vec::new();
        let mut cum = Vec::new();
        let mut total = 0u32;
        for (item, w) in pairs {
            if w == 0 {
                continue;
            }
            total += w;
            items.push(item);
            cum.push(total);
        }
        Self { items, cum }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Draws one item; `None` only when the table is empty.
    pub(crate) fn pick<R: Rng>(&self, rng: &mut R) -> Option<T> {
        let total = *self.cum.last()?;
        let x = rng.random_range(0..total);
        let i = self.cum.partition_point(|&c| c <= x);
        self.items.get(i).copied()
    }
}

/// Parses "name,weight" lines (comments with '#').
fn table(text: &'static str) -> Weighted<&'static str> {
    Weighted::new(text.lines().filter_map(|l| {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            return None;
        }
        let (name, w) = l.rsplit_once(',')?;
        Some((name.trim(), w.trim().parse().ok()?))
    }))
}

/// All name tables.
#[derive(Debug)]
pub(crate) struct Names {
    pub(crate) surnames_hispanic: Weighted<&'static str>,
    pub(crate) surnames_other: Weighted<&'static str>,
    pub(crate) boys: Weighted<&'static str>,
    pub(crate) girls: Weighted<&'static str>,
    pub(crate) fathers: Weighted<&'static str>,
    pub(crate) mothers: Weighted<&'static str>,
    pub(crate) other_male: Weighted<&'static str>,
    pub(crate) other_female: Weighted<&'static str>,
}

impl Names {
    pub(crate) fn load() -> Self {
        let other = include_str!("../../data/given_other.txt");
        let other_of = |sex: &'static str| {
            Weighted::new(other.lines().filter_map(move |l| {
                let l = l.trim();
                if l.is_empty() || l.starts_with('#') {
                    return None;
                }
                let mut parts = l.splitn(3, ',');
                let s = parts.next()?;
                let name = parts.next()?;
                let w: u32 = parts.next()?.trim().parse().ok()?;
                (s == sex).then_some((name.trim(), w))
            }))
        };
        Self {
            surnames_hispanic: table(include_str!("../../data/surnames_hispanic.txt")),
            surnames_other: table(include_str!("../../data/surnames_other.txt")),
            boys: table(include_str!("../../data/given_male.txt")),
            girls: table(include_str!("../../data/given_female.txt")),
            fathers: table(include_str!("../../data/parent_male.txt")),
            mothers: table(include_str!("../../data/parent_female.txt")),
            other_male: other_of("M"),
            other_female: other_of("F"),
        }
    }
}

/// Splits "María del Carmen" into ("María", Some("del Carmen")).
pub(crate) fn split_given(full: &'static str) -> (&'static str, Option<&'static str>) {
    match full.split_once(' ') {
        Some((first, rest)) => (first, Some(rest)),
        None => (full, None),
    }
}

/// Common Spanish (and a few English) hypocorisms.
pub(crate) fn nickname(name: &str) -> Option<&'static str> {
    Some(match name {
        "José" => "Pepe",
        "Jesús" => "Chuy",
        "Francisco" => "Paco",
        "Guadalupe" => "Lupe",
        "Ignacio" => "Nacho",
        "Guillermo" => "Memo",
        "Eduardo" => "Lalo",
        "Roberto" | "Alberto" | "Jesús Alberto" => "Beto",
        "Antonio" => "Toño",
        "Consuelo" => "Chelo",
        "Leticia" => "Lety",
        "Patricia" => "Paty",
        "Alejandro" => "Alex",
        "Alejandra" => "Ale",
        "Rosario" => "Chayo",
        "Socorro" => "Coco",
        "Dolores" => "Lola",
        "Manuel" => "Manny",
        "Rafael" => "Rafa",
        "Gerardo" => "Jerry",
        "Elizabeth" => "Liz",
        "Christopher" => "Chris",
        "Anthony" => "Tony",
        "Michael" => "Mike",
        "William" => "Will",
        "Jonathan" => "Johnny",
        "Daniel" => "Danny",
        "Fernanda" => "Fer",
        "Valentina" => "Vale",
        "Enrique" => "Kike",
        "Salvador" => "Chava",
        "Isabella" => "Isa",
        _ => return None,
    })
}

/// Drops Spanish/French accents: "José Peña" -> "Jose Pena".
pub(crate) fn strip_accents(s: &str) -> String {
    s.chars().map(strip_accent).collect()
}

/// One character without its accent.
pub(crate) fn strip_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ñ' => 'n',
        'ç' => 'c',
        'Á' | 'À' | 'Â' | 'Ä' => 'A',
        'É' | 'È' | 'Ê' | 'Ë' => 'E',
        'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
        'Ó' | 'Ò' | 'Ô' | 'Ö' => 'O',
        'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
        'Ñ' => 'N',
        'Ç' => 'C',
        other => other,
    }
}

/// A likely confusion for a letter (sound-alike or keyboard neighbour), in the same case.
fn confusable(c: char) -> char {
    let lower = c.to_ascii_lowercase();
    let r = match lower {
        's' => 'z',
        'z' => 's',
        'b' => 'v',
        'v' => 'b',
        'y' => 'i',
        'i' => 'y',
        'c' => 's',
        'g' => 'j',
        'j' => 'g',
        'n' => 'm',
        'm' => 'n',
        'e' => 'a',
        'a' => 'e',
        'o' => 'u',
        'u' => 'o',
        'r' => 't',
        't' => 'r',
        'l' => 'k',
        'd' => 't',
        'h' => 'j',
        _ => 'e',
    };
    if c.is_uppercase() {
        r.to_ascii_uppercase()
    } else {
        r
    }
}

/// One typing error: a letter substituted, deleted, doubled, or two adjacent letters transposed.
/// Leaves names of fewer than four characters alone.
pub(crate) fn typo<R: Rng>(rng: &mut R, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n < 4 {
        return s.to_string();
    }
    // never touch the first letter (clerks rarely get it wrong)
    let i = rng.random_range(1..n);
    if !chars[i].is_alphabetic() {
        return s.to_string();
    }
    match rng.random_range(0..4) {
        0 => chars[i] = confusable(chars[i]),
        1 => {
            chars.remove(i);
        }
        2 => {
            if i + 1 < n && chars[i + 1].is_alphabetic() && chars[i] != chars[i + 1] {
                chars.swap(i, i + 1);
            } else {
                chars.remove(i);
            }
        }
        _ => {
            let c = chars[i];
            chars.insert(i, c);
        }
    }
    chars.into_iter().collect()
}

/// ASCII lower-case letters only, for e-mail addresses.
pub(crate) fn ascii_lower(s: &str) -> String {
    strip_accents(s)
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}
