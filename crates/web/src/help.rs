//! Built-in help: the user guides of `docs/guide/{en,es}/*.md`, compiled into the binary and
//! rendered as portal pages (`/help`, `/help/{guide}`), and the context-help link every page
//! carries ([`context_href`]).
//!
//! The guides are written once, in Markdown, for the portal and for trainers (who print them
//! from `docs/guide/`). Both languages define the same section anchors (`## Title {#anchor}`);
//! pages link to `/help/<guide>#<anchor>`, and tests check that every such link exists.

use askama::Template;
use axum::Extension;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use puente_domain::roles::Role;
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::frame::{Frame, render};
use crate::i18n::Lang;

/// What a guide is for: a role's full guide, a role's one-page quick reference, or the FAQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuideKind {
    Guide,
    Quick,
    Faq,
}

/// One guide, in both languages.
#[derive(Debug, Clone, Copy)]
pub struct Guide {
    /// URL segment and file stem, e.g. `registrar` for `docs/guide/en/registrar.md`.
    pub slug: &'static str,
    pub kind: GuideKind,
    pub en: &'static str,
    pub es: &'static str,
}

impl Guide {
    /// The Markdown source in `lang`.
    pub fn source(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Es => self.es,
        }
    }
}

macro_rules! guide {
    ($slug:literal, $kind:expr) => {
        Guide {
            slug: $slug,
            kind: $kind,
            en: include_str!(concat!("../../../docs/guide/en/", $slug, ".md")),
            es: include_str!(concat!("../../../docs/guide/es/", $slug, ".md")),
        }
    };
}

/// Every guide, in the order the help page lists them.
pub const GUIDES: &[Guide] = &[
    guide!("registrar", GuideKind::Guide),
    guide!("recruiter", GuideKind::Guide),
    guide!("data-administrator", GuideKind::Guide),
    guide!("user-administrator", GuideKind::Guide),
    guide!("federal-viewer", GuideKind::Guide),
    guide!("faq", GuideKind::Faq),
    guide!("quick-registrar", GuideKind::Quick),
    guide!("quick-recruiter", GuideKind::Quick),
    guide!("quick-data-administrator", GuideKind::Quick),
    guide!("quick-user-administrator", GuideKind::Quick),
    guide!("quick-federal-viewer", GuideKind::Quick),
];

/// The guide with this slug.
pub fn guide(slug: &str) -> Option<&'static Guide> {
    GUIDES.iter().find(|g| g.slug == slug)
}

/// The guide written for a role (secondary and primary users are registrars, counselors and
/// recruiters: the registrar guide covers both, the recruiter guide is listed beside it).
pub fn guide_for(role: Role) -> &'static str {
    match role {
        Role::SecondaryUser | Role::PrimaryUser | Role::StateSystem => "registrar",
        Role::DataAdministrator => "data-administrator",
        Role::UserAdministrator | Role::SystemAdministrator => "user-administrator",
        Role::FederalViewer => "federal-viewer",
    }
}

/// The context-help link for a page: the section of the guide that documents `path`, for the
/// signed-in user's role (`None` when signed out).
pub fn context_href(path: &str, role: Option<Role>) -> String {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    let target: Option<(&str, &str)> = if under("/login") || under("/account") {
        Some(("registrar", "sign-in"))
    } else if under("/search") {
        Some(("registrar", "search"))
    } else if under("/students") {
        Some(("registrar", "record"))
    } else if under("/worklists") {
        Some(("data-administrator", "worklists"))
    } else if under("/submissions") {
        Some(("data-administrator", "submissions"))
    } else if under("/notices") {
        match role {
            Some(Role::DataAdministrator) => Some(("data-administrator", "notices")),
            _ => Some(("recruiter", "move-notice")),
        }
    } else if under("/reports") {
        match role {
            Some(Role::FederalViewer) => Some(("federal-viewer", "national")),
            _ => Some(("data-administrator", "reports")),
        }
    } else if under("/admin") {
        Some(("user-administrator", "roles"))
    } else {
        None
    };
    match (target, role) {
        (Some((slug, anchor)), _) => format!("/help/{slug}#{anchor}"),
        (None, Some(r)) if path == "/" => format!("/help/{}", guide_for(r)),
        _ => "/help".to_string(),
    }
}

