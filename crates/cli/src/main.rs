//! The `puente` binary: a thin edge over the app and web crates.

mod commands;
mod link;
mod report;

use clap::{Parser, Subcommand};

/// Puente: an open exchange for migrant student records.
#[derive(Parser, Debug)]
#[command(name = "puente", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the database is: `--db URL`, or PUENTE_DATABASE_URL, or SQLite under the data directory.
#[derive(clap::Args, Debug, Clone)]
pub struct DbArgs {
    /// Database URL: postgres://user@host/db, sqlite://path, or a SQLite file path.
    #[arg(long, env = "PUENTE_DATABASE_URL")]
    pub db: Option<String>,
    /// Directory for the embedded SQLite database when --db is not given.
    #[arg(long, env = "PUENTE_DATA_DIR", default_value = "puente-data")]
    pub data_dir: std::path::PathBuf,
}

impl DbArgs {
    pub fn url(&self) -> String {
        match &self.db {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", self.data_dir.join("puente.db").display()),
        }
    }
}

/// E-mail (SMTP) settings and the public address used in e-mail links. Without --smtp-host,
/// e-mail stays queued in the outbox (visible with `puente mail outbox`) and nothing is sent.
#[derive(clap::Args, Debug, Clone)]
pub struct MailArgs {
    /// SMTP server host name.
    #[arg(long, env = "PUENTE_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP server port.
    #[arg(long, env = "PUENTE_SMTP_PORT", default_value_t = 587)]
    pub smtp_port: u16,
    /// Sender address of Puente's e-mail.
    #[arg(
        long,
        env = "PUENTE_SMTP_FROM",
        default_value = "Puente <no-reply@puente.invalid>"
    )]
    pub smtp_from: String,
    /// Connection security: starttls, tls, or none (a local relay only).
    #[arg(long, env = "PUENTE_SMTP_SECURITY", default_value = "starttls")]
    pub smtp_security: String,
    /// SMTP user name (the password comes from PUENTE_SMTP_PASSWORD only).
    #[arg(long, env = "PUENTE_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// The portal's public address, for links in e-mail.
    #[arg(long, env = "PUENTE_PUBLIC_URL")]
    pub public_url: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the web server (portal and API).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Create a fresh demo database with synthetic children, print the demo logins, and serve.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Number of synthetic children.
        #[arg(long, default_value_t = 5000)]
        students: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Directory for the demo database (replaced on every run).
        #[arg(long, default_value = "puente-data/demo")]
        dir: std::path::PathBuf,
        /// Load the data and exit without serving.
        #[arg(long)]
        no_serve: bool,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Write synthetic submission files, one per state, with the known truth beside them.
    Generate {
        #[arg(long, default_value_t = 5000)]
        students: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Counts of children, state records, enrollments, courses, assessments.
    Stats {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Apply database migrations.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Link the records of a CSV file into children: writes `record_id,cluster_id`.
    Link {
        #[arg(long)]
        input: std::path::PathBuf,
        #[arg(long)]
        output: std::path::PathBuf,
        /// Also write the scored candidate pairs with their conflicts.
        #[arg(long)]
        explain: Option<std::path::PathBuf>,
    },
    /// Submit state files (XML, JSON, JSON Lines or CSV). Exit 0 when every file was processed
    /// (even with rejected records); 3 when a file was rejected whole.
    Submit {
        /// The submitting state (USPS code).
        #[arg(long)]
        state: String,
        /// Write each file's report as CSV to this directory.
        #[arg(long)]
        report_dir: Option<std::path::PathBuf>,
        /// Print the reports as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// User accounts.
    Users {
        #[command(subcommand)]
        cmd: UsersCmd,
    },
    /// Replace a state's school districts and the regions they belong to (the data-quality
    /// report adds districts up by region): CSV with a header, columns district_id and
    /// optionally district_name, region_code, region_name.
    StateAreas {
        #[arg(long)]
        state: String,
        #[arg(long)]
        input: std::path::PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// API tokens of state systems (for POST /api/v1/submissions).
    Tokens {
        #[command(subcommand)]
        cmd: TokensCmd,
    },
    /// Worklists: escalate overdue items and auto-approve lapsed validations (run daily).
    Worklists {
        #[command(subcommand)]
        cmd: WorklistsCmd,
    },
    /// Notices: escalate data requests not acknowledged in time (run daily; the server also
    /// runs it every hour).
    Notices {
        #[command(subcommand)]
        cmd: NoticesCmd,
    },
    /// E-mail: the outbox, retries, a test message.
    Mail {
        #[command(subcommand)]
        cmd: MailCmd,
    },
    /// Reports: child count (Category 1/2), national totals, reconciliation, data quality.
    Report {
        #[command(subcommand)]
        cmd: report::ReportCmd,
    },
}

#[derive(Subcommand, Debug)]
enum WorklistsCmd {
    /// Move items past their level's deadline up a level (district, regional, state) and
    /// auto-approve merge/split validations whose full escalation period has lapsed.
    Escalate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Queue the daily e-mail digest for every data administrator with new or escalated items
    /// (at most one a day each; `puente serve` also does this hourly). Sent by the outbox worker.
    Digest {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
enum NoticesCmd {
    /// Escalate data requests not acknowledged within 2 working days one level.
    Escalate {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
enum MailCmd {
    /// Outbox counts and the latest messages (recipient, template, status, attempts, last error).
    Outbox {
        /// Only messages with this status: queued, sent, failed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Put a failed message back in the queue.
    Retry {
        id: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Queue a test message and deliver the queue once with the SMTP settings.
    Test {
        #[arg(long)]
        to: String,
        /// en or es.
        #[arg(long, default_value = "en")]
        locale: String,
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        mail: MailArgs,
    },
}

#[derive(Subcommand, Debug)]
enum TokensCmd {
    /// Issue a token for a state; it is printed once and stored only as a hash.
    Issue {
        #[arg(long)]
        state: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke a token by its id.
    Revoke {
        id: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List tokens (never the tokens themselves).
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCmd {
    /// Check the audit hash chain; exit 1 and list the problems when an event was edited,
    /// deleted or reordered.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
enum UsersCmd {
    /// Create the demo accounts (one per role; password and TOTP secrets printed). Demo and
    /// test databases only.
    SeedDemo {
        #[command(flatten)]
        db: DbArgs,
    },
    /// List the accounts (e-mail, role, state, status, last sign-in).
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Disable accounts without a sign-in for 90 days (run daily).
    DisableInactive {
        #[command(flatten)]
        db: DbArgs,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    commands::init_tracing();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("puente: cannot start the runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let result = rt.block_on(async {
        match cli.command {
            Command::Serve { addr, db, mail } => commands::serve(&addr, &db.url(), &mail).await,
            Command::Demo {
                addr,
                students,
                seed,
                dir,
                no_serve,
                mail,
            } => commands::demo(&addr, students, seed, &dir, no_serve, &mail).await,
            Command::Generate {
                students,
                seed,
                out,
            } => commands::generate(students, seed, &out),
            Command::Stats { json, db } => commands::stats(&db.url(), json).await,
            Command::Migrate { db } => commands::migrate(&db.url()).await,
            Command::Link {
                input,
                output,
                explain,
            } => link::run(&input, &output, explain.as_deref()),
            Command::Submit {
                state,
                report_dir,
                json,
                db,
                files,
            } => commands::submit(&db.url(), &state, report_dir.as_deref(), json, &files).await,
            Command::Audit {
                cmd: AuditCmd::Verify { db },
            } => commands::audit_verify(&db.url()).await,
            Command::Users {
                cmd: UsersCmd::SeedDemo { db },
            } => commands::users_seed_demo(&db.url()).await,
            Command::Users {
                cmd: UsersCmd::List { db },
            } => commands::users_list(&db.url()).await,
            Command::Users {
                cmd: UsersCmd::DisableInactive { db },
            } => commands::users_disable_inactive(&db.url()).await,
            Command::StateAreas { state, input, db } => {
                commands::state_areas(&db.url(), &state, &input).await
            }
            Command::Tokens { cmd } => match cmd {
                TokensCmd::Issue { state, name, db } => {
                    commands::tokens_issue(&db.url(), &state, &name).await
                }
                TokensCmd::Revoke { id, db } => commands::tokens_revoke(&db.url(), &id).await,
                TokensCmd::List { db } => commands::tokens_list(&db.url()).await,
            },
            Command::Report { cmd } => report::run(cmd).await,
            Command::Notices {
                cmd: NoticesCmd::Escalate { db },
            } => commands::notices_escalate(&db.url()).await,
            Command::Mail { cmd } => match cmd {
                MailCmd::Outbox { status, limit, db } => {
                    commands::mail_outbox(&db.url(), status.as_deref(), limit).await
                }
                MailCmd::Retry { id, db } => commands::mail_retry(&db.url(), &id).await,
                MailCmd::Test {
                    to,
                    locale,
                    db,
                    mail,
                } => commands::mail_test(&db.url(), &to, &locale, &mail).await,
            },
            Command::Worklists {
                cmd: WorklistsCmd::Escalate { db },
            } => commands::worklists_escalate(&db.url()).await,
            Command::Worklists {
                cmd: WorklistsCmd::Digest { db },
            } => commands::worklists_digest(&db.url()).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("puente: {e:#}");
            if e.downcast_ref::<commands::Rejected>().is_some() {
                std::process::ExitCode::from(3)
            } else {
                std::process::ExitCode::from(1)
            }
        }
    }
}
