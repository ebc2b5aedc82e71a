//! What people do in Immich, at a moment a test chooses: changes to libraries, albums, keys and
//! shared links made directly on the state (not logged, no permission checks), as a person would in
//! the web app or Immich itself would on its own (a trashed asset, a face tagged by hand, a new
//! upload), and acts planned for just before a request ([`Simulator::before`]). An act moves an
//! asset's `updatedAt` when Immich's would (visibility, favourite, trash, tags, uploads), not when
//! it touches only faces, people or albums (see `state`).

use super::state::{self, tags};
use super::{PersonAct, Role, SimAsset, Simulator, catalogue, time};

impl Simulator {
    /// Create an extra API key with the given permissions and return its secret.
    pub fn add_api_key(&self, account: &str, key_name: &str, permissions: &[&str]) -> String {
        let mut st = self.lock();
        let user = st.user_by_name(account);
        st.add_api_key(user, key_name, permissions)
    }

    /// Make the key invalid from now on (401).
    pub fn revoke_api_key(&self, key: &str) {
        self.lock().revoke_api_key(key);
    }

    /// `owner` shares their library with `viewer` (partner sharing, shown in timeline).
    pub fn set_partner(&self, viewer: &str, owner: &str) {
        let mut st = self.lock();
        let (viewer, owner) = (st.user_by_name(viewer), st.user_by_name(owner));
        st.set_partner(viewer, owner);
    }

    /// A person renames someone in their own library (the other accounts keep the old name), e.g. to
    /// make a name that only one account knows. Panics if the account has no person called `old`.
    pub fn rename_person(&self, account: &str, old: &str, new: &str) {
        let mut st = self.lock();
        let user = st.user_by_name(account);
        let slot = st
            .person_slot(user, old)
            .unwrap_or_else(|| panic!("{account} has no person called {old:?}"));
        st.renamed.insert((user, slot), new.to_string());
        st.search_cache.clear();
    }

    /// Create an album directly (not logged) and return its id.
    pub fn create_album(&self, owner: &str, name: &str, members: &[(&str, Role)]) -> String {
        let mut st = self.lock();
        let owner = st.user_by_name(owner);
        let members: Vec<(usize, Role)> = members
            .iter()
            .map(|(name, role)| (st.user_by_name(name), *role))
            .collect();
        let id = st.create_album(owner, name, "", &members);
        state::uuid_str(id)
    }

    /// Put assets into an album directly: not logged, no permission checks (a hand-added asset).
    /// Panics on an unknown album or a malformed id.
    pub fn add_to_album(&self, album_id: &str, asset_ids: &[String]) {
        let mut st = self.lock();
        let album = st.album_index_or_panic(album_id);
        let ids = parse_ids_or_panic(asset_ids);
        st.insert_album_assets(album, &ids);
    }

    /// Take assets out of an album directly, as a person does by hand in the web app: not logged, no
    /// permission checks; the twin of [`Simulator::add_to_album`]. Ids not in the album are
    /// ignored. Panics on an unknown album or a malformed id.
    pub fn remove_from_album(&self, album_id: &str, asset_ids: &[String]) {
        let mut st = self.lock();
        let album = st.album_index_or_panic(album_id);
        let ids = parse_ids_or_panic(asset_ids);
        st.remove_album_assets(album, &ids);
    }

    /// Change an asset's visibility directly (not logged): `"timeline"`, `"archive"`, `"hidden"` or
    /// `"locked"`. Moving an asset to `"locked"` also takes it out of every album, as Immich does
    /// when an asset goes to the locked folder. Panics on an unknown visibility or asset id.
    pub fn set_visibility(&self, asset_id: &str, visibility: &str) {
        let visibility = state::Visibility::parse(visibility)
            .unwrap_or_else(|| panic!("unknown visibility {visibility:?}"));
        let mut st = self.lock();
        let asset = st.asset_index_or_panic(asset_id);
        st.set_visibility(asset, visibility);
    }