/// A guide rendered to HTML.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Text of the first level-1 heading.
    pub title: String,
    pub html: String,
    /// Section anchors (`{#id}` on headings), in order.
    pub anchors: Vec<String>,
}

/// Renders guide Markdown. Raw HTML in the source is shown as text, never passed through;
/// tables are wrapped in a scrolling container so they never widen a phone screen.
pub fn render_markdown(src: &str) -> Rendered {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut title = String::new();
    let mut in_h1 = false;
    let mut anchors = Vec::new();
    let events: Vec<Event> = Parser::new_ext(src, opts)
        .map(|ev| match ev {
            Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
            other => other,
        })
        .inspect(|ev| match ev {
            Event::Start(Tag::Heading { level, id, .. }) => {
                in_h1 = *level == HeadingLevel::H1 && title.is_empty();
                if let Some(id) = id {
                    anchors.push(id.to_string());
                }
            }
            Event::End(TagEnd::Heading(_)) => in_h1 = false,
            Event::Text(t) | Event::Code(t) if in_h1 => title.push_str(t),
            _ => {}
        })
        .collect();
    let mut html = String::with_capacity(src.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    // Raw HTML became text above, so `<table>` here can only come from a Markdown table.
    let html = html
        .replace(
            "<table>",
            "<div class=\"usa-table-container--scrollable\" tabindex=\"0\"><table class=\"usa-table usa-table--borderless\">",
        )
        .replace("</table>", "</table></div>");
    Rendered {
        title,
        html,
        anchors,
    }
}

/// One entry of the help index.
pub struct Entry {
    pub href: String,
    pub title: String,
}

#[derive(Template)]
#[template(path = "help/index.html")]
pub struct HelpIndex {
    pub frame: Frame,
    pub yours: Option<Entry>,
    pub guides: Vec<Entry>,
    pub quick: Vec<Entry>,
    pub faq: Vec<Entry>,
}

#[derive(Template)]
#[template(path = "help/guide.html")]
pub struct GuidePage {
    pub frame: Frame,
    pub title: String,
    pub body: String,
    pub quick: bool,
}

fn entry(g: &Guide, lang: Lang) -> Entry {
    Entry {
        href: format!("/help/{}", g.slug),
        title: render_markdown(g.source(lang)).title,
    }
}

/// `GET /help`: every guide, the signed-in user's own first.
pub async fn index(Extension(frame): Extension<Frame>) -> Response {
    let lang = frame.lang;
    let yours = frame
        .user
        .as_ref()
        .and_then(|u| guide(guide_for(u.role)))
        .map(|g| entry(g, lang));
    let of = |kind: GuideKind| -> Vec<Entry> {
        GUIDES
            .iter()
            .filter(|g| g.kind == kind)
            .map(|g| entry(g, lang))
            .collect()
    };
    let page = HelpIndex {
        guides: of(GuideKind::Guide),
        quick: of(GuideKind::Quick),
        faq: of(GuideKind::Faq),
        yours,
        frame,
    };
    render(StatusCode::OK, &page)
}

/// `GET /help/{guide}`: one guide or quick reference, in the page language.
pub async fn page(Extension(frame): Extension<Frame>, Path(slug): Path<String>) -> Response {
    let Some(g) = guide(&slug) else {
        return crate::pages::not_found(Some(Extension(frame))).await;
    };
    let r = render_markdown(g.source(frame.lang));
    let page = GuidePage {
        title: r.title,
        body: r.html,
        quick: g.kind == GuideKind::Quick,
        frame,
    };
    render(StatusCode::OK, &page)
}
