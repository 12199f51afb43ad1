//! The subcommands.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use puente_app::{App, SystemClock};
use puente_domain::CodeSet;
use puente_store::Store;

pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PUENTE_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn open(url: &str) -> anyhow::Result<Store> {
    let store = Store::connect(url).await.context("opening the database")?;
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

pub async fn migrate(url: &str) -> anyhow::Result<()> {
    open(url).await?;
    println!("migrations applied");
    Ok(())
}

pub async fn stats(url: &str, json: bool) -> anyhow::Result<()> {
    let store = open(url).await?;
    let s = store.stats().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        println!("children          {}", s.children);
        println!("state records     {}", s.state_records);
        println!("enrollments       {}", s.enrollments);
        println!("courses           {}", s.courses);
        println!("assessments       {}", s.assessments);
        println!("qualifying moves  {}", s.qualifying_moves);
        println!("interstate movers {}", s.interstate_movers);
        println!("twins             {}", s.twins);
        println!("siblings          {}", s.siblings);
        for (state, n) in &s.children_by_state {
            println!("  {state}: {n} children");
        }
    }
    Ok(())
}

/// The SMTP client of the settings, or `None` when no SMTP host is configured.
fn mailer(mail: &crate::MailArgs) -> anyhow::Result<Option<puente_app::mail::Mailer>> {
    use puente_app::mail::{Mailer, SmtpSecurity, SmtpSettings};
    let Some(host) = &mail.smtp_host else {
        return Ok(None);
    };
    let security = SmtpSecurity::parse(&mail.smtp_security)
        .context("--smtp-security must be starttls, tls or none")?;
    let settings = SmtpSettings {
        host: host.clone(),
        port: mail.smtp_port,
        from: mail.smtp_from.clone(),
        security,
        username: mail.smtp_username.clone(),
        password: std::env::var("PUENTE_SMTP_PASSWORD").ok(),
        timeout: std::time::Duration::from_secs(30),
    };
    Ok(Some(Mailer::new(&settings).context("SMTP settings")?))
}

fn apply_public_url(app: &mut App, mail: &crate::MailArgs, addr: &str) {
    app.public_url = match &mail.public_url {
        Some(u) => u.clone(),
        None => format!("http://{addr}"),
    };
}

pub async fn serve(addr: &str, url: &str, mail: &crate::MailArgs) -> anyhow::Result<()> {
    let store = open(url).await?;
    let mut app = App::new(store, Arc::new(SystemClock)).await?;
    apply_public_url(&mut app, mail, addr);
    run_server(addr, Arc::new(app), mail).await
}

