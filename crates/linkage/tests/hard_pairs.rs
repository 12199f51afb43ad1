#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Regression set of hard pairs and one test per conflict rule.

use puente_linkage::{Decision, LinkConfig, LinkRecord, Linker, link_batch, synth};

fn s(x: &str) -> Option<String> {
    if x.is_empty() {
        None
    } else {
        Some(x.to_string())
    }
}

/// given, surname1, surname2, sex, dob, mother first, mother last, birth city, state, ssid
#[allow(clippy::too_many_arguments)]
fn rec(
    id: &str,
    given: &str,
    l1: &str,
    l2: &str,
    sex: &str,
    dob: &str,
    mother: &str,
    city: &str,
    state: &str,
    ssid: &str,
) -> LinkRecord {
    let (mf, ml) = mother.split_once(' ').unwrap_or((mother, ""));
    LinkRecord {
        record_id: id.to_string(),
        reporting_state: s(state),
        state_student_id: s(ssid),
        first_name: s(given),
        last_name_1: s(l1),
        last_name_2: s(l2),
        sex: s(sex),
        birth_date: s(dob),
        birth_city: s(city),
        birth_country: if city.is_empty() { None } else { s("Mexico") },
        parent1_first_name: s(mf),
        parent1_last_name: s(ml),
        ..Default::default()
    }
}

/// A linker filled with a realistic background population (for term frequencies
/// and distractors) plus the known child under id "KNOWN".
fn linker_with(known: &[LinkRecord]) -> Linker {
    let mut l = Linker::new(LinkConfig::default());
    let data = synth::generate(3000, 7);
    for (r, c) in data.records.iter().zip(&data.truth) {
        l.insert(&format!("bg{c}"), r);
    }
    for r in known {
        l.insert("KNOWN", r);
    }
    l
}

fn base() -> LinkRecord {
    rec(
        "k1",
        "José Luis",
        "Hernández",
        "López",
        "M",
        "2011-03-14",
        "Rosa López Ortega",
        "Uruapan",
        "CA",
        "CA555001",
    )
}

fn attaches(known: &[LinkRecord], query: &LinkRecord) -> Decision {
    let l = linker_with(known);
    let d = l.match_record(query);
    println!("{}", serde_json::to_string_pretty(&d.explanation).unwrap());
    d.decision
}

fn is_known(d: &Decision) -> bool {
    matches!(d, Decision::Attach { child_id } if child_id == "KNOWN")
}

#[test]
fn swapped_surnames_same() {
    let mut q = base();
    q.record_id = "q".into();
    q.last_name_1 = s("López");
    q.last_name_2 = s("Hernández");
    q.reporting_state = s("TX");
    q.state_student_id = None;
    assert!(is_known(&attaches(&[base()], &q)));
}

#[test]
fn joined_and_hyphenated_surnames_same() {
    for joined in [
        "HernandezLopez",
        "HERNANDEZ-LOPEZ",
        "Hernández López",
        "HERNANDEZLOPEZ",
    ] {
        let mut q = base();
        q.record_id = "q".into();
        q.last_name_1 = s(joined);
        q.last_name_2 = None;
        q.reporting_state = s("TX");
        q.state_student_id = None;
        assert!(is_known(&attaches(&[base()], &q)), "{joined}");
    }
}

#[test]
fn missing_maternal_surname_same() {
    let mut q = base();
    q.record_id = "q".into();
    q.last_name_2 = None;
    q.reporting_state = s("WA");
    q.state_student_id = None;
    assert!(is_known(&attaches(&[base()], &q)));
}

