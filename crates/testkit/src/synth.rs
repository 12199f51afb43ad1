//! Synthetic migrant student records with known truth.
//!
//! The generator builds migrant families (two parents, one to five children, some twins and rare
//! triplets, mostly Hispanic with compound given names and double surnames), moves them between
//! winter bases (TX, FL, CA ...) and summer harvest states (MI, WA, OR, NC, ID, NY ...) over one
//! to four school years, and writes every state's submission: one record per child per state
//! (qualifying moves, enrollments, secondary course histories, assessments), with the realistic
//! ways one state's record of a child differs from another's (accents dropped, surnames joined,
//! hyphenated, swapped or missing, nicknames, typing errors, day and month swapped ...).
//!
//! Output is a pure function of [`SynthConfig`]: each family has its own ChaCha8 stream seeded
//! from the master stream, and nothing iterates a hash map.

mod names;
mod places;

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use puente_domain::codes::{
    ActionCode, AlternateIdType, AssessmentInterpretation, AssessmentType, BirthDateVerification,
    ContinuationReason, CourseSection, CourseType, EnrollmentType, GradeLevel, GraduationHse,
    MedAlert, MepProjectType, ReportingMethod, Sex, StudentIdType, TermType,
};
use puente_domain::policy::age_on;
use puente_domain::records::{
    AlternateId, Assessment, Course, Demographics, Enrollment, QualifyingMove,
};
use puente_domain::{CodeSet, Policy, StateCode, StudentRecord};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use names::{Names, Weighted, nickname, split_given, strip_accents, typo};
use places::{NameStyle, Season, StateDir, Terms};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthConfig {
    /// Number of distinct children.
    pub students: usize,
    /// Seed of the master random stream.
    pub seed: u64,
    /// Every generated date is on or before this day.
    pub today: NaiveDate,
    /// Participating states; empty means TX, CA, FL, WA, NC, MI, OR, GA, ID, NY.
    pub states: Vec<StateCode>,
}

impl SynthConfig {
    /// A configuration over the default states.
    pub fn new(students: usize, seed: u64, today: NaiveDate) -> Self {
        Self {
            students,
            seed,
            today,
            states: Vec::new(),
        }
    }
}

/// Known truth about one state record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthRow {
    pub state: StateCode,
    pub state_student_id: String,
    /// The true child (1-based, unique across the data set).
    pub child: u64,
    /// The child's family (1-based).
    pub family: u64,
    /// For a twin or triplet: another child of the same birth.
    pub twin_of: Option<u64>,
}

/// A generated data set.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Every state's submission: the records that state would send (one Vec per state, in
    /// student_record_id order 1..).
    pub by_state: BTreeMap<StateCode, Vec<StudentRecord>>,
    /// Known truth: for each (state, state_student_id), the true child number.
    pub truth: Vec<TruthRow>,
    /// Number of distinct children.
    pub children: usize,
}

impl Dataset {
    /// Every record, state by state.
    pub fn records(&self) -> impl Iterator<Item = &StudentRecord> {
        self.by_state.values().flatten()
    }

    /// Number of records over all states.
    pub fn record_count(&self) -> usize {
        self.by_state.values().map(Vec::len).sum()
    }
}

/// Generates the data set described by `cfg`.
pub fn generate(cfg: &SynthConfig) -> Dataset {
    let mut by_state: BTreeMap<StateCode, Vec<StudentRecord>> = BTreeMap::new();
    let mut truth = Vec::new();
    generate_each(cfg, |rec, row| {
        by_state.entry(rec.reporting_state).or_default().push(rec);
        truth.push(row);
    });
    Dataset {
        by_state,
        truth,
        children: cfg.students,
    }
}

/// Streams the data set described by `cfg` (the same records, in the same order, as
/// [`generate`]) without holding it, for very large runs. Families are generated on all cores;
/// the output does not depend on the number of cores.
pub fn generate_each(cfg: &SynthConfig, mut sink: impl FnMut(StudentRecord, TruthRow)) {
    let ctx = Ctx::new(cfg);
    let mut master = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut ids = IdAssigner::new(&ctx);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let total = cfg.students as u64;
    let mut next_child: u64 = 1;
    let mut family: u64 = 0;
    const BATCH: usize = 2048;
    loop {
        let mut plans = Vec::with_capacity(BATCH);
        while plans.len() < BATCH && next_child <= total {
            family += 1;
            let seed: u64 = master.random();
            let births = plan_births(&mut master, total - next_child + 1);
            let n: u64 = births.iter().map(|&b| u64::from(b)).sum();
            plans.push(FamilyPlan {
                family,
                seed,
                first_child: next_child,
                births,
            });
            next_child += n;
        }
        if plans.is_empty() {
            break;
        }
        let outputs: Vec<Vec<Generated>> = if threads > 1 && plans.len() >= 64 {
            let chunk = plans.len().div_ceil(threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = plans
                    .chunks(chunk)
                    .map(|c| {
                        let ctx = &ctx;
                        s.spawn(move || run_families(ctx, c))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| match h.join() {
                        Ok(v) => v,
                        Err(e) => std::panic::resume_unwind(e),
                    })
                    .collect()
            })
        } else {
            vec![run_families(&ctx, &plans)]
        };
        for out in outputs {
            for g in out {
                let mut rec = g.record;
                let state = rec.reporting_state;
                let ssid = ids.assign(&mut rec);
                sink(
                    rec,
                    TruthRow {
                        state,
                        state_student_id: ssid,
                        child: g.child,
                        family: g.family,
                        twin_of: g.twin_of,
                    },
                );
            }
        }
    }
}

struct FamilyPlan {
    family: u64,
    seed: u64,
    first_child: u64,
    births: Vec<u8>,
}

/// A record before the state gives it its numbers.
struct Generated {
    record: StudentRecord,
    family: u64,
    child: u64,
    twin_of: Option<u64>,
}

fn run_families(ctx: &Ctx, plans: &[FamilyPlan]) -> Vec<Generated> {
    let mut all = Vec::with_capacity(plans.len() * 8);
    let mut out = Vec::new();
    for p in plans {
        let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
        out.clear();
        gen_family(ctx, &mut rng, p.family, p.first_child, &p.births, &mut out);
        all.extend(out.drain(..).map(|(record, child, twin_of)| Generated {
            record,
            family: p.family,
            child,
            twin_of,
        }));
    }
    all
}

// ---------------------------------------------------------------- context

struct Ctx {
    today: NaiveDate,
    policy: Policy,
    names: Names,
    dirs: Vec<StateDir>,
    winter: Weighted<usize>,
    summer: Weighted<usize>,
}

impl Ctx {
    fn new(cfg: &SynthConfig) -> Self {
        let mut states: Vec<StateCode> = if cfg.states.is_empty() {
            places::DEFAULT_STATES.to_vec()
        } else {
            cfg.states.clone()
        };
        states.sort();
        states.dedup();
        let dirs: Vec<StateDir> = states.iter().map(|&s| StateDir::build(s)).collect();
        let by_season = |keep: fn(Season) -> bool| {
            let w = Weighted::new(
                dirs.iter()
                    .enumerate()
                    .filter(|(_, d)| keep(d.info.season))
                    .map(|(i, d)| (i, d.info.weight)),
            );
            if w.is_empty() {
                Weighted::new(dirs.iter().enumerate().map(|(i, d)| (i, d.info.weight)))
            } else {
                w
            }
        };
        Self {
            today: cfg.today,
            policy: Policy::default(),
            names: Names::load(),
            winter: by_season(|s| matches!(s, Season::Winter | Season::Both)),
            summer: by_season(|s| matches!(s, Season::Summer | Season::Both)),
            dirs,
        }
    }
}