/// A line for whoever started the server. A running server must not die because nobody reads
/// its standard output any more (a closed pipe), so write errors are ignored here.
fn announce(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Background jobs of a running server: the e-mail outbox worker (when SMTP is configured) and,
/// hourly, the escalation of unacknowledged data requests and of worklist items, the daily
/// worklist digest, and the refresh of the kept report rows (every 30 seconds for the children
/// that writes marked).
fn start_background(app: &Arc<App>, mail: &crate::MailArgs) -> anyhow::Result<()> {
    match mailer(mail)? {
        Some(m) => {
            puente_app::mail::spawn_outbox_worker(
                app.clone(),
                m,
                std::time::Duration::from_secs(5),
            );
            announce(&format!(
                "E-mail: sending through {}",
                mail.smtp_host.as_deref().unwrap_or("")
            ));
        }
        None => announce(
            "E-mail: no SMTP server configured (--smtp-host); messages stay queued (puente mail outbox).",
        ),
    }
    // The linkage index is built in the background, so the first upload does not wait for it
    // (search and records do not need it).
    let warm = app.clone();
    tokio::spawn(async move {
        match warm.warm_link_index().await {
            Ok(children) => tracing::info!(children, "linkage index ready"),
            Err(e) => tracing::warn!(error = %e, "building the linkage index failed"),
        }
    });
    let jobs = app.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = jobs.escalate_notices().await {
                tracing::warn!(error = %e, "escalating notices failed");
            }
            if let Err(e) = jobs.escalate_worklists().await {
                tracing::warn!(error = %e, "escalating worklist items failed");
            }
            // At most one digest a day per administrator, so running it hourly is safe.
            if let Err(e) = jobs.send_worklist_digests().await {
                tracing::warn!(error = %e, "queueing worklist digests failed");
            }
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    });
    // Every 30 seconds, the kept report rows of the children that writes marked are computed
    // again, so that a report after a bulk upload does not pay for them; hourly, every state's
    // rows for the current period (a period never computed gets its full pass then). Not at
    // start: reports do it for their own state on demand.
    let marked = app.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            if let Err(e) = marked
                .refresh_marked_reports(&puente_app::Actor::system())
                .await
            {
                tracing::warn!(error = %e, "refreshing marked report rows failed");
            }
        }
    });
    let reports = app.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            let year = puente_domain::childcount::period_start_year_of(
                reports.clock.now().date_naive(),
                &Default::default(),
            );
            match reports
                .refresh_all_reports(&puente_app::Actor::system(), year)
                .await
            {
                Ok(states) => tracing::info!(states = states.len(), "kept report rows up to date"),
                Err(e) => tracing::warn!(error = %e, "refreshing kept report rows failed"),
            }
        }
    });
    Ok(())
}

async fn run_server(addr: &str, app: Arc<App>, mail: &crate::MailArgs) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    println!("Puente is serving at http://{local}/  (Ctrl-C to stop)");
    start_background(&app, mail)?;
    let router = puente_web::router(puente_web::WebState { app });
    // The peer address feeds login throttling and the audit trail.
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

