//! Typed views of the Immich responses (2.5 and later, 3.x) we read field by field. Asset bodies are not here: they stay
//! raw JSON (see `search.rs`), because local filters may look at any field of them.
//! Every struct ignores fields it does not name, so a newer server that adds fields still works.

use crate::secret::ApiKey;
use serde::{Deserialize, Serialize};

/// `GET /api/server/version` (2.x has no `prerelease`; it is not read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
pub struct ServerVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl ServerVersion {
    /// The oldest release line this tool supports (see docs/compatibility.md).
    pub const OLDEST: ServerVersion = ServerVersion::new(2, 5, 0);
    /// The newest release line this tool was checked against.
    pub const NEWEST: ServerVersion = ServerVersion::new(3, 1, 0);

    pub const fn new(major: u32, minor: u32, patch: u32) -> ServerVersion {
        ServerVersion {
            major,
            minor,
            patch,
        }
    }

    /// Whether the server speaks the 2.x API shapes: the album owner as `ownerId`, album answers
    /// with every asset unless `withoutAssets=true`.
    pub fn is_2x(&self) -> bool {
        self.major < 3
    }

    /// Whether this is a release line newer than [`ServerVersion::NEWEST`].
    pub fn is_newer_than_known(&self) -> bool {
        (self.major, self.minor) > (Self::NEWEST.major, Self::NEWEST.minor)
    }
}

impl std::fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Where an asset shows in Immich (`AssetVisibility`): the timeline, the archive, hidden (the motion
/// part of a live photo, or set hidden), or the locked folder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Timeline,
    Archive,
    Hidden,
    Locked,
}

impl Visibility {
    /// Reads an asset's `visibility`; an asset without one (an older server) is archived when
    /// `isArchived` says so, else on the timeline. An unknown value counts as hidden: it never goes
    /// into an album.
    pub fn from_fields(visibility: Option<&str>, is_archived: Option<bool>) -> Visibility {
        match visibility {
            Some("timeline") => Visibility::Timeline,
            Some("archive") => Visibility::Archive,
            Some("hidden") => Visibility::Hidden,
            Some("locked") => Visibility::Locked,
            Some(_) => Visibility::Hidden,
            None if is_archived == Some(true) => Visibility::Archive,
            None => Visibility::Timeline,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Timeline => "timeline",
            Visibility::Archive => "archive",
            Visibility::Hidden => "hidden",
            Visibility::Locked => "locked",
        }
    }

    /// Hidden and locked assets never go into an album.
    pub fn may_enter_album(self) -> bool {
        matches!(self, Visibility::Timeline | Visibility::Archive)
    }
}

/// `GET /api/users/me`, and the `user` of an album member.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
}

/// `GET /api/api-keys/me`.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiKeyInfo {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub permissions: Vec<String>,
}

impl ApiKeyInfo {
    /// Which of `needed` this key does not have (`all` grants everything).
    pub fn missing<'a>(&self, needed: &[&'a str]) -> Vec<&'a str> {
        if self.permissions.iter().any(|p| p == "all") {
            return Vec::new();
        }
        needed
            .iter()
            .copied()
            .filter(|need| !self.permissions.iter().any(|p| p == need))
            .collect()
    }
}

/// Role of a user in an album.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlbumRole {
    Owner,
    Editor,
    Viewer,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AlbumUser {
    pub user: User,
    pub role: AlbumRole,
}

/// `AlbumResponseDto`, as `GET /api/albums` and `GET /api/albums/{id}` send it. In 3.x the owner is the
/// member with role `owner`; 2.x sends `ownerId` and `owner`, and `albumUsers` lists only the users the
/// album is shared with.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Album {
    pub id: String,
    pub album_name: String,
    #[serde(default)]
    pub album_users: Vec<AlbumUser>,
    #[serde(default)]
    pub asset_count: u64,
    /// 2.x only.
    #[serde(default)]
    pub owner_id: Option<String>,
    /// 2.x only.
    #[serde(default)]
    pub owner: Option<User>,
    #[serde(default)]
    pub description: String,
    /// `desc` (newest first) or `asc`.
    #[serde(default)]
    pub order: Option<String>,
    #[serde(default)]
    pub album_thumbnail_asset_id: Option<String>,
    /// Moves when assets are added to the album (not when they are taken out, unless its cover
    /// goes; measured on 3.1.0 and 2.5.6).
    #[serde(default)]
    pub updated_at: Option<String>,
    /// The latest `updatedAt` among the assets the album counts: moves when one of them is
    /// archived, favourited, tagged…, and back when the newest leaves. Absent for an empty album.
    #[serde(default)]
    pub last_modified_asset_timestamp: Option<String>,
}