#[test]
fn nicknames_same() {
    let lupe_known = rec(
        "k",
        "Guadalupe",
        "García",
        "Ruiz",
        "F",
        "2010-06-02",
        "Ana Ruiz Soto",
        "Morelia",
        "CA",
        "",
    );
    let lupe_q = rec(
        "q",
        "Lupe",
        "García",
        "",
        "F",
        "2010-06-02",
        "Ana Ruiz",
        "Morelia",
        "OR",
        "",
    );
    assert!(is_known(&attaches(&[lupe_known], &lupe_q)));

    let chuy_known = rec(
        "k",
        "Jesús",
        "Pérez",
        "Mendoza",
        "M",
        "2009-01-20",
        "Rosa Mendoza",
        "León",
        "TX",
        "",
    );
    let chuy_q = rec(
        "q",
        "Chuy",
        "Perez",
        "Mendoza",
        "M",
        "2009-01-20",
        "Rosa Mendoza",
        "Leon",
        "FL",
        "",
    );
    assert!(is_known(&attaches(&[chuy_known], &chuy_q)));

    let pepe_known = base();
    let mut pepe_q = base();
    pepe_q.record_id = "q".into();
    pepe_q.first_name = s("Pepe");
    pepe_q.reporting_state = s("MI");
    pepe_q.state_student_id = None;
    assert!(is_known(&attaches(&[pepe_known], &pepe_q)));
}

#[test]
fn day_month_swap_same() {
    let mut q = base();
    q.record_id = "q".into();
    q.birth_date = s("2011-14-03");
    let mut q2 = base();
    q2.birth_date = s("2011-03-14");
    let known = rec(
        "k1",
        "José Luis",
        "Hernández",
        "López",
        "M",
        "2011-03-04",
        "Rosa López Ortega",
        "Uruapan",
        "CA",
        "CA555001",
    );
    let mut q = known.clone();
    q.record_id = "q".into();
    q.birth_date = s("2011-04-03");
    q.reporting_state = s("TX");
    q.state_student_id = None;
    assert!(is_known(&attaches(&[known], &q)));
    let _ = q2;
}

#[test]
fn twins_different() {
    // same DOB, same parents and surnames, different given names
    let mut twin = base();
    twin.record_id = "q".into();
    twin.first_name = s("Juan Carlos");
    twin.state_student_id = s("CA555002");
    let d = attaches(&[base()], &twin);
    assert!(!is_known(&d), "{d:?}");
    // batch: separate clusters
    let mut twin_tx = twin.clone();
    twin_tx.reporting_state = s("TX");
    twin_tx.state_student_id = None;
    twin_tx.record_id = "q2".into();
    let mut base_tx = base();
    base_tx.reporting_state = s("TX");
    base_tx.state_student_id = None;
    base_tx.record_id = "k2".into();
    let res = link_batch(&[base(), twin, base_tx, twin_tx], &LinkConfig::default());
    assert_eq!(res.clusters[0], res.clusters[2]);
    assert_eq!(res.clusters[1], res.clusters[3]);
    assert_ne!(res.clusters[0], res.clusters[1]);
}

#[test]
fn multiple_birth_flag_blocks_merge() {
    let mut a = base();
    a.multiple_birth = Some(true);
    let mut b = base();
    b.record_id = "q".into();
    b.first_name = s("Luis"); // subset of "José Luis": would normally match
    b.reporting_state = s("TX");
    b.state_student_id = None;
    b.multiple_birth = Some(true);
    assert!(
        is_known(&attaches(&[a.clone()], &b)),
        "subset given names still match"
    );
    b.first_name = s("Jorge Luis");
    let d = attaches(&[a], &b);
    assert!(!is_known(&d), "{d:?}");
}

#[test]
fn different_state_ids_same_state_blocks_merge() {
    let mut q = base();
    q.record_id = "q".into();
    q.state_student_id = s("CA999999");
    let d = attaches(&[base()], &q);
    assert!(!matches!(d, Decision::Attach { .. }), "{d:?}");
    // different state: fine
    q.reporting_state = s("TX");
    assert!(is_known(&attaches(&[base()], &q)));
}

#[test]
fn siblings_with_different_dob_different() {
    let mut sib = base();
    sib.record_id = "q".into();
    sib.first_name = s("José Manuel");
    sib.birth_date = s("2013-09-22");
    sib.state_student_id = s("CA555003");
    let d = attaches(&[base()], &sib);
    assert!(!is_known(&d), "{d:?}");
    // even with the same given name (a record of a sibling named like him)
    let mut sib2 = base();
    sib2.record_id = "q2".into();
    sib2.birth_date = s("2014-11-29");
    sib2.reporting_state = s("TX");
    sib2.state_student_id = None;
    let d = attaches(&[base()], &sib2);
    assert!(!matches!(d, Decision::Attach { .. }), "{d:?}");
}