/// Gives each record its per-state record number and state student ID.
struct IdAssigner {
    next: Vec<(StateCode, u32)>,
}

impl IdAssigner {
    fn new(ctx: &Ctx) -> Self {
        Self {
            next: ctx.dirs.iter().map(|d| (d.info.code, 0)).collect(),
        }
    }

    fn assign(&mut self, rec: &mut StudentRecord) -> String {
        let state = rec.reporting_state;
        let info = places::state_info(state);
        let slot = match self.next.iter_mut().find(|(s, _)| *s == state) {
            Some((_, n)) => n,
            None => {
                self.next.push((state, 0));
                let last = self.next.len() - 1;
                &mut self.next[last].1
            }
        };
        *slot += 1;
        let n = u64::from(*slot);
        rec.student_record_id = *slot;
        // A bijective scramble of the sequence number, so IDs look random but never repeat.
        let rest_digits = info.ids.digits - 1;
        let modulus = 10u64.pow(rest_digits);
        let scrambled = (n
            .wrapping_mul(1_000_003)
            .wrapping_add(u64::from(info.fips) * 7_919))
            % if info.ids.lead == 0 {
                9 * modulus
            } else {
                modulus
            };
        let numeric = if info.ids.lead == 0 {
            modulus + scrambled
        } else {
            u64::from(info.ids.lead) * modulus + scrambled
        };
        let id = format!(
            "{}{:0width$}",
            info.ids.prefix,
            numeric,
            width = info.ids.digits as usize
        );
        rec.state_student_id = id.clone();
        rec.state_student_id_type = if info.ids.mep_assigned {
            StudentIdType::MepAssigned
        } else {
            StudentIdType::StateAssigned
        };
        id
    }
}

// ---------------------------------------------------------------- families

/// Birth events of one family: 1 = single, 2 = twins, 3 = triplets. At most `remaining`
/// children in all.
fn plan_births(rng: &mut ChaCha8Rng, remaining: u64) -> Vec<u8> {
    let n = match rng.random_range(0..100) {
        0..20 => 1,
        20..50 => 2,
        50..77 => 3,
        77..92 => 4,
        _ => 5,
    };
    let mut births = Vec::with_capacity(n);
    let mut left = remaining;
    for _ in 0..n {
        if left == 0 {
            break;
        }
        let r = rng.random_range(0..10_000);
        let mut k: u8 = if r < 6 {
            3
        } else if r < 140 {
            2
        } else {
            1
        };
        if u64::from(k) > left {
            k = left as u8;
        }
        left -= u64::from(k);
        births.push(k);
    }
    births
}

#[derive(Debug, Clone, Copy)]
struct Person {
    first: &'static str,
    middle: Option<&'static str>,
    s1: &'static str,
    s2: Option<&'static str>,
}

#[derive(Debug, Clone, Copy)]
struct Place {
    city: &'static str,
    state: &'static str,
    country: &'static str,
}

#[derive(Debug, Clone, Copy)]
struct Stay {
    dir: usize,
    town: usize,
    arrive: NaiveDate,
    /// None while the family is still there.
    depart: Option<NaiveDate>,
}

struct Family {
    hispanic: bool,
    father: Option<Person>,
    mother: Person,
    phone: Option<String>,
    email: Option<String>,
    origin: Place,
    foreign_origin: bool,
    stays: Vec<Stay>,
}

#[derive(Debug, Clone)]
struct Kid {
    number: u64,
    twin_of: Option<u64>,
    sex: Sex,
    name: Person,
    birth: NaiveDate,
    multiple: bool,
    birth_city: Option<&'static str>,
    birth_state: Option<&'static str>,
    birth_country: &'static str,
    verification: BirthDateVerification,
    retained: bool,
    dropout_age: Option<i32>,
    lep: bool,
    idea: bool,
    med: MedAlert,
    ability: f64,
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d.clamp(1, 28)).unwrap_or_default()
}

fn add_days(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(Days::new(n)).unwrap_or(d)
}

fn sub_days(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_sub_days(Days::new(n)).unwrap_or(d)
}

/// Start year of the school year containing `d` (school years start 1 August).
fn school_year(d: NaiveDate) -> i32 {
    if d.month() >= 8 {
        d.year()
    } else {
        d.year() - 1
    }
}

fn pick_person(
    rng: &mut ChaCha8Rng,
    given: &Weighted<&'static str>,
    surnames: &Weighted<&'static str>,
    double: bool,
) -> Person {
    let (first, middle) = split_given(given.pick(rng).unwrap_or("Juan"));
    let s1 = surnames.pick(rng).unwrap_or("García");
    let s2 = if double {
        let mut s = surnames.pick(rng).unwrap_or("López");
        if s == s1 {
            s = surnames.pick(rng).unwrap_or("López");
        }
        Some(s)
    } else {
        None
    };
    Person {
        first,
        middle,
        s1,
        s2,
    }
}

