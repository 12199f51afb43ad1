#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Synthetic migrant-like data (seeded): families, twins, 1-4 noisy records per
//! child (accents, surname layouts, nicknames, typos, date errors, missing fields).

use puente_linkage::synth::{generate, online_eval, pairwise_prf};
use puente_linkage::{LinkConfig, link_batch};

#[test]
fn batch_pairwise_f1() {
    let data = generate(2000, 2024);
    let res = link_batch(&data.records, &LinkConfig::default());
    let (p, r, f1) = pairwise_prf(&data.truth, &res.clusters);
    println!("P={p:.4} R={r:.4} F1={f1:.4} {:?}", res.stats);
    assert!(f1 >= 0.97, "F1 {f1}");
    assert!(p >= 0.98, "precision {p}");
}

#[test]
fn online_top1_and_new_children() {
    let data = generate(2000, 99);
    let ev = online_eval(&data, &LinkConfig::default(), usize::MAX);
    println!("{ev:?}");
    let known = ev.known as f64;
    let top1 = ev.top1_correct as f64 / known;
    let attach = ev.attached_correct as f64 / known;
    let wrong = ev.attached_wrong as f64 / known;
    let new_wrong = ev.new_wrongly_attached as f64 / ev.new_total as f64;
    assert!(top1 >= 0.97, "top-1 {top1}");
    assert!(attach >= 0.9, "attached correctly {attach}");
    assert!(wrong <= 0.005, "attached to the wrong child {wrong}");
    assert!(
        new_wrong <= 0.01,
        "new children wrongly attached {new_wrong}"
    );
}
