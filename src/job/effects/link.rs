//! The safe album's shared link: the one the record names while it exists, renewed when less than a
//! third of its span is left, else a new one; its password, downloads and metadata brought in line
//! with the job, uploads always off. The password is never said, logged or stored.

use serde::Serialize;
use serde_json::Value;

use super::{Effects, key_of};
use crate::immich::{LinkSettings, SharedLink};
use crate::job::dates;
use crate::job::file::LinkSpec;

/// A shared link of an album: its URL (never its password) and what this run did with it.
#[derive(Debug, Default, Serialize)]
pub struct LinkRow {
    /// `None` in a preview of a link not made yet.
    pub url: Option<String>,
    pub expires: Option<String>,
    /// `created`, `renewed`, `kept`, or in a preview `to create`, `to renew`.
    pub action: String,
}

impl LinkRow {
    /// A preview's row for a link a sync would make, to expire at `expiry`.
    fn to_create(expiry: i64) -> LinkRow {
        LinkRow {
            url: None,
            expires: Some(dates::iso(expiry)),
            action: "to create".into(),
        }
    }
}

/// Keeps the link of the album `album_id` (with `write`; else only says what a sync would do). An
/// album that does not exist yet has none: a preview says a sync would make one; a sync that could not
/// make the album says nothing.
pub async fn shared_link(
    fx: &Effects<'_>,
    album_id: Option<&str>,
    spec: &LinkSpec,
    write: bool,
) -> Option<Result<LinkRow, String>> {
    match album_id {
        Some(album_id) => Some(keep(fx, album_id, spec, write).await),
        None if !write => Some(Ok(LinkRow::to_create(
            spec.expires.after(crate::clock::now()),
        ))),
        None => None,
    }
}

async fn keep(
    fx: &Effects<'_>,
    album_id: &str,
    spec: &LinkSpec,
    write: bool,
) -> Result<LinkRow, String> {
    let (client, store, job) = (&fx.owner.client, fx.store, &fx.job.name);
    let album = key_of(fx, album_id);
    let now = crate::clock::now();
    let expiry = spec.expires.after(now);
    let span = expiry - now;
    let new_expiry = dates::iso(expiry);
    let recorded = store.link_of(&album, job).map_err(|e| format!("{e:#}"))?;
    let links = client
        .shared_links(&album.album_id)
        .await
        .map_err(|e| e.to_string())?;
    let row_of = |link: &SharedLink, action: &str| LinkRow {
        url: Some(format!(
            "{}/share/{}",
            client.site().as_str().trim_end_matches('/'),
            link.key
        )),
        expires: link.expires_at.clone(),
        action: action.into(),
    };
    let current = recorded.and_then(|id| links.into_iter().find(|l| l.id == id));
    let settings = LinkSettings {
        password: spec.password.as_ref(),
        allow_download: spec.allow_download,
        show_metadata: spec.show_metadata,
    };
    // The link as it stands after this run (none in a preview of one not made yet).
    let (row, link) = match current {
        Some(link) => {
            let left = link
                .expires_at
                .as_deref()
                .and_then(dates::parse_iso)
                .map(|at| at - now);
            let renew = left.is_some_and(|left| left * 3 < span);
            let (changes, said) = link_changes(&link, &settings, renew.then_some(&new_expiry));
            // `renewed` / `to renew` alone; else what changes, e.g. `updated (renew, hide metadata)`.
            let action = |done: &str, to_do: &str| match (write, &said[..]) {
                (true, [only]) if only == "renew" => "renewed".to_string(),
                (false, [only]) if only == "renew" => "to renew".to_string(),
                (true, _) => format!("{done} ({})", said.join(", ")),
                (false, _) => format!("{to_do} ({})", said.join(", ")),
            };
            match (changes.is_empty(), write) {
                (true, _) => (row_of(&link, "kept"), Some(link)),
                (false, true) => {
                    let changed = client
                        .update_shared_link(&link.id, &Value::Object(changes))
                        .await
                        .map_err(|e| e.to_string())?;
                    (row_of(&changed, &action("updated", "")), Some(changed))
                }
                (false, false) => (row_of(&link, &action("", "to update")), Some(link)),
            }
        }
        None if write => {
            let link = client
                .create_shared_link(&album.album_id, &new_expiry, &settings)
                .await
                .map_err(|e| e.to_string())?;
            (row_of(&link, "created"), Some(link))
        }
        None => (LinkRow::to_create(expiry), None),
    };
    if write && let (Some(link), Some(url)) = (&link, &row.url) {
        store
            .note_link(&album, job, &link.id, url, row.expires.as_deref())
            .map_err(|e| format!("{e:#}"))?;
    }
    Ok(row)
}

