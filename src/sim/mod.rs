//! An in-process Immich 3.1 server simulator for tests and demos. This file owns the public API:
//! the configuration, the account/asset/request views handed to tests, and `Simulator`, which runs
//! the HTTP server on its own thread and tokio runtime and offers direct (unlogged) access to its
//! state, including controls that change assets and albums as a person or Immich itself would
//! (`set_visibility`, `untag`, `add_words`, `remove_from_album`). Data generation lives in
//! `generator`, the data model in `state`, search in `search`, JSON shapes in `json`, fault
//! injection in `faults`, thumbnails in `picture` (encoded by `webp` and `jpeg`), and the HTTP layer
//! in `routes`.

mod catalogue;
mod faults;
mod generator;
mod jpeg;
mod json;
mod links;
mod picture;
mod rng;
mod routes;
mod search;
mod state;
mod tags;
pub(crate) mod time;
mod uploads;
mod validate;
mod webp;

use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use state::State;

pub use faults::{FaultPlan, FaultRule};

/// How to build the simulated server.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    pub accounts: Vec<String>,
    pub assets_per_account: usize,
    /// Slept before answering every request.
    pub latency: Duration,
    /// 0 = any free port.
    pub port: u16,
    /// Which Immich release line to answer as.
    pub immich: ImmichLine,
}

/// The Immich release lines the simulator imitates, each in its recorded answer shapes
/// (`../shared/immich-api/samples*/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImmichLine {
    /// 2.5.6: albums carry `ownerId`/`owner` and list only members in `albumUsers`; `GET
    /// /albums/{id}` embeds every asset unless `withoutAssets=true`; `GET /albums` ignores `name`;
    /// re-sharing with a member is a 400; errors carry `error` and `statusCode`, validation messages
    /// come as a list.
    V2_5,
    /// 3.1.0, the default.
    #[default]
    V3_1,
}

impl ImmichLine {
    pub fn version(self) -> (u32, u32, u32) {
        match self {
            ImmichLine::V2_5 => (2, 5, 6),
            ImmichLine::V3_1 => (3, 1, 0),
        }
    }
}

impl std::str::FromStr for ImmichLine {
    type Err = String;

    fn from_str(text: &str) -> Result<ImmichLine, String> {
        match text {
            "2.5" | "2.5.6" => Ok(ImmichLine::V2_5),
            "3.1" | "3.1.0" => Ok(ImmichLine::V3_1),
            other => Err(format!(
                "`{other}` is not a line the simulator imitates: 2.5 or 3.1"
            )),
        }
    }
}

impl std::fmt::Display for ImmichLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (major, minor, patch) = self.version();
        write!(f, "{major}.{minor}.{patch}")
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            accounts: vec!["alice".to_string(), "bob".to_string()],
            assets_per_account: 200,
            latency: Duration::ZERO,
            port: 0,
            immich: ImmichLine::default(),
        }
    }
}

/// What a person does in Immich at a moment a test chooses (see [`Simulator::before`]): the family
/// at work while the tool reads or writes.
#[derive(Debug, Clone)]
pub enum PersonAct {
    /// Puts assets into an album (ids).
    AddToAlbum { album: String, assets: Vec<String> },
    /// Takes assets out of an album.
    RemoveFromAlbum { album: String, assets: Vec<String> },
}

/// A user's role in an album.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    Editor,
    Viewer,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }
}

/// An account of the simulated server, with its full-permission API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimAccount {
    pub name: String,
    pub user_id: String,
    pub email: String,
    pub api_key: String,
}

/// One HTTP request as the server saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedRequest {
    pub seq: u64,
    pub method: String,
    /// e.g. "/api/search/metadata", without the query string.
    pub path: String,
    pub query: Option<String>,
    /// Name of the account the API key belongs to (None when the key was missing or invalid).
    pub account: Option<String>,
    pub status: u16,
    /// True for a request that changed albums or assets: a successful POST/PUT/DELETE under
    /// /api/albums, or a successful `PUT /api/assets`.
    pub changed: bool,
    /// The JSON body of a non-GET request (a non-JSON body is kept as a string).
    pub body: Option<serde_json::Value>,
    /// The injected fault, if any: `status 502`, `status 502 after handler`, `status 429`, `reset`
    /// (logged with status 0), `truncate` (logged with the status that was cut), `always fail`,
    /// `redirect`.
    pub fault: Option<String>,
    /// The request headers as received, in order; the value of `x-api-key` is logged as `[redacted]`.
    pub headers: Vec<(String, String)>,
}

