//! The simulator's in-memory data model: users, API keys, people, compact asset records, albums,
//! partner shares, the request log and the search cache, with the operations on them that both the
//! HTTP handlers and the `Simulator` test API use. Assets are stored as small fixed-size records
//! (ids as `u128`, indexes into the generator's static tables, bitmasks for words and people) so a
//! million of them fit in memory; their JSON is built on demand in `json`. The tags and shared links
//! it holds are in `tags` and `links` here. It imports only the leaves below it (`catalogue`, `rng`,
//! `time`, `faults`' endpoint patterns, the public `types`), never what renders or serves it.
//!
//! Time stamps, as measured on 3.1.0 and 2.5.6. An asset's `updatedAt` is its upload time plus a
//! constant until something changes it; then it is the time of the change, kept in `updated`. What
//! moves it: an upload, a change of visibility (archive, hidden, locked, timeline), a favourite
//! marked or unmarked, the trash and the way back out of it, a tag put on or taken off. What does
//! not: a face given to a person or taken from them, a person renamed, an album gaining or losing
//! the asset. An album's `updatedAt` moves when assets are added, or when its cover leaves (taken
//! out, or trashed: Immich then picks another); not when other assets are taken out. Its
//! `lastModifiedAssetTimestamp` is worked out when it is rendered (`json::album_json`), from the
//! assets it counts.

pub mod links;
pub mod tags;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use base64::Engine;

use crate::immich::ImmichLine;
use crate::sim::catalogue::{CAMERAS, FIXED_PEOPLE, NameStyle, PLACES, UPLOADS_START_MS, WORDS};
use crate::sim::faults;
use crate::sim::rng;
use crate::sim::time;
use crate::sim::types::{LoggedRequest, PersonAct, Role, SimAccount, SimAsset};
use links::SharedLink;
use tags::Tag;

pub const NO_CAMERA: u8 = u8::MAX;
pub const NO_PLACE: u8 = u8::MAX;

pub const FLAG_FAVORITE: u8 = 1;
pub const FLAG_VIDEO: u8 = 2;
pub const FLAG_SCREENSHOT: u8 = 4;

/// When asset `idx` was uploaded (its `createdAt`), in milliseconds: a fixed clock, which run-time
/// uploads follow too.
pub fn uploaded_ms(idx: usize) -> i64 {
    UPLOADS_START_MS + idx as i64 * 1234
}

/// A generated asset's `updatedAt` is this long after its upload until something changes it
/// (Immich stamps it again when it has read the file's metadata).
pub const UPDATED_AFTER_UPLOAD_MS: i64 = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Timeline,
    Archive,
    Hidden,
    Locked,
}

impl Visibility {
    pub const NAMES: [&'static str; 4] = ["archive", "timeline", "hidden", "locked"];

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Timeline => "timeline",
            Visibility::Archive => "archive",
            Visibility::Hidden => "hidden",
            Visibility::Locked => "locked",
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        Some(match s {
            "timeline" => Visibility::Timeline,
            "archive" => Visibility::Archive,
            "hidden" => Visibility::Hidden,
            "locked" => Visibility::Locked,
            _ => return None,
        })
    }
}

/// One asset, compactly.
#[derive(Debug, Clone)]
pub struct AssetRec {
    pub id: u128,
    pub checksum: [u8; 20],
    /// dateTimeOriginal, seconds since the epoch (UTC).
    pub taken: i64,
    /// Bit i set = content word `WORDS[i]`.
    pub words: u32,
    /// Bit i set = person `person_name(i)` of the owner's library.
    pub people: u32,
    /// Number used in the camera-style file name (IMG_1234 …).
    pub file_no: u16,
    pub owner: u16,
    /// Index into `CAMERAS` or `NO_CAMERA`.
    pub camera: u8,
    /// Index into `PLACES` or `NO_PLACE`.
    pub place: u8,
    pub flags: u8,
    pub visibility: Visibility,
}