#[test]
fn common_name_same_dob_different_state_without_corroboration_not_attached() {
    let known = rec(
        "k",
        "Juan",
        "García",
        "",
        "M",
        "2012-05-05",
        "",
        "",
        "CA",
        "CA1",
    );
    let q = rec(
        "q",
        "Juan",
        "Garcia",
        "",
        "M",
        "2012-05-05",
        "",
        "",
        "TX",
        "TX1",
    );
    let d = attaches(&[known], &q);
    assert!(
        matches!(d, Decision::NearMatch { .. } | Decision::New),
        "{d:?}"
    );
}

#[test]
fn reviewer_not_same_is_hard() {
    let mut l = linker_with(&[base()]);
    let mut q = base();
    q.record_id = "q".into();
    q.reporting_state = s("TX");
    q.state_student_id = None;
    assert!(is_known(&l.match_record(&q).decision));
    l.add_constraint_not_same("q", "KNOWN");
    let d = l.match_record(&q);
    assert!(!matches!(d.decision, Decision::Attach { .. }), "{d:?}");
    assert!(
        d.explanation.candidates[0]
            .conflicts
            .iter()
            .any(|c| c == "reviewer_not_same")
    );
}

#[test]
fn explanation_is_serializable_and_complete() {
    let l = linker_with(&[base()]);
    let mut q = base();
    q.record_id = "q".into();
    q.reporting_state = s("TX");
    let d = l.match_record(&q);
    let json = serde_json::to_string(&d).unwrap();
    let back: puente_linkage::MatchDecision = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
    let top = &d.explanation.candidates[0];
    assert!(
        top.fields
            .iter()
            .any(|f| f.field == "birth_date" && f.level == "exact")
    );
    assert!(top.total > 0.0);
}

#[test]
fn batch_is_deterministic() {
    let data = synth::generate(300, 3);
    let cfg = LinkConfig::default();
    let a = link_batch(&data.records, &cfg);
    let b = link_batch(&data.records, &cfg);
    assert_eq!(a.clusters, b.clusters);
    let single = LinkConfig {
        threads: 1,
        ..LinkConfig::default()
    };
    assert_eq!(link_batch(&data.records, &single).clusters, a.clusters);
}

/// A record with only the fields FEBRL-like data carries: names, birth date, address and
/// postal code (no sex, parents, birth place or ids).
fn addr_rec(
    id: &str,
    given: &str,
    sur: &str,
    dob: &str,
    address: &str,
    postal: &str,
) -> LinkRecord {
    LinkRecord {
        record_id: id.to_string(),
        first_name: s(given),
        last_name_1: s(sur),
        birth_date: s(dob),
        address: s(address),
        postal_code: s(postal),
        ..Default::default()
    }
}

fn level(a: &LinkRecord, b: &LinkRecord, field: &str) -> String {
    let e = puente_linkage::explain_pair(a, b, &LinkConfig::default());
    e.fields
        .iter()
        .find(|f| f.field == field)
        .map_or_else(|| "missing".to_string(), |f| f.level.clone())
}

#[test]
fn address_words_split_or_joined_agree() {
    let a = addr_rec("a", "", "", "", "54 weipa place kimberley san remo", "");
    let b = addr_rec("b", "", "", "", "54 weipap lace kimberley sanremo", "");
    assert_eq!(level(&a, &b, "address"), "exact");
    // a typo and a joined word; a missing component
    let c = addr_rec("c", "", "", "", "54 weipaplace kimberly san remo", "");
    assert_eq!(level(&a, &c, "address"), "high");
    let c2 = addr_rec("c2", "", "", "", "54 weipa place kimberley", "");
    assert_eq!(level(&a, &c2, "address"), "high");
    // the same street, another house number: never more than medium
    let d = addr_rec("d", "", "", "", "56 weipa place kimberley san remo", "");
    assert_eq!(level(&a, &d, "address"), "medium");
    let e = addr_rec("e", "", "", "", "7 namatjira drive riverpark rye", "");
    assert_eq!(level(&a, &e, "address"), "different");
}

