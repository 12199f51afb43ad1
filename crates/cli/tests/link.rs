#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The `puente link` contract: any column order, unknown columns ignored, every record once.

use std::collections::HashMap;
use std::process::Command;

#[test]
fn link_clusters_every_record_once_with_columns_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(
        &input,
        "\u{feff}birth_date,first_name,record_id,last_name_1,last_name_2,sex,unknown_column,parent1_first_name,parent1_last_name,parent2_first_name,parent2_last_name,reporting_state,multiple_birth_flag\n\
         2010-03-14,José,a1,Hernández,López,M,x,Juan,Hernández,María,López,TX,No\n\
         2010-03-14,JOSE,a2,HERNANDEZ LOPEZ,,M,y,Juan,Hernandez,Maria,Lopez,MI,\n\
         2010-14-03,Jose,a3,Lopez,Hernandez,M,,Juan,Hernandez,Maria,Lopez,WA,\n\
         2015-05-05,Luis,b1,Pérez,Soto,M,,Pedro,Pérez,Ana,Soto,CA,Yes\n\
         2015-05-05,Lucía,b2,Pérez,Soto,F,,Pedro,Pérez,Ana,Soto,CA,Yes\n\
         2012-01-01,Ana,c1,Torres,Vega,F,,,,,,FL,\n",
    )
    .unwrap();
    let output = dir.path().join("out.csv");
    let explain = dir.path().join("pairs.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_puente"))
        .args(["link", "--input"])
        .arg(&input)
        .arg("--output")
        .arg(&output)
        .arg("--explain")
        .arg(&explain)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&output).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("record_id,cluster_id"));
    let clusters: HashMap<String, String> = lines
        .map(|l| {
            let (a, b) = l.split_once(',').unwrap();
            (a.to_string(), b.to_string())
        })
        .collect();
    assert_eq!(clusters.len(), 6, "every record exactly once");
    assert_eq!(
        clusters["a1"], clusters["a2"],
        "accents and joined surnames"
    );
    assert_eq!(
        clusters["a1"], clusters["a3"],
        "swapped surnames and day-month"
    );
    assert_ne!(clusters["b1"], clusters["b2"], "twins are never merged");
    assert_ne!(clusters["c1"], clusters["a1"]);
    let pairs = std::fs::read_to_string(&explain).unwrap();
    assert!(pairs.starts_with("record_id_a,record_id_b,score,same_cluster,conflicts"));
}

#[test]
fn link_rejects_a_file_without_record_ids() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "first_name,last_name_1\nAna,Torres\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_puente"))
        .args(["link", "--input"])
        .arg(&input)
        .arg("--output")
        .arg(dir.path().join("out.csv"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no record_id column"));
}
