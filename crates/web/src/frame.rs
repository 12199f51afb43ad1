//! The page frame: per-request context (language, current path), the locale middleware,
//! the task navigation, and rendering helpers shared by every page.
//!
//! A page is an Askama template struct with a `frame: Frame` field; templates extend
//! `base.html` and call `frame.t("message-id")` for every visible string.

use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::assets;
use crate::i18n::{self, Lang};

/// One entry of the task navigation.
#[derive(Debug, Clone, Copy)]
pub struct NavItem {
    /// Route path, e.g. `/search`.
    pub href: &'static str,
    /// Fluent id of the link text.
    pub label: &'static str,
    /// Fluent id of the one-line description (home page cards).
    pub desc: &'static str,
}

/// The navigation by task, in order. Every entry is a portal route.
pub const NAV: &[NavItem] = &[
    NavItem {
        href: "/search",
        label: "nav-search",
        desc: "task-search-desc",
    },
    NavItem {
        href: "/worklists",
        label: "nav-worklists",
        desc: "task-worklists-desc",
    },
    NavItem {
        href: "/notices",
        label: "nav-notices",
        desc: "task-notices-desc",
    },
    NavItem {
        href: "/reports",
        label: "nav-reports",
        desc: "task-reports-desc",
    },
    NavItem {
        href: "/submissions",
        label: "nav-submissions",
        desc: "task-submissions-desc",
    },
    NavItem {
        href: "/admin",
        label: "nav-admin",
        desc: "task-admin-desc",
    },
];

/// Per-request frame context, put into request extensions by [`locale_middleware`].
/// Extract it in handlers with `Extension<Frame>`.
#[derive(Debug, Clone)]
pub struct Frame {
    pub lang: Lang,
    /// Request path (no query), for marking the current navigation entry.
    pub path: String,
    /// Path and query without any `lang` parameter: where the language switch returns to.
    pub return_to: String,
    /// The signed-in user (set by the session middleware), for the header and the navigation.
    pub user: Option<FrameUser>,
}

/// Who is signed in, as the frame shows it.
#[derive(Debug, Clone)]
pub struct FrameUser {
    pub name: String,
    /// The session's CSRF token (for the sign-out form).
    pub csrf: String,
    pub role: puente_domain::roles::Role,
    /// Open items on the user's worklist (data administrators), for the navigation badge.
    pub worklist_count: Option<usize>,
}

/// Characters to escape in a `next=` query value.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'_');

impl Frame {
    /// The session's CSRF token for the page's forms (empty when nobody is signed in).
    pub fn csrf(&self) -> String {
        self.user
            .as_ref()
            .map(|u| u.csrf.clone())
            .unwrap_or_default()
    }

    /// Translates a message id in the page language.
    pub fn t(&self, id: &str) -> String {
        self.lang.t(id)
    }

    /// Translates with one named argument.
    pub fn t1(&self, id: &str, name: &str, value: &str) -> String {
        self.lang.t_args(id, &[(name, value)])
    }

    /// The page language code for `<html lang>`.
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// The navigation entries the signed-in user may open (none when signed out).
    pub fn nav(&self) -> Vec<NavItem> {
        let role = self.user.as_ref().map(|u| u.role);
        NAV.iter()
            .filter(|n| crate::auth::role_can_get(role, n.href))
            .copied()
            .collect()
    }

    /// The context-help link: the guide section that documents this page.
    pub fn help_href(&self) -> String {
        crate::help::context_href(&self.path, self.user.as_ref().map(|u| u.role))
    }

    /// The count badge of a navigation entry: (number shown, accessible text), when there is
    /// something to count (open worklist items).
    pub fn badge(&self, href: &str) -> Option<(String, String)> {
        if href != "/worklists" {
            return None;
        }
        let n = self.user.as_ref()?.worklist_count.filter(|n| *n > 0)?;
        let count = n.to_string();
        let label = self.t1("wl-badge-label", "count", &count);
        Some((count, label))
    }

    /// Whether `href` is the current section (the page itself or a page under it).
    pub fn is_current(&self, href: &str) -> bool {
        self.path == href
            || (href != "/"
                && self
                    .path
                    .strip_prefix(href)
                    .is_some_and(|r| r.starts_with('/')))
    }

    /// The language the switch offers.
    pub fn other_lang(&self) -> Lang {
        self.lang.other()
    }