/// Builds one family, its itinerary and its children's records. Returns the number of children.
fn gen_family(
    ctx: &Ctx,
    rng: &mut ChaCha8Rng,
    family_no: u64,
    first_child: u64,
    births: &[u8],
    out: &mut Vec<(StudentRecord, u64, Option<u64>)>,
) -> u64 {
    let _ = family_no;
    let n = &ctx.names;
    let hispanic = rng.random_bool(0.88);
    let (father, mother) = if hispanic {
        let f = pick_person(rng, &n.fathers, &n.surnames_hispanic, true);
        let m = pick_person(rng, &n.mothers, &n.surnames_hispanic, true);
        (f, m)
    } else {
        let f = pick_person(rng, &n.other_male, &n.surnames_other, false);
        let mut m = pick_person(rng, &n.other_female, &n.surnames_other, false);
        m.s1 = f.s1;
        (f, m)
    };
    let father = (!rng.random_bool(0.08)).then_some(father);
    let stays = itinerary(ctx, rng);
    let base = stays.first().map(|s| s.dir).unwrap_or(0);
    let area = {
        let a = ctx.dirs[base].info.area;
        a[rng.random_range(0..a.len())]
    };
    let phone = rng.random_bool(0.7).then(|| {
        format!(
            "{area}{}{:04}",
            rng.random_range(200..999),
            rng.random_range(0..10_000)
        )
    });
    let email = rng.random_bool(0.2).then(|| {
        let p = father.unwrap_or(mother);
        let domain =
            ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"][rng.random_range(0..4)];
        format!(
            "{}{}{}@{domain}",
            names::ascii_lower(p.first),
            names::ascii_lower(p.s1),
            rng.random_range(10..99)
        )
    });
    let r = rng.random_range(0..100);
    let (origin, foreign_origin) = if hispanic && r < 38 {
        let (c, s) = places::MX_TOWNS[rng.random_range(0..places::MX_TOWNS.len())];
        (
            Place {
                city: c,
                state: s,
                country: "MX",
            },
            true,
        )
    } else if hispanic && r < 44 {
        let (c, s) = places::GT_TOWNS[rng.random_range(0..places::GT_TOWNS.len())];
        (
            Place {
                city: c,
                state: s,
                country: "GT",
            },
            true,
        )
    } else if r < 70 {
        let (c, s) = places::US_OTHER_TOWNS[rng.random_range(0..places::US_OTHER_TOWNS.len())];
        (
            Place {
                city: c,
                state: s,
                country: "US",
            },
            false,
        )
    } else {
        let d = &ctx.dirs[base];
        let t = d.info.towns[rng.random_range(0..d.info.towns.len())];
        (
            Place {
                city: t,
                state: d.info.code.code(),
                country: "US",
            },
            false,
        )
    };
    let fam = Family {
        hispanic,
        father,
        mother,
        phone,
        email,
        origin,
        foreign_origin,
        stays,
    };

    // Children: ages from the youngest up, one to three years apart.
    let gaps: Vec<i32> = (1..births.len()).map(|_| rng.random_range(1..=3)).collect();
    let span: i32 = gaps.iter().sum();
    let youngest = rng.random_range(3..=(17 - span).max(3));
    let mut ages = Vec::with_capacity(births.len());
    let mut a = youngest;
    ages.push(a);
    for g in &gaps {
        a = (a + g).min(21);
        ages.push(a);
    }
    ages.reverse(); // eldest first

    let mut kids: Vec<Kid> = Vec::new();
    let mut number = first_child;
    let mut used_first: Vec<&'static str> = Vec::new();
    for (bi, &k) in births.iter().enumerate() {
        let age = ages[bi];
        let birth = sub_days(
            ymd(
                ctx.today.year() - age,
                ctx.today.month(),
                ctx.today.day().min(28),
            ),
            rng.random_range(1..365),
        );
        let first_of_birth = number;
        let identical = k > 1 && rng.random_bool(0.35);
        let shared_sex = if rng.random_bool(0.5) {
            Sex::Female
        } else {
            Sex::Male
        };
        for j in 0..k {
            let sex = if identical {
                shared_sex
            } else if rng.random_bool(0.5) {
                Sex::Female
            } else {
                Sex::Male
            };
            let table = match (hispanic, sex) {
                (true, Sex::Female) => &n.girls,
                (true, _) => &n.boys,
                (false, Sex::Female) => &n.other_female,
                (false, _) => &n.other_male,
            };
            let mut full = table.pick(rng).unwrap_or("Juan");
            for _ in 0..8 {
                if !used_first.contains(&split_given(full).0) {
                    break;
                }
                full = table.pick(rng).unwrap_or("Juan");
            }
            let (first, middle) = split_given(full);
            used_first.push(first);
            let name = match (hispanic, father) {
                (true, Some(f)) => Person {
                    first,
                    middle,
                    s1: f.s1,
                    s2: Some(mother.s1),
                },
                (true, None) => Person {
                    first,
                    middle,
                    s1: mother.s1,
                    s2: mother.s2,
                },
                (false, _) => Person {
                    first,
                    middle,
                    s1: mother.s1,
                    s2: None,
                },
            };
            let abroad = fam.foreign_origin && rng.random_bool(if age >= 10 { 0.7 } else { 0.3 });
            let (birth_city, birth_state, birth_country) = if abroad {
                (Some(fam.origin.city), None, fam.origin.country)
            } else {
                let d = &ctx.dirs[base];
                let t = d.info.towns[rng.random_range(0..d.info.towns.len())];
                (Some(t), Some(d.info.code.code()), "US")
            };
            let verification = match rng.random_range(0..100) {
                0..70 => BirthDateVerification::BirthCertificate,
                70..78 => BirthDateVerification::HospitalCertificate,
                78..86 => BirthDateVerification::BaptismalRecord,
                86..92 => BirthDateVerification::ParentAffidavit,
                92..96 => BirthDateVerification::Passport,
                _ => BirthDateVerification::PreviousSchool,
            };
            kids.push(Kid {
                number,
                twin_of: (k > 1).then(|| {
                    if j == 0 {
                        first_of_birth + 1
                    } else {
                        first_of_birth
                    }
                }),
                sex,
                name,
                birth,
                multiple: k > 1,
                birth_city,
                birth_state,
                birth_country,
                verification,
                retained: rng.random_bool(0.12),
                dropout_age: rng.random_bool(0.12).then(|| rng.random_range(16..=17)),
                lep: rng.random_bool(if hispanic { 0.55 } else { 0.12 }),
                idea: rng.random_bool(0.08),
                med: match rng.random_range(0..100) {
                    0..3 => MedAlert::Chronic,
                    3..4 => MedAlert::Acute,
                    _ => MedAlert::NoAlert,
                },
                ability: rng.random_range(0.15..1.0),
            });
            number += 1;
        }
    }
    for kid in &kids {
        kid_records(ctx, rng, &fam, kid, out);
    }
    number - first_child
}

/// The family's moves: winter base and summer harvest states over one to four school years.
fn itinerary(ctx: &Ctx, rng: &mut ChaCha8Rng) -> Vec<Stay> {
    let today = ctx.today;
    let years: i32 = match rng.random_range(0..100) {
        0..25 => 1,
        25..55 => 2,
        55..80 => 3,
        _ => 4,
    };
    let mut k: usize = match rng.random_range(0..100) {
        0..24 => 1,
        24..52 => 2,
        52..74 => 3,
        74..88 => 4,
        88..96 => 5,
        _ => 6,
    };
    k = k.min(ctx.dirs.len()).min(1 + 2 * years as usize);
    let base = ctx.winter.pick(rng).unwrap_or(0);
    let mut others: Vec<usize> = Vec::new();
    let mut tries = 0;
    while others.len() + 1 < k && tries < 40 {
        tries += 1;
        let s = if tries > 20 {
            rng.random_range(0..ctx.dirs.len())
        } else {
            ctx.summer.pick(rng).unwrap_or(0)
        };
        if s != base && !others.contains(&s) {
            others.push(s);
        }
    }
    let towns_of = |dir: usize| ctx.dirs[dir].towns.len().max(1);
    let home_town = rng.random_range(0..towns_of(base));
    let mut summer_towns: Vec<(usize, usize)> = Vec::new();
    let mut town_for = |rng: &mut ChaCha8Rng, dir: usize| -> usize {
        if let Some(&(_, t)) = summer_towns.iter().find(|(d, _)| *d == dir) {
            return t;
        }
        let mut t = rng.random_range(0..towns_of(dir));
        if dir == base && t == home_town && towns_of(dir) > 1 {
            t = (t + 1) % towns_of(dir);
        }
        summer_towns.push((dir, t));
        t
    };

    let first_fall = school_year(today) - years;
    let mut stays: Vec<Stay> = Vec::new();
    let mut unvisited = others.clone();
    let mut last_summer: Vec<usize> = Vec::new();
    let skip_first_winter = rng.random_bool(0.3);
    let mut prev_depart: Option<NaiveDate> = None;
    let push = |stays: &mut Vec<Stay>, prev: &mut Option<NaiveDate>, mut s: Stay| {
        if let Some(p) = *prev
            && s.arrive <= p
        {
            s.arrive = add_days(p, 3);
        }
        if let Some(d) = s.depart
            && d <= add_days(s.arrive, 21)
        {
            s.depart = Some(add_days(s.arrive, 30));
        }
        *prev = s.depart;
        stays.push(s);
    };
    for y in 0..=years {
        let fall = first_fall + y;
        if !(y == 0 && skip_first_winter) {
            let mut town = home_town;
            if rng.random_bool(0.1) {
                town = rng.random_range(0..towns_of(base));
            }
            let arrive = ymd(fall, rng.random_range(10..=11), rng.random_range(1..=28));
            let depart = ymd(fall + 1, rng.random_range(4..=5), rng.random_range(1..=28));
            push(
                &mut stays,
                &mut prev_depart,
                Stay {
                    dir: base,
                    town,
                    arrive,
                    depart: Some(depart),
                },
            );
        }
        // summer: one or two harvest places
        let slots = if unvisited.len() >= 2 || (others.len() >= 2 && rng.random_bool(0.3)) {
            2
        } else {
            1
        };
        let mut this_summer = Vec::new();
        for slot in 0..slots {
            let dir = if !unvisited.is_empty() {
                unvisited.remove(0)
            } else if others.is_empty() {
                base
            } else if slot < last_summer.len() && rng.random_bool(0.7) {
                last_summer[slot]
            } else {
                others[rng.random_range(0..others.len())]
            };
            this_summer.push(dir);
        }
        let n_slots = this_summer.len() as u32;
        for (i, &dir) in this_summer.iter().enumerate() {
            let town = town_for(rng, dir);
            let (arrive, depart) = if n_slots == 1 {
                (
                    ymd(fall + 1, rng.random_range(4..=6), rng.random_range(1..=28)),
                    ymd(fall + 1, rng.random_range(8..=10), rng.random_range(1..=28)),
                )
            } else if i == 0 {
                (
                    ymd(fall + 1, rng.random_range(4..=5), rng.random_range(1..=28)),
                    ymd(fall + 1, 7, rng.random_range(1..=20)),
                )
            } else {
                (
                    ymd(fall + 1, 7, rng.random_range(21..=28)),
                    ymd(fall + 1, rng.random_range(9..=10), rng.random_range(1..=28)),
                )
            };
            push(
                &mut stays,
                &mut prev_depart,
                Stay {
                    dir,
                    town,
                    arrive,
                    depart: Some(depart),
                },
            );
        }
        last_summer = this_summer;
    }
    stays.retain(|s| s.arrive <= today);
    for s in &mut stays {
        if s.depart.is_some_and(|d| d >= today) {
            s.depart = None;
        }
    }
    stays
}