impl Album {
    /// What tells whether the album changed since it was last listed: no single field moves on
    /// every change (measured on 3.1.0 and 2.5.6): `updatedAt` moves on an add, `assetCount` on a
    /// removal, a trashing or a restore, `lastModifiedAssetTimestamp` when an asset in it changes.
    pub fn fingerprint(&self) -> String {
        format!(
            "{} {} {}",
            self.updated_at.as_deref().unwrap_or("-"),
            self.asset_count,
            self.last_modified_asset_timestamp.as_deref().unwrap_or("-")
        )
    }

    pub fn owner(&self) -> Option<&User> {
        self.album_users
            .iter()
            .find(|member| member.role == AlbumRole::Owner)
            .map(|member| &member.user)
            .or(self.owner.as_ref())
    }

    pub fn role_of(&self, user_id: &str) -> Option<AlbumRole> {
        if self.owner_id.as_deref() == Some(user_id) {
            return Some(AlbumRole::Owner);
        }
        self.album_users
            .iter()
            .find(|member| member.user.id == user_id)
            .map(|member| member.role)
    }
}

/// One entry of `GET /api/people`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub is_hidden: bool,
}

/// `GET /api/people?page=N`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeoplePage {
    pub people: Vec<Person>,
    #[serde(default)]
    pub has_next_page: bool,
}

/// One per-id answer of `PUT /api/albums/{id}/assets` (`BulkIdResponseDto`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkIdResult {
    pub id: String,
    pub success: bool,
    #[serde(default)]
    pub error: Option<String>,
}

/// An album shared link (`SharedLinkResponseDto`), as far as the tool reads it. Immich answers the
/// link's password as it was set; it is read into a type that never prints itself, only to tell
/// whether it is the one the job gives.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedLink {
    pub id: String,
    pub key: String,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default, deserialize_with = "secret")]
    pub password: Option<ApiKey>,
    #[serde(default = "yes")]
    pub allow_download: bool,
    #[serde(default = "yes")]
    pub show_metadata: bool,
    #[serde(default = "yes")]
    pub allow_upload: bool,
    /// A custom URL a person gave the link (`/s/{slug}`).
    #[serde(default)]
    pub slug: Option<String>,
}

fn yes() -> bool {
    true
}

/// What a shared link lets its visitors do, as a job sets it.
#[derive(Debug, Clone, Copy)]
pub struct LinkSettings<'a> {
    pub password: Option<&'a ApiKey>,
    pub allow_download: bool,
    pub show_metadata: bool,
}

/// A secret as the server sends it: a string (none when empty or null).
fn secret<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<ApiKey>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    Ok(text.and_then(ApiKey::new))
}

/// One entry of `GET /api/tags`: `value` is the full path (`Holiday/2023`).
#[derive(Debug, Clone, Deserialize)]
pub struct Tag {
    pub id: String,
    pub value: String,
}

/// What a copy reads of an asset (`GET /api/assets/{id}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetInfo {
    pub id: String,
    pub checksum: String,
    pub original_file_name: String,
    pub file_created_at: String,
    pub file_modified_at: String,
    #[serde(default)]
    pub is_favorite: bool,
    #[serde(default)]
    pub exif_info: Option<ExifSize>,
}

impl AssetInfo {
    /// The original's size, when the server knows it.
    pub fn size(&self) -> Option<u64> {
        self.exif_info.as_ref().and_then(|e| e.file_size_in_byte)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExifSize {
    #[serde(default)]
    pub file_size_in_byte: Option<u64>,
}

/// `POST /api/assets/bulk-upload-check`.
#[derive(Debug, Clone, Deserialize)]
pub struct UploadChecks {
    pub results: Vec<UploadCheck>,
}

/// One answer of a bulk upload check: `accept`, or `reject` (`duplicate`) with the asset held.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadCheck {
    pub id: String,
    pub action: String,
    #[serde(default)]
    pub asset_id: Option<String>,
    /// The asset held is in the trash.
    #[serde(default)]
    pub is_trashed: bool,
}

/// `POST /api/assets`: the asset's id, and `created` or `duplicate`.
#[derive(Debug, Clone, Deserialize)]
pub struct Uploaded {
    pub id: String,
    pub status: String,
}

/// A page of `POST /api/search/metadata` or `/api/search/smart`; only the `assets` half matters. The
/// client reads pages with raw asset JSON instead (see `search.rs`); this is the typed view the
/// recorded samples are checked against.
#[cfg(test)]
#[derive(Debug, Deserialize)]
pub struct SearchResponse {
    pub assets: SearchAssets,
}

#[cfg(test)]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchAssets {
    pub items: Vec<serde_json::Value>,
    /// The next page number as a string, or null on the last page.
    #[serde(default)]
    pub next_page: Option<String>,
}