    /// Move an asset to the trash (`true`) or restore it (`false`), as its owner does in Immich: it
    /// stays in its albums, but searches leave it out unless asked `withDeleted`, albums do not count
    /// it, and 2.x does not embed it in `GET /albums/{id}`; an album whose cover it was gets another.
    /// Panics on an unknown asset id.
    pub fn set_trashed(&self, asset_id: &str, trashed: bool) {
        let mut st = self.lock();
        let asset = st.asset_index_or_panic(asset_id);
        st.set_trashed(asset, trashed);
    }

    /// Mark or unmark an asset as a favourite, as its owner does in Immich (not logged).
    pub fn set_favorite(&self, asset_id: &str, favorite: bool) {
        let mut st = self.lock();
        let asset = st.asset_index_or_panic(asset_id);
        st.set_favorite(asset, favorite);
    }

    /// The album's owner shares it with `account` as `role` (not logged), as a person does in Immich.
    pub fn add_album_member(&self, album_id: &str, account: &str, role: Role) {
        let mut st = self.lock();
        let album = st.album_index_or_panic(album_id);
        let user = st.user_by_name(account);
        st.add_album_member(album, user, role);
    }

    /// The album's owner takes `account` out of its members (not logged). Panics on an unknown album.
    pub fn remove_album_member(&self, album_id: &str, account: &str) {
        let mut st = self.lock();
        let album = st.album_index_or_panic(album_id);
        let user = st.user_by_name(account);
        st.remove_album_member(album, user);
    }

    /// The asset no longer shows `person` (a name in the asset owner's library, e.g. "Mia"), as
    /// when someone removes a face tag by hand. Nothing changes when the asset did not show them.
    /// Panics on an unknown asset id or a name the owner's library does not have.
    pub fn untag(&self, asset_id: &str, person: &str) {
        let mut st = self.lock();
        let (asset, slot) = asset_and_person(&st, asset_id, person);
        st.untag(asset, slot);
    }

    /// The asset shows `person` (a name in the owner's library) from now on, as when someone tags a
    /// face by hand. Panics on an unknown asset id or a name the owner's library does not have.
    pub fn tag_face(&self, asset_id: &str, person: &str) {
        let mut st = self.lock();
        let (asset, slot) = asset_and_person(&st, asset_id, person);
        st.tag_face(asset, slot);
    }

    /// Deletes an asset for good, as its owner does by emptying the trash (not logged): it leaves every
    /// album, every search and the library. Panics on an unknown asset id.
    pub fn delete_for_good(&self, asset_id: &str) {
        let mut st = self.lock();
        let asset = st.asset_index_or_panic(asset_id);
        st.purge(asset);
    }

    /// A new photo in `account`'s library showing `people` (names in that library), as if its person
    /// had uploaded it just now: a file of its own. Returns the new id.
    pub fn upload_photo(&self, account: &str, people: &[&str]) -> String {
        let mut st = self.lock();
        let user = st.user_by_name(account);
        let mask = people.iter().fold(0_u32, |mask, name| {
            let slot = st
                .person_slot(user, name)
                .unwrap_or_else(|| panic!("{account} has no person called {name:?}"));
            mask | 1 << slot
        });
        let id = st.rng.uuid();
        let checksum = st.rng.bytes20();
        let rec = state::AssetRec {
            id,
            checksum,
            taken: time::now_ms() / 1000,
            words: 0,
            people: mask,
            file_no: 0,
            owner: user as u16,
            camera: state::NO_CAMERA,
            place: state::NO_PLACE,
            flags: 0,
            visibility: state::Visibility::Timeline,
        };
        let name = format!("upload-{}.jpg", &state::uuid_str(id)[..8]);
        st.add_uploaded(user, rec, name, 2_000_000);
        state::uuid_str(id)
    }

    /// Deletes an album, as its owner does in the web app (not logged; its assets stay in their
    /// libraries). Panics on an unknown album.
    pub fn delete_album(&self, album_id: &str) {
        let mut st = self.lock();
        let album = st.album_index_or_panic(album_id);
        st.delete_album(album);
    }

    /// Add content words (from the generator's vocabulary, e.g. `"nsfw"`, `"beach"`) to an asset,
    /// so smart search for them ranks it as a match. Panics on an unknown asset id or word.
    pub fn add_words(&self, asset_id: &str, words: &[&str]) {
        let mask = words.iter().fold(0, |mask, word| {
            let bit = catalogue::word_bit(word);
            assert!(bit != 0, "unknown content word {word:?}");
            mask | bit
        });
        let mut st = self.lock();
        let asset = st.asset_index_or_panic(asset_id);
        st.add_words(asset, mask);
    }

