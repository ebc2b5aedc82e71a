//! Unit tests of the client: server URLs, which calls are safe to repeat, a key kept out of debug
//! output, and the URL with the other scheme. The client against the simulator is tested in tests/integration/client.rs.

use super::scheme::{with_other_scheme, wrong_scheme_error};
use super::*;

#[test]
fn server_urls_in_every_accepted_form() {
    let bare = ServerUrl::parse("https://photos.example.com").unwrap();
    assert_eq!(bare.site.as_str(), "https://photos.example.com/");
    assert_eq!(bare.api, None);
    assert_eq!(
        ServerUrl::parse("https://photos.example.com/").unwrap(),
        bare
    );
    let api = ServerUrl::parse("https://photos.example.com/api").unwrap();
    assert_eq!(api.site.as_str(), "https://photos.example.com/");
    assert_eq!(api.api.unwrap().as_str(), "https://photos.example.com/api/");
    let prefixed = ServerUrl::parse("https://example.com/immich/api/").unwrap();
    assert_eq!(prefixed.site.as_str(), "https://example.com/immich");
    assert_eq!(
        prefixed.api.unwrap().as_str(),
        "https://example.com/immich/api/"
    );
}

#[test]
fn bad_server_urls_say_what_was_expected() {
    for (text, expected) in [
        ("photos.example.com", "no scheme"),
        ("ftp://photos.example.com", "not an http(s) URL"),
        ("https://", "not a URL"),
        ("", "empty"),
        ("https://x.com/?a=1", "query"),
    ] {
        let error = ServerUrl::parse(text).unwrap_err();
        assert!(error.contains(expected), "{text}: {error}");
    }
}

#[test]
fn clear_text_is_flagged_only_for_remote_hosts() {
    for (url, flagged) in [
        ("http://127.0.0.1:2283", false),
        ("http://192.168.1.10:2283", false),
        ("http://immich.local", false),
        ("http://nas", false),
        ("http://[::1]:2283", false),
        ("https://photos.example.com", false),
        ("http://photos.example.com", true),
        ("http://8.8.8.8", true),
    ] {
        assert_eq!(
            ServerUrl::parse(url).unwrap().is_cleartext_to_remote_host(),
            flagged,
            "{url}"
        );
    }
}

#[test]
fn only_album_creation_is_unsafe_to_repeat() {
    assert_eq!(safety_of(&Method::POST, "albums"), Safety::OnlyIfUnsent);
    for (method, path) in [
        (Method::POST, "search/metadata"),
        (Method::POST, "search/smart"),
        (Method::PUT, "albums/x/assets"),
        (Method::GET, "albums"),
        (Method::GET, "users/me"),
    ] {
        assert_eq!(
            safety_of(&method, path),
            Safety::Idempotent,
            "{method} {path}"
        );
    }
}

#[test]
fn debug_output_hides_the_key() {
    let server = ServerUrl::parse("http://127.0.0.1:1/api").unwrap();
    let client = Client {
        http: http_client(&ClientOptions::default(), false).unwrap(),
        timeout: ClientOptions::default().timeout,
        api: server.api.unwrap(),
        site: server.site,
        key: ApiKey::new("very-secret").unwrap(),
        retry: RetryPolicy::default(),
        limiter: None,
        version: ServerVersion::NEWEST,
        server_date: Default::default(),
    };
    let text = format!("{client:?}");
    assert!(!text.contains("very-secret"), "{text}");
}

#[test]
fn the_other_scheme_keeps_the_port_the_server_is_on() {
    for (given, server, instead) in [
        (
            "https://127.0.0.1:2283/",
            "https://127.0.0.1:2283",
            "http://127.0.0.1:2283",
        ),
        (
            "http://photos.lan:2283/",
            "http://photos.lan:2283",
            "https://photos.lan:2283",
        ),
        // The default port of one scheme is not the other's: it is written out.
        (
            "https://photos.example.com/",
            "https://photos.example.com",
            "http://photos.example.com:443",
        ),
        // A site under a prefix keeps it.
        (
            "http://photos.example.com/immich",
            "http://photos.example.com/immich",
            "https://photos.example.com:80/immich",
        ),
    ] {
        let url = Url::parse(given).unwrap();
        assert_eq!(
            with_other_scheme(&url),
            (server.to_string(), instead.to_string()),
            "{given}"
        );
    }
    // An error names the request's origin, then the site as given once it is known.
    let error = wrong_scheme_error(
        "GET /api/server/version",
        &Url::parse("https://127.0.0.1:2283/api/server/version").unwrap(),
        "received corrupt message of type InvalidContentType".into(),
    );
    assert_eq!(
        error.to_string(),
        "GET /api/server/version: https://127.0.0.1:2283 answers plain HTTP, not https (TLS) \
         (received corrupt message of type InvalidContentType); use http://127.0.0.1:2283 as the \
         server URL"
    );
    assert_eq!(error.wrong_scheme(), Some("http://127.0.0.1:2283"));
    let error = at_first_contact(&Url::parse("https://127.0.0.1:2283/immich").unwrap(), error);
    assert_eq!(error.wrong_scheme(), Some("http://127.0.0.1:2283/immich"));
    assert!(
        error
            .to_string()
            .contains("https://127.0.0.1:2283/immich answers plain HTTP"),
        "{error}"
    );
}

#[test]
fn the_server_clock_is_read_from_an_http_date() {
    assert_eq!(
        http_date_ms("Sun, 06 Dec 2026 08:51:26 GMT"),
        Some(1_796_547_086_000)
    );
    assert_eq!(http_date_ms("yesterday"), None);
    assert_eq!(http_date_ms(""), None);
}
