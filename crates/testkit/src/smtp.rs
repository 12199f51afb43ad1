//! A real SMTP server for tests: `scripts/smtp_sink.py` (Python aiosmtpd) started on a chosen
//! port, writing each received message (decoded by Python's email package) to a temporary
//! directory. aiosmtpd is installed with pip
//! when it is missing.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A message the sink received.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    /// Decoded subject.
    pub subject: String,
    /// The To header.
    pub to: String,
    /// Decoded plain-text body.
    pub body: String,
    /// The raw message (headers and body).
    pub data: String,
}

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts")
}

/// Makes sure Python can import aiosmtpd (installs it with pip once when missing).
pub fn ensure_aiosmtpd() -> anyhow::Result<()> {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    READY
        .get_or_init(|| {
            let ok = |c: &mut Command| c.status().map(|s| s.success()).unwrap_or(false);
            if ok(Command::new("python3").args(["-c", "import aiosmtpd"])) {
                return Ok(());
            }
            if ok(Command::new("python3").args(["-m", "pip", "install", "--quiet", "aiosmtpd"]))
                && ok(Command::new("python3").args(["-c", "import aiosmtpd"]))
            {
                return Ok(());
            }
            Err("python3 with aiosmtpd is needed (python3 -m pip install aiosmtpd)".into())
        })
        .clone()
        .map_err(anyhow::Error::msg)
}

/// A free TCP port on 127.0.0.1 (nothing listens on it when this returns).
pub fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// A running SMTP sink; stopped when dropped.
#[derive(Debug)]
pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl SmtpSink {
    /// Starts the sink on `port` and waits until it listens.
    pub fn start(port: u16) -> anyhow::Result<SmtpSink> {
        ensure_aiosmtpd()?;
        let dir = tempfile::tempdir()?;
        let mut child = Command::new("python3")
            .arg(scripts_dir().join("smtp_sink.py"))
            .args(["--port", &port.to_string(), "--dir"])
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting scripts/smtp_sink.py")?;
        let stdout = child.stdout.take().context("sink stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        if !line.starts_with("ready") {
            let _ = child.kill();
            bail!("the SMTP sink did not start");
        }
        Ok(SmtpSink { port, dir, child })
    }

    /// Every message received so far, in arrival order.
    pub fn messages(&self) -> anyhow::Result<Vec<Received>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| Ok(serde_json::from_str(&std::fs::read_to_string(f)?)?))
            .collect()
    }

    /// Waits up to `timeout` until at least `n` messages arrived.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> anyhow::Result<Vec<Received>> {
        let started = Instant::now();
        loop {
            let m = self.messages()?;
            if m.len() >= n || started.elapsed() > timeout {
                return Ok(m);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the sink (the port is free afterwards).
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.kill();
    }
}