impl AssetRec {
    pub fn is_video(&self) -> bool {
        self.flags & FLAG_VIDEO != 0
    }
    pub fn is_favorite(&self) -> bool {
        self.flags & FLAG_FAVORITE != 0
    }
    pub fn is_screenshot(&self) -> bool {
        self.flags & FLAG_SCREENSHOT != 0
    }
    pub fn kind(&self) -> &'static str {
        if self.is_video() { "VIDEO" } else { "IMAGE" }
    }
    /// Offset of local time from UTC, in seconds.
    pub fn tz_offset_secs(&self) -> i64 {
        PLACES
            .get(self.place as usize)
            .map_or(0, |p| p.tz_hours as i64 * 3600)
    }
}

pub struct User {
    /// Account name from the configuration, e.g. "alice".
    pub name: String,
    /// Display name, e.g. "Alice".
    pub display: String,
    pub id: u128,
    pub email: String,
    pub avatar: &'static str,
    pub created_ms: i64,
}

pub struct ApiKey {
    pub secret: String,
    pub id: u128,
    pub name: String,
    pub user: usize,
    pub permissions: Vec<String>,
    pub created_ms: i64,
    pub revoked: bool,
}

pub struct Album {
    pub id: u128,
    pub name: String,
    pub description: String,
    pub owner: usize,
    /// Shared users other than the owner, in the order they were added.
    pub members: Vec<(usize, Role)>,
    pub assets: BTreeSet<u128>,
    pub thumbnail: Option<u128>,
    /// `desc` (newest first, the default) or `asc`.
    pub order: &'static str,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl Album {
    /// The user's role in this album, if any.
    pub fn role_of(&self, user: usize) -> Option<Role> {
        if user == self.owner {
            return Some(Role::Owner);
        }
        self.members
            .iter()
            .find(|(u, _)| *u == user)
            .map(|(_, r)| *r)
    }
}

/// The authenticated caller of a request (inserted by the auth middleware).
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: usize,
    pub key: usize,
    pub permissions: Vec<String>,
}

impl Caller {
    pub fn has(&self, permission: &str) -> bool {
        self.permissions
            .iter()
            .any(|p| p == "all" || p == permission)
    }
}

pub struct State {
    /// The release line whose answers to imitate.
    pub line: ImmichLine,
    /// A version to report instead of the line's own (for testing what the client makes of it).
    pub reported_version: Option<(u32, u32, u32)>,
    /// How many results a smart search's first page loses, as 2.x with pgvector loses candidates that
    /// belong to other users: the page comes back short, with no next page.
    pub smart_shortfall: usize,
    /// How many of the next 2.x album answers with assets count one more than they embed (set by a
    /// test): 2.5.6 counts in a query of its own, and an add between the two shows as this.
    pub miscounted_albums: usize,
    /// What people do just before a request to a matching endpoint (set by a test; each once).
    pub pending_acts: Vec<(String, PersonAct)>,
    /// What `/.well-known/immich` names as the API endpoint (set by a test), else `/api`.
    pub api_endpoint: Option<String>,
    /// A pause before each 64 KiB chunk of an original's download (set by a test): a slow link.
    pub original_pace: Option<std::time::Duration>,
    /// At most this many people per page of `GET /api/people` (set by a test), else the size asked.
    pub people_page_cap: Option<usize>,
    pub users: Vec<User>,
    pub keys: Vec<ApiKey>,
    /// `people[user][i]` = id of person `person_name(i)` in that user's library.
    pub people: Vec<Vec<u128>>,
    pub person_index: HashMap<u128, (usize, usize)>,
    /// Names given at run time: (user, person slot) → name, instead of `person_name(slot)`.
    pub renamed: HashMap<(usize, usize), String>,
    /// Per user, their tags (none generated; see `tags`).
    pub tags: Vec<Vec<Tag>>,
    /// The tags each tagged asset carries.
    pub asset_tags: HashMap<u128, Vec<u128>>,
    /// Album shared links (see `links`).
    pub links: Vec<SharedLink>,
    pub assets: Vec<AssetRec>,
    pub asset_index: HashMap<u128, u32>,
    /// Per owner, the range of its assets in `assets` (generated contiguously).
    pub owner_ranges: Vec<std::ops::Range<usize>>,
    /// Per owner, the assets uploaded at run time (after every generated one).
    pub uploaded: Vec<Vec<usize>>,
    /// Original sizes other than the generated ones: uploads, and sizes set by a test.
    pub original_sizes: HashMap<u128, u64>,
    /// The file names of uploaded assets.
    pub uploaded_names: HashMap<u128, String>,
    pub albums: Vec<Album>,
    /// Assets in the trash, with when they were trashed (ms): still in their albums, but left out of
    /// searches (unless `withDeleted`), of album counts and of 2.x's embedded album assets.
    pub trashed: HashMap<u128, i64>,
    /// Assets deleted for good (the trash emptied): gone from every search, listing and album.
    pub purged: HashSet<u128>,
    /// Assets changed since they were uploaded, with their `updatedAt` (ms); see [`State::updated_ms`].
    pub updated: HashMap<u128, i64>,
    /// Mixed into album ids: unique to this simulator (see [`rng::instance_salt`]).
    pub album_salt: u128,
    /// (viewer, owner): owner shares their library with viewer.
    pub partners: HashSet<(usize, usize)>,
    pub log: Vec<LoggedRequest>,
    pub next_seq: u64,
    pub search_cache: HashMap<String, Arc<Vec<u32>>>,
    /// Source of ids for things created at run time (albums, keys).
    pub rng: rng::Rng,
}

