#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The binary end to end: `puente demo` loads a realistic dataset, `puente stats --json` sees it,
//! `puente serve` answers /healthz, `puente generate` writes one file per state.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

fn puente() -> Command {
    Command::new(env!("CARGO_BIN_EXE_puente"))
}

fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    let status = body.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body)
}

#[test]
fn demo_loads_realistic_data_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let out = puente()
        .args(["demo", "--no-serve", "--students", "1500", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("data.administrator@demo.puente.test"),
        "demo logins are printed: {stdout}"
    );
    let url = format!("sqlite://{}", dir.path().join("puente.db").display());

    let out = puente()
        .args(["stats", "--json", "--db", &url])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let states = stats["children_by_state"].as_object().unwrap();
    assert!(states.len() >= 5, "children in at least 5 states: {stats}");
    let children = stats["children"].as_i64().unwrap();
    // Uncertain links (near matches) start a child of their own until a reviewer merges them.
    assert!(
        (1400..=1800).contains(&children),
        "about 1500 children: {stats}"
    );
    assert!(
        stats["twins"].as_i64().unwrap() > 0,
        "twins present: {stats}"
    );
    assert!(
        stats["siblings"].as_i64().unwrap() > 0,
        "siblings present: {stats}"
    );
    assert!(
        stats["interstate_movers"].as_i64().unwrap() > children / 10,
        "interstate movers present: {stats}"
    );
    assert!(stats["courses"].as_i64().unwrap() > 0 && stats["assessments"].as_i64().unwrap() > 0);

    // Reports: the backfill of kept rows, then the national count from them (each state's
    // count sums to the total), a state's count, and mobility.
    let report = |args: &[&str]| -> serde_json::Value {
        let out = puente()
            .arg("report")
            .args(args)
            .args(["--db", &url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "report {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if args.contains(&"--json") {
            serde_json::from_slice(&out.stdout).unwrap()
        } else {
            serde_json::Value::String(String::from_utf8_lossy(&out.stdout).into())
        }
    };
    let refreshed = report(&["refresh", "--year", "2025"]);
    assert!(
        refreshed
            .as_str()
            .unwrap()
            .contains(&format!("for {} states", states.len())),
        "{refreshed}"
    );
    let national = report(&["national", "--year", "2025", "--json"]);
    let by_state = national["by_state"].as_object().unwrap();
    let c1 = |t: &serde_json::Value| t["totals"]["category1"].as_u64().unwrap();
    assert_eq!(
        by_state.values().map(c1).sum::<u64>(),
        c1(&national["total"])
    );
    assert!(c1(&national["total"]) > 0, "{national}");
    let (state, tally) = by_state.iter().next().unwrap();
    let one = report(&["child-count", "--state", state, "--year", "2025", "--json"]);
    assert_eq!(&one["tally"], tally);
    let mobility = report(&["mobility", "--year", "2025", "--json"]);
    assert!(mobility["total"].as_u64().is_some(), "{mobility}");
    // Oversight: the demo accounts (one per role but the state system, and a second TX data
    // administrator and a CA one), none signed in yet, and worklist aging whose rows add up to
    // its total.
    let accounts = report(&["accounts", "--json"]);
    assert_eq!(
        accounts["total"]["accounts"].as_u64(),
        Some(8),
        "{accounts}"
    );
    assert_eq!(
        accounts["total"]["never_logged_in"].as_u64(),
        Some(8),
        "{accounts}"
    );
    let aging = report(&["aging", "--json"]);
    let rows: u64 = aging["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["counts"]["total"].as_u64().unwrap())
        .sum();
    assert_eq!(aging["total"]["total"].as_u64(), Some(rows), "{aging}");
    // The demo places each state's districts in three regions.
    let quality = report(&["quality", "--state", state, "--json"]);
    let regions: Vec<&String> = quality["by_region"].as_object().unwrap().keys().collect();
    assert!(regions.contains(&&"R1".to_string()), "{regions:?}");
    assert!(
        quality["region_names"]["R1"]
            .as_str()
            .unwrap()
            .ends_with("North"),
        "{quality}"
    );
    let tx_aging = report(&["aging", "--state", "tx"]);
    assert!(tx_aging.as_str().unwrap().contains("overdue"), "{tx_aging}");
    let marked = report(&["refresh", "--marked"]);
    assert!(
        marked
            .as_str()
            .unwrap()
            .contains("marked children up to date"),
        "{marked}"
    );

    let mut server = puente()
        .args(["serve", "--addr", "127.0.0.1:0", "--db", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Keep reading the server's output until the test ends: the server must also survive a
    // reader that goes away, but that is not what this test is about.
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let (status, _) = http_get(&addr, "/healthz");
    let (home, page) = http_get(&addr, "/");
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(status, 200);
    assert_eq!(home, 200);
    assert!(
        page.contains("<html lang=\"en\""),
        "portal shell page is served"
    );
}

#[test]
fn generate_writes_one_file_per_state_with_truth() {
    let dir = tempfile::tempdir().unwrap();
    let out = puente()
        .args(["generate", "--students", "300", "--seed", "7", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        files.iter().filter(|f| f.ends_with(".jsonl")).count() >= 5,
        "{files:?}"
    );
    assert!(files.contains(&"truth.csv".to_string()));
    // Every file parses, and its header's control totals match its contents.
    for f in files.iter().filter(|f| f.ends_with(".jsonl")) {
        let file = std::fs::File::open(dir.path().join(f)).unwrap();
        let (header, reader) =
            puente_interchange::jsonl::Reader::open(BufReader::new(file)).unwrap();
        let students: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
        assert_eq!(header.total_students, students.len() as u64);
        assert_eq!(
            header.total_records,
            students
                .iter()
                .map(puente_interchange::record_count)
                .sum::<u64>()
        );
        assert_eq!(format!("{}.jsonl", header.submitting_state), *f);
    }
}
