//! The streamed batch input (`BatchInput` + `link_prepared`) links exactly as `link_batch`
//! does, and the online index keeps returning the most recent records of a crowded key.

use puente_linkage::{
    BatchInput, Constraints, Decision, LinkConfig, LinkRecord, Linker, link_batch_with,
    link_prepared, synth,
};

#[test]
fn streamed_input_gives_the_same_clusters_as_link_batch() {
    // more than one prepare chunk (8,192 records) and more than 2,048 (threaded paths)
    let data = synth::generate(3500, 11);
    assert!(data.records.len() > 8192);
    let cfg = LinkConfig {
        explain_pairs: true,
        ..LinkConfig::default()
    };
    let ids = |i: usize| data.records[i].record_id.clone();
    let constraints = Constraints {
        not_same: vec![(ids(0), ids(1)), (ids(10), ids(11))],
        same: vec![(ids(20), ids(21))],
    };
    let direct = link_batch_with(&data.records, &cfg, &constraints);
    for threads in [1, 2, 3] {
        let mut input = BatchInput::with_threads(threads);
        for r in &data.records {
            input.push(r.clone());
        }
        assert_eq!(input.len(), data.records.len());
        let streamed = link_prepared(&mut input, &cfg, &constraints);
        assert_eq!(streamed.clusters, direct.clusters, "threads {threads}");
        assert_eq!(streamed.pairs, direct.pairs);
        assert_eq!(streamed.weights, direct.weights);
        // ids stay readable after linking
        assert_eq!(input.record_id(5), data.records[5].record_id);
    }
    assert_eq!(direct.clusters[20], direct.clusters[21]);
    assert_ne!(direct.clusters[0], direct.clusters[1]);
}

#[test]
fn empty_streamed_input() {
    let mut input = BatchInput::new();
    assert!(input.is_empty());
    let res = link_prepared(&mut input, &LinkConfig::default(), &Constraints::default());
    assert!(res.clusters.is_empty());
}

fn kid(i: usize) -> LinkRecord {
    LinkRecord {
        record_id: format!("r{i}"),
        first_name: Some(["Ana", "Luis", "Rosa", "Juan", "Elena"][i % 5].to_string()),
        last_name_1: Some("Garcia".into()),
        last_name_2: Some(format!("Lopez{}", i % 7)),
        sex: Some(if i.is_multiple_of(2) { "F" } else { "M" }.into()),
        // one shared birth date: every record is under the same birth date keys
        birth_date: Some("2014-03-09".into()),
        postal_code: Some("93101".into()),
        address: Some(format!("{} Main St", 100 + i)),
        ..Default::default()
    }
}

#[test]
fn crowded_key_still_finds_the_most_recent_records() {
    // more records under one key than the online cap: the newest ones are examined
    let cfg = LinkConfig {
        online_block_cap: 10,
        ..LinkConfig::default()
    };
    let mut linker = Linker::new(cfg);
    for i in 0..200 {
        linker.insert(&format!("c{i}"), &kid(i));
    }
    assert_eq!(linker.num_records(), 200);
    // a second record of the newest child, same address: attaches to it
    let mut again = kid(199);
    again.record_id = "q".into();
    let d = linker.match_record(&again);
    assert_eq!(
        d.explanation
            .candidates
            .first()
            .map(|c| c.child_id.as_str()),
        Some("c199")
    );
    assert!(
        matches!(d.decision, Decision::Attach { ref child_id } if child_id == "c199")
            || matches!(d.decision, Decision::NearMatch { ref candidates } if candidates[0] == "c199"),
        "{:?}",
        d.decision
    );
}