/// `{"albumUsers": [{"userId", "role"}]}` for creating and sharing albums.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlbumUserAdd {
    pub user_id: String,
    pub role: AlbumRole,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> serde_json::Value {
        let path = format!(
            "{}/tests/fixtures/immich-samples/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let sample: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        sample["body"].clone()
    }

    fn sample_2_5(name: &str) -> serde_json::Value {
        let path = format!(
            "{}/tests/fixtures/immich-samples-2.5.6/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let sample: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        sample["body"].clone()
    }

    #[test]
    fn a_2_5_album_names_its_owner_in_owner_id_and_the_owner_is_its_owner() {
        let version: ServerVersion =
            serde_json::from_value(sample_2_5("server-version.json")).unwrap();
        assert!(version.is_2x() && version >= ServerVersion::OLDEST);
        let album: Album = serde_json::from_value(sample_2_5("album-create.json")).unwrap();
        let owner = album.owner().unwrap();
        assert_eq!(owner.name, "Alice");
        assert_eq!(album.role_of(&owner.id), Some(AlbumRole::Owner));
        let bob = &album.album_users[0].user;
        assert_eq!(album.role_of(&bob.id), Some(AlbumRole::Editor));
        assert_eq!(album.role_of("someone-else"), None);
        let listed: Vec<Album> = serde_json::from_value(sample_2_5("albums-list.json")).unwrap();
        assert_eq!(listed[0].owner().unwrap().name, "Alice");
    }

    #[test]
    fn versions_order_and_say_which_line_they_are() {
        let v = ServerVersion::new;
        assert!(v(2, 4, 9) < ServerVersion::OLDEST && v(2, 5, 0) >= ServerVersion::OLDEST);
        assert!(v(2, 5, 6).is_2x() && !v(3, 0, 0).is_2x());
        assert!(!v(3, 1, 9).is_newer_than_known() && v(3, 2, 0).is_newer_than_known());
        assert!(v(4, 0, 0).is_newer_than_known());
    }

    #[test]
    fn the_recorded_samples_parse() {
        let version: ServerVersion = serde_json::from_value(sample("server-version.json")).unwrap();
        assert_eq!(version.to_string(), "3.1.0");
        let me: User = serde_json::from_value(sample("users-me.json")).unwrap();
        assert_eq!(me.name, "Alice");
        let key: ApiKeyInfo = serde_json::from_value(sample("api-keys-me.json")).unwrap();
        assert!(key.missing(&["album.create"]).is_empty());
        let key: ApiKeyInfo =
            serde_json::from_value(sample("api-keys-me-restricted.json")).unwrap();
        assert_eq!(
            key.missing(&["asset.read", "album.create"]),
            vec!["album.create"]
        );
        let albums: Vec<Album> = serde_json::from_value(sample("albums-list.json")).unwrap();
        assert_eq!(albums[0].owner().unwrap().name, "Alice");
        assert_eq!(
            albums[0].role_of("7f379469-402b-4d5c-9673-ee84a97aa6af"),
            Some(AlbumRole::Editor)
        );
        let album: Album = serde_json::from_value(sample("album-get.json")).unwrap();
        assert_eq!(album.asset_count, 6);
        let people: PeoplePage = serde_json::from_value(sample("people-page1.json")).unwrap();
        assert!(people.has_next_page);
        assert_eq!(people.people[0].name, "Mia");
        let results: Vec<BulkIdResult> =
            serde_json::from_value(sample("album-add-assets-per-id.json")).unwrap();
        assert_eq!(results[0].error.as_deref(), Some("duplicate"));
        let page: SearchResponse =
            serde_json::from_value(sample("search-metadata-page1.json")).unwrap();
        assert_eq!(page.assets.next_page.as_deref(), Some("2"));
        assert_eq!(page.assets.items.len(), 2);
        let empty: SearchResponse =
            serde_json::from_value(sample("search-metadata-empty.json")).unwrap();
        assert!(empty.assets.next_page.is_none());
    }
}