// ---------------------------------------------------------------- records

/// One segment of a stay: a span of school, summer project or residency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg {
    School,
    Summer,
}

/// School calendar of a state for the school year starting in `sy`.
struct Calendar {
    start: NaiveDate,
    fall_end: NaiveDate,
    spring_start: NaiveDate,
    end: NaiveDate,
    summer_start: NaiveDate,
    summer_end: NaiveDate,
}

fn calendar(info: &places::StateInfo, sy: i32) -> Calendar {
    let south = matches!(
        info.code,
        StateCode::TX | StateCode::FL | StateCode::GA | StateCode::AZ | StateCode::NC
    );
    if south {
        Calendar {
            start: ymd(sy, 8, 14),
            fall_end: ymd(sy, 12, 19),
            spring_start: ymd(sy + 1, 1, 6),
            end: ymd(sy + 1, 5, 28),
            summer_start: ymd(sy + 1, 6, 9),
            summer_end: ymd(sy + 1, 7, 25),
        }
    } else {
        Calendar {
            start: ymd(sy, 9, 2),
            fall_end: ymd(sy, 12, 20),
            spring_start: ymd(sy + 1, 1, 7),
            end: ymd(sy + 1, 6, 12),
            summer_start: ymd(sy + 1, 6, 23),
            summer_end: ymd(sy + 1, 8, 8),
        }
    }
}

fn grade_on(kid: &Kid, d: NaiveDate) -> GradeLevel {
    use GradeLevel::*;
    let sy = school_year(d);
    let age_sep = age_on(kid.birth, ymd(sy, 9, 1)).max(0);
    let age_now = age_on(kid.birth, d);
    if kid.dropout_age.is_some_and(|a| age_now >= a) {
        return OS;
    }
    let mut g = age_sep - 5;
    if kid.retained && g >= 2 {
        g -= 1;
    }
    match g {
        ..=-3 => match age_now {
            ..=0 => P0,
            1 => P1,
            _ => P2,
        },
        -2 => P3,
        -1 => P4,
        0 => KG,
        1 => G01,
        2 => G02,
        3 => G03,
        4 => G04,
        5 => G05,
        6 => G06,
        7 => G07,
        8 => G08,
        9 => G09,
        10 => G10,
        11 => G11,
        12 => G12,
        _ => OS,
    }
}

fn grade_number(g: GradeLevel) -> i32 {
    g.number().map(i32::from).unwrap_or(match g {
        GradeLevel::KG => 0,
        GradeLevel::OS | GradeLevel::UG => 99,
        _ => -1,
    })
}

fn weekdays(from: NaiveDate, to: NaiveDate) -> u32 {
    if to <= from {
        return 0;
    }
    let days = (to - from).num_days() as u32;
    let mut n = days / 7 * 5;
    let mut d = add_days(from, u64::from(days / 7 * 7));
    while d < to {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            n += 1;
        }
        d = add_days(d, 1);
    }
    n
}

struct RecordBuilder<'a> {
    ctx: &'a Ctx,
    fam: &'a Family,
    kid: &'a Kid,
    dir: &'a StateDir,
    moves: Vec<QualifyingMove>,
    enrollments: Vec<Enrollment>,
    courses: Vec<Course>,
    assessments: Vec<Assessment>,
    secondary: bool,
}

fn kid_records(
    ctx: &Ctx,
    rng: &mut ChaCha8Rng,
    fam: &Family,
    kid: &Kid,
    out: &mut Vec<(StudentRecord, u64, Option<u64>)>,
) {
    // The child's stays (from the day after birth), grouped by state in order of first visit.
    let mut groups: Vec<(usize, Vec<(usize, NaiveDate)>)> = Vec::new();
    let born = add_days(kid.birth, 1);
    for (i, s) in fam.stays.iter().enumerate() {
        let qad = s.arrive.max(born);
        if qad > ctx.today {
            continue;
        }
        if let Some(d) = s.depart
            && d <= add_days(qad, 14)
        {
            continue;
        }
        if age_on(kid.birth, qad) >= 22 {
            continue;
        }
        match groups.iter_mut().find(|(d, _)| *d == s.dir) {
            Some((_, v)) => v.push((i, qad)),
            None => groups.push((s.dir, vec![(i, qad)])),
        }
    }
    if groups.is_empty() {
        // Born after the family's last move: the last place, from the day after birth.
        if let Some((i, s)) = fam.stays.iter().enumerate().next_back() {
            groups.push((s.dir, vec![(i, born.min(ctx.today))]));
        }
    }
    // A realistic duplicate: after a gap the state enrols the child again under a new ID.
    let mut split: Vec<(usize, Vec<(usize, NaiveDate)>)> = Vec::new();
    for (dir, stays) in groups {
        if stays.len() >= 2 && rng.random_bool(0.03) {
            let mut first = stays;
            let last = first.split_off(first.len() - 1);
            split.push((dir, first));
            split.push((dir, last));
        } else {
            split.push((dir, stays));
        }
    }
    let mut prev_state: Option<usize> = None;
    for (ri, (dir, stays)) in split.iter().enumerate() {
        let mut b = RecordBuilder {
            ctx,
            fam,
            kid,
            dir: &ctx.dirs[*dir],
            moves: Vec::new(),
            enrollments: Vec::new(),
            courses: Vec::new(),
            assessments: Vec::new(),
            secondary: false,
        };
        for &(si, qad) in stays {
            let from = if si == 0 {
                fam.origin
            } else {
                let p = &fam.stays[si - 1];
                let d = &ctx.dirs[p.dir];
                Place {
                    city: d.info.towns.get(p.town).copied().unwrap_or("Unknown"),
                    state: d.info.code.code(),
                    country: "US",
                }
            };
            let out_of_state = prev_state.is_some_and(|p| p != *dir) || from.country != "US";
            b.stay(rng, &fam.stays[si], qad, from, out_of_state);
        }
        prev_state = Some(*dir);
        let rec = b.finish(rng, ri == 0);
        out.push((rec, kid.number, kid.twin_of));
    }
}

