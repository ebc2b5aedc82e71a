//! The Immich API client: one send path ([`Client::call`]) with bounded retries, typed responses, paged
//! searches as streams, and an error type that names the endpoint. It knows nothing of filters, jobs or reports.

mod client;
mod error;
mod line;
mod retry;
mod search;
mod types;

pub use client::{
    Binary, Client, ClientOptions, DecodeFailure, ServerUrl, install_tls_provider, traffic,
};
pub use error::{ApiError, ApiErrorKind};
pub use line::ImmichLine;
pub use retry::{DEFAULT_MAX_ATTEMPTS, RetryPolicy};
pub use search::{MAX_PAGE_SIZE, SearchKind, decode_page, pages};
pub use types::{
    Album, AlbumRole, AlbumUser, AlbumUserAdd, ApiKeyInfo, AssetInfo, BulkIdResult, LinkSettings,
    PeoplePage, Person, ServerVersion, SharedLink, Tag, UploadCheck, Uploaded, User, Visibility,
};

/// The permissions a key needs for everything jobs do: search, read people, find, create and share
/// albums, add to them, and (the album owner's key, for prune) remove from them.
pub const NEEDED_PERMISSIONS: &[&str] = &[
    "asset.read",
    "person.read",
    "album.read",
    "album.create",
    "albumUser.create",
    "albumAsset.create",
    "albumAsset.delete",
    "user.read",
];