pub fn generate(students: usize, seed: u64, out: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let data = puente_testkit::synth::generate(&puente_testkit::synth::SynthConfig {
        students,
        seed,
        today: today(),
        states: Vec::new(),
    });
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S000").to_string();
    for (state, records) in &data.by_state {
        let raws: Vec<_> = records.iter().map(|r| r.to_raw()).collect();
        let header = puente_interchange::Header {
            submitting_state: state.code().to_string(),
            submission_date: stamp.clone(),
            total_students: raws.len() as u64,
            total_records: raws.iter().map(puente_interchange::record_count).sum(),
            beginning_effective_date: stamp.clone(),
            ending_effective_date: stamp.clone(),
        };
        let path = out.join(format!("{}.jsonl", state.code()));
        let file = std::io::BufWriter::new(
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?,
        );
        puente_interchange::jsonl::write(file, &header, &raws)?;
    }
    let truth = out.join("truth.csv");
    let mut w = csv::Writer::from_path(&truth)?;
    w.write_record(["state", "state_student_id", "child", "family", "twin_of"])?;
    for t in &data.truth {
        w.write_record([
            t.state.code().to_string(),
            t.state_student_id.clone(),
            t.child.to_string(),
            t.family.to_string(),
            t.twin_of.map(|x| x.to_string()).unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    println!(
        "wrote {} children as {} state files and truth.csv to {} in {:.1}s",
        data.children,
        data.by_state.len(),
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub async fn demo(
    addr: &str,
    students: usize,
    seed: u64,
    dir: &Path,
    no_serve: bool,
    mail: &crate::MailArgs,
) -> anyhow::Result<()> {
    let started = Instant::now();
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for f in ["puente.db", "puente.db-wal", "puente.db-shm"] {
        let p = dir.join(f);
        if p.exists() {
            std::fs::remove_file(&p)
                .with_context(|| format!("removing the previous demo database {}", p.display()))?;
        }
    }
    let url = format!("sqlite://{}", dir.join("puente.db").display());
    let store = open(&url).await?;
    let mut app = App::new(store, Arc::new(SystemClock)).await?;
    apply_public_url(&mut app, mail, addr);
    let app = Arc::new(app);
    let data = puente_testkit::synth::generate(&puente_testkit::synth::SynthConfig {
        students,
        seed,
        today: today(),
        states: Vec::new(),
    });
    let mut loaded = 0usize;
    for records in data.by_state.values() {
        for chunk in records.chunks(2000) {
            app.ingest(chunk.to_vec(), None).await?;
            loaded += chunk.len();
        }
    }
    let accounts = app.seed_demo_accounts().await?;
    // Each state's districts in three regions, for the data-quality report by region.
    for state in data.by_state.keys() {
        let districts = puente_testkit::synth::districts(*state);
        let areas: Vec<puente_app::applications::DistrictArea> = districts
            .into_iter()
            .enumerate()
            .map(|(i, (district_id, district_name))| {
                let region = ["North", "Central", "South"][i % 3];
                puente_app::applications::DistrictArea {
                    district_id,
                    district_name,
                    region_code: Some(format!("R{}", i % 3 + 1)),
                    region_name: Some(format!("{} {region}", state.code())),
                }
            })
            .collect();
        app.set_state_areas(&puente_app::Actor::system(), state.code(), &areas)
            .await?;
    }
    let s = app.stats().await?;
    println!(
        "Demo data: {} children, {} state records from {} states, loaded in {:.1}s ({} records).",
        s.children,
        s.state_records,
        s.children_by_state.len(),
        started.elapsed().as_secs_f64(),
        loaded
    );
    println!("Database: {url}   (see counts with: puente stats --db {url})");
    println!(
        "Demo accounts (demo only; password for all: {}):",
        puente_app::accounts::DEMO_PASSWORD
    );
    println!(
        "Each needs a TOTP code: add its secret to an authenticator app (RFC 6238, 30 s, 6 digits)."
    );
    for a in &accounts {
        println!(
            "  {:<40} {:<34} TOTP secret {}",
            a.email, a.role_label, a.totp_secret
        );
    }
    if no_serve {
        return Ok(());
    }
    run_server(addr, app, mail).await
}

pub async fn notices_escalate(url: &str) -> anyhow::Result<()> {
    let store = open(url).await?;
    let app = App::new(store, Arc::new(SystemClock)).await?;
    let n = app.escalate_notices().await?;
    println!("escalated {n} data request(s)");
    Ok(())
}

pub async fn mail_outbox(url: &str, status: Option<&str>, limit: i64) -> anyhow::Result<()> {
    let store = open(url).await?;
    let app = App::new(store, Arc::new(SystemClock)).await?;
    let (c, rows) = app
        .outbox_status(&puente_app::Actor::system(), status, limit)
        .await?;
    println!("queued {}  sent {}  failed {}", c.queued, c.sent, c.failed);
    for m in rows {
        println!(
            "{}  {:<7} {:<28} {:<34} attempts {:<3} next {}  {}",
            m.id,
            m.status,
            m.template,
            m.recipient,
            m.attempts,
            m.next_attempt_at.format("%Y-%m-%d %H:%M:%S"),
            m.last_error.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

pub async fn mail_retry(url: &str, id: &str) -> anyhow::Result<()> {
    let store = open(url).await?;
    let app = App::new(store, Arc::new(SystemClock)).await?;
    app.retry_mail(&puente_app::Actor::system(), id).await?;
    println!("queued again");
    Ok(())
}

pub async fn mail_test(
    url: &str,
    to: &str,
    locale: &str,
    mail: &crate::MailArgs,
) -> anyhow::Result<()> {
    let store = open(url).await?;
    let app = App::new(store, Arc::new(SystemClock)).await?;
    app.queue_test_mail(&puente_app::Actor::system(), to, locale)
        .await?;
    match mailer(mail)? {
        Some(m) => {
            let r = app.deliver_outbox(&m).await?;
            println!(
                "sent {}, deferred {}, failed {} (see puente mail outbox)",
                r.sent, r.deferred, r.failed
            );
        }
        None => println!("queued; no SMTP server configured (--smtp-host), nothing sent"),
    }
    Ok(())
}

/// A file was rejected whole: the process exits with this code.
#[derive(Debug)]
pub struct Rejected(pub usize);

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} file(s) rejected whole; nothing from them was written",
            self.0
        )
    }
}

impl std::error::Error for Rejected {}

pub async fn submit(
    url: &str,
    state: &str,
    report_dir: Option<&Path>,
    json: bool,
    files: &[std::path::PathBuf],
) -> anyhow::Result<()> {
    use puente_app::submit::{Channel, Outcome};
    let state = puente_domain::StateCode::parse(state)
        .with_context(|| format!("'{state}' is not a USPS state code"))?;
    let store = open(url).await?;
    let app = App::new(store, Arc::new(SystemClock)).await?;
    let mut rejected = 0;
    for file in files {
        let started = Instant::now();
        if !json {
            eprintln!("{}: processing ...", file.display());
        }
        // A progress bar on a terminal; nothing when the output is a file or a pipe.
        let bar = if !json && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            let b = indicatif::ProgressBar::new(0);
            b.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} students  {elapsed}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            Some(b)
        } else {
            None
        };
        let tick = |done: u64, total: u64| {
            if let Some(b) = &bar {
                b.set_length(total);
                b.set_position(done);
            }
        };
        let report = app
            .submit_file_with_progress(state, Channel::Cli, file, None, &tick)
            .await?;
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        let s = &report.submission;
        if json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            match report.outcome {
                Outcome::Completed => println!(
                    "{}: processed in {:.1}s: {} students, {} accepted, {} rejected (submission {}, {} {})",
                    file.display(),
                    started.elapsed().as_secs_f64(),
                    s.students_total.unwrap_or(0),
                    s.accepted.unwrap_or(0),
                    s.rejected.unwrap_or(0),
                    s.id,
                    s.format.as_deref().unwrap_or(""),
                    s.encoding.as_deref().unwrap_or("")
                ),
                Outcome::AlreadyReceived => println!(
                    "{}: this exact file was already received on {} (submission {}); nothing was written again",
                    file.display(),
                    s.received_at.format("%Y-%m-%d %H:%M UTC"),
                    s.id
                ),
                Outcome::Rejected => println!(
                    "{}: REJECTED: {}",
                    file.display(),
                    s.error
                        .as_deref()
                        .unwrap_or("the file could not be processed")
                ),
            }
        }
        if report.outcome == Outcome::Rejected {
            rejected += 1;
        }
        if let Some(dir) = report_dir {
            std::fs::create_dir_all(dir)?;
            let stem = file
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_else(|| "submission".into());
            let path = dir.join(format!("{stem}.report.csv"));
            std::fs::write(&path, report.to_csv())?;
            if !json {
                println!("  report: {}", path.display());
            }
        }
    }
    if rejected > 0 {
        return Err(Rejected(rejected).into());
    }
    Ok(())
}

/// `puente audit verify`: walks the audit hash chain.
pub async fn audit_verify(url: &str) -> anyhow::Result<()> {
    let store = open(url).await?;
    let app = App::new(store, Arc::new(SystemClock)).await?;
    let report = app.audit_verify().await?;
    if report.ok() {
        println!("audit chain intact: {} events", report.events);
        return Ok(());
    }
    for p in &report.problems {
        println!("{p:?}");
    }
    anyhow::bail!(
        "audit chain broken: {} problems in {} events",
        report.problems.len(),
        report.events
    )
}

/// `puente state-areas --state TX --input districts.csv`: replaces the state's districts and
/// regions, as the system actor (audited).
pub async fn state_areas(url: &str, state: &str, input: &Path) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(input).with_context(|| format!("reading {}", input.display()))?;
    let areas = puente_app::applications::parse_district_areas(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?;
    let app = system_app(url).await?;
    let state = state.to_ascii_uppercase();
    app.set_state_areas(&puente_app::Actor::system(), &state, &areas)
        .await?;
    let regions: std::collections::BTreeSet<&str> = areas
        .iter()
        .filter_map(|a| a.region_code.as_deref())
        .collect();
    println!(
        "{state}: {} districts in {} regions",
        areas.len(),
        regions.len()
    );
    Ok(())
}

/// `puente users list`.
/// `puente users seed-demo`: the demo accounts (one per role, TOTP secrets printed) in any
/// database, e.g. PostgreSQL for the load battery. Demo only: the password is public.
pub async fn users_seed_demo(url: &str) -> anyhow::Result<()> {
    let app = system_app(url).await?;
    let accounts = app.seed_demo_accounts().await?;
    println!(
        "Demo accounts (demo only; password for all: {}):",
        puente_app::accounts::DEMO_PASSWORD
    );
    for a in &accounts {
        println!(
            "  {:<40} {:<34} TOTP secret {}",
            a.email, a.role_label, a.totp_secret
        );
    }
    Ok(())
}

pub async fn users_list(url: &str) -> anyhow::Result<()> {
    let store = open(url).await?;
    for u in store.list_users(None).await? {
        println!(
            "{:<40} {:<22} {:<4} {:<12} {}",
            u.email,
            u.role,
            u.scope_state.as_deref().unwrap_or("-"),
            u.status,
            u.last_login_at
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|| "never".into())
        );
    }
    Ok(())
}