    /// Code of the language the switch offers.
    pub fn other_code(&self) -> &'static str {
        self.lang.other().code()
    }

    /// Name of the offered language, in that language (e.g. "Español").
    pub fn other_name(&self) -> String {
        let other = self.lang.other();
        other.t(&format!("lang-name-{}", other.code()))
    }

    /// Link that sets the language cookie and returns to this page (works without JS).
    pub fn switch_href(&self) -> String {
        format!(
            "/language/{}?next={}",
            self.other_code(),
            utf8_percent_encode(&self.return_to, QUERY_VALUE)
        )
    }

    /// URL of a Puente asset with a content hash.
    pub fn asset(&self, path: &str) -> String {
        assets::asset_url(path)
    }

    /// URL of the vendored htmx script.
    pub fn htmx(&self) -> String {
        format!("/static/{}/htmx.min.js", assets::HTMX)
    }

    /// htmx settings (the `htmx-config` meta tag): nothing that needs `unsafe-eval` or inline
    /// style under our CSP, no script from responses, and no history cache, which would keep
    /// copies of pages with children's data in localStorage. Form pages answer a refused or
    /// invalid submission with the page and its errors (400, 403, 409, 422): those are swapped
    /// in too, so the errors show next to the fields as without JavaScript.
    pub fn htmx_config(&self) -> &'static str {
        r#"{"allowEval":false,"allowScriptTags":false,"includeIndicatorStyles":false,"historyCacheSize":0,"refreshOnHistoryMiss":true,"selfRequestsOnly":true,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"(400|403|409|422)","swap":true,"error":false},{"code":"[45]..","swap":false,"error":true}]}"#
    }

    /// URL of a vendored USWDS file, e.g. `uswds("css/uswds.min.css")`.
    pub fn uswds(&self, path: &str) -> String {
        format!("/static/{}/{path}", assets::USWDS)
    }
}

/// Resolves the language (query, cookie, Accept-Language) and the current path, puts a
/// [`Frame`] into the request, and remembers a `?lang=` choice in the cookie.
pub async fn locale_middleware(mut req: Request, next: Next) -> Response {
    let query = req.uri().query().unwrap_or("");
    let from_query = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v));
    let headers = req.headers();
    let lang = from_query
        .or_else(|| {
            headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(i18n::from_cookie)
        })
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(i18n::negotiate)
        })
        .unwrap_or_default();
    let path = req.uri().path().to_owned();
    let rest: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && kv.split('=').next() != Some("lang"))
        .collect();
    let return_to = if rest.is_empty() {
        path.clone()
    } else {
        format!("{path}?{}", rest.join("&"))
    };
    req.extensions_mut().insert(Frame {
        lang,
        path,
        return_to,
        user: None,
    });
    let is_static = req.uri().path().starts_with("/static/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if let Some(l) = from_query
        && let Ok(v) = HeaderValue::from_str(&i18n::cookie_value(l))
    {
        h.append(header::SET_COOKIE, v);
    }
    if !is_static {
        // Pages depend on the negotiated language; assets do not.
        h.append(
            header::VARY,
            HeaderValue::from_static("Accept-Language, Cookie"),
        );
        h.entry(header::CONTENT_LANGUAGE)
            .or_insert(HeaderValue::from_static(lang.code()));
    }
    resp
}

/// Renders a template into an HTML response, or a plain 500 if rendering fails.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(path: &str) -> Frame {
        Frame {
            lang: Lang::En,
            path: path.into(),
            return_to: path.into(),
            user: None,
        }
    }

    #[test]
    fn current_section() {
        assert!(frame("/search").is_current("/search"));
        assert!(frame("/search/abc").is_current("/search"));
        assert!(!frame("/searching").is_current("/search"));
        assert!(!frame("/search").is_current("/"));
    }

    #[test]
    fn switch_link() {
        let mut f = frame("/search");
        f.return_to = "/search?q=a b&x=1".into();
        assert_eq!(
            f.switch_href(),
            "/language/es?next=/search%3Fq%3Da%20b%26x%3D1"
        );
        assert_eq!(f.other_name(), "Español");
    }

    #[test]
    fn nav_ids_exist() {
        for item in NAV {
            for l in Lang::ALL {
                assert!(l.has(item.label), "{} {}", item.label, l.code());
                assert!(l.has(item.desc), "{} {}", item.desc, l.code());
            }
        }
    }
}