/// Lowercase hyphenated form of an id.
pub fn uuid_str(id: u128) -> String {
    uuid::Uuid::from_u128(id).hyphenated().to_string()
}

/// Parse an id the way Immich validates it: hyphenated, version 4, RFC 4122 variant.
pub fn parse_uuid_v4(s: &str) -> Option<u128> {
    let b = s.as_bytes();
    let ok = b.len() == 36
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b' | b'A' | b'B')
        && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-');
    if !ok {
        return None;
    }
    uuid::Uuid::parse_str(s).ok().map(|u| u.as_u128())
}

/// Parse any UUID (for the test API, which should not be picky).
pub fn parse_uuid_any(s: &str) -> Option<u128> {
    uuid::Uuid::parse_str(s).ok().map(|u| u.as_u128())
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl State {
    // ----- users, keys, people -------------------------------------------------------------

    pub fn user_by_name(&self, name: &str) -> usize {
        self.users
            .iter()
            .position(|u| u.name == name)
            .unwrap_or_else(|| panic!("unknown simulator account {name:?}"))
    }

    pub fn user_by_id(&self, id: u128) -> Option<usize> {
        self.users.iter().position(|u| u.id == id)
    }

    pub fn sim_account(&self, user: usize) -> SimAccount {
        let u = &self.users[user];
        let key = self
            .keys
            .iter()
            .find(|k| k.user == user)
            .expect("every account has a key");
        SimAccount {
            name: u.name.clone(),
            user_id: uuid_str(u.id),
            email: u.email.clone(),
            api_key: key.secret.clone(),
        }
    }

    pub fn resolve_key(&self, secret: &str) -> Option<Caller> {
        let key = self
            .keys
            .iter()
            .position(|k| k.secret == secret && !k.revoked)?;
        Some(Caller {
            user: self.keys[key].user,
            key,
            permissions: self.keys[key].permissions.clone(),
        })
    }

    pub fn add_api_key(&mut self, user: usize, name: &str, permissions: &[&str]) -> String {
        let secret = self.rng.alnum(40);
        let id = self.rng.uuid();
        self.keys.push(ApiKey {
            secret: secret.clone(),
            id,
            name: name.to_string(),
            user,
            permissions: permissions.iter().map(|p| p.to_string()).collect(),
            created_ms: time::now_ms(),
            revoked: false,
        });
        secret
    }

    pub fn revoke_api_key(&mut self, secret: &str) {
        for key in self.keys.iter_mut().filter(|k| k.secret == secret) {
            key.revoked = true;
        }
    }

    pub fn set_partner(&mut self, viewer: usize, owner: usize) {
        self.partners.insert((viewer, owner));
        self.search_cache.clear();
    }

    /// True when `owner` shares their library with `viewer`.
    pub fn is_partner(&self, viewer: usize, owner: usize) -> bool {
        self.partners.contains(&(viewer, owner))
    }

    pub fn person_id(&self, user: usize, name: &str) -> Option<u128> {
        self.person_slot(user, name).map(|i| self.people[user][i])
    }

    // ----- assets --------------------------------------------------------------------------

    /// The user's assets: the generated ones, then the uploaded ones.
    pub fn assets_of(&self, user: usize) -> impl Iterator<Item = usize> + '_ {
        self.owner_ranges[user]
            .clone()
            .chain(self.uploaded[user].iter().copied())
            .filter(|&i| self.purged.is_empty() || !self.purged.contains(&self.assets[i].id))
    }

    /// The size of an asset's original file, as `exifInfo.fileSizeInByte` and its download say.
    pub fn original_size(&self, asset: usize) -> u64 {
        let id = self.assets[asset].id;
        self.original_sizes
            .get(&id)
            .copied()
            .unwrap_or(1_000_000 + rng::hash_id(id, 3) % 4_000_000)
    }

    /// The original file name: the uploaded one, else the camera's style of name.
    pub fn original_file_name(&self, asset: usize) -> String {
        let id = self.assets[asset].id;
        self.uploaded_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| file_name(&self.assets[asset]))
    }

    /// The user's own asset with this checksum (what Immich reports as a duplicate on upload).
    pub fn asset_with_checksum(&self, user: usize, checksum: &[u8; 20]) -> Option<usize> {
        self.assets_of(user)
            .find(|&i| &self.assets[i].checksum == checksum)
    }

    /// Adds an uploaded asset to the user's library.
    pub fn add_uploaded(&mut self, user: usize, rec: AssetRec, file_name: String, size: u64) {
        let id = rec.id;
        let index = self.assets.len();
        self.assets.push(rec);
        self.asset_index.insert(id, index as u32);
        self.uploaded[user].push(index);
        self.original_sizes.insert(id, size);
        self.uploaded_names.insert(id, file_name);
        self.touch(index);
    }

    /// An asset's `updatedAt` (ms): when it last changed, else its upload time plus
    /// [`UPDATED_AFTER_UPLOAD_MS`].
    pub fn updated_ms(&self, idx: usize) -> i64 {
        self.updated
            .get(&self.assets[idx].id)
            .copied()
            .unwrap_or_else(|| uploaded_ms(idx) + UPDATED_AFTER_UPLOAD_MS)
    }

    /// The asset changed just now: its `updatedAt` moves to the current time.
    pub fn touch(&mut self, idx: usize) {
        self.updated.insert(self.assets[idx].id, time::now_ms());
        self.search_cache.clear();
    }

    pub fn asset_by_id(&self, id: u128) -> Option<usize> {
        if self.purged.contains(&id) {
            return None;
        }
        self.asset_index.get(&id).map(|&i| i as usize)
    }

    /// Deletes an asset for good, as emptying the trash does: it leaves every album and the library.
    pub fn purge(&mut self, idx: usize) {
        let id = self.assets[idx].id;
        self.remove_from_all_albums(id);
        self.trashed.remove(&id);
        self.updated.remove(&id);
        self.purged.insert(id);
        self.search_cache.clear();
    }

    /// The asset shows person slot `slot` of its owner's library (a face tagged by hand). Its
    /// `updatedAt` stays: the face changes, not the asset.
    pub fn tag_face(&mut self, idx: usize, slot: usize) {
        self.assets[idx].people |= 1_u32 << slot;
        self.search_cache.clear();
    }

    /// May `user` put this asset in an album? Own assets and partners' assets.
    pub fn can_use_asset(&self, user: usize, asset: usize) -> bool {
        let owner = self.assets[asset].owner as usize;
        owner == user || self.is_partner(user, owner)
    }

    /// May `user` see this asset (`asset.read`)? Own assets except locked ones (an API key has no
    /// elevated permission), partners' assets, and assets in an album the user is a member of.
    pub fn can_read_asset(&self, user: usize, asset: usize) -> bool {
        let a = &self.assets[asset];
        (a.owner as usize == user && a.visibility != Visibility::Locked)
            || self.is_partner(user, a.owner as usize)
            || self
                .albums
                .iter()
                .any(|al| al.role_of(user).is_some() && al.assets.contains(&a.id))
    }

    pub fn sim_asset(&self, idx: usize) -> SimAsset {
        let a = &self.assets[idx];
        let camera = CAMERAS.get(a.camera as usize);
        SimAsset {
            id: uuid_str(a.id),
            owner: self.users[a.owner as usize].name.clone(),
            checksum: b64(&a.checksum),
            taken: time::iso_ms(a.taken * 1000),
            make: camera.map_or("", |c| c.make).to_string(),
            model: camera.map_or("", |c| c.model).to_string(),
            city: PLACES
                .get(a.place as usize)
                .map_or("", |p| p.city)
                .to_string(),
            words: word_list(a.words),
            people: (0..32)
                .filter(|i| a.people & (1 << i) != 0)
                .map(|i| self.person_name(a.owner as usize, i).to_string())
                .collect(),
            is_favorite: a.is_favorite(),
            visibility: a.visibility.as_str().to_string(),
            trashed: self.trashed.contains_key(&a.id),
            kind: a.kind().to_string(),
        }
    }

    /// The index of the asset with this id (any UUID form); panics when there is none.
    pub fn asset_index_or_panic(&self, id: &str) -> usize {
        parse_uuid_any(id)
            .and_then(|id| self.asset_by_id(id))
            .unwrap_or_else(|| panic!("unknown asset {id}"))
    }

    /// Change an asset's visibility. Moving it to `locked` also takes it out of every album, as
    /// Immich does (`AssetService.updateAll` calls `albumRepository.removeAssetsFromAll` when the
    /// new visibility is locked).
    pub fn set_visibility(&mut self, idx: usize, visibility: Visibility) {
        self.assets[idx].visibility = visibility;
        if visibility == Visibility::Locked {
            let id = self.assets[idx].id;
            self.remove_from_all_albums(id);
        }
        self.touch(idx);
    }

    /// Does the first pending act whose endpoint matches this request, if any.
    pub fn act_before(&mut self, method: &str, path: &str) {
        let Some(i) = self
            .pending_acts
            .iter()
            .position(|(pattern, _)| faults::matches(pattern, method, path))
        else {
            return;
        };
        let (_, act) = self.pending_acts.remove(i);
        match act {
            PersonAct::AddToAlbum { album, assets } => {
                let album = self.album_index_or_panic(&album);
                let ids: Vec<u128> = assets.iter().filter_map(|a| parse_uuid_any(a)).collect();
                self.insert_album_assets(album, &ids);
            }
            PersonAct::RemoveFromAlbum { album, assets } => {
                let album = self.album_index_or_panic(&album);
                let ids: Vec<u128> = assets.iter().filter_map(|a| parse_uuid_any(a)).collect();
                self.remove_album_assets(album, &ids);
            }
        }
    }

    /// Move an asset to the trash, or restore it (it stays in its albums either way, as in Immich).
    /// Either moves its `updatedAt` (restoring one that is not in the trash changes nothing). An
    /// album whose cover goes to the trash gets another, and its `updatedAt` moves (measured on
    /// 3.1.0 and 2.5.6; the cover does not come back on restore).
    pub fn set_trashed(&mut self, idx: usize, trashed: bool) {
        let id = self.assets[idx].id;
        if trashed {
            self.trashed.entry(id).or_insert_with(time::now_ms);
            for album in 0..self.albums.len() {
                if self.albums[album].thumbnail == Some(id) {
                    self.albums[album].thumbnail = self.next_cover(album);
                    self.albums[album].updated_ms = time::now_ms();
                }
            }
        } else if self.trashed.remove(&id).is_none() {
            return;
        }
        self.touch(idx);
    }

    pub fn is_trashed(&self, idx: usize) -> bool {
        self.trashed.contains_key(&self.assets[idx].id)
    }

    /// Whether an album counts an asset (`assetCount`) and 2.x embeds it: not in the trash, and on
    /// the timeline or archived (Immich's `withDefaultVisibility`).
    pub fn album_counts(&self, idx: usize) -> bool {
        !self.is_trashed(idx)
            && matches!(
                self.assets[idx].visibility,
                Visibility::Timeline | Visibility::Archive
            )
    }

    /// Take a member out of an album, as its owner does in Immich.
    pub fn remove_album_member(&mut self, album: usize, user: usize) {
        let a = &mut self.albums[album];
        a.members.retain(|(u, _)| *u != user);
        a.updated_ms = time::now_ms();
        self.search_cache.clear();
    }

    /// Mark or unmark an asset as a favourite.
    pub fn set_favorite(&mut self, idx: usize, favorite: bool) {
        if favorite {
            self.assets[idx].flags |= FLAG_FAVORITE;
        } else {
            self.assets[idx].flags &= !FLAG_FAVORITE;
        }
        self.touch(idx);
    }

    /// The asset no longer shows person slot `slot` of its owner's library. Its `updatedAt` stays.
    pub fn untag(&mut self, idx: usize, slot: usize) {
        self.assets[idx].people &= !(1_u32 << slot);
        self.search_cache.clear();
    }

    /// Add content words (a bitmask over `WORDS`) to an asset.
    pub fn add_words(&mut self, idx: usize, mask: u32) {
        self.assets[idx].words |= mask;
        self.search_cache.clear();
    }

    /// The person slot called `name` in `user`'s library.
    pub fn person_slot(&self, user: usize, name: &str) -> Option<usize> {
        (0..self.people[user].len()).find(|&i| self.person_name(user, i) == name)
    }

    /// The name of person slot `i` in `user`'s library.
    pub fn person_name(&self, user: usize, i: usize) -> &str {
        self.renamed
            .get(&(user, i))
            .map_or_else(|| person_name(&self.users, i), String::as_str)
    }

    // ----- albums --------------------------------------------------------------------------

    pub fn album_by_id(&self, id: u128) -> Option<usize> {
        self.albums.iter().position(|a| a.id == id)
    }

    pub fn album_index_or_panic(&self, id: &str) -> usize {
        parse_uuid_any(id)
            .and_then(|id| self.album_by_id(id))
            .unwrap_or_else(|| panic!("unknown album {id}"))
    }

    pub fn create_album(
        &mut self,
        owner: usize,
        name: &str,
        description: &str,
        members: &[(usize, Role)],
    ) -> u128 {
        let id = rng::uuid_v4_bits(self.rng.uuid() ^ self.album_salt);
        let now = time::now_ms();
        self.albums.push(Album {
            id,
            name: name.to_string(),
            description: description.to_string(),
            owner,
            members: Vec::new(),
            assets: BTreeSet::new(),
            thumbnail: None,
            order: "desc",
            created_ms: now,
            updated_ms: now,
        });
        let album = self.albums.len() - 1;
        for &(user, role) in members {
            self.add_album_member(album, user, role);
        }
        self.search_cache.clear();
        id
    }

    /// Delete an album (its assets stay in the library).
    pub fn delete_album(&mut self, album: usize) {
        self.albums.remove(album);
        self.search_cache.clear();
    }

    /// Add or update a shared user (the owner is never a member of their own album).
    pub fn add_album_member(&mut self, album: usize, user: usize, role: Role) {
        let a = &mut self.albums[album];
        if user == a.owner {
            return;
        }
        match a.members.iter_mut().find(|(u, _)| *u == user) {
            Some(entry) => entry.1 = role,
            None => a.members.push((user, role)),
        }
        a.updated_ms = time::now_ms();
        self.search_cache.clear();
    }

    /// Insert assets without any check. Returns how many were new.
    pub fn insert_album_assets(&mut self, album: usize, ids: &[u128]) -> usize {
        let a = &mut self.albums[album];
        let before = a.assets.len();
        a.assets.extend(ids.iter().copied());
        let added = a.assets.len() - before;
        if added > 0 {
            if a.thumbnail.is_none() {
                a.thumbnail = ids.first().copied();
            }
            a.updated_ms = time::now_ms();
            self.search_cache.clear();
        }
        added
    }

    pub fn remove_album_assets(&mut self, album: usize, ids: &[u128]) {
        let a = &mut self.albums[album];
        for id in ids {
            a.assets.remove(id);
        }
        // Immich moves an album's `updatedAt` when assets are added, not when they are taken out
        // (measured on 3.1.0 and 2.5.6), unless the cover goes with them.
        if a.thumbnail.is_some_and(|t| !a.assets.contains(&t)) {
            self.albums[album].thumbnail = self.next_cover(album);
            self.albums[album].updated_ms = time::now_ms();
        }
        self.search_cache.clear();
    }

    /// The cover an album gets when its own leaves: the first of its assets not in the trash.
    fn next_cover(&self, album: usize) -> Option<u128> {
        self.albums[album]
            .assets
            .iter()
            .find(|id| !self.trashed.contains_key(id))
            .copied()
    }

    /// Take an asset out of every album that holds it.
    pub fn remove_from_all_albums(&mut self, id: u128) {
        let holding: Vec<usize> = (0..self.albums.len())
            .filter(|&a| self.albums[a].assets.contains(&id))
            .collect();
        for album in holding {
            self.remove_album_assets(album, &[id]);
        }
        self.search_cache.clear();
    }

    // ----- request log ---------------------------------------------------------------------

    pub fn log_request(&mut self, mut entry: LoggedRequest) {
        self.next_seq += 1;
        entry.seq = self.next_seq;
        self.log.push(entry);
    }
}