impl RecordBuilder<'_> {
    fn stay(
        &mut self,
        rng: &mut ChaCha8Rng,
        stay: &Stay,
        qad: NaiveDate,
        from: Place,
        out_of_state: bool,
    ) {
        let today = self.ctx.today;
        let info = &self.dir.info;
        let town = &self.dir.towns[stay.town.min(self.dir.towns.len().saturating_sub(1))];
        self.moves.push(QualifyingMove {
            qualifying_arrival_date: qad,
            from_city: rng.random_bool(0.93).then(|| from.city.to_string()),
            from_state: (!from.state.is_empty() && rng.random_bool(0.9))
                .then(|| strip_accents(from.state)),
            from_country: Some(from.country.to_string()),
            to_city: Some(town.name.to_string()),
            to_state: Some(info.code),
            eligibility_expiration_date: self
                .ctx
                .policy
                .default_eligibility_expiration(qad, Some(self.kid.birth))
                .unwrap_or(qad),
            expiration_defaulted: true,
        });
        let stay_end = stay.depart.unwrap_or(today);
        let mut t = add_days(qad, rng.random_range(1..5));
        let summer_project = rng.random_bool(0.75);
        let before = self.enrollments.len();
        let mut guard = 0;
        while t < stay_end && guard < 12 {
            guard += 1;
            let sy = school_year(t);
            let cal = calendar(info, sy);
            if t < cal.start {
                // summer before this school year: jump to the start of school
                t = add_days(cal.start, rng.random_range(0..4));
                continue;
            }
            if t <= cal.end {
                let end = stay_end.min(cal.end);
                let withdrawn = stay.depart.is_some() || stay_end > cal.end;
                self.segment(
                    rng,
                    Seg::School,
                    t,
                    withdrawn.then_some(end),
                    &cal,
                    sy,
                    qad,
                    town,
                    out_of_state,
                );
                t = add_days(cal.end, 1);
            } else {
                let ps = t.max(cal.summer_start);
                let pe = stay_end.min(cal.summer_end);
                if summer_project && pe > add_days(ps, 10) {
                    let s = add_days(ps, rng.random_range(0..3));
                    let withdrawn = stay.depart.is_some() || stay_end > cal.summer_end;
                    self.segment(
                        rng,
                        Seg::Summer,
                        s,
                        withdrawn.then_some(pe),
                        &cal,
                        sy,
                        qad,
                        town,
                        out_of_state,
                    );
                }
                t = calendar(info, sy + 1).start;
            }
        }
        if self.enrollments.len() == before {
            // Nothing in session (short stay between terms): residency only.
            let start = add_days(qad, 1).min(today);
            let g = grade_on(self.kid, start);
            let mut e = self.blank_enrollment(start, EnrollmentType::ResidencyOnly, g, qad, town);
            e.withdrawal_date = stay.depart.filter(|d| *d >= start);
            self.enrollments.push(e);
        }
    }

    fn blank_enrollment(
        &self,
        start: NaiveDate,
        kind: EnrollmentType,
        grade: GradeLevel,
        qad: NaiveDate,
        town: &places::Town,
    ) -> Enrollment {
        Enrollment {
            enrollment_date: start,
            enrollment_type: Some(kind),
            school_or_project_name: None,
            mep_project_type: None,
            school_id: None,
            facility_name: None,
            facility_address_1: None,
            facility_address_2: None,
            facility_address_3: None,
            facility_city: Some(town.name.to_string()),
            district_id: Some(town.district_id.clone()),
            district_name: Some(town.district_name.clone()),
            facility_state: Some(self.dir.info.code),
            facility_zip: None,
            telephone: None,
            grade_level: Some(grade),
            lep: Some(self.kid.lep),
            idea: Some(self.kid.idea),
            med_alert: Some(self.kid.med),
            pfs: None,
            immunization_record: None,
            withdrawal_date: None,
            district_of_residence: (!sends_addresses(self.dir.info.code))
                .then(|| town.district_id.clone()),
            residency_date: Some(qad),
            residency_verification_date: None,
            designated_graduation_school: None,
            graduation_hse: None,
            graduation_hse_date: None,
            out_of_state_transcript: None,
            continuation_reason: None,
            algebra1: None,
            comment: None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn segment(
        &mut self,
        rng: &mut ChaCha8Rng,
        seg: Seg,
        start: NaiveDate,
        end: Option<NaiveDate>,
        cal: &Calendar,
        sy: i32,
        qad: NaiveDate,
        town: &places::Town,
        out_of_state: bool,
    ) {
        let today = self.ctx.today;
        if start > today {
            return;
        }
        let end = end.filter(|e| *e <= today).map(|e| e.max(start));
        let grade = grade_on(self.kid, start);
        let gn = grade_number(grade);
        let age = age_on(self.kid.birth, start);
        let (kind, project) = match (seg, gn) {
            (_, ..=-1) if age < 3 => (EnrollmentType::ResidencyOnly, None),
            (Seg::School, ..=-1) => (
                EnrollmentType::MepYearRound,
                Some(MepProjectType::YearRound),
            ),
            (Seg::School, 0..=12) => (EnrollmentType::BasicSchool, None),
            (Seg::School, _) => {
                if rng.random_bool(0.5) {
                    (
                        EnrollmentType::MepYearRound,
                        Some(MepProjectType::YearRound),
                    )
                } else {
                    (EnrollmentType::ResidencyOnly, None)
                }
            }
            (Seg::Summer, _) => (
                EnrollmentType::MepSummer,
                Some(MepProjectType::SummerIntersession),
            ),
        };
        let mut e = self.blank_enrollment(start, kind, grade, qad, town);
        e.withdrawal_date = end;
        e.mep_project_type = project;
        e.pfs = Some(rng.random_bool(0.25));
        e.immunization_record = Some(rng.random_bool(0.88));
        e.med_alert = Some(self.kid.med);
        if e.residency_date.is_some_and(|r| r < start) && rng.random_bool(0.2) {
            e.residency_date = Some(add_days(qad, 1).min(start));
        }
        if rng.random_bool(0.6) {
            let v = add_days(e.residency_date.unwrap_or(qad), rng.random_range(0..30));
            e.residency_verification_date = Some(v.min(today).max(e.residency_date.unwrap_or(qad)));
        }
        let school = match gn {
            ..=5 => &town.elementary[(self.kid.number % 2) as usize],
            6..=8 => &town.middle,
            _ => &town.high,
        };
        match kind {
            EnrollmentType::BasicSchool => {
                e.school_or_project_name = Some(school.name.clone());
                e.school_id = Some(school.nces_id.clone());
                if sends_addresses(self.dir.info.code) {
                    e.facility_address_1 = Some(school.address.clone());
                    e.facility_zip = Some(town.zip.clone());
                    e.telephone = Some(school.phone.clone());
                }
            }
            EnrollmentType::MepSummer => {
                e.school_or_project_name = Some(format!("{} Migrant Summer School", town.name));
                e.facility_name = Some(town.elementary[0].name.clone());
                if rng.random_bool(0.5) {
                    e.school_id = Some(town.elementary[0].nces_id.clone());
                }
                e.facility_address_1 = Some(town.elementary[0].address.clone());
                e.facility_zip = Some(town.zip.clone());
            }
            EnrollmentType::MepYearRound => {
                let name = if gn < 0 {
                    format!("{} Migrant Preschool", town.name)
                } else {
                    format!("{} Out-of-School Youth Program", town.name)
                };
                e.school_or_project_name = Some(name);
                e.facility_name = Some(format!("{} Migrant Education Office", town.district_name));
            }
            _ => {}
        }
        // secondary-only elements
        let secondary = (7..=12).contains(&gn) || (gn == 99 && age >= 14);
        if secondary {
            self.secondary = true;
            if kind == EnrollmentType::BasicSchool {
                e.algebra1 =
                    Some(gn >= 9 && rng.random_bool(0.75) || gn == 8 && rng.random_bool(0.2));
                e.out_of_state_transcript = Some(out_of_state && rng.random_bool(0.7));
                if gn >= 9 && school.name.chars().count() <= 30 {
                    e.designated_graduation_school = Some(school.name.clone());
                }
                if gn == 12
                    && let Some(w) = end
                    && w >= cal.end
                    && rng.random_bool(0.6)
                {
                    e.graduation_hse = Some(GraduationHse::Graduation);
                    e.graduation_hse_date = Some(w);
                }
            }
            // Eligibility ran out, but a secondary student keeps accruing credits.
            let expires = self
                .ctx
                .policy
                .default_eligibility_expiration(qad, Some(self.kid.birth));
            if expires.is_some_and(|x| start > x) {
                e.continuation_reason = Some(ContinuationReason::SecondaryCreditAccrual);
            }
        }
        if rng.random_bool(0.02) {
            e.comment = Some(format!(
                "Family followed the harvest to {}.",
                self.dir.info.code.label()
            ));
        }
        self.enrollments.push(e);
        let e_start = start;
        let e_end = end;
        if kind == EnrollmentType::BasicSchool && (8..=12).contains(&gn) && age >= 12 {
            self.school_courses(rng, gn, e_start, e_end, cal, sy);
        }
        if kind == EnrollmentType::MepSummer && (9..=12).contains(&gn) && rng.random_bool(0.4) {
            self.summer_course(rng, gn, e_start, e_end, sy);
        }
        if kind == EnrollmentType::BasicSchool && gn >= 3 {
            self.school_assessments(rng, gn, e_start, e_end, sy);
        }
    }

    fn score(&self, rng: &mut ChaCha8Rng) -> i32 {
        let s = 55.0 + self.kid.ability * 40.0 + rng.random_range(-8.0..8.0);
        (s.round() as i32).clamp(40, 100)
    }

    fn grade_text(&self, score: i32) -> String {
        if self.dir.info.letter_grades {
            match score {
                93.. => "A",
                90..93 => "A-",
                87..90 => "B+",
                83..87 => "B",
                80..83 => "B-",
                77..80 => "C+",
                73..77 => "C",
                70..73 => "C-",
                65..70 => "D",
                _ => "F",
            }
            .to_string()
        } else {
            score.to_string()
        }
    }

    fn school_courses(
        &mut self,
        rng: &mut ChaCha8Rng,
        grade: i32,
        start: NaiveDate,
        end: Option<NaiveDate>,
        cal: &Calendar,
        sy: i32,
    ) {
        let today = self.ctx.today;
        let terms: Vec<(NaiveDate, NaiveDate, TermType, Option<CourseSection>, u16)> =
            match self.dir.info.terms {
                Terms::Semester => vec![
                    (
                        cal.start,
                        cal.fall_end,
                        TermType::Semester,
                        Some(CourseSection::FirstHalf),
                        50,
                    ),
                    (
                        cal.spring_start,
                        cal.end,
                        TermType::Semester,
                        Some(CourseSection::SecondHalf),
                        50,
                    ),
                ],
                Terms::Trimester => {
                    let t1 = ymd(sy, 11, 26);
                    let t2 = ymd(sy + 1, 3, 6);
                    vec![
                        (cal.start, t1, TermType::Trimester, None, 50),
                        (add_days(t1, 4), t2, TermType::Trimester, None, 50),
                        (add_days(t2, 4), cal.end, TermType::Trimester, None, 50),
                    ]
                }
                Terms::FullYear => {
                    vec![(
                        cal.start,
                        cal.end,
                        TermType::FullYear,
                        Some(CourseSection::FullYear),
                        100,
                    )]
                }
            };
        let left = end.unwrap_or(today);
        let catalogue = courses_for(grade, self.kid.lep);
        for (ts, te, term, section, full_credit) in terms {
            let from = start.max(ts);
            let to = left.min(te);
            if to <= add_days(from, 20) {
                continue;
            }
            let days = weekdays(from, to);
            let completed = left >= te && te <= today;
            for &(title, subject, has_credit) in catalogue {
                let score = self.score(rng);
                let course_type =
                    if grade >= 11 && title.starts_with("English") && rng.random_bool(0.05) {
                        CourseType::Ap
                    } else if rng.random_bool(0.05) {
                        CourseType::Honors
                    } else {
                        CourseType::Regular
                    };
                let mut c = Course {
                    course_title: title.to_string(),
                    subject_area: Some(subject.to_string()),
                    course_type: Some(course_type),
                    begin_year: Some(sy as u16),
                    end_year: Some(sy as u16 + 1),
                    course_section: section,
                    term_type: Some(term),
                    clock_hours: Some((days * 5 / 6) as u16),
                    grade_to_date: None,
                    credits_hundredths: None,
                    final_grade: None,
                };
                if completed {
                    c.final_grade = Some(self.grade_text(score));
                    if has_credit {
                        c.credits_hundredths = Some(if score >= 70 { full_credit } else { 0 });
                    }
                } else {
                    c.grade_to_date = Some(self.grade_text(score));
                    if term == TermType::FullYear
                        && has_credit
                        && left > cal.fall_end
                        && score >= 70
                    {
                        // left after the first half of a full-year course: half credit
                        c.credits_hundredths = Some(50);
                    }
                }
                self.courses.push(c);
            }
        }
    }

    fn summer_course(
        &mut self,
        rng: &mut ChaCha8Rng,
        grade: i32,
        start: NaiveDate,
        end: Option<NaiveDate>,
        sy: i32,
    ) {
        let catalogue = courses_for(grade, false);
        let Some(&(title, subject, _)) = catalogue.get(rng.random_range(0..catalogue.len().min(4)))
        else {
            return;
        };
        let score = self.score(rng).max(60);
        let done = end.is_some_and(|e| e <= self.ctx.today);
        let left = end.unwrap_or(self.ctx.today);
        let mut c = Course {
            course_title: title.to_string(),
            subject_area: Some(subject.to_string()),
            course_type: Some(CourseType::Other),
            begin_year: Some(sy as u16),
            end_year: Some(sy as u16 + 1),
            course_section: None,
            term_type: Some(TermType::Summer),
            clock_hours: Some((weekdays(start, left) * 3) as u16),
            grade_to_date: None,
            credits_hundredths: None,
            final_grade: None,
        };
        if done {
            c.final_grade = Some(self.grade_text(score));
            c.credits_hundredths = Some(if score >= 70 { 50 } else { 0 });
        } else {
            c.grade_to_date = Some(self.grade_text(score));
        }
        self.courses.push(c);
    }

    fn school_assessments(
        &mut self,
        rng: &mut ChaCha8Rng,
        grade: i32,
        start: NaiveDate,
        end: Option<NaiveDate>,
        sy: i32,
    ) {
        let today = self.ctx.today;
        let left = end.unwrap_or(today);
        let info = &self.dir.info;
        let ab = self.kid.ability;
        let level = |rng: &mut ChaCha8Rng| {
            let x = ab + rng.random_range(-0.2..0.2);
            let interp = if x > 0.85 {
                AssessmentInterpretation::Advanced
            } else if x > 0.6 {
                AssessmentInterpretation::Proficient
            } else if x > 0.35 {
                AssessmentInterpretation::Basic
            } else {
                AssessmentInterpretation::BelowBasic
            };
            (x, interp)
        };
        // English language proficiency in February
        let feb = ymd(sy + 1, 2, 1);
        if self.kid.lep && start <= ymd(sy + 1, 2, 15) && left >= ymd(sy + 1, 2, 20) && feb <= today
        {
            let (x, _) = level(rng);
            let lvl = (1.0 + x.clamp(0.0, 1.0) * 5.0 * 10.0).round() / 10.0;
            self.assessments.push(Assessment {
                title: info.elp_test.to_string(),
                content: Some("English Language Proficiency".to_string()),
                assessment_type: Some(AssessmentType::EnglishProficiency),
                administration_month: Some(feb),
                reporting_method: Some(ReportingMethod::AchievementLevel),
                score: Some(format!("{lvl:.1}")),
                interpretation: Some(if lvl >= 4.5 {
                    AssessmentInterpretation::Proficient
                } else {
                    AssessmentInterpretation::NotProficient
                }),
            });
        }
        // State tests in April
        let apr = ymd(sy + 1, 4, 1);
        if !(start <= ymd(sy + 1, 4, 10)
            && left >= ymd(sy + 1, 4, 25)
            && ymd(sy + 1, 4, 25) <= today)
        {
            return;
        }
        let mut tests: Vec<(String, &str, AssessmentType)> = Vec::new();
        if grade <= 8 {
            tests.push((
                format!("{} Grade {grade} Reading", info.test),
                "Reading",
                AssessmentType::StateReading,
            ));
            tests.push((
                format!("{} Grade {grade} Mathematics", info.test),
                "Mathematics",
                AssessmentType::StateMath,
            ));
            if grade == 5 || grade == 8 {
                tests.push((
                    format!("{} Grade {grade} Science", info.test),
                    "Science",
                    AssessmentType::StateScience,
                ));
            }
        } else if grade <= 10 {
            let eoc = if grade == 9 {
                ["Algebra I", "English I"]
            } else {
                ["Biology", "English II"]
            };
            for t in eoc {
                let content = if t.starts_with("English") {
                    "Reading"
                } else if t == "Biology" {
                    "Science"
                } else {
                    "Mathematics"
                };
                tests.push((
                    format!("{} EOC {t}", info.test),
                    content,
                    AssessmentType::State,
                ));
            }
        }
        for (title, content, kind) in tests {
            let (x, interp) = level(rng);
            self.assessments.push(Assessment {
                title,
                content: Some(content.to_string()),
                assessment_type: Some(kind),
                administration_month: Some(apr),
                reporting_method: Some(ReportingMethod::ScaleScore),
                score: Some(format!(
                    "{}",
                    1200 + (x.clamp(0.0, 1.0) * 600.0) as i32 + grade * 20
                )),
                interpretation: Some(interp),
            });
        }
    }

    fn finish(self, rng: &mut ChaCha8Rng, first_record: bool) -> StudentRecord {
        let kid = self.kid;
        let fam = self.fam;
        let info = &self.dir.info;
        let mut earliest = self
            .moves
            .iter()
            .map(|m| m.qualifying_arrival_date)
            .min()
            .unwrap_or(self.ctx.today);
        for e in &self.enrollments {
            earliest = earliest.min(e.enrollment_date);
        }
        let demographics = demographics(
            rng,
            kid,
            fam,
            info.style,
            first_record,
            earliest,
            self.ctx.today,
        );
        let alternate_ids = if matches!(info.code, StateCode::TX | StateCode::CA | StateCode::FL)
            && rng.random_bool(0.25)
        {
            vec![AlternateId {
                record_id: 1,
                id: format!(
                    "{:06}{:04}",
                    rng.random_range(0..1_000_000),
                    kid.number % 10_000
                ),
                id_type: Some(AlternateIdType::Other),
            }]
        } else {
            Vec::new()
        };
        let mut courses = if self.secondary {
            self.courses
        } else {
            Vec::new()
        };
        let mut enrollments = self.enrollments;
        let mut assessments = self.assessments;
        courses.shrink_to_fit();
        enrollments.shrink_to_fit();
        assessments.shrink_to_fit();
        StudentRecord {
            student_record_id: 0,
            msix_id: None,
            reporting_state: info.code,
            state_student_id: String::new(),
            state_student_id_type: StudentIdType::StateAssigned,
            action: ActionCode::Insert,
            alternate_ids,
            demographics,
            qualifying_moves: self.moves,
            enrollments,
            courses,
            assessments,
        }
    }
}

/// Secondary course catalogue: (title, subject area, carries high-school credit).
fn courses_for(grade: i32, lep: bool) -> &'static [(&'static str, &'static str, bool)] {
    const ENG: &str = "English Language and Literature";
    const MATH: &str = "Mathematics";
    const SCI: &str = "Life and Physical Sciences";
    const SOC: &str = "Social Sciences and History";
    const PE: &str = "Physical, Health, and Safety Education";
    const FL: &str = "Foreign Language and Literature";
    const AG: &str = "Agriculture, Food, and Natural Resources";
    match (grade, lep) {
        (..=8, _) => &[
            ("English Language Arts 8", ENG, false),
            ("Mathematics 8", MATH, false),
            ("Science 8", SCI, false),
            ("U.S. History 8", SOC, false),
        ],
        (9, false) => &[
            ("English I", ENG, true),
            ("Algebra I", MATH, true),
            ("Biology", SCI, true),
            ("World Geography", SOC, true),
            ("Physical Education", PE, true),
        ],
        (9, true) => &[
            ("English I for Speakers of Other Languages", ENG, true),
            ("Algebra I", MATH, true),
            ("Biology", SCI, true),
            ("World Geography", SOC, true),
            ("Spanish for Native Speakers I", FL, true),
        ],
        (10, _) => &[
            ("English II", ENG, true),
            ("Geometry", MATH, true),
            ("Chemistry", SCI, true),
            ("World History", SOC, true),
            ("Spanish II", FL, true),
        ],
        (11, _) => &[
            ("English III", ENG, true),
            ("Algebra II", MATH, true),
            ("Physics", SCI, true),
            ("U.S. History", SOC, true),
            ("Agricultural Science", AG, true),
        ],
        _ => &[
            ("English IV", ENG, true),
            ("Pre-Calculus", MATH, true),
            ("U.S. Government", SOC, true),
            ("Economics", SOC, true),
        ],
    }
}