/// What a link needs to follow the job: the `PATCH` fields that differ (a new expiry when it is due;
/// a password the job gives, changes or takes away; download and metadata), and what they are in
/// words (never the password itself).
pub fn link_changes(
    link: &SharedLink,
    settings: &LinkSettings<'_>,
    new_expiry: Option<&String>,
) -> (serde_json::Map<String, Value>, Vec<String>) {
    let mut changes = serde_json::Map::new();
    let mut said = Vec::new();
    if let Some(expiry) = new_expiry {
        changes.insert("expiresAt".into(), expiry.clone().into());
        said.push("renew".to_string());
    }
    let (want, have) = (
        settings.password.map(|p| p.expose()),
        link.password.as_ref().map(|p| p.expose()),
    );
    if want != have {
        changes.insert("password".into(), want.map_or(Value::Null, Value::from));
        said.push(
            match (want, have) {
                (Some(_), None) => "set its password",
                (Some(_), Some(_)) => "change its password",
                (None, _) => "take its password away",
            }
            .to_string(),
        );
    }
    // The link's switches: downloads and metadata as the job says; uploads never (Immich's default
    // for a new link lets anyone with the URL upload into the album).
    let switches = [
        (
            "allowDownload",
            settings.allow_download,
            link.allow_download,
            "downloads",
        ),
        (
            "showMetadata",
            settings.show_metadata,
            link.show_metadata,
            "metadata",
        ),
        ("allowUpload", false, link.allow_upload, "uploads"),
    ];
    for (field, want, have, what) in switches {
        if want != have {
            changes.insert(field.into(), want.into());
            let verb = match (want, what) {
                (true, "metadata") => "show",
                (false, "metadata") => "hide",
                (true, _) => "allow",
                (false, _) => "stop",
            };
            said.push(format!("{verb} {what}"));
        }
    }
    // Immich's `PATCH` takes a custom URL away unless it is sent again (measured on 3.1.0 and
    // 2.5.6): a person's slug is kept.
    if !changes.is_empty()
        && let Some(slug) = &link.slug
    {
        changes.insert("slug".into(), slug.clone().into());
    }
    (changes, said)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_changed_where_it_differs_from_the_job_and_nowhere_else() {
        let secret = crate::secret::ApiKey::new("pw").unwrap();
        let other = crate::secret::ApiKey::new("old").unwrap();
        let link =
            |password: Option<&crate::secret::ApiKey>, download, metadata, upload| SharedLink {
                id: "l".into(),
                key: "k".into(),
                expires_at: None,
                password: password.cloned(),
                allow_download: download,
                show_metadata: metadata,
                allow_upload: upload,
                slug: None,
            };
        let job = LinkSettings {
            password: Some(&secret),
            allow_download: false,
            show_metadata: false,
        };
        let (changes, said) = link_changes(&link(Some(&secret), false, false, false), &job, None);
        assert!(changes.is_empty() && said.is_empty(), "{said:?}");
        let expiry = "2030-01-01T00:00:00.000Z".to_string();
        let (changes, said) = link_changes(
            &link(Some(&secret), false, false, false),
            &job,
            Some(&expiry),
        );
        assert_eq!(
            Value::Object(changes),
            serde_json::json!({"expiresAt": expiry})
        );
        assert_eq!(said, ["renew"]);
        let (changes, said) = link_changes(&link(Some(&other), true, true, true), &job, None);
        assert_eq!(
            Value::Object(changes),
            serde_json::json!({"password": "pw", "allowDownload": false, "showMetadata": false,
                               "allowUpload": false})
        );
        assert_eq!(
            said,
            [
                "change its password",
                "stop downloads",
                "hide metadata",
                "stop uploads"
            ]
        );
        let open = LinkSettings {
            password: None,
            allow_download: true,
            show_metadata: true,
        };
        let (changes, said) = link_changes(&link(Some(&other), false, false, false), &open, None);
        assert_eq!(
            Value::Object(changes),
            serde_json::json!({"password": null, "allowDownload": true, "showMetadata": true})
        );
        assert_eq!(
            said,
            ["take its password away", "allow downloads", "show metadata"]
        );
        let (_, said) = link_changes(&link(None, true, true, false), &job, None);
        assert_eq!(said[0], "set its password");
        assert!(
            !format!("{said:?}").contains("pw\""),
            "never the password itself"
        );
    }
}