#[test]
fn short_given_name_typos() {
    let a = addr_rec("a", "kyle", "irons", "", "", "");
    let b = addr_rec("b", "kyl", "irons", "", "", "");
    assert_eq!(level(&a, &b, "given_name"), "fuzzy");
    let c = addr_rec("c", "ned", "irons", "", "", "");
    let d = addr_rec("d", "ne", "irons", "", "", "");
    assert_eq!(level(&c, &d, "given_name"), "fuzzy");
    // a different letter in a three-letter name is another name
    let e = addr_rec("e", "ana", "irons", "", "", "");
    let f = addr_rec("f", "ava", "irons", "", "", "");
    assert_eq!(level(&e, &f, "given_name"), "different");
    // two typos: similar, weaker than fuzzy
    let g = addr_rec("g", "april", "wehr", "", "", "");
    let h = addr_rec("h", "aprlol", "wehr", "", "", "");
    assert_eq!(level(&g, &h, "given_name"), "weak");
}

#[test]
fn batch_links_given_name_moved_to_surname_field_with_joined_address() {
    // the given name was entered as the surname (given name field empty), the address
    // has a joined word and a typo
    let a = addr_rec(
        "a",
        "caitlin",
        "mason",
        "1990-04-12",
        "12 wattle street kingston",
        "2604",
    );
    let b = addr_rec(
        "b",
        "",
        "caitlin",
        "1990-04-12",
        "12 wattlestreet kingstn",
        "2604",
    );
    assert_eq!(level(&a, &b, "surname"), "crossed");
    let other = addr_rec(
        "o",
        "mason",
        "webb",
        "1990-04-12",
        "3 hill road ryde",
        "2112",
    );
    let res = link_batch(&[a, b, other], &LinkConfig::default());
    assert_eq!(res.clusters[0], res.clusters[1], "{:?}", res.stats);
    assert_ne!(res.clusters[0], res.clusters[2]);
}

#[test]
fn batch_links_typo_surname_same_birth_date_and_postcode() {
    let a = addr_rec(
        "a",
        "kyle",
        "rees",
        "1909-11-21",
        "9 moorhouse street blacktown",
        "5540",
    );
    let b = addr_rec(
        "b",
        "kyle",
        "rewe",
        "1909-11-21",
        "9 moorhousestreet blacktwn",
        "5540",
    );
    let res = link_batch(&[a, b], &LinkConfig::default());
    assert_eq!(res.clusters[0], res.clusters[1], "{:?}", res.stats);
}

#[test]
fn batch_links_swapped_names_with_typo() {
    let a = addr_rec(
        "a",
        "harley",
        "lowe",
        "1929-10-03",
        "3 fox place cooee palms gerogery",
        "4702",
    );
    let b = addr_rec(
        "b",
        "lowe",
        "haroey",
        "1929-10-03",
        "3 fox place cooeepalms gerogery",
        "4702",
    );
    let res = link_batch(&[a, b], &LinkConfig::default());
    assert_eq!(res.clusters[0], res.clusters[1], "{:?}", res.stats);
}

#[test]
fn neighbours_and_siblings_at_one_address_stay_apart() {
    // same surname and street, another house number, another child
    let a = addr_rec(
        "a",
        "joshua",
        "kelley",
        "2012-08-31",
        "59 harwood court emerald",
        "3127",
    );
    let b = addr_rec(
        "b",
        "kimberly",
        "kelley",
        "2014-06-27",
        "61 harwood court emerald",
        "3127",
    );
    // a sibling at the same address
    let c = addr_rec(
        "c",
        "mia",
        "kelley",
        "2016-02-11",
        "59 harwood court emerald",
        "3127",
    );
    let res = link_batch(&[a, b, c], &LinkConfig::default());
    assert_ne!(res.clusters[0], res.clusters[1]);
    assert_ne!(res.clusters[0], res.clusters[2]);
    assert_ne!(res.clusters[1], res.clusters[2]);
}

#[test]
fn twins_at_one_address_with_parents_different() {
    let mut a = base();
    a.address = s("125 Calle Norte, Apt 4, Salinas");
    a.postal_code = s("93901");
    let mut b = a.clone();
    b.record_id = "q".into();
    b.first_name = s("Juan Carlos");
    b.state_student_id = s("CA555002");
    let mut a2 = a.clone();
    a2.record_id = "k2".into();
    a2.reporting_state = s("TX");
    a2.state_student_id = None;
    let res = link_batch(&[a.clone(), b.clone(), a2], &LinkConfig::default());
    assert_eq!(res.clusters[0], res.clusters[2]);
    assert_ne!(res.clusters[0], res.clusters[1]);
    let d = attaches(&[a], &b);
    assert!(!is_known(&d), "{d:?}");
}