// ---------------------------------------------------------------- names and their variations

/// States whose files carry school addresses and phones (the others send the district of
/// residence instead). Real submissions differ in completeness like this.
fn sends_addresses(state: StateCode) -> bool {
    matches!(
        state,
        StateCode::CA | StateCode::WA | StateCode::NY | StateCode::OR | StateCode::AZ
    )
}

fn styled(s: &str, style: NameStyle) -> String {
    match style {
        NameStyle::Upper => {
            let mut out = String::with_capacity(s.len());
            for c in s.chars() {
                let c = names::strip_accent(c);
                if c.is_ascii() {
                    out.push(c.to_ascii_uppercase());
                } else {
                    out.extend(c.to_uppercase());
                }
            }
            out
        }
        NameStyle::Accented => s.to_string(),
        NameStyle::Plain => strip_accents(s),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variation {
    JoinSurnames,
    Hyphenate,
    Swap,
    DropMaternal,
    BothInLast1,
    DropMiddle,
    MergeMiddle,
    GoesByMiddle,
    Nickname,
    TypoFirst,
    TypoLast,
    DobSwap,
    DobDigit,
    NoParents,
    NoBirthCity,
}

const VARIATIONS: &[(Variation, u32)] = &[
    (Variation::JoinSurnames, 10),
    (Variation::Hyphenate, 8),
    (Variation::Swap, 4),
    (Variation::DropMaternal, 12),
    (Variation::BothInLast1, 8),
    (Variation::DropMiddle, 12),
    (Variation::MergeMiddle, 10),
    (Variation::GoesByMiddle, 6),
    (Variation::Nickname, 8),
    (Variation::TypoFirst, 8),
    (Variation::TypoLast, 8),
    (Variation::DobSwap, 5),
    (Variation::DobDigit, 4),
    (Variation::NoParents, 4),
    (Variation::NoBirthCity, 5),
];

fn pick_variation(rng: &mut ChaCha8Rng) -> Variation {
    let total: u32 = VARIATIONS.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total);
    for &(v, w) in VARIATIONS {
        if x < w {
            return v;
        }
        x -= w;
    }
    Variation::TypoLast
}

#[allow(clippy::too_many_arguments)]
fn demographics(
    rng: &mut ChaCha8Rng,
    kid: &Kid,
    fam: &Family,
    state_style: NameStyle,
    first_record: bool,
    earliest: NaiveDate,
    today: NaiveDate,
) -> Demographics {
    // Most records carry the state's usual style; some clerks type differently.
    let style = if rng.random_bool(0.1) {
        match rng.random_range(0..3) {
            0 => NameStyle::Upper,
            1 => NameStyle::Accented,
            _ => NameStyle::Plain,
        }
    } else {
        state_style
    };
    let mut first: String = kid.name.first.to_string();
    let mut middle: Option<String> = kid.name.middle.map(str::to_string);
    let mut last1: String = kid.name.s1.to_string();
    let mut last2: Option<String> = kid.name.s2.map(str::to_string);
    let mut birth = kid.birth;
    let mut parents = true;
    let mut birth_city = kid.birth_city;
    let clean_p = if first_record { 0.85 } else { 0.55 };
    let mut variations = Vec::new();
    if !rng.random_bool(clean_p) {
        variations.push(pick_variation(rng));
        if rng.random_bool(0.2) {
            variations.push(pick_variation(rng));
        }
    }
    let mut typo_first = false;
    let mut typo_last = false;
    for v in variations {
        match v {
            Variation::JoinSurnames if last2.is_some() => {
                let s2 = last2.take().unwrap_or_default();
                last1 = format!("{}{}", last1.replace(' ', ""), s2.replace(' ', ""));
            }
            Variation::Hyphenate if last2.is_some() => {
                let s2 = last2.take().unwrap_or_default();
                last1 = format!("{last1}-{s2}");
            }
            Variation::Swap if last2.is_some() => {
                let s2 = last2.take().unwrap_or_default();
                last2 = Some(std::mem::replace(&mut last1, s2));
            }
            Variation::DropMaternal if last2.is_some() => last2 = None,
            Variation::BothInLast1 if last2.is_some() => {
                let s2 = last2.take().unwrap_or_default();
                last1 = format!("{last1} {s2}");
            }
            Variation::DropMiddle if middle.is_some() => middle = None,
            Variation::MergeMiddle if middle.is_some() => {
                let m = middle.take().unwrap_or_default();
                first = format!("{first} {m}");
            }
            Variation::GoesByMiddle if middle.is_some() => {
                let m = middle.take().unwrap_or_default();
                // "María Guadalupe" goes by "Guadalupe" (or "Lupe")
                first = match nickname(&m) {
                    Some(n) if rng.random_bool(0.3) => n.to_string(),
                    _ => m,
                };
            }
            Variation::Nickname if nickname(&first).is_some() => {
                first = nickname(&first).unwrap_or_default().to_string();
                if rng.random_bool(0.5) {
                    middle = None;
                }
            }
            Variation::DobSwap if birth.day() <= 12 && birth.day() != birth.month() => {
                if let Some(d) = NaiveDate::from_ymd_opt(birth.year(), birth.day(), birth.month()) {
                    birth = d;
                }
            }
            Variation::DobDigit => {
                let d = match rng.random_range(0..3) {
                    0 if birth.day() < 28 => {
                        NaiveDate::from_ymd_opt(birth.year(), birth.month(), birth.day() + 1)
                    }
                    1 if birth.day() > 1 => {
                        NaiveDate::from_ymd_opt(birth.year(), birth.month(), birth.day() - 1)
                    }
                    _ => NaiveDate::from_ymd_opt(
                        birth.year() + if rng.random_bool(0.5) { 1 } else { -1 },
                        birth.month(),
                        birth.day().min(28),
                    ),
                };
                if let Some(d) = d {
                    birth = d;
                }
            }
            Variation::NoParents => parents = false,
            Variation::NoBirthCity => birth_city = None,
            Variation::TypoFirst => typo_first = true,
            _ => typo_last = true,
        }
    }
    // A varied birth date must still precede everything in the record.
    if birth > earliest || birth > today || age_on(birth, today) > 30 {
        birth = kid.birth;
    }
    let mut first = styled(&first, style);
    let mut last1 = styled(&last1, style);
    if typo_first {
        first = typo(rng, &first);
    }
    if typo_last {
        last1 = typo(rng, &last1);
    }
    let st = |s: &str| styled(s, style);
    let (p1f, p1l, p2f, p2l) = if parents {
        let father = fam.father.map(|f| {
            let given = match f.middle {
                Some(m) if rng.random_bool(0.7) => format!("{} {m}", f.first),
                _ => f.first.to_string(),
            };
            let last = match f.s2 {
                Some(s2) if rng.random_bool(0.35) => format!("{} {s2}", f.s1),
                _ => f.s1.to_string(),
            };
            (st(&given), st(&last))
        });
        let m = fam.mother;
        let mother = (!rng.random_bool(0.05)).then(|| {
            let given = match m.middle {
                Some(mid) if rng.random_bool(0.7) => format!("{} {mid}", m.first),
                _ => m.first.to_string(),
            };
            let last = match (fam.hispanic, fam.father, m.s2) {
                (true, Some(f), _) if rng.random_bool(0.2) => f.s1.to_string(),
                (_, _, Some(s2)) if rng.random_bool(0.15) => format!("{} {s2}", m.s1),
                _ => m.s1.to_string(),
            };
            (st(&given), st(&last))
        });
        (
            father.as_ref().map(|f| f.0.clone()),
            father.map(|f| f.1),
            mother.as_ref().map(|m| m.0.clone()),
            mother.map(|m| m.1),
        )
    } else {
        (None, None, None, None)
    };
    Demographics {
        first_name: first,
        middle_name: middle.map(|m| styled(&m, style)),
        last_name_1: last1,
        last_name_2: last2.map(|l| styled(&l, style)),
        suffix: None,
        sex: Some(kid.sex),
        birth_date: Some(birth),
        multiple_birth: if kid.multiple {
            rng.random_bool(0.95).then_some(true)
        } else {
            rng.random_bool(0.6).then_some(false)
        },
        birth_city: birth_city.map(|c| styled(c, style)),
        birth_state: birth_city.and(kid.birth_state).map(str::to_string),
        birth_country: Some(kid.birth_country.to_string()),
        birth_date_verification: Some(kid.verification),
        parent1_first_name: p1f,
        parent1_last_name: p1l,
        parent2_first_name: p2f,
        parent2_last_name: p2l,
        parent1_email: fam.email.clone().filter(|_| rng.random_bool(0.8)),
        parent2_email: None,
        parent1_phone: fam.phone.clone().filter(|_| rng.random_bool(0.85)),
        parent2_phone: None,
    }
}

/// The school districts the generator uses in `state`, as (district ID, district name), in the
/// directory's order: what a state's profile would list (the demo groups them into regions).
pub fn districts(state: StateCode) -> Vec<(String, String)> {
    StateDir::build(state)
        .towns
        .into_iter()
        .map(|t| (t.district_id, t.district_name))
        .collect()
}