/// Names of the content words in a bitmask.
pub fn word_list(mask: u32) -> Vec<String> {
    WORDS
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, w)| w.to_string())
        .collect()
}
/// Name of person slot `i` in every library.
pub fn person_name(users: &[User], i: usize) -> &str {
    match FIXED_PEOPLE.get(i) {
        Some(name) => name,
        None => &users[i - FIXED_PEOPLE.len()].display,
    }
}

/// The original file name, in the style of the asset's camera.
pub fn file_name(a: &AssetRec) -> String {
    let (y, mo, d, h, mi, s) = time::parts(a.taken + a.tz_offset_secs());
    if a.is_screenshot() {
        return format!("Screenshot_{y:04}-{mo:02}-{d:02}-{h:02}-{mi:02}-{s:02}.png");
    }
    let n = a.file_no;
    let video = a.is_video();
    let style = CAMERAS
        .get(a.camera as usize)
        .map_or(NameStyle::Apple, |c| c.style);
    match (style, video) {
        (NameStyle::Apple, false) => format!("IMG_{n:04}.JPG"),
        (NameStyle::Apple, true) => format!("IMG_{n:04}.MP4"),
        (NameStyle::Pixel, v) => format!(
            "PXL_{y:04}{mo:02}{d:02}_{h:02}{mi:02}{s:02}{:03}.{}",
            n % 1000,
            if v { "mp4" } else { "jpg" }
        ),
        (NameStyle::Canon, false) => format!("_MG_{n:04}.JPG"),
        (NameStyle::Canon, true) => format!("MVI_{n:04}.MP4"),
        (NameStyle::Sony, false) => format!("DSC{:05}.JPG", n),
        (NameStyle::Sony, true) => format!("C{n:04}.MP4"),
        (NameStyle::Samsung, v) => format!(
            "{y:04}{mo:02}{d:02}_{h:02}{mi:02}{s:02}.{}",
            if v { "mp4" } else { "jpg" }
        ),
    }
}