#[test]
fn parents_sharing_only_the_surname_differ() {
    // the parents' surname is the child's: only the first names tell two families apart
    let a = rec(
        "a",
        "Hannah",
        "Jones",
        "",
        "F",
        "2015-12-31",
        "Emily Jones",
        "",
        "",
        "",
    );
    let b = rec(
        "b",
        "Hannah",
        "Jones",
        "",
        "F",
        "2015-12-31",
        "Abigail Jones",
        "",
        "",
        "",
    );
    assert_eq!(level(&a, &b, "parents"), "different");
    // the same mother with another surname (married name): partial
    let c = rec(
        "c",
        "Hannah",
        "Jones",
        "",
        "F",
        "2015-12-31",
        "Emily Smith",
        "",
        "",
        "",
    );
    assert_eq!(level(&a, &c, "parents"), "partial");
    let d = rec(
        "d",
        "Hannah",
        "Jones",
        "",
        "F",
        "2015-12-31",
        "Emilie Jones",
        "",
        "",
        "",
    );
    assert_eq!(level(&a, &d, "parents"), "agree");
}

#[test]
fn online_finds_a_wrong_digit_in_the_birth_date_with_joined_surnames() {
    // no shared surname key ("cruzaguilar" / "cruz aguilar") and no shared full date:
    // year and month with a given name still meet
    let known = rec(
        "k",
        "Maria Zoila",
        "CRUZAGUILAR",
        "",
        "F",
        "2005-12-12",
        "",
        "",
        "",
        "",
    );
    let l = linker_with(std::slice::from_ref(&known));
    let q = rec(
        "q",
        "Zoila",
        "Cruz",
        "Aguilar",
        "F",
        "2005-12-13",
        "",
        "",
        "",
        "",
    );
    assert!(l.candidate_record_ids(&q).contains(&"k"));
}

#[test]
fn online_finds_a_record_without_birth_date_through_its_parents() {
    // surname typo at the start, no birth date on the query: the mother's names and the
    // given name still meet
    let known = rec(
        "k",
        "Maria",
        "Etsrada",
        "Xicotencatl",
        "F",
        "2011-09-16",
        "Adriana Xicotencatl",
        "",
        "",
        "",
    );
    let l = linker_with(std::slice::from_ref(&known));
    let q = rec(
        "q",
        "Maria",
        "Estrada",
        "",
        "F",
        "",
        "Adriana Xicotencatl",
        "",
        "",
        "",
    );
    assert!(l.candidate_record_ids(&q).contains(&"k"));
}

#[test]
fn day_or_month_off_by_one_across_a_ten_is_one_digit() {
    let mut a = base();
    a.birth_date = s("2021-05-19");
    let mut b = base();
    b.birth_date = s("2021-05-20");
    assert_eq!(level(&a, &b, "birth_date"), "one_digit");
    a.birth_date = s("2019-09-14");
    b.birth_date = s("2019-10-14");
    assert_eq!(level(&a, &b, "birth_date"), "one_digit");
    // two days apart across a ten: different
    b.birth_date = s("2019-09-21");
    a.birth_date = s("2019-09-19");
    assert_eq!(level(&a, &b, "birth_date"), "different");
}

#[test]
fn swapped_surnames_never_weigh_more_than_exact() {
    let a = base();
    let mut b = base();
    b.last_name_1 = s("López");
    b.last_name_2 = s("Hernández");
    let w = |x: &LinkRecord, y: &LinkRecord| {
        puente_linkage::explain_pair(x, y, &LinkConfig::default())
            .fields
            .iter()
            .find(|f| f.field == "surname")
            .map(|f| (f.level.clone(), f.weight))
            .unwrap()
    };
    let (l_swap, w_swap) = w(&a, &b);
    let (l_exact, w_exact) = w(&a, &a);
    assert_eq!((l_swap.as_str(), l_exact.as_str()), ("swapped", "exact"));
    assert!(w_swap <= w_exact, "{w_swap} > {w_exact}");
}
