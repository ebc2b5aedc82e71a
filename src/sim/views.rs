//! What a test reads of the simulated server, directly and unlogged: accounts, assets, albums,
//! shared links, the request log, and how many assets a search matches.

use super::{LoggedRequest, Role, SimAccount, SimAsset, Simulator, search, state, time};

impl Simulator {
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

    /// The requests that got an injected fault.
    pub fn faulted_requests(&self) -> Vec<LoggedRequest> {
        self.lock()
            .log
            .iter()
            .filter(|r| r.fault.is_some())
            .cloned()
            .collect()
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

    /// A shared link's custom URL, if a person gave it one.
    pub fn link_slug(&self, link_id: &str) -> Option<String> {
        let st = self.lock();
        let id = state::parse_uuid_any(link_id).expect("a link id");
        st.links
            .iter()
            .find(|l| l.id == id)
            .and_then(|l| l.slug.clone())
    }
}