/// `puente users disable-inactive`: the 90-day inactivity job.
pub async fn users_disable_inactive(url: &str) -> anyhow::Result<()> {
    let store = open(url).await?;
    let app = App::new(store, Arc::new(SystemClock)).await?;
    let ids = app.disable_inactive_accounts().await?;
    println!("disabled {} inactive accounts", ids.len());
    Ok(())
}

async fn system_app(url: &str) -> anyhow::Result<App> {
    Ok(App::new(open(url).await?, Arc::new(SystemClock)).await?)
}

pub async fn tokens_issue(url: &str, state: &str, name: &str) -> anyhow::Result<()> {
    let app = system_app(url).await?;
    let (id, token) = app
        .issue_api_token(
            &puente_app::Actor::system(),
            &state.to_ascii_uppercase(),
            name,
        )
        .await?;
    println!("token id: {id}");
    println!("token (shown once; send it as 'Authorization: Bearer <token>'):");
    println!("{token}");
    Ok(())
}

pub async fn tokens_revoke(url: &str, id: &str) -> anyhow::Result<()> {
    let app = system_app(url).await?;
    if app
        .revoke_api_token(&puente_app::Actor::system(), id)
        .await?
    {
        println!("revoked {id}");
        Ok(())
    } else {
        anyhow::bail!("token {id} was already revoked")
    }
}

pub async fn tokens_list(url: &str) -> anyhow::Result<()> {
    let app = system_app(url).await?;
    for t in app.api_tokens(&puente_app::Actor::system()).await? {
        println!(
            "{}  {}  {:<30}  created {}  last used {}  {}",
            t.id,
            t.state,
            t.name,
            t.created_at.format("%Y-%m-%d"),
            t.last_used_at
                .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|| "never".into()),
            if t.revoked_at.is_some() {
                "REVOKED"
            } else {
                "active"
            }
        );
    }
    Ok(())
}

pub async fn worklists_digest(url: &str) -> anyhow::Result<()> {
    let app = system_app(url).await?;
    let r = app.send_worklist_digests().await?;
    println!(
        "{} digest(s) queued, {} administrator(s) with nothing new or already sent today",
        r.mailed, r.skipped
    );
    Ok(())
}

pub async fn worklists_escalate(url: &str) -> anyhow::Result<()> {
    let app = system_app(url).await?;
    let r = app.escalate_worklists().await?;
    println!(
        "{} item(s) escalated, {} validation(s) auto-approved",
        r.escalated, r.auto_approved
    );
    Ok(())
}
