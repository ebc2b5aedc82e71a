//! Album shared links as the state keeps them: who made a link to which album, its key, expiry,
//! password and permissions. The endpoints and the links' JSON are in `routes::links`.

/// One album link.
#[derive(Debug, Clone)]
pub struct SharedLink {
    pub id: u128,
    pub key: String,
    pub user: usize,
    pub album: u128,
    pub expires_ms: Option<i64>,
    pub password: Option<String>,
    pub allow_download: bool,
    /// Immich's `showExif`, answered as `showMetadata`.
    pub show_metadata: bool,
    /// Visitors may upload into the album (Immich's default for a new link: yes).
    pub allow_upload: bool,
    /// A custom URL (`/s/{slug}`); Immich's `PATCH` sets it to what it is sent, none when absent.
    pub slug: Option<String>,
    pub created_ms: i64,
}