impl LoggedRequest {
    /// The value of a request header (names are lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A readable view of one generated asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimAsset {
    pub id: String,
    /// Account name.
    pub owner: String,
    /// Base64 of the 20-byte SHA-1, as Immich reports it.
    pub checksum: String,
    /// RFC 3339, UTC.
    pub taken: String,
    /// Empty when the asset has no camera (screenshots).
    pub make: String,
    pub model: String,
    /// Empty when the asset has no GPS.
    pub city: String,
    /// Content words (the toy CLIP embedding).
    pub words: Vec<String>,
    /// Names of the people shown.
    pub people: Vec<String>,
    pub is_favorite: bool,
    pub visibility: String,
    /// In the trash.
    pub trashed: bool,
    /// IMAGE or VIDEO.
    pub kind: String,
}

/// A running simulated Immich server. Dropping it shuts the server down.
pub struct Simulator {
    state: Arc<Mutex<State>>,
    faults: Arc<Mutex<faults::Faults>>,
    port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Generate the data, bind `127.0.0.1:port` and serve on a dedicated thread with its own tokio
    /// runtime. Returns once the socket is listening; safe to call from inside a tokio runtime.
    pub fn start(config: SimConfig) -> anyhow::Result<Simulator> {
        anyhow::ensure!(
            !config.accounts.is_empty(),
            "the simulator needs an account"
        );
        anyhow::ensure!(
            config.accounts.len() <= generator::MAX_ACCOUNTS,
            "the simulator supports at most {} accounts",
            generator::MAX_ACCOUNTS
        );
        let listener = std::net::TcpListener::bind(("127.0.0.1", config.port))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(Mutex::new(generator::generate(&config)));
        let faults = Arc::new(Mutex::new(faults::Faults::default()));
        let app = routes::router(state.clone(), config.latency, faults.clone());

        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<anyhow::Result<()>>();
        let thread = std::thread::Builder::new()
            .name(format!("immich-sim-{port}"))
            .spawn(move || serve(listener, app, stop_rx, ready_tx))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Simulator {
                state,
                faults,
                port,
                stop: Some(stop_tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(anyhow::anyhow!("simulator thread died during start-up")),
        }
    }

    /// The bare site, e.g. "http://127.0.0.1:PORT" (the API is under /api).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// All accounts, in configuration order.
    pub fn accounts(&self) -> Vec<SimAccount> {
        let st = self.lock();
        (0..st.users.len()).map(|u| st.sim_account(u)).collect()
    }

    /// The named account; panics if unknown.
    pub fn account(&self, name: &str) -> SimAccount {
        let st = self.lock();
        st.sim_account(st.user_by_name(name))
    }

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

    /// The id of the person called `name` in `account`'s library.
    pub fn person_id(&self, account: &str, name: &str) -> Option<String> {
        let st = self.lock();
        let user = st.user_by_name(account);
        st.person_id(user, name).map(state::uuid_str)
    }

    /// The account's own assets, in generation order.
    pub fn assets(&self, account: &str) -> Vec<SimAsset> {
        let st = self.lock();
        let user = st.user_by_name(account);
        st.assets_of(user).map(|i| st.sim_asset(i)).collect()
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
    /// it, and 2.x does not embed it in `GET /albums/{id}`. Panics on an unknown asset id.
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

    /// The accounts that are members of an album besides its owner, with their roles.
    pub fn album_members(&self, album_id: &str) -> Vec<(String, Role)> {
        let st = self.lock();
        let album = st.album_index_or_panic(album_id);
        st.albums[album]
            .members
            .iter()
            .map(|(u, role)| (st.users[*u].name.clone(), *role))
            .collect()
    }

    /// The asset no longer shows `person` (a name in the asset owner's library, e.g. "Mia"), as
    /// when someone removes a face tag by hand. Nothing changes when the asset did not show them.
    /// Panics on an unknown asset id or a name the owner's library does not have.
    pub fn untag(&self, asset_id: &str, person: &str) {
        let mut st = self.lock();
        let asset = st.asset_index_or_panic(asset_id);
        let owner = st.assets[asset].owner as usize;
        let slot = st
            .person_slot(owner, person)
            .unwrap_or_else(|| panic!("no person {person:?} in the owner's library"));
        st.untag(asset, slot);
    }

    /// The asset shows `person` (a name in the owner's library) from now on, as when someone tags a
    /// face by hand. Panics on an unknown asset id or a name the owner's library does not have.
    pub fn tag_face(&self, asset_id: &str, person: &str) {
        let mut st = self.lock();
        let asset = st.asset_index_or_panic(asset_id);
        let owner = st.assets[asset].owner as usize;
        let slot = st
            .person_slot(owner, person)
            .unwrap_or_else(|| panic!("no person {person:?} in the owner's library"));
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

    /// The album's asset ids, sorted.
    pub fn album_assets(&self, album_id: &str) -> Vec<String> {
        let st = self.lock();
        let album = st.album_index_or_panic(album_id);
        st.albums[album]
            .assets
            .iter()
            .map(|id| state::uuid_str(*id))
            .collect()
    }

    /// Ids of the albums called exactly `name`.
    pub fn album_by_name(&self, name: &str) -> Vec<String> {
        let st = self.lock();
        st.albums
            .iter()
            .filter(|a| a.name == name)
            .map(|a| state::uuid_str(a.id))
            .collect()
    }

    /// How many assets a search by `account` matches in all, before paging: `body` as the client sends
    /// it to `/api/search/{kind}` (`kind` is `metadata` or `smart`). `None` for a body the server would
    /// refuse. For checking request counts against the minimum (the benchmark).
    pub fn search_total(
        &self,
        account: &str,
        kind: &str,
        body: &serde_json::Value,
    ) -> Option<usize> {
        let kind = match kind {
            "metadata" => search::SearchKind::Metadata,
            "smart" => search::SearchKind::Smart,
            _ => return None,
        };
        let request = search::parse(kind, body).ok()?;
        let mut st = self.lock();
        let user = st.user_by_name(account);
        search::run(&mut st, user, &request)
            .ok()
            .map(|all| all.len())
    }

    /// Every request so far (since the last `clear_requests`).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.lock().log.clone()
    }

    pub fn clear_requests(&self) {
        self.lock().log.clear();
    }

    /// The logged requests that changed state (`changed == true`).
    pub fn changing_requests(&self) -> Vec<LoggedRequest> {
        self.lock()
            .log
            .iter()
            .filter(|r| r.changed)
            .cloned()
            .collect()
    }

    /// Inject faults from now on, by this plan (replacing any plan and `fail_always` before it; the
    /// draws start again from the plan's seed).
    pub fn set_faults(&self, plan: FaultPlan) {
        self.faults().set_plan(plan);
    }

    /// No more faults: removes the plan, every `fail_always` and every redirect.
    pub fn clear_faults(&self) {
        self.faults().clear();
    }

    /// Every request of `account`'s keys to endpoints matching `endpoint` (as in [`FaultRule`]) is
    /// answered 503 from now on.
    pub fn fail_always(&self, account: &str, endpoint: &str) {
        self.lock().user_by_name(account);
        self.faults().fail_always(account, endpoint);
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

    /// An album's description, order (`desc`/`asc`) and cover asset, as Immich shows them.
    pub fn album_looks(&self, album_id: &str) -> (String, String, Option<String>) {
        let st = self.lock();
        let id = state::parse_uuid_any(album_id).expect("an album id");
        let album = &st.albums[st.album_by_id(id).expect("an album")];
        (
            album.description.clone(),
            album.order.to_string(),
            album.thumbnail.map(state::uuid_str),
        )
    }

    /// An album's shared links: (id, key, expiry as RFC 3339, whether it has a password).
    pub fn shared_links(&self, album_id: &str) -> Vec<(String, String, Option<String>, bool)> {
        let st = self.lock();
        let album = state::parse_uuid_any(album_id).expect("an album id");
        st.links
            .iter()
            .filter(|l| l.album == album)
            .map(|l| {
                (
                    state::uuid_str(l.id),
                    l.key.clone(),
                    l.expires_ms.map(time::iso_ms),
                    l.password.is_some(),
                )
            })
            .collect()
    }

    /// A shared link's settings: (password, allowDownload, showMetadata, allowUpload). Panics on an
    /// unknown link.
    pub fn shared_link_settings(&self, link_id: &str) -> (Option<String>, bool, bool, bool) {
        let st = self.lock();
        let id = state::parse_uuid_any(link_id).expect("a link id");
        let link = st
            .links
            .iter()
            .find(|l| l.id == id)
            .unwrap_or_else(|| panic!("unknown shared link {link_id}"));
        (
            link.password.clone(),
            link.allow_download,
            link.show_metadata,
            link.allow_upload,
        )
    }

    /// Once, just before the server handles the next request to an endpoint matching `endpoint` (as
    /// in [`FaultRule`], e.g. `GET /api/albums/*`), a person does `act`.
    pub fn before(&self, endpoint: &str, act: PersonAct) {
        self.lock().pending_acts.push((endpoint.to_string(), act));
    }

    /// The next `n` answers of 2.x's `GET /api/albums/{id}` with its assets count one more asset than
    /// they embed, as 2.5.6 answers when an add lands between its two queries (its count and its
    /// assets are read apart).
    pub fn miscount_albums(&self, n: usize) {
        self.lock().miscounted_albums = n;
    }

    /// `/.well-known/immich` names this API endpoint from now on (Immich answers `/api`).
    pub fn set_api_endpoint(&self, endpoint: &str) {
        self.lock().api_endpoint = Some(endpoint.to_string());
    }

    /// Originals download slowly from now on: a pause of `pause` before each 64 KiB chunk (`None`:
    /// at once again).
    pub fn pace_originals(&self, pause: Option<Duration>) {
        self.lock().original_pace = pause;
    }

    /// A person gives a shared link a custom URL (`/s/{slug}`) in Immich.
    pub fn set_link_slug(&self, link_id: &str, slug: &str) {
        let mut st = self.lock();
        let id = state::parse_uuid_any(link_id).expect("a link id");
        if let Some(link) = st.links.iter_mut().find(|l| l.id == id) {
            link.slug = Some(slug.to_string());
        }
    }

    /// A shared link's custom URL, if a person gave it one.
    pub fn link_slug(&self, link_id: &str) -> Option<String> {
        let st = self.lock();
        let id = state::parse_uuid_any(link_id).expect("a link id");
        st.links
            .iter()
            .find(|l| l.id == id)
            .and_then(|l| l.slug.clone())
    }

    /// A person deletes a shared link in Immich.
    pub fn delete_shared_link(&self, link_id: &str) {
        let mut st = self.lock();
        let id = state::parse_uuid_any(link_id).expect("a link id");
        st.links.retain(|l| l.id != id);
    }

    /// Tags an asset, in its owner's library, with `value` (`Holiday/2023` makes `Holiday` too).
    pub fn tag(&self, asset_id: &str, value: &str) {
        let mut st = self.lock();
        let i = st.asset_index_or_panic(asset_id);
        let (id, owner) = (st.assets[i].id, st.assets[i].owner as usize);
        let tag = tags::ensure(&mut st, owner, value);
        st.asset_tags.entry(id).or_default().push(tag);
        st.search_cache.clear();
    }

    /// The asset's original file is `bytes` long from now on (for copies of large files).
    pub fn set_original_size(&self, asset_id: &str, bytes: u64) {
        let mut st = self.lock();
        let i = st.asset_index_or_panic(asset_id);
        let id = st.assets[i].id;
        st.original_sizes.insert(id, bytes);
        st.search_cache.clear();
    }

    /// `GET /api/server/version` answers this version from now on (the answer shapes stay the line's).
    pub fn report_version(&self, major: u32, minor: u32, patch: u32) {
        self.lock().reported_version = Some((major, minor, patch));
    }

    /// Every smart search from now on answers its first page `n` results short, with no next page, as
    /// Immich 2.x with pgvector does when nearest candidates belong to other users.
    pub fn cut_smart_results(&self, n: usize) {
        let mut st = self.lock();
        st.smart_shortfall = n;
        st.search_cache.clear();
    }

    /// `GET /api/people` answers at most `n` people a page from now on, whatever size was asked, as a
    /// server may: a client must follow `hasNextPage` to the last page.
    pub fn cap_people_pages(&self, n: usize) {
        self.lock().people_page_cap = Some(n.max(1));
    }

    /// Requests to endpoints matching `endpoint` (as in [`FaultRule`]) are answered 307 with this
    /// `Location` from now on.
    pub fn set_redirect(&self, endpoint: &str, location: String) {
        self.faults().set_redirect(endpoint, location);
    }

    /// The requests that got an injected fault.
    pub fn faulted_requests(&self) -> Vec<LoggedRequest> {
        self.lock()
            .log
            .iter()
            .filter(|r| r.fault.is_some())
            .cloned()
            .collect()
    }

    fn faults(&self) -> MutexGuard<'_, faults::Faults> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stop the server and wait for its thread.
    pub fn shutdown(self) {
        // Drop does the work.
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Asset ids as the test API takes them; a malformed one is a mistake in the test.
fn parse_ids_or_panic(asset_ids: &[String]) -> Vec<u128> {
    asset_ids
        .iter()
        .map(|s| state::parse_uuid_any(s).unwrap_or_else(|| panic!("bad asset id {s}")))
        .collect()
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Body of the server thread: run the router until told to stop, then drop the runtime (which
/// cancels any open connections).
fn serve(
    listener: std::net::TcpListener,
    app: axum::Router,
    stop: tokio::sync::oneshot::Receiver<()>,
    ready: std::sync::mpsc::Sender<anyhow::Result<()>>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("immich-sim-worker")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(e.into()));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                let _ = ready.send(Err(e.into()));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        let server = std::future::IntoFuture::into_future(axum::serve(listener, app));
        tokio::select! {
            result = server => {
                if let Err(e) = result {
                    tracing::error!("simulator server failed: {e}");
                }
            }
            _ = stop => {}
        }
    });
    runtime.shutdown_timeout(Duration::from_millis(200));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ping(url: &str) -> reqwest::Result<reqwest::StatusCode> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            crate::immich::install_tls_provider();
            Ok(reqwest::get(format!("{url}/api/server/ping"))
                .await?
                .status())
        })
    }

    #[test]
    fn starts_from_plain_code_and_shuts_down() {
        let sim = Simulator::start(SimConfig::default()).unwrap();
        let url = sim.url();
        assert_eq!(url, format!("http://127.0.0.1:{}", sim.port()));
        assert_eq!(ping(&url).unwrap(), 200);
        let names: Vec<String> = sim.accounts().into_iter().map(|a| a.name).collect();
        assert_eq!(names, ["alice", "bob"]);
        assert_eq!(sim.assets("bob").len(), 200);
        assert_eq!(sim.account("bob").email, "bob@example.com");
        sim.shutdown();
        assert!(ping(&url).is_err(), "the port is closed after shutdown");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn starts_inside_a_runtime_and_keys_are_seeded() {
        let a = Simulator::start(SimConfig::default()).unwrap();
        let b = Simulator::start(SimConfig::default()).unwrap();
        assert_ne!(a.port(), b.port());
        assert_eq!(a.accounts(), b.accounts(), "same seed, same users and keys");
        crate::immich::install_tls_provider();
        let resp = reqwest::get(format!("{}/api/server/version", a.url()))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        drop(a);
        drop(b);
    }

    #[test]
    #[should_panic(expected = "unknown simulator account")]
    fn unknown_account_panics() {
        let sim = Simulator::start(SimConfig {
            assets_per_account: 1,
            ..SimConfig::default()
        })
        .unwrap();
        sim.account("mallory");
    }
}