    /// Puts a file into `account`'s library as if its person had uploaded it: the same bytes (the
    /// checksum) and date as `like`, which may come from another simulator. Returns the new id.
    pub fn give_file(&self, account: &str, like: &SimAsset) -> String {
        use base64::Engine;
        let checksum: [u8; 20] = base64::engine::general_purpose::STANDARD
            .decode(&like.checksum)
            .ok()
            .and_then(|b| b.try_into().ok())
            .expect("a checksum of 20 bytes");
        let taken = time::parse_iso_datetime_ms(&like.taken).expect("an ISO date") / 1000;
        let mut st = self.lock();
        let user = st.user_by_name(account);
        let id = st.rng.uuid();
        let rec = state::AssetRec {
            id,
            checksum,
            taken,
            words: 0,
            people: 0,
            file_no: 0,
            owner: user as u16,
            camera: state::NO_CAMERA,
            place: state::NO_PLACE,
            flags: 0,
            visibility: state::Visibility::Timeline,
        };
        st.add_uploaded(user, rec, format!("given-{}.jpg", &like.id[..8]), 2_000_000);
        state::uuid_str(id)
    }

    /// Once, just before the server handles the next request to an endpoint matching `endpoint` (as
    /// in [`FaultRule`], e.g. `GET /api/albums/*`), a person does `act`.
    pub fn before(&self, endpoint: &str, act: PersonAct) {
        self.lock().pending_acts.push((endpoint.to_string(), act));
    }

    /// A person gives a shared link a custom URL (`/s/{slug}`) in Immich.
    pub fn set_link_slug(&self, link_id: &str, slug: &str) {
        let mut st = self.lock();
        let id = state::parse_uuid_any(link_id).expect("a link id");
        if let Some(link) = st.links.iter_mut().find(|l| l.id == id) {
            link.slug = Some(slug.to_string());
        }
    }

    /// A person deletes a shared link in Immich.
    pub fn delete_shared_link(&self, link_id: &str) {
        let mut st = self.lock();
        let id = state::parse_uuid_any(link_id).expect("a link id");
        st.links.retain(|l| l.id != id);
    }

    /// Tags an asset, in its owner's library, with `value` (`Holiday/2023` makes `Holiday` too).
    /// The asset's `updatedAt` moves, as with `PUT /api/tags/{id}/assets`.
    pub fn tag(&self, asset_id: &str, value: &str) {
        let mut st = self.lock();
        let i = st.asset_index_or_panic(asset_id);
        let (id, owner) = (st.assets[i].id, st.assets[i].owner as usize);
        let tag = tags::ensure(&mut st, owner, value);
        st.asset_tags.entry(id).or_default().push(tag);
        st.touch(i);
    }

    /// The asset's original file is `bytes` long from now on (for copies of large files).
    pub fn set_original_size(&self, asset_id: &str, bytes: u64) {
        let mut st = self.lock();
        let i = st.asset_index_or_panic(asset_id);
        let id = st.assets[i].id;
        st.original_sizes.insert(id, bytes);
        st.search_cache.clear();
    }
}

/// Asset ids as the test API takes them; a malformed one is a mistake in the test.
fn parse_ids_or_panic(asset_ids: &[String]) -> Vec<u128> {
    asset_ids
        .iter()
        .map(|s| state::parse_uuid_any(s).unwrap_or_else(|| panic!("bad asset id {s}")))
        .collect()
}

/// An asset's index and the slot of `person` in its owner's library. Panics on an unknown asset id
/// or a name the owner's library does not have.
fn asset_and_person(st: &state::State, asset_id: &str, person: &str) -> (usize, usize) {
    let asset = st.asset_index_or_panic(asset_id);
    let owner = st.assets[asset].owner as usize;
    let slot = st
        .person_slot(owner, person)
        .unwrap_or_else(|| panic!("no person {person:?} in the owner's library"));
    (asset, slot)
}
